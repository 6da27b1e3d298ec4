"""Virtual keys through the API: create (the secret shown once), list, update, revoke, rotate."""

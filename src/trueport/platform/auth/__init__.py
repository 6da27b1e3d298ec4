"""Sign-in: passwords, access and refresh tokens, login throttling, password reset."""

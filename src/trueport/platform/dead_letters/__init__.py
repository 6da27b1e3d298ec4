"""``/admin/dead-letters``: what the record and audit writers could not store (platform admins)."""

"""Platform admins manage the installation's users: list and search, disable and enable, and grant or
revoke platform admin (``/admin/users``)."""

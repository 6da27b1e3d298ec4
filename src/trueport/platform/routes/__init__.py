"""A tenant's own model routes, on top of the config file's global ones."""

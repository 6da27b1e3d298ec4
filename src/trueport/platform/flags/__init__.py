"""Feature flags through the API: installation-wide rules (platform admins) and a tenant's own."""

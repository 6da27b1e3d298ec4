"""Tenants as platform admins manage them (create, list, disable)."""

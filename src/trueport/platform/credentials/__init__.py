"""Tenants' own provider accounts (bring your own key), envelope-encrypted at rest."""

"""Plans, tenant plan assignment, pricing overrides and invoice previews."""

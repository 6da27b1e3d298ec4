"""What platform admins watch across the installation: provider health (circuit breakers) and usage
summed per tenant (``/admin/providers/health``, ``/admin/usage``)."""

"""``/guard/bundle``: the tenant's guard bundle (signed manifest and model files) for edge clients."""

"""A tenant's settings and feature flags."""

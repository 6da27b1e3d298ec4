"""A tenant's guard violation records: what the guard found on which request, never the text itself."""

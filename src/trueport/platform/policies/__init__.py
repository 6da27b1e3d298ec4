"""A tenant's guard policies: versioned, stored, editable through the API."""

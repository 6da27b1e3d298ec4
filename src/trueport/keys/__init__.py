"""Virtual keys: their format, hashing, storage and the in-process cache the data plane reads."""

"""Tenants: the organisations whose data TruePort keeps apart."""

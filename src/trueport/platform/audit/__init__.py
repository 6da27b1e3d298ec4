"""The audit trail through the API: proofs, public keys, exports."""

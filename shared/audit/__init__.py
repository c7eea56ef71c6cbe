"""Audit: event histories, past states, replay, Merkle tree and signed checkpoints (shared by both services)."""

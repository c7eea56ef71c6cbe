"""Notices that reach people: webhook subscriptions, the outbox projected from the log, signed deliveries."""

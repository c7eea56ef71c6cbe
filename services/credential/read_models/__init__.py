"""The credential service's read models: the registry, certification, transfers and badge tables, the training
status learned from the training feed, and its own public feed."""

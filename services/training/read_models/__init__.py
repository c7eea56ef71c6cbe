"""The training service's read models: its projections, the people it learns from the credential feed, and its own public feed."""

"""HTTP controllers of the training service: one per resource."""

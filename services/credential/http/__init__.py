"""HTTP controllers of the credential service: one per resource."""

"""Training service: providers, course catalogue, completions ledger, annual totals."""

"""Credential service: staff registry, nurseries, certificates, role assignments, compliance, badges."""

"""Portable credentials: certificates and training years as W3C Verifiable Credentials (vc+jwt).

See docs/credentials.md: the issuer key (``issuer_key``), the status index of every certificate
and the bits of the status lists (``projection``), the credential shapes (``documents``), signing
(``securing``), the service object (``service``) and the routes (``http``).
"""

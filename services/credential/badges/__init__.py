"""Signed QR badges (工作证二维码) that inspectors verify on site, online or offline.

The wire chain is the EU Digital COVID Certificate's, with our own prefix: CWT claims →
COSE_Sign1 → zlib → Base45 → ``TY1:`` → alphanumeric QR code (error correction Q).
"""

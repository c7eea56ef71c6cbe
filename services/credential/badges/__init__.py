"""Signed QR badges (工作证二维码) that inspectors verify on site, online or offline.

The wire chain is the EU Digital COVID Certificate's, with our own prefix: CWT claims →
COSE_Sign1 (ES256 or EdDSA, kid in the protected header) → zlib → Base45 → ``TY1:`` →
alphanumeric QR code, error correction Q. See ``claims`` for the claim keys, ``holder`` for the
holder binding (人证合一 without any digit of the ID number), ``verifier`` for the verdicts, and
``docs/badges.md`` for the attacker model and the numbers behind it.

This package is the wire format and its cryptography. The application's side of badges is
``services/credential/application/badges.py`` (``Badges``: keys, signing, status, verifying),
built once by ``Credentials`` and reached as ``badges = credentials.badges``:

* issue, after the compliance check: ``badges.issuer.issue(BadgeHolder(...), actor=...,
  id_number=typed_number_or_None, id_hash=staff_id_hash)`` → ``IssuedBadge`` (QR text, PNG, SVG);
* a certificate changes: ``badges.statuses.mark_certificate(number, "revoked" | "suspended" |
  "active", cert_type=..., reason=..., actor=...)``; which badges show it:
  ``badges_with_certificate(number, cert_type)`` (numbers are unique per type only);
* a badge changes: ``badges.statuses.change_badge_status(badge_id, status, ...)`` or
  ``mark_status(status_index, status, ...)``;
* the online check: ``badges.verify(qr_text, id_number=...)``.

Keys: ``carecred badge-keys generate|rotate|list|anchor|rotate-anchor``. Private keys live only as PEM files
(0600) in ``CARECRED_BADGE_KEY_DIR`` (default ``<data_dir>/badge-keys``), which replicas must
share; their public halves and lifecycle are ``SigningKey`` events.
"""

"""Private signing keys as PEM files (mode 0600) in the badge key directory; never in events."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from services.credential.badges import cose
from shared.settings import Settings


def key_dir_of(settings: Settings) -> Path:
    """``CARECRED_BADGE_KEY_DIR``, default ``<data_dir>/badge-keys``."""
    return Path(settings.badge_key_dir or Path(settings.data_dir) / "badge-keys")


class KeyStore:
    """Reads and writes private keys by key id (hex); replicas must share the directory."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def path(self, kid_hex: str) -> Path:
        if not kid_hex or any(c not in "0123456789abcdef" for c in kid_hex):
            raise ValueError(f"not a key id: {kid_hex!r}")
        return self.directory / f"{kid_hex}.pem"

    def save(self, private_key: cose.PrivateKey) -> str:
        """Write a new private key; return its key id (hex)."""
        kid_hex = cose.key_id(private_key.public_key()).hex()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # Created with 0600 from the start, so the key is never readable by others, even briefly.
        fd = os.open(self.path(kid_hex), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return kid_hex

    def load(self, kid_hex: str) -> cose.PrivateKey:
        path = self.path(kid_hex)
        if not path.exists():
            raise FileNotFoundError(f"the private key {kid_hex} is not in {self.directory}")
        return serialization.load_pem_private_key(path.read_bytes(), password=None)  # type: ignore[return-value]

    def has(self, kid_hex: str) -> bool:
        return self.path(kid_hex).exists()

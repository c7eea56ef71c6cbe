"""Signed checkpoints of a service's event log: tree size, root hash, time, Ed25519 signature."""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from contracts.audit import Checkpoint
from shared.errors import DomainError

FORMAT = "carecred-checkpoint/v1"


class CheckpointKeyMissing(DomainError):
    """No checkpoint key is configured (PostgreSQL needs CARECRED_CHECKPOINT_KEY)."""

    code = "checkpoint_key_missing"


def signing_key(secret: bytes, service: str) -> Ed25519PrivateKey:
    """The service's Ed25519 key, derived from the deployment's checkpoint secret."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"carecred checkpoint {service}".encode()).derive(secret)
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: bytes) -> str:
    """A short name of a public key: the first 8 bytes of its SHA-256, in hex."""
    return hashlib.sha256(public).hexdigest()[:16]


def signed_message(service: str, tree_size: int, root_hash: str, timestamp: str) -> bytes:
    """The exact bytes a checkpoint signature covers."""
    return f"{FORMAT}\n{service}\n{tree_size}\n{root_hash}\n{timestamp}\n".encode()


def sign(key: Ed25519PrivateKey, service: str, tree_size: int, root: bytes, timestamp: str) -> Checkpoint:
    public = public_key_bytes(key.public_key())
    signature = key.sign(signed_message(service, tree_size, root.hex(), timestamp))
    return Checkpoint(
        service=service, tree_size=tree_size, root_hash=root.hex(), timestamp=timestamp,
        key_id=key_id(public), public_key=base64.b64encode(public).decode(),
        signature=base64.b64encode(signature).decode(),
    )


def verify(checkpoint: Checkpoint, trusted_public_key: bytes) -> str | None:
    """None when the checkpoint is signed by the trusted key, else why not."""
    if base64.b64decode(checkpoint.public_key) != trusted_public_key:
        return f"the checkpoint names key {checkpoint.key_id}, not the trusted key {key_id(trusted_public_key)}"
    message = signed_message(checkpoint.service, checkpoint.tree_size, checkpoint.root_hash, checkpoint.timestamp)
    try:
        Ed25519PublicKey.from_public_bytes(trusted_public_key).verify(base64.b64decode(checkpoint.signature), message)
    except (InvalidSignature, ValueError):
        return "the checkpoint signature does not verify"
    return None

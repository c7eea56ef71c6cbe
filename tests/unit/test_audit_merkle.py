"""The Merkle tree and checkpoint rules on their own: no storage, no service."""

import base64
import hashlib

import msgspec
import pytest

from shared.audit import checkpoint as signing
from shared.audit.merkle import (
    EMPTY_ROOT, CompactRange, consistency_path, inclusion_path, leaf_hash, leaf_preimage, node_hash,
    verify_consistency, verify_inclusion,
)

LEAVES = [leaf_hash(f"event {i}".encode()) for i in range(70)]


def subtree(start: int, end: int) -> bytes:
    """MTH of LEAVES[start:end] straight from the recursive definition."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return LEAVES[start]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(subtree(start, start + k), subtree(start + k, end))


def test_a_growing_tree_has_the_recursive_root_at_every_size():
    tree = CompactRange()
    assert tree.root() == EMPTY_ROOT == hashlib.sha256(b"").digest()
    for n, leaf in enumerate(LEAVES, start=1):
        tree.append(leaf)
        assert tree.root() == subtree(0, n)


def test_inclusion_proofs_verify_and_reject_the_wrong_leaf():
    for size in range(1, 40):
        root = subtree(0, size)
        for index in range(size):
            path = inclusion_path(index, size, subtree)
            assert verify_inclusion(LEAVES[index], index, size, path, root)
            assert not verify_inclusion(LEAVES[index], index, size, path, LEAVES[0] if size > 1 else b"x")
            if size > 1:
                assert not verify_inclusion(LEAVES[(index + 1) % size], index, size, path, root)


def test_consistency_proofs_verify_and_reject_a_rewritten_prefix():
    for second in range(1, 40):
        for first in range(1, second + 1):
            path = consistency_path(first, second, subtree)
            assert verify_consistency(first, second, subtree(0, first), subtree(0, second), path)
            if first < second:
                assert not verify_consistency(first, second, leaf_hash(b"forged"), subtree(0, second), path)


def test_the_leaf_encoding_is_fixed():
    """The leaf format is a published contract (docs/audit.md): it must never change silently."""
    preimage = leaf_preimage(7, "6f1e0f9a-3c6b-5d0e-9a41-0d7a9d3c2b10", 2, "carecred.shared:ApiKey.Revoked.v1", b"stored")
    assert preimage[:2] == bytes([0x85, 0x07])  # CBOR array of 5, then the position
    assert leaf_hash(preimage) == hashlib.sha256(b"\x00" + preimage).digest()
    assert leaf_hash(preimage).hex() == "f074ba6d50f7e4915faf60a88e94470f610da585cebaba725765c1c6711cf2e8"
    assert leaf_preimage(7, "6F1E0F9A3C6B5D0E9A410D7A9D3C2B10", 2, "carecred.shared:ApiKey.Revoked.v1", b"stored") == preimage


def test_a_checkpoint_verifies_only_with_its_key_and_unchanged():
    key = signing.signing_key(b"\x22" * 32, "credential")
    other = signing.signing_key(b"\x22" * 32, "training")
    checkpoint = signing.sign(key, "credential", 17, LEAVES[3], "2026-03-01T00:00:00.000000Z")
    public = base64.b64decode(checkpoint.public_key)
    assert signing.verify(checkpoint, public) is None
    assert "not the trusted key" in signing.verify(checkpoint, signing.public_key_bytes(other.public_key()))
    for change in ({"tree_size": 16}, {"root_hash": LEAVES[4].hex()}, {"timestamp": "2026-03-02T00:00:00.000000Z"}):
        assert signing.verify(msgspec.structs.replace(checkpoint, **change), public) == \
            "the checkpoint signature does not verify"


@pytest.mark.parametrize(("index", "size"), [(0, 0), (5, 5), (-1, 3)])
def test_no_inclusion_proof_outside_the_tree(index, size):
    with pytest.raises(ValueError):
        inclusion_path(index, size, subtree)

"""Merkle tree hashing in the manner of RFC 6962 / RFC 9162 §2.1 (pure functions, no storage).

A leaf commits to one stored event: its position in the notification log, its aggregate id
and version, its topic and the SHA-256 of the bytes as stored (after encryption), encoded
as a deterministic CBOR array (RFC 8949 §4.2). Trees are built over the leaves in
notification order; leaf ``i`` is the ``i``-th event (positions may have gaps).
"""

from __future__ import annotations

import hashlib
from typing import Callable, Iterable
from uuid import UUID

import cbor2


def leaf_preimage(position: int, aggregate_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """The canonical encoding of what a leaf commits to."""
    aggregate = str(aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id)))
    return cbor2.dumps([position, aggregate, version, topic, hashlib.sha256(state).digest()], canonical=True)


def leaf_hash(preimage: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + preimage).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """The root of a growing tree in O(log n) memory: the hashes of its complete left subtrees."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def append(self, leaf: bytes) -> None:
        self._stack.append((1, leaf))
        self.size += 1
        while len(self._stack) > 1 and self._stack[-1][0] == self._stack[-2][0]:
            (size, right), (_, left) = self._stack.pop(), self._stack.pop()
            self._stack.append((size * 2, node_hash(left, right)))

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root


def root_of(leaves: Iterable[bytes]) -> bytes:
    """MTH of the given leaf hashes, streaming."""
    tree = CompactRange()
    for leaf in leaves:
        tree.append(leaf)
    return tree.root()


SubtreeHash = Callable[[int, int], bytes]
"""``subtree(start, end)``: MTH of leaves [start, end) — served from stored hashes."""


def inclusion_path(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n]) for leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = split_point(end - start)
        if m < k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start, m = start + k, m - k
    return list(reversed(path))


def consistency_path(first: int, second: int, subtree: SubtreeHash) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(m, D[n]) between tree sizes ``first`` <= ``second``."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first == 0 or first == second:
        return []
    path: list[bytes] = []
    start, end, m, complete = 0, second, first, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        path.append(subtree(start, end))
    return list(reversed(path))


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path
    if first > second or not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root

"""The in-memory cache behind keys, catalogues and badge lists: reload when the version moves."""

from __future__ import annotations

from shared.cache import VersionedCache


def test_a_value_is_loaded_once_per_version():
    loads: list[int] = []
    cache: VersionedCache[str] = VersionedCache()

    def load(value: str):
        return lambda: loads.append(1) or value

    assert cache.get("k", 1, load("a")) == "a"
    assert cache.get("k", 1, load("ignored")) == "a"
    assert cache.get("k", 2, load("b")) == "b"
    assert len(loads) == 2


def test_nothing_found_is_not_remembered_so_unknown_keys_cannot_fill_memory():
    cache: VersionedCache[str] = VersionedCache(max_entries=2)
    for n in range(100):
        assert cache.get(f"unknown-{n}", 1, lambda: None) is None
    assert cache.get("k", 1, lambda: "found") == "found"
    assert cache.get("k", 1, lambda: "reloaded") == "found"


def test_the_cache_never_holds_more_than_its_limit():
    cache: VersionedCache[int] = VersionedCache(max_entries=3)
    for n in range(10):
        cache.get(n, 1, lambda n=n: n)
    assert len(cache._entries) <= 3

"""Asking a read model about many ids at once: one ``IN (...)`` list per chunk, on each storage."""

import pytest

from services.credential.application import Credentials
from shared.persistence import IN_LIST_SIZE, query_in


@pytest.fixture
def store(settings):
    app = Credentials(settings)
    with app.store.transaction(commit=True) as cur:
        cur.execute("CREATE TABLE marks (owner TEXT NOT NULL, year INTEGER NOT NULL, seq INTEGER NOT NULL, note TEXT)")
        cur.executemany("INSERT INTO marks (owner, year, seq, note) VALUES (?, ?, ?, ?)", [
            (f"p{n:04d}", year, seq, f"p{n:04d}/{year}/{seq}")
            for n in range(1200) for year in (2025, 2026) for seq in (1, 2)
        ])
    yield app.store
    app.close()


def owners(rows):
    return sorted({r["owner"] for r in rows})


def test_more_ids_than_one_list_holds_are_all_found(store):
    asked = [f"p{n:04d}" for n in range(1200)]
    assert len(asked) > 2 * IN_LIST_SIZE
    rows = query_in(store.query, "SELECT owner FROM marks WHERE year = 2026 AND seq = 1 AND owner IN ({marks})", asked)
    assert owners(rows) == asked and len(rows) == 1200


def test_an_id_asked_twice_is_answered_once_and_unknown_ids_find_nothing(store):
    rows = query_in(store.query, "SELECT owner FROM marks WHERE year = 2026 AND seq = 1 AND owner IN ({marks})",
                    ["p0007", "p0007", "nobody", "p0003"], size=2)
    assert [r["owner"] for r in rows] == ["p0003", "p0007"]


def test_the_other_parameters_stand_before_and_after_the_list_and_each_ids_rows_keep_their_order(store):
    rows = query_in(
        store.query,
        "SELECT owner, seq FROM marks WHERE year = ? AND owner IN ({marks}) AND seq <= ? ORDER BY owner, seq DESC",
        ["p0001", "p0002", "p0003", "p0004", "p0005"], before=[2025], after=[2], size=2,
    )
    assert [(r["owner"], r["seq"]) for r in rows] == [(f"p000{n}", seq) for n in range(1, 6) for seq in (2, 1)]


def test_no_ids_ask_nothing(store):
    asked: list[str] = []
    assert query_in(lambda *_: asked.append("a query") or [], "SELECT owner FROM marks WHERE owner IN ({marks})", []) == []
    assert asked == []


def test_inside_a_transaction_it_reads_through_the_cursor_and_sees_what_the_transaction_wrote(store):
    with store.transaction(commit=False) as cur:
        cur.execute("INSERT INTO marks (owner, year, seq, note) VALUES (?, ?, ?, ?)", ("new", 2026, 1, None))
        rows = query_in(cur.fetchall, "SELECT owner FROM marks WHERE year = 2026 AND seq = 1 AND owner IN ({marks})",
                        ["new", "p0000"], size=1)
        assert owners(rows) == ["new", "p0000"]
    assert query_in(store.query, "SELECT owner FROM marks WHERE owner IN ({marks})", ["new"]) == []

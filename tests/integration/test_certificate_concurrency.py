"""Two changes to the same certificate at the same moment: one wins, the other is told, no event is lost."""

import datetime as dt
import threading
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from contracts.credentials import Revocation, Suspension
from services.credential.application import Credentials
from tests.conftest import issue
from tests.integration.certification_world import REGISTRAR, certificate, nursery, person

D = dt.date.fromisoformat


def both_load_before_either_saves(app: Credentials, target: UUID) -> None:
    """Make the next two loads of ``target`` wait for each other, so both save on the same version."""
    barrier = threading.Barrier(2)
    load = app.repository.get
    waiting = iter(range(2))

    def get(aggregate_id, *args, **kwargs):
        aggregate = load(aggregate_id, *args, **kwargs)
        if aggregate_id == target and next(waiting, None) is not None:
            barrier.wait(timeout=20)
        return aggregate

    app.repository.get = get  # type: ignore[method-assign]


def run_together(*commands):
    outcomes: list[object] = [None] * len(commands)

    def run(i, command):
        try:
            outcomes[i] = command()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we check
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(commands)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.fixture
def credentials(settings):
    app = Credentials(settings)
    yield app
    app.close()


def test_a_suspension_and_a_revocation_at_once_one_wins_and_the_other_gets_a_conflict(credentials):
    holder = person(credentials, "王芳", nursery(credentials, "朱泾一托"))
    cid = certificate(credentials, holder, "nursery_worker", D("2025-01-01"), D("2028-01-01"))
    both_load_before_either_saves(credentials, UUID(cid))
    outcomes = run_together(
        lambda: credentials.certificates.suspend_certificate(cid, Suspension(reason="complaint", effective_on=D("2026-05-01")), REGISTRAR),
        lambda: credentials.certificates.revoke_certificate(cid, Revocation(reason="forged", category="fraud", effective_on=D("2026-05-01")), REGISTRAR),
    )
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1 and len(losers) == 1 and isinstance(losers[0], IntegrityError), outcomes
    events = list(credentials.repository.event_store.get(UUID(cid)))
    assert [type(e).__name__ for e in events][0] == "Issued" and len(events) == 2
    assert credentials.certificates.certificate(cid).status == winners[0].status == {"Suspended": "suspended", "Revoked": "revoked"}[type(events[1]).__name__]


def test_over_http_the_loser_gets_a_409_concurrent_modification(credential_http):
    app = credential_http.app.state.service
    registrar = issue(app, "registrar")
    holder = person(app, "李丽", nursery(app, "朱泾一托"))
    cid = certificate(app, holder, "health", D("2026-01-01"), D("2026-12-31"))
    both_load_before_either_saves(app, UUID(cid))
    responses = run_together(
        lambda: credential_http.post(f"/v1/certificates/{cid}/renew", json={"expires_on": "2027-12-31", "note": "a"}, headers=registrar),
        lambda: credential_http.post(f"/v1/certificates/{cid}/renew", json={"expires_on": "2028-06-30", "note": "b"}, headers=registrar),
    )
    assert sorted(r.status_code for r in responses) == [200, 409], responses
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "concurrent_modification"
    winner = next(r for r in responses if r.status_code == 200).json()
    events = list(app.repository.event_store.get(UUID(cid)))
    assert [type(e).__name__ for e in events] == ["Issued", "Renewed"] and events[1].expires_on == winner["expires_on"]
    # Retrying the loser's request now is judged on the winner's state.
    retry = credential_http.post(f"/v1/certificates/{cid}/renew", json={"expires_on": "2028-06-30", "note": "b"}, headers=registrar)
    assert retry.status_code in (200, 422)

"""Rows kept in memory by one replica never outlive a change made through another.

Keys, catalogues and badge lists are kept in memory while their read model's version holds
(``shared/cache.py``). Each story runs two replicas over one database: the second has the rows
in memory, the first changes them, and the second's very next request sees the change.
"""

from __future__ import annotations

from uuid import UUID

from contracts.badges import Verdict
from contracts.keys import Role
from services.credential.application import Credentials
from services.training.application import TrainingRecords
from tests.integration.badge_world import ACTOR, make_world
from tests.integration.training_world import REGISTRAR, approve, completion, learn_people, provider_actor


def replicas(kind, settings):
    return kind(settings), kind(settings)


def test_a_key_revoked_through_one_replica_is_refused_by_the_other_at_once(settings):
    first, second = replicas(TrainingRecords, settings)
    try:
        key_id, token = first.issue_key(role=Role.AUDITOR, scope=None, name="auditor", actor=REGISTRAR)
        assert second.authenticate(token) is not None  # a key issued elsewhere works at once, and is now in memory
        assert second.authenticate(token) is not None
        first.revoke_key(UUID(key_id), reason="left the office", actor=REGISTRAR)
        assert second.authenticate(token) is None
    finally:
        first.close()
        second.close()


def test_a_course_withdrawn_through_one_replica_is_refused_by_the_other_at_once(settings):
    first, second = replicas(TrainingRecords, settings)
    try:
        sou = approve(first)
        (wang,) = learn_people(first, 1)
        (posted,) = second.posting.post_completions(sou, [completion("E1", wang, course="SK01")], provider_actor(sou))
        assert posted.outcome == "created"  # the catalogue is now in the second replica's memory
        first.catalogue.withdraw_course(sou, "SK02", "replaced by SK12", REGISTRAR)
        (refused,) = second.posting.post_completions(sou, [completion("E2", wang, course="SK02")], provider_actor(sou))
        assert refused.outcome == "rejected" and refused.error is not None
        assert (refused.error.code, refused.error.field) == ("course_withdrawn", "course_code")
    finally:
        first.close()
        second.close()


def test_completions_do_not_move_the_catalogue_version_but_a_new_course_does(settings):
    app = TrainingRecords(settings)
    try:
        sou = approve(app)
        (wang,) = learn_people(app, 1)
        before = app.projector.versions("catalogue", "api_keys")
        app.posting.post_completions(sou, [completion("E1", wang, course="SK01")], provider_actor(sou))
        assert app.projector.versions("catalogue", "api_keys") == before  # the kept catalogue stays good
        approve(app, code="JSU", name="金山职校")
        after = app.projector.versions("catalogue", "api_keys")
        assert after["catalogue"] > before["catalogue"] and after["api_keys"] == before["api_keys"]
    finally:
        app.close()


def test_a_badge_revoked_through_one_replica_is_revoked_on_the_other_at_once(settings):
    world = make_world(settings)
    second = Credentials(settings)
    try:
        badge = world.issue()
        verifier = second.badges
        assert verifier.verify(badge.qr_text).verdict == Verdict.VALID  # lists now in the second's memory
        world.badges.statuses.change_badge_status(badge.badge_id, "revoked", reason="lost", actor=ACTOR)
        assert verifier.verify(badge.qr_text).verdict == Verdict.REVOKED
    finally:
        world.app.close()
        second.close()


def test_a_revocation_recorded_but_not_yet_applied_is_still_seen(settings):
    """The writer crashed between recording the event and applying it: the reader applies it itself."""
    first, second = replicas(TrainingRecords, settings)
    try:
        key_id, token = first.issue_key(role=Role.AUDITOR, scope=None, name="auditor", actor=REGISTRAR)
        assert second.authenticate(token) is not None
        key = first.repository.get(UUID(key_id))
        key.revoke("leaked", REGISTRAR)
        first.save(key)  # recorded in the log; no projector has applied it
        assert second.authenticate(token) is None
    finally:
        first.close()
        second.close()


def test_the_key_check_reads_the_badge_version_too_and_verify_with_it_sees_a_revocation_at_once(settings):
    """The HTTP layer hands the key check's versions to verify (one round trip): they must be as fresh."""
    world = make_world(settings)
    second = Credentials(settings)
    try:
        _, token = second.issue_key(role=Role.INSPECTOR, scope=None, name="inspector", actor=ACTOR)
        badge = world.issue()
        principal, versions = second.authenticate_at(token)
        assert principal is not None and {"api_keys", "badges"} <= set(versions)
        assert second.badges.verify(badge.qr_text, versions=versions).verdict == Verdict.VALID  # lists in memory
        world.badges.statuses.change_badge_status(badge.badge_id, "revoked", reason="lost", actor=ACTOR)
        _, versions = second.authenticate_at(token)
        assert second.badges.verify(badge.qr_text, versions=versions).verdict == Verdict.REVOKED
    finally:
        world.app.close()
        second.close()


def test_a_revocation_recorded_after_events_of_other_read_models_is_seen_though_their_range_was_looked_through(settings):
    """The key check remembers a range of the log it found free of key events (so it does not walk it again on
    every request); an event recorded after that range, behind other events, is still found and applied."""
    first, second = replicas(TrainingRecords, settings)
    try:
        sou = approve(first)
        (wang,) = learn_people(first, 1)
        key_id, token = first.issue_key(role=Role.AUDITOR, scope=None, name="auditor", actor=REGISTRAR)
        assert second.authenticate(token) is not None
        names = tuple(second.projector.version_names())
        first.posting.post_completions(sou, [completion("E1", wang, course="SK01")], provider_actor(sou))
        assert second.authenticate(token) is not None  # looks through the completions: none is a key event
        after, to = second.projector._quiet[names]
        assert to == first.recorder.max_notification_id() and after <= to
        first.posting.post_completions(sou, [completion("E2", wang, course="SK01")], provider_actor(sou))
        key = first.repository.get(UUID(key_id))
        key.revoke("leaked", REGISTRAR)
        first.save(key)  # recorded after the range and after other events; no projector has applied it
        assert second.authenticate(token) is None
    finally:
        first.close()
        second.close()

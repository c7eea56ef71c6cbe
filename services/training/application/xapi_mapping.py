"""Which xAPI statements are completions: verb completed or passed, a catalogued course, a registered person.

The accepted forms (README, "xAPI"):

* ``verb.id``: ``http://adlnet.gov/expapi/verbs/completed`` or ``http://adlnet.gov/expapi/verbs/passed``;
* ``object``: an Activity whose ``id`` is the activity IRI of one of the provider's own catalogued
  courses, ``<district home page>/xapi/activities/<provider code>/<course code>``;
* ``actor``: an Agent ``{"account": {"homePage": <district home page>, "name": <staff id>}}``;
* when: the statement's ``timestamp`` (else when it was stored).

Anything else is stored as an LRS must, and listed for the provider as not counted, with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, unquote

from contracts.training import NewCompletion
from contracts.xapi import COMPLETED, PASSED, parse_timestamp
from services.training.domain.hours import hours_of

ACTIVITY_PATH = "/xapi/activities/"


def course_activity_iri(home_page: str, provider_code: str, course_code: str) -> str:
    """A catalogued course's xAPI activity IRI."""
    return f"{home_page.rstrip('/')}{ACTIVITY_PATH}{quote(provider_code, safe='')}/{quote(course_code, safe='')}"


def completion_of(
    statement: dict[str, Any], home_page: str, provider: dict[str, Any], courses: dict[str, Any],
) -> NewCompletion | str:
    """The completion a statement reports, or why it reports none."""
    verb = statement["verb"]["id"]
    if verb not in (COMPLETED, PASSED):
        return f"verb {verb} is not completed or passed"
    obj = statement["object"]
    if obj.get("objectType", "Activity") != "Activity":
        return "the object is not an Activity"
    prefix = f"{home_page.rstrip('/')}{ACTIVITY_PATH}{quote(provider['code'], safe='')}/"
    activity = str(obj["id"])
    code = unquote(activity[len(prefix):]) if activity.startswith(prefix) else None
    if code is None or code not in courses:
        return f"the object {activity} is not the activity IRI of one of the provider's catalogued courses"
    actor = statement["actor"]
    account = actor.get("account")
    if actor.get("objectType", "Agent") != "Agent" or not isinstance(account, dict) \
            or account.get("homePage", "").rstrip("/") != home_page.rstrip("/"):
        return f"the actor is not an account on {home_page} (the staff id as the account name)"
    when = parse_timestamp(statement.get("timestamp") or statement["stored"])
    if when.microsecond:
        when = when.replace(microsecond=0)
    try:
        return NewCompletion(
            event_id=statement["id"], staff_id=str(account.get("name", "")), course_code=code,
            completed_at=when.astimezone(dt.UTC).isoformat(timespec="seconds"),
            class_hours=hours_of(courses[code]["half_hours"]),
        )
    except ValueError as exc:  # the text policy refused the account name
        return f"the actor's account name is not a staff id: {exc}"

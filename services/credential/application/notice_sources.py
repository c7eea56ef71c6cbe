"""Where time-based notices come from, as of a day: the daily pass and the HR page ask the same sources.

Each source returns ``UpcomingNotice``s for the day, one per nursery the person works at or is
linked to, with a subject that names the occasion (a certificate's expiry and threshold, a
person's training year and quarter), so the same occasion is one notice per subscriber.

Extension point: inspection findings falling due would be one more method here (and in ``upcoming``) (read from the
read model that will keep them) and its type in ``contracts.notices.NoticeType``.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable
from uuid import UUID

from contracts.notices import UpcomingNotice
from services.credential.application.queries import Reports
from services.credential.domain.notices import FIRST_TRAINING_MONTH, THRESHOLDS, threshold_of
from services.credential.read_models.training_status import training_of
from shared.application import ServiceApplication
from shared.persistence import ReadStore, query_in


class NoticeSources:
    """The time-based notices as of a day, from the registry, the certificates and the training totals."""

    def __init__(self, records: ServiceApplication, reports: Reports):
        self.records = records
        self.reports = reports

    def upcoming(self, on: dt.date, nursery_id: str | None = None) -> list[UpcomingNotice]:
        """Every time-based notice as of the day (of one nursery, or the district's), soonest certificate first."""
        self.records.projector.catch_up("registry", "certification")
        found = self.certificates_due(on, nursery_id) + self.training_short(on, nursery_id)
        return sorted(found, key=lambda n: (n.type != "certificate.due", n.data.get("days_left", 0), n.name, n.subject,
                                          n.nursery_id))

    def certificates_due(self, on: dt.date, nursery_id: str | None) -> list[UpcomingNotice]:
        """Certificates (and yearly re-checks) valid on the day that expire within 90 days, per holder's nursery."""
        expiring = self.reports.expiring(on=on, within=max(THRESHOLDS),
                                         visible_to=UUID(nursery_id) if nursery_id else None)
        nurseries = _nurseries_of(self.records.store, {c.holder_id for c in expiring}, nursery_id)
        found = []
        for cert in expiring:
            threshold = threshold_of(cert.days_left)
            data = {"certificate_id": cert.certificate_id, "cert_type": cert.cert_type, "number": cert.number,
                    "expires_on": cert.expires_on, "days_left": cert.days_left, "threshold_days": threshold}
            found += [UpcomingNotice(type="certificate.due",
                                     subject=f"certificate:{cert.certificate_id}:{cert.expires_on}:{threshold}",
                                     nursery_id=nid, staff_id=cert.holder_id, name=cert.holder_name, data=data)
                      for nid in nurseries.get(cert.holder_id, ())]
        return found

    def training_short(self, on: dt.date, nursery_id: str | None) -> list[UpcomingNotice]:
        """From the third quarter on: people at work on the day whose year's training is not complete.

        Complete or not is the training service's rule, as its feed reports each person's totals
        (``training_status``); nothing here restates it. Nothing is told before this service has
        followed the training feed at all; ``training_as_of`` says how fresh the totals are.
        """
        if on.month < FIRST_TRAINING_MONTH:
            return []
        as_of = self.reports.training_as_of()
        if as_of is None:  # nothing followed from the training service yet: everyone would look short
            return []
        quarter = (on.month - 1) // 3 + 1
        day = on.isoformat()
        of_nursery = "" if nursery_id is None else " AND a.nursery_id = ?"
        store = self.records.store
        rows = store.query(
            "SELECT DISTINCT a.staff_id, a.nursery_id, s.name FROM assignments a JOIN staff s ON s.staff_id = a.staff_id"
            f" WHERE a.start_on <= ? AND (a.end_on IS NULL OR a.end_on >= ?){of_nursery} ORDER BY a.staff_id, a.nursery_id",
            (day, day, *([nursery_id] if nursery_id else [])),
        )
        training = training_of(store, [r["staff_id"] for r in rows], on.year)
        found = []
        for row in rows:
            status = training[row["staff_id"]]
            if status is None or status.complete:  # None: no requirement published yet, nothing to tell
                continue
            data = {"year": on.year, "quarter": quarter, "skills_hours": status.skills_hours,
                    "ethics_hours": status.ethics_hours, "skills_required": status.skills_required,
                    "ethics_required": status.ethics_required, "skills_shortfall": status.skills_shortfall,
                    "ethics_shortfall": status.ethics_shortfall, "training_as_of": as_of}
            found.append(UpcomingNotice(type="training.short",
                                        subject=f"training:{row['staff_id']}:{on.year}:Q{quarter}",
                                        nursery_id=row["nursery_id"], staff_id=row["staff_id"], name=row["name"],
                                        data=data))
        return found


def _nurseries_of(store: ReadStore, staff_ids: Iterable[str], nursery_id: str | None) -> dict[str, list[str]]:
    """The nurseries each person is linked to (the ones whose HR sees them; only ``nursery_id`` if given)."""
    of_nursery = "" if nursery_id is None else " AND nursery_id = ?"
    found: dict[str, list[str]] = {}
    for row in query_in(store.query, f"SELECT staff_id, nursery_id FROM staff_nursery WHERE staff_id IN ({{marks}})"
                        f"{of_nursery} ORDER BY nursery_id", staff_ids, after=[nursery_id] if nursery_id else []):
        found.setdefault(row["staff_id"], []).append(row["nursery_id"])
    return found

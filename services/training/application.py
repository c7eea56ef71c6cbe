"""The training service's application."""

from __future__ import annotations

from shared.application import ServiceApplication


class TrainingRecords(ServiceApplication):
    """Providers, courses and the completions ledger (built on in the training issue)."""

    service = "training"

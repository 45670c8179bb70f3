"""The jobs the worker runs, in order. The cadence, delivery and webhook jobs register here."""

from __future__ import annotations

from leadflow.worker.runner import Job

JOBS: list[Job] = []

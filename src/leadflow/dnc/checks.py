"""Whether the federal list is stale: the lists endpoint, the dashboard and ``/healthz``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from leadflow.app_state import state_of
from leadflow.dnc.registry import DncRegistry, ListVersion


def federal_warning(
    versions: Iterable[ListVersion], now: datetime, max_age_days: int
) -> str | None:
    """Why the federal list needs attention (missing or older than the scrub interval the law
    sets, 31 days), or None. The dashboard and ``/healthz`` show it."""
    federal = next((v for v in versions if v.name == "federal"), None)
    if federal is None:
        return "no federal do-not-call list has been imported"
    age = now - federal.updated_at
    if age > timedelta(days=max_age_days):
        return f"the federal do-not-call list is {age.days} days old (over {max_age_days})"
    return None


async def dashboard_warning(app: Any, now: datetime) -> str | None:
    """The dashboard's warning: the federal list missing or older than the scrub interval.
    Shown only once some list was imported, so an installation that does not call (LeadSail
    only) is not nagged."""
    registry: DncRegistry | None = state_of(app).dnc
    if registry is None:
        return None
    await registry.refresh()
    versions = registry.versions()
    if not versions:
        return None
    return federal_warning(versions, now, state_of(app).settings.dnc_federal_max_age_days)


async def dnc_health_warnings(app: Any) -> list[str]:
    """``/healthz``'s do-not-call warnings: a federal list once imported but now stale, and
    lists whose file this node cannot read. A deployment that imported no list is not warned
    here (the lists endpoint and the dashboard say so)."""
    registry: DncRegistry | None = state_of(app).dnc
    if registry is None:
        return []
    state = state_of(app)
    return await list_warnings(registry, state.clock.now(), state.settings.dnc_federal_max_age_days)


async def list_warnings(registry: DncRegistry, now: datetime, max_age_days: int) -> list[str]:
    """:func:`dnc_health_warnings` for a registry of one's own: ``leadflow status`` says the
    same as ``/healthz`` without an app."""
    await registry.refresh()
    warnings = registry.problems()
    versions = registry.versions()
    if any(v.name == "federal" for v in versions):
        stale = federal_warning(versions, now, max_age_days)
        if stale is not None:
            warnings.append(stale)
    return warnings

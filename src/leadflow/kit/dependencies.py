"""Typed dependencies shared by every domain's endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from leadflow.app_state import app_state
from leadflow.clock import Clock
from leadflow.settings import Settings


# Both are ``async``: FastAPI runs a plain function dependency on a worker thread, a hop that
# cost more than the lookup on every request.
async def get_clock(request: Request) -> Clock:
    clock: Clock = app_state(request).clock
    return clock


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = app_state(request).settings
    return settings


ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]

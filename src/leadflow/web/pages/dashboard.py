"""The dashboard: what happened today, at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from leadflow.web.auth import UserDep
from leadflow.web.rendering import page

router = APIRouter(include_in_schema=False)


@router.get("/")
async def dashboard(request: Request, user: UserDep) -> Response:
    return page(request, "dashboard.html", user=user)

"""The server-rendered web app (pages, login, static files)."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Mount the web app's routes and static files on ``app``."""

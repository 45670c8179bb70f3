"""Routes filled in by the calls/endpoints work; empty until then."""

from fastapi import APIRouter

router = APIRouter()

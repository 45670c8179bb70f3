"""Routes filled in by the submissions/endpoints work; empty until then."""

from fastapi import APIRouter

router = APIRouter()

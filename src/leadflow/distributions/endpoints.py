"""Routes filled in by the distributions/endpoints work; empty until then."""

from fastapi import APIRouter

router = APIRouter()

"""Routes filled in by the campaigns/endpoints work; empty until then."""

from fastapi import APIRouter

router = APIRouter()

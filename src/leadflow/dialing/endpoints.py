"""Routes filled in by the dialing/endpoints work; empty until then."""

from fastapi import APIRouter

router = APIRouter()

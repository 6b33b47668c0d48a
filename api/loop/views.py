"""Routes: filled in by the loop work (see ROUTER_MODULES in api/app.py)."""

from fastapi import APIRouter

router = APIRouter()

"""Routes: filled in by the checkins work (see ROUTER_MODULES in api/app.py)."""

from fastapi import APIRouter

router = APIRouter()

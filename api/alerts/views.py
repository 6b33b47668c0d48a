"""Routes: filled in by the alerts work (see ROUTER_MODULES in api/app.py)."""

from fastapi import APIRouter

router = APIRouter()

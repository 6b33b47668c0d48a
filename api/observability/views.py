"""Routes: /metrics (filled in by the deployment work)."""

from fastapi import APIRouter

router = APIRouter()

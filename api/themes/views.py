"""Routes: theme codebook, discovery and status."""

from fastapi import APIRouter

router = APIRouter()

"""Pages of the web application (issue 16): routes to come."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

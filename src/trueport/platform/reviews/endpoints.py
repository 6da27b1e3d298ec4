"""HTTP endpoints of ``/reviews`` (STUB: to be filled in by the helper that owns this package)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/reviews", tags=["reviews"])

"""The models panel (owned by the models work; replaced by its real panel)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from trancheflow.ops.models import Deal

router = APIRouter()


def render(s: Session, deal: Deal) -> str | None:
    """Nothing yet."""
    return None

"""Dashboard panels and JSON routes of the features beside the deal.

Each panel is a module ``trancheflow.api.panels.<name>`` with

* ``router``: a FastAPI :class:`~fastapi.APIRouter` of its JSON endpoints
  (under ``/api/deals/{deal}/<name>``), included by
  :func:`trancheflow.api.app.create_app`;
* ``render(s, deal) -> str | None``: the HTML ``<section>`` the dashboard
  shows on the deal page (``None`` when the deal has nothing of that kind
  yet), given an open session and the deal's ORM row.

The figures come from ``deal_metrics`` (:mod:`trancheflow.ops.metrics`).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from fastapi import APIRouter
from sqlalchemy.orm import Session

from trancheflow.ops.models import Deal

__all__ = ["PANELS", "render_panels", "routers"]

#: The panels, in page order.
PANELS: tuple[str, ...] = ("market", "zk", "models")


def _modules() -> list[ModuleType]:
    return [importlib.import_module(f"trancheflow.api.panels.{n}") for n in PANELS]


def routers() -> list[APIRouter]:
    """Every panel's JSON router."""
    return [m.router for m in _modules()]


def render_panels(s: Session, deal: Deal) -> list[str]:
    """The HTML sections of the panels that have something to show for ``deal``."""
    out = []
    for m in _modules():
        html = m.render(s, deal)
        if html:
            out.append(html)
    return out

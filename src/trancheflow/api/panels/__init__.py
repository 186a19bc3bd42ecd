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

import html
import importlib
from collections.abc import Iterator
from types import ModuleType

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from trancheflow.ops.models import Deal

__all__ = ["PANELS", "card", "db_session", "render_panels", "routers"]

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


def db_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: a session on the app's database engine."""
    with Session(request.app.state.engine, expire_on_commit=False) as s:
        yield s


_NO_DATA = object()


def card(label: str, value: str, ident: str, data: object = _NO_DATA, style: str = "") -> str:
    """One dashboard card: ``label`` over ``value`` (both escaped), the value's element
    ``id=ident``, its exact figure in ``data-value`` when ``data`` is given.

    Examples
    --------
    >>> card("price", "99.50", "px", 99.5)[-53:]
    'class="v" id="px" data-value="99.5">99.50</div></div>'
    """
    attrs = f' data-value="{html.escape(repr(data))}"' if data is not _NO_DATA else ""
    if style:
        attrs += f' style="{style}"'
    return (
        f'<div class="card"><div class="k">{html.escape(label)}</div>'
        f'<div class="v" id="{ident}"{attrs}>{html.escape(value)}</div></div>'
    )

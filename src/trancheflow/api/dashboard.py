"""The dashboard: one self-contained HTML page per deal (server-side SVG).

``GET /`` lists the deals; ``GET /deals/{deal}`` shows the pool balance and
factor over time, delinquency buckets, cumulative loss against the trigger
thresholds, tranche balances, the latest waterfall as a table, the holders,
and a holder box (``/static/dashboard.js`` asks the JSON API for the typed
address). Nothing is loaded from the network. Every amount cell carries its
exact units in ``data-units``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from trancheflow.api import queries
from trancheflow.api.charts import PALETTE, Series, line_chart, stacked_bars
from trancheflow.errors import NotFoundError
from trancheflow.ops.db import find_deal

__all__ = ["render_deal", "router"]

router = APIRouter(include_in_schema=False)
_env = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
)


def _money(units: str | int, decimals: int) -> str:
    return f"{int(units) / 10**decimals:,.2f}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f}%"


_env.filters["money"] = _money
_env.filters["pct"] = _pct


def render_deal(s: Session, ref: str) -> str:
    """The dashboard HTML of deal ``ref`` (address or name)."""
    deal = queries.deal_detail(s, ref)
    tranches = queries.tranches(s, ref)
    periods = queries.periods(s, ref)
    holders = queries.holders(s, ref, limit=25)
    dec = deal.decimals
    xs = [float(p.period) for p in periods]

    def money_fmt(v: float) -> str:
        return f"{v / 1e6:,.1f}M" if abs(v) >= 1e6 else f"{v:,.0f}"

    pool_chart = line_chart(
        "pool",
        [
            Series(
                "pool balance",
                [(x, int(p.pool_balance) / 10**dec) for x, p in zip(xs, periods, strict=True)],
                PALETTE[0],
            )
        ],
        title=f"Pool balance ({deal.currency})",
        fmt=money_fmt,
    )
    factor_chart = line_chart(
        "factor",
        [
            Series(
                "pool factor",
                [(x, p.pool_factor) for x, p in zip(xs, periods, strict=True)],
                PALETTE[0],
            )
        ]
        + [
            Series(
                f"{t.name} factor",
                [
                    (x, next(line.factor for line in p.tranches if line.tranche_id == t.tranche_id))
                    for x, p in zip(xs, periods, strict=True)
                ],
                PALETTE[(t.tranche_id + 1) % len(PALETTE)],
                dashed=True,
            )
            for t in tranches
        ],
        title="Pool and tranche factors",
        fmt=lambda v: f"{v:.2f}",
    )
    buckets = [
        ("30-59", "dq30_balance", PALETTE[6]),
        ("60-89", "dq60_balance", PALETTE[1]),
        ("90+", "dq90_balance", PALETTE[3]),
        ("foreclosure", "foreclosure_balance", PALETTE[4]),
        ("REO", "reo_balance", PALETTE[7]),
    ]
    with_report = [p for p in periods if p.report is not None]
    dq_chart = stacked_bars(
        "delinquency",
        [float(p.period) for p in with_report],
        [
            (
                label,
                [
                    (
                        int(getattr(p.report, field)) / int(p.pool_balance)
                        if int(p.pool_balance)
                        else 0.0
                    )
                    for p in with_report
                ],
                color,
            )
            for label, field, color in buckets
        ],
        title="Delinquency buckets (% of pool balance)",
        fmt=lambda v: f"{v * 100:.1f}%",
    )
    loss_triggers = [t for t in deal.triggers if t.metric == "cumulative_loss_pct"]
    dq_triggers = [t for t in deal.triggers if t.metric == "delinquency_60_pct"]
    loss_chart = line_chart(
        "loss",
        [
            Series(
                "cumulative loss",
                [(x, p.cumulative_loss_pct) for x, p in zip(xs, periods, strict=True)],
                PALETTE[3],
            ),
            Series(
                "60+ delinquent",
                [
                    (float(p.period), p.delinquent_60_plus_pct)
                    for p in periods
                    if p.delinquent_60_plus_pct is not None
                ],
                PALETTE[1],
                dashed=True,
            ),
        ],
        title="Cumulative loss and 60+ delinquency vs trigger thresholds",
        fmt=lambda v: f"{v * 100:.2f}%",
        hlines=[
            (t.threshold, f"{t.name} {t.direction} {t.threshold * 100:g}%")
            for t in loss_triggers + dq_triggers
        ],
    )
    balance_chart = line_chart(
        "tranches",
        [
            Series(
                t.name,
                [
                    (
                        x,
                        int(
                            next(
                                line.balance
                                for line in p.tranches
                                if line.tranche_id == t.tranche_id
                            )
                        )
                        / 10**dec,
                    )
                    for x, p in zip(xs, periods, strict=True)
                ],
                PALETTE[(t.tranche_id + 1) % len(PALETTE)],
            )
            for t in tranches
        ],
        title=f"Tranche balances ({deal.currency})",
        fmt=money_fmt,
    )
    from trancheflow.api.panels import render_panels

    row = find_deal(s, ref)
    fees = queries.deal_spec_data(row).get("fees", [])
    tpl = _env.get_template("deal.html")
    return tpl.render(
        deal=deal,
        fee_names=[str(f.get("name", f"fee {k}")) for k, f in enumerate(fees)],
        tranches=tranches,
        latest=periods[-1] if periods else None,
        holders=holders,
        charts=[pool_chart, factor_chart, dq_chart, loss_chart, balance_chart],
        dec=dec,
        panels=render_panels(s, row),
    )


def _session(request: Request) -> Session:
    return Session(request.app.state.engine, expire_on_commit=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The list of deals."""
    with _session(request) as s:
        deals = queries.list_deals(s)
    return HTMLResponse(_env.get_template("index.html").render(deals=deals))


@router.get("/deals/{deal}", response_class=HTMLResponse)
def deal_page(deal: str, request: Request) -> HTMLResponse:
    """The dashboard of one deal (404 page naming it when unknown)."""
    with _session(request) as s:
        try:
            return HTMLResponse(render_deal(s, deal))
        except NotFoundError as exc:
            body: Any = _env.get_template("index.html").render(
                deals=queries.list_deals(s), error=str(exc)
            )
            return HTMLResponse(body, status_code=404)

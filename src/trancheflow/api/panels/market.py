"""The market panel: each tranche pool's price, TWAP, depth and the model's fair value.

Reads ``deal_metrics`` kind ``market`` (written by the demo's market step,
:mod:`trancheflow.ops.demo_market`): period 0 holds each pool's set-up
(address, seed, the model's OAS and Monte Carlo price at closing), periods
1.. the figures after each finalized period. Prices are per 100 of current
face; amounts in the settlement currency.

``GET /api/deals/{deal}/market`` returns them as JSON; :func:`render` draws
the dashboard section: cards (price, TWAP, fair value, rich/cheap in colour,
depth) and a server-side SVG chart of price, TWAP and fair value by period.
"""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from trancheflow.api.panels import card, db_session
from trancheflow.ops.db import find_deal
from trancheflow.ops.models import Deal, DealMetric

router = APIRouter()

KIND = "market"

#: How figures are read by people: rich/cheap this close to fair is green.
BAND_BP = 25.0


class MarketPeriodOut(BaseModel):
    """A pool's figures after one finalized period (prices per 100 of current face)."""

    period: int
    price: float = Field(description="pool spot price, clean, per 100 of current face")
    twap: float = Field(description="the pool's time-weighted average price")
    fair: float = Field(description="model fair value (OAS), per 100 of current face")
    rich_cheap_bp: float = Field(description="(price - fair) / fair, basis points; > 0 = rich")
    depth_bid: float = Field(description="cash in the pool (what sellers can take), currency")
    depth_ask: float = Field(description="tokens in the pool at the pool price, currency")
    price_pre_arb: float | None = Field(
        default=None, description="pool price after the investors' trades, before arbitrage"
    )
    rich_cheap_pre_arb_bp: float | None = Field(
        default=None, description="rich/cheap before the arbitrage agent traded, bp"
    )
    volume: float = Field(description="swap volume in the period, currency")
    swaps: int
    arbitrage: str | None = Field(
        default=None, description="the arbitrage agent's side, if it traded"
    )
    lp_value: float = Field(description="the LP's pool share plus what it claimed, currency")
    hold_value: float = Field(description="the LP's seed held instead, with its distributions")
    lp_vs_hold_pct: float
    factor: float


class MarketTrancheOut(BaseModel):
    """One tranche's pool: its set-up, latest figures and history."""

    tranche: str
    pool: str | None = None
    token: str | None = None
    oas_bp: float | None = None
    option_cost_bp: float | None = None
    closing_model_price: float | None = Field(default=None, description="Monte Carlo OAS price")
    closing_model_se: float | None = None
    seed_price: float | None = None
    latest: MarketPeriodOut | None = None
    history: list[MarketPeriodOut] = []


class MarketOut(BaseModel):
    """Every pool of a deal (empty when the deal has no market figures)."""

    deal: str
    tranches: list[MarketTrancheOut]
    note: str = (
        "prices per 100 of current face; fair value = the model's OAS price "
        "(illustrative curve and agents in the demo)"
    )


def market_of(s: Session, deal: Deal) -> MarketOut:
    """The market figures of ``deal`` from its stored metrics."""
    rows = s.scalars(
        select(DealMetric)
        .where(DealMetric.deal_id == deal.id, DealMetric.kind == KIND)
        .order_by(DealMetric.period, DealMetric.key)
    ).all()
    out: dict[str, MarketTrancheOut] = {}
    for r in rows:
        p: dict[str, Any] = dict(r.payload)
        t = out.setdefault(r.key, MarketTrancheOut(tranche=r.key))
        if r.period == 0:
            t.pool, t.token = p.get("pool"), p.get("token")
            t.oas_bp, t.option_cost_bp = p.get("oas_bp"), p.get("option_cost_bp")
            t.closing_model_price, t.closing_model_se = p.get("mc_price"), p.get("mc_se")
            t.seed_price = p.get("seed_price")
        else:
            t.history.append(MarketPeriodOut(period=r.period, **p))
    for t in out.values():
        t.latest = t.history[-1] if t.history else None
    return MarketOut(deal=deal.name, tranches=list(out.values()))


@router.get(
    "/api/deals/{deal}/market",
    response_model=MarketOut,
    responses={404: {"description": "unknown deal"}},
    tags=["market"],
)
def market(deal: str, s: Annotated[Session, Depends(db_session)]) -> MarketOut:
    """Each tranche pool: latest price, TWAP, depth, fair value, rich/cheap, and history."""
    return market_of(s, find_deal(s, deal))


def _tranche_html(t: MarketTrancheOut, currency: str) -> str:
    from trancheflow.market.view import (
        price_chart,
        rich_cheap_chart,
        rich_cheap_color,
        rich_cheap_text,
    )

    if t.latest is None:
        return f"<h3>{html.escape(t.tranche)}</h3><p>pool seeded; no period traded yet</p>"
    x = t.latest
    n = html.escape(t.tranche)
    rc = rich_cheap_color(x.rich_cheap_bp, BAND_BP)
    cards = "".join(
        [
            card("pool price", f"{x.price:.3f}", f"mkt-{n}-price", x.price),
            card("TWAP", f"{x.twap:.3f}", f"mkt-{n}-twap", x.twap),
            card("model fair value", f"{x.fair:.3f}", f"mkt-{n}-fair", x.fair),
            card(
                "rich / cheap",
                rich_cheap_text(x.rich_cheap_bp),
                f"mkt-{n}-richcheap",
                x.rich_cheap_bp,
                f"color:{rc}",
            ),
            card(f"bid depth ({currency})", f"{x.depth_bid:,.0f}", f"mkt-{n}-bid", x.depth_bid),
            card(f"ask depth ({currency})", f"{x.depth_ask:,.0f}", f"mkt-{n}-ask", x.depth_ask),
            card("LP vs hold", f"{x.lp_vs_hold_pct:+.3f}%", f"mkt-{n}-lp", x.lp_vs_hold_pct),
        ]
    )
    rows = [(h.period, h.model_dump()) for h in t.history]
    pool = f" · pool <span class='mono'>{html.escape(t.pool)}</span>" if t.pool else ""
    model = (
        f" · model: OAS {t.oas_bp:g} bp, option cost {t.option_cost_bp:.1f} bp"
        if t.oas_bp is not None and t.option_cost_bp is not None
        else ""
    )
    return (
        f'<div class="market-tranche" data-tranche="{n}">'
        f"<h3>{n} — period {x.period}</h3>"
        f'<p class="sub">{sum(h.swaps for h in t.history)} swaps, volume '
        f"{sum(h.volume for h in t.history):,.0f} {html.escape(currency)}{pool}{model}</p>"
        f'<div class="cards">{cards}</div>'
        f'<div class="charts"><figure class="chart">{price_chart(t.tranche, rows)}</figure>'
        f'<figure class="chart">{rich_cheap_chart(t.tranche, rows, BAND_BP)}</figure></div>'
        "</div>"
    )


def render(s: Session, deal: Deal) -> str | None:
    """The market section of the deal page (None when the deal has no pool figures)."""
    m = market_of(s, deal)
    if not m.tranches:
        return None
    from trancheflow.api.queries import deal_spec_data

    currency = str(deal_spec_data(deal).get("currency", {}).get("symbol", ""))
    body = "".join(_tranche_html(t, currency) for t in m.tranches)
    return (
        '<section id="market"><h2>Secondary market</h2>'
        f'<p class="sub">{html.escape(m.note)}; rich/cheap in green within {BAND_BP:g} bp '
        f"of fair, amber within {2 * BAND_BP:g} bp, red beyond.</p>{body}</section>"
    )

"""The models panel: forecast versus realized prepayment and default, tranche model values.

Reads ``deal_metrics`` kind ``model`` (written by the demo's models step,
:mod:`trancheflow.ops.demo_models`, or ``trancheflow model monitor``): period
0 key ``model`` holds the model's name, training window and validation
metrics and the closing values; key ``period`` of periods 1.. the forecast and
realized rates (monthly, and annualized as CPR/CDR in percent) and, on
re-priced periods, the pool's and each tranche's model value per 100 of
current face at the OAS used.

``GET /api/deals/{deal}/model`` returns them as JSON; :func:`render` draws
the dashboard section: cards (model, latest forecast vs realized, latest
tranche values) and two server-side SVG charts.
"""

from __future__ import annotations

import html
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from trancheflow.api.panels import card, db_session
from trancheflow.ops.db import find_deal
from trancheflow.ops.models import Deal, DealMetric

router = APIRouter()

KIND = "model"


class ModelPeriodOut(BaseModel):
    """One finalized period: forecast vs realized and (if re-priced) model values."""

    period: int
    month: str | None = Field(default=None, description="calendar month the model scored")
    model: str | None = None
    forecast_cpr: float | None = Field(default=None, description="forecast prepayment, CPR %")
    realized_cpr: float | None = Field(default=None, description="realized prepayment, CPR %")
    forecast_cdr: float | None = Field(
        default=None, description="forecast default start (current loans stop paying), CDR %"
    )
    realized_cdr: float | None = Field(default=None, description="realized default start, CDR %")
    forecast_smm: float | None = None
    realized_smm: float | None = None
    forecast_mdr: float | None = None
    realized_mdr: float | None = None
    loans_current: int | None = None
    loans_alive: int | None = None
    balance: float | None = Field(default=None, description="pool balance at period end")
    pool_value: float | None = Field(default=None, description="per 100 of current face")
    pool_value_se: float | None = None
    tranches: dict[str, float] = Field(
        default_factory=dict, description="each tranche's model value per 100 of current face"
    )
    tranche_oas_bp: dict[str, float] = Field(default_factory=dict)
    tranche_wal: dict[str, float] = Field(default_factory=dict)
    oas_bp: float | None = None
    paths: int | None = None
    mortgage_rate: float | None = None
    fractional: bool | None = Field(
        default=None, description="loan records are expected balances (simulated feed)"
    )
    source: str | None = None


class ModelInfoOut(BaseModel):
    """The model that monitors the deal (period 0)."""

    name: str | None = None
    trained_on: str | None = None
    train_window: list[str] = []
    test_from: str | None = None
    data_hash: str | None = None
    metrics: dict[str, dict[str, Any]] = {}
    closing: dict[str, Any] = {}


class ModelOut(BaseModel):
    """A deal's model monitoring (empty ``periods`` when none stored)."""

    deal: str
    model: ModelInfoOut | None = None
    periods: list[ModelPeriodOut]
    note: str = (
        "rates balance-weighted over loans current at the start of the month; CPR/CDR annualize "
        "the monthly rates; values per 100 of current face at the stated OAS"
    )


def _clean(d: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k in allowed and v is not None}


def model_of(s: Session, deal: Deal) -> ModelOut:
    """The model monitoring figures of ``deal`` from its stored metrics."""
    rows = s.scalars(
        select(DealMetric)
        .where(DealMetric.deal_id == deal.id, DealMetric.kind == KIND)
        .order_by(DealMetric.period, DealMetric.key)
    ).all()
    info: ModelInfoOut | None = None
    periods: list[ModelPeriodOut] = []
    pfields = set(ModelPeriodOut.model_fields)
    for r in rows:
        p: dict[str, Any] = dict(r.payload)
        if r.period == 0 and r.key == "model":
            info = ModelInfoOut(
                name=p.get("model"), **_clean(p, set(ModelInfoOut.model_fields) - {"name"})
            )
        elif r.key == "period" and r.period > 0:
            periods.append(ModelPeriodOut(**_clean({**p, "period": r.period}, pfields)))
    return ModelOut(deal=deal.name, model=info, periods=periods)


@router.get(
    "/api/deals/{deal}/model",
    response_model=ModelOut,
    responses={404: {"description": "unknown deal"}},
    tags=["models"],
)
def model(deal: str, s: Annotated[Session, Depends(db_session)]) -> ModelOut:
    """Per period: forecast vs realized CPR and CDR, and each tranche's model value."""
    return model_of(s, find_deal(s, deal))


def _pct(v: float | None, digits: int = 1) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{digits}f}%"


def render(s: Session, deal: Deal) -> str | None:
    """The models section of the deal page (None when nothing is stored)."""
    from trancheflow.models.ops_charts import rate_chart, value_chart

    m = model_of(s, deal)
    if m.model is None and not m.periods:
        return None
    cards = []
    name = (m.model.name if m.model else None) or (m.periods[-1].model if m.periods else None)
    cards.append(card("model", name or "n/a", "model-name", name))
    if m.model and "prepay" in m.model.metrics:
        auc = m.model.metrics["prepay"].get("auc")
        truth = m.model.metrics["prepay"].get("auc_truth")
        if auc is not None:
            txt = f"{auc:.3f}" + (f" (truth {truth:.3f})" if truth is not None else "")
            cards.append(card("prepay AUC (out of time)", txt, "model-auc", auc))
    last = m.periods[-1] if m.periods else None
    if last is not None:
        cards.append(
            card(
                f"CPR period {last.period}: forecast / realized",
                f"{_pct(last.forecast_cpr)} / {_pct(last.realized_cpr)}",
                "model-cpr",
                last.realized_cpr,
            )
        )
        cards.append(
            card(
                f"CDR period {last.period}: forecast / realized",
                f"{_pct(last.forecast_cdr, 2)} / {_pct(last.realized_cdr, 2)}",
                "model-cdr",
                last.realized_cdr,
            )
        )
    priced = [p for p in m.periods if p.pool_value is not None or p.tranches]
    if priced:
        lp = priced[-1]
        if lp.pool_value is not None:
            cards.append(card("pool value", f"{lp.pool_value:.2f}", "model-pool", lp.pool_value))
        for t, v in lp.tranches.items():
            cards.append(card(f"{t} value", f"{v:.2f}", f"model-{html.escape(t)}", v))
    recs = [p.model_dump() for p in m.periods]
    charts = ""
    if recs:
        charts = (
            f'<figure class="chart">{rate_chart(recs)}</figure>'
            f'<figure class="chart">{value_chart([r for r in recs if r["pool_value"] is not None])}'
            "</figure>"
        )
    sub = m.note
    if priced:
        lp = priced[-1]
        sub += f"; latest re-price period {lp.period}, OAS {lp.oas_bp or 0:g} bp, {lp.paths} paths"
    if m.periods and m.periods[-1].fractional:
        sub += (
            "; SIMULATED servicer feed: loan records are expected balances from pool-level speed "
            "regimes, so realized rates need not match the model"
        )
    return (
        '<section id="models"><h2>Model: forecast vs realized, tranche values</h2>'
        f'<p class="sub">{html.escape(sub)}</p>'
        f'<div class="cards">{"".join(cards)}</div>{charts}</section>'
    )

"""Off-chain figures about a deal (``deal_metrics``): write once per key, read by kind.

Operations compute figures the chain does not hold: the market pool beside
the model's fair value, the state of the ZK eligibility proofs and random
audits, the behaviour model's forecast against realized rates. Each writer
stores one JSON object per ``(deal, kind, period, key)``; writing the same
key again replaces it, so a re-run of a step is idempotent. The API and the
dashboard read them back in period order.

Examples
--------
>>> from trancheflow.deal import DealSpec
>>> from trancheflow.ops.db import connect, register_deal, upgrade
>>> engine = connect("sqlite://")
>>> upgrade(engine)
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-METRICS",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 12, "wam": 12}]},
...     "assumptions": {"prepay": "CPR 0", "default": "CDR 0"},
...     "tranches": [{"name": "A", "balance": 800, "coupon": 0.05},
...                  {"name": "R", "residual": True}],
... })
>>> _ = register_deal(engine, spec, chain_id=1, address="0x" + "aa" * 20,
...                   tokens=["0x" + "bb" * 20])
>>> record_metrics(engine, "DOC-METRICS", "market", [(1, "A", {"price": 99.5})])
>>> record_metrics(engine, "DOC-METRICS", "market", [(1, "A", {"price": 99.25})])
>>> [(m.period, m.key, m.payload) for m in read_metrics(engine, "DOC-METRICS", "market")]
[(1, 'A', {'price': 99.25})]
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.engine import URL

from trancheflow.errors import TrancheflowError
from trancheflow.ops.db import find_deal, session
from trancheflow.ops.models import DealMetric

__all__ = ["Metric", "read_metrics", "record_metrics"]


@dataclass(frozen=True)
class Metric:
    """One stored figure: its period, key and JSON payload."""

    period: int
    key: str
    payload: dict[str, Any]


def _clean(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy (numpy scalars as Python numbers; NaN/inf refused)."""

    def conv(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {str(k): conv(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [conv(x) for x in v]
        if hasattr(v, "item") and callable(v.item):  # numpy scalar
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            raise TrancheflowError(f"metric value {v!r} is not a finite number")
        return v

    out = conv(payload)
    json.dumps(out)  # raises TypeError on anything JSON cannot hold
    return out


def record_metrics(
    db: str | URL | Engine,
    deal: str,
    kind: str,
    rows: Iterable[tuple[int, str, Mapping[str, Any]]],
) -> None:
    """Store ``(period, key, payload)`` rows of ``kind`` for ``deal`` (name or address).

    A row whose ``(period, key)`` is already stored for that kind replaces it.
    """
    items = [(int(p), str(k), _clean(v)) for p, k, v in rows]
    with session(db) as s:
        d = find_deal(s, deal)
        for period, key, payload in items:
            s.execute(
                delete(DealMetric).where(
                    DealMetric.deal_id == d.id,
                    DealMetric.kind == kind,
                    DealMetric.period == period,
                    DealMetric.key == key,
                )
            )
            s.add(DealMetric(deal_id=d.id, kind=kind, period=period, key=key, payload=payload))


def read_metrics(
    db: str | URL | Engine, deal: str, kind: str, *, key: str | None = None
) -> list[Metric]:
    """The stored figures of ``kind`` for ``deal``, in (period, key) order."""
    with session(db) as s:
        d = find_deal(s, deal)
        q = select(DealMetric).where(DealMetric.deal_id == d.id, DealMetric.kind == kind)
        if key is not None:
            q = q.where(DealMetric.key == key)
        rows = s.scalars(q.order_by(DealMetric.period, DealMetric.key)).all()
        return [Metric(r.period, r.key, dict(r.payload)) for r in rows]

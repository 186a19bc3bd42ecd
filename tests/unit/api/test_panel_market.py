"""The market panel from a database with stored market figures: the JSON equals the
stored metrics, the HTML cards and chart points carry the same numbers, the
rich/cheap colour follows its band, and an unknown deal is a 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from trancheflow.api import create_app
from trancheflow.api.panels import market as panel
from trancheflow.deal import DealSpec
from trancheflow.market.view import rich_cheap_color
from trancheflow.ops.db import connect, find_deal, register_deal, session, upgrade
from trancheflow.ops.metrics import record_metrics

SPEC = {
    "deal": "MKT-PANEL-1",
    "collateral": {
        "rep_lines": [
            {"balance": 1_000_000, "gross_rate": 0.07, "net_rate": 0.065, "term": 60, "wam": 60}
        ]
    },
    "assumptions": {"prepay": "CPR 6", "default": "CDR 0"},
    "tranches": [
        {"name": "A", "balance": 800_000, "coupon": 0.05},
        {"name": "B", "balance": 150_000, "coupon": 0.06},
        {"name": "R", "residual": True},
    ],
}
PERIODS = 12


def _figures(rng: np.random.Generator, k: int) -> dict[str, Any]:
    fair = float(np.round(rng.uniform(90, 101), 6))
    price = float(np.round(fair * (1 + rng.normal(0, 0.004)), 6))
    pre = float(np.round(fair * (1 + rng.normal(0, 0.008)), 6))
    return {
        "price": price,
        "twap": float(np.round(fair * (1 + rng.normal(0, 0.002)), 6)),
        "fair": fair,
        "rich_cheap_bp": round((price - fair) / fair * 1e4, 3),
        "price_pre_arb": pre,
        "rich_cheap_pre_arb_bp": round((pre - fair) / fair * 1e4, 3),
        "depth_bid": float(np.round(rng.uniform(1e5, 1e6), 6)),
        "depth_ask": float(np.round(rng.uniform(1e5, 1e6), 6)),
        "volume": float(np.round(rng.uniform(0, 5e4), 6)),
        "swaps": int(rng.integers(0, 6)),
        "arbitrage": [None, "buy", "sell"][k % 3],
        "lp_value": 1_000_000.0 + k,
        "hold_value": 999_000.0 + k,
        "lp_vs_hold_pct": round(float(rng.normal(0, 0.1)), 4),
        "factor": round(1 - k / 100, 8),
    }


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, dict]]:  # type: ignore[type-arg]
    url = f"sqlite:///{tmp_path_factory.mktemp('mkt') / 'm.db'}"
    engine = connect(url)
    upgrade(engine)
    spec = DealSpec.model_validate(SPEC)
    register_deal(
        engine,
        spec,
        chain_id=1,
        address="0x" + "ab" * 20,
        tokens=["0x" + "cd" * 20, "0x" + "ce" * 20],
    )
    other = DealSpec.model_validate({**SPEC, "deal": "MKT-EMPTY-1"})
    register_deal(
        engine,
        other,
        chain_id=1,
        address="0x" + "ef" * 20,
        tokens=["0x" + "01" * 20, "0x" + "02" * 20],
    )
    rng = np.random.default_rng(11)
    rows: list[tuple[int, str, dict[str, Any]]] = []
    for name in ("A", "B"):
        rows.append((0, name, {"pool": "0x" + "77" * 20, "token": "0x" + "cd" * 20,
                               "oas_bp": 100.0, "option_cost_bp": -3.5, "mc_price": 95.1,
                               "mc_se": 0.1, "seed_price": 95.1}))  # fmt: skip
        rows += [(k, name, _figures(rng, k)) for k in range(1, PERIODS + 1)]
    record_metrics(engine, "MKT-PANEL-1", "market", rows)
    expect: dict[str, list[dict[str, Any]]] = {}
    for p, k, payload in rows:
        if p:
            expect.setdefault(k, []).append({"period": p, **payload})
    with TestClient(create_app(url)) as client:
        yield client, url, expect


def test_json_equals_the_stored_metrics(stored: tuple[TestClient, str, dict]) -> None:  # type: ignore[type-arg]
    client, _, expect = stored
    r = client.get("/api/deals/MKT-PANEL-1/market")
    assert r.status_code == 200
    body = r.json()
    assert [t["tranche"] for t in body["tranches"]] == ["A", "B"]
    for t in body["tranches"]:
        assert t["pool"] == "0x" + "77" * 20 and t["closing_model_price"] == 95.1
        want = expect[t["tranche"]]
        assert t["history"] == want  # every stored field, every period, in order
        assert t["latest"] == want[-1]
    # by address too
    assert client.get("/api/deals/0x" + "ab" * 20 + "/market").json() == body


def test_unknown_deal_is_404_and_empty_deal_has_no_pools(
    stored: tuple[TestClient, str, dict],
) -> None:  # type: ignore[type-arg]
    client, _, _ = stored
    r = client.get("/api/deals/NO-SUCH/market")
    assert r.status_code == 404 and "NO-SUCH" in r.json()["error"]["message"]
    assert client.get("/api/deals/MKT-EMPTY-1/market").json()["tranches"] == []


def test_html_cards_and_chart_carry_the_stored_numbers(
    stored: tuple[TestClient, str, dict],
) -> None:  # type: ignore[type-arg]
    _, url, expect = stored
    with session(url) as s:
        html = panel.render(s, find_deal(s, "MKT-PANEL-1"))
        assert panel.render(s, find_deal(s, "MKT-EMPTY-1")) is None
    assert html is not None and html.startswith('<section id="market">')
    for name, rows in expect.items():
        last = rows[-1]
        for field, key in (("price", "price"), ("twap", "twap"), ("fair", "fair"),
                           ("richcheap", "rich_cheap_bp"), ("bid", "depth_bid"),
                           ("ask", "depth_ask"), ("lp", "lp_vs_hold_pct")):  # fmt: skip
            m = re.search(rf'id="mkt-{name}-{field}" data-value="([^"]+)"', html)
            assert m is not None and float(m.group(1)) == last[key], (name, field)
        colour = re.search(
            rf'id="mkt-{name}-richcheap" data-value="[^"]+" style="color:(#\w+)"', html
        )
        assert colour is not None and colour.group(1) == rich_cheap_color(last["rich_cheap_bp"], 25)
        chart = html.split(f'data-chart="market-{name}"')[1].split("</svg>")[0]
        ys = [
            float(y)
            for y in re.findall(r'data-series="pool price" data-x="[^"]+" data-y="([^"]+)"', chart)
        ]
        assert ys == pytest.approx([r["price"] - 100 for r in rows], abs=1e-9)
        rc = html.split(f'data-chart="market-{name}-richcheap"')[1].split("</svg>")[0]
        pre = [
            float(y)
            for y in re.findall(
                r'data-series="before arbitrage" data-x="[^"]+" data-y="([^"]+)"', rc
            )
        ]
        assert pre == pytest.approx([r["rich_cheap_pre_arb_bp"] for r in rows], abs=1e-2)


def test_deal_page_includes_the_panel(stored: tuple[TestClient, str, dict]) -> None:  # type: ignore[type-arg]
    client, _, _ = stored
    page = client.get("/deals/MKT-PANEL-1")
    assert page.status_code == 200 and 'id="market"' in page.text
    assert 'id="market"' not in client.get("/deals/MKT-EMPTY-1").text


@pytest.mark.parametrize(
    ("bp", "colour"), [(0.0, "#1a7f37"), (25.0, "#1a7f37"), (-30.0, "#9a6700"), (51.0, "#b3261e")]
)
def test_rich_cheap_colour_bands(bp: float, colour: str) -> None:
    assert rich_cheap_color(bp, 25) == colour

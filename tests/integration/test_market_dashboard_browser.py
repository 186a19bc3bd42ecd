"""The market panel in a real browser (Debian's Chromium via Playwright), over the
database of a short demo life with the market step: every card and chart point
equals the stored ``deal_metrics`` and the JSON API, the page stays offline,
and a screenshot of the panel is saved (``TRANCHEFLOW_SHOT_DIR`` keeps a copy)."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path

import pytest

from trancheflow.api import create_app
from trancheflow.ops.demo import run_demo
from trancheflow.ops.metrics import read_metrics

pytestmark = pytest.mark.integration


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    out = tmp_path_factory.mktemp("market-demo")
    r = run_demo(out, loans=150, seed=5, months=5, investors=4, extras=("market",))
    assert r.audit_ok and r.extras == {"market": True}, r.audit_summary
    return r.db_url, "DEMO-2026-1"


def test_market_panel_shows_the_stored_figures(demo_db, serve, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db_url, deal = demo_db
    stored = read_metrics(db_url, deal, "market")
    by_tranche: dict[str, list] = {}
    for m in stored:
        if m.period > 0:
            by_tranche.setdefault(m.key, []).append(m)
    assert sorted(by_tranche) == ["A1", "M"] and all(len(v) == 5 for v in by_tranche.values())
    with serve(create_app(db_url)) as server:
        api = _get(f"{server.url}/api/deals/{deal}/market")
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        try:
            resp = page.goto(f"{server.url}/deals/{deal}", wait_until="networkidle")
            assert resp is not None and resp.status == 200
            assert requests and all(u.startswith(server.url) for u in requests)
            section = page.locator("section#market")
            assert section.count() == 1
            for t in api["tranches"]:  # type: ignore[index]
                name = t["tranche"]
                rows = by_tranche[name]
                last = rows[-1].payload
                assert t["latest"]["price"] == last["price"]
                assert [h["period"] for h in t["history"]] == [m.period for m in rows]
                for field, key in (
                    ("price", "price"),
                    ("twap", "twap"),
                    ("fair", "fair"),
                    ("richcheap", "rich_cheap_bp"),
                    ("bid", "depth_bid"),
                    ("ask", "depth_ask"),
                    ("lp", "lp_vs_hold_pct"),
                ):
                    card = page.locator(f"#mkt-{name}-{field}")
                    assert float(card.get_attribute("data-value")) == last[key], (name, field)
                assert page.locator(f"#mkt-{name}-price").inner_text() == f"{last['price']:.3f}"
                rc = page.locator(f"#mkt-{name}-richcheap")
                word = "rich" if last["rich_cheap_bp"] > 0.05 else "cheap"
                assert word in rc.inner_text() or rc.inner_text() == "at fair"
                color = rc.evaluate("e => getComputedStyle(e).color")
                assert color in ("rgb(26, 127, 55)", "rgb(154, 103, 0)", "rgb(179, 38, 30)")
                chart = page.locator(f'svg[data-chart="market-{name}"]')
                for series, key in (("pool price", "price"), ("TWAP", "twap")):
                    pts = chart.locator(f'circle[data-series="{series}"]')
                    assert pts.count() == len(rows)
                    drawn = [
                        float(pts.nth(i).get_attribute("data-y")) + 100 for i in range(len(rows))
                    ]
                    assert drawn == pytest.approx([m.payload[key] for m in rows], abs=1e-9)
                fair = chart.locator('circle[data-series="model fair value"]')
                assert float(
                    fair.nth(len(rows) - 1).get_attribute("data-y")
                ) + 100 == pytest.approx(last["fair"], abs=1e-9)
                box = chart.bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 100
                cards = page.locator(f'.market-tranche[data-tranche="{name}"] .card')
                first, seventh = cards.nth(0).bounding_box(), cards.nth(6).bounding_box()
                assert first and seventh and first["width"] > 100  # laid out as cards
            shot = tmp_path / "market_panel.png"
            section.screenshot(path=str(shot))
            assert shot.stat().st_size > 20_000
            keep = os.environ.get("TRANCHEFLOW_SHOT_DIR")
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, Path(keep) / shot.name)
            resp = page.goto(f"{server.url}/api/deals/NO-SUCH-DEAL/market")
            assert resp is not None and resp.status == 404
        finally:
            page.close()

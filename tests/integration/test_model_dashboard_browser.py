"""The models panel in a real browser (Debian's Chromium via Playwright), over the
database of a short demo life with the models step: the cards and chart points
equal the stored ``deal_metrics`` and the JSON API, the page stays offline,
the charts are laid out, and a screenshot of the panel is saved
(``TRANCHEFLOW_SHOT_DIR`` keeps a copy)."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path

import pytest

from trancheflow.api import create_app
from trancheflow.ops import demo_models
from trancheflow.ops.demo import run_demo
from trancheflow.ops.metrics import read_metrics

pytestmark = pytest.mark.integration


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    mp = pytest.MonkeyPatch()
    mp.setattr(demo_models, "TRAIN_LOANS", 900)
    mp.setattr(demo_models, "TRAIN_ROUNDS", 20)
    mp.setattr(demo_models, "PATHS", 8)
    mp.setattr(demo_models, "REPRICE_EVERY", 1)
    out = tmp_path_factory.mktemp("model-demo")
    try:
        r = run_demo(out, loans=150, seed=5, months=8, investors=3, extras=("models",))
    finally:
        mp.undo()
    assert r.audit_ok and r.extras == {"models": True}, r.audit_summary
    return r.db_url, "DEMO-2026-1"


def test_model_panel_shows_the_stored_figures(demo_db, serve, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db_url, deal = demo_db
    stored = [m for m in read_metrics(db_url, deal, "model") if m.key == "period"]
    assert [m.period for m in stored] == list(range(1, 9))
    last = stored[-1].payload
    with serve(create_app(db_url)) as server:
        api = _get(f"{server.url}/api/deals/{deal}/model")
        assert [p["period"] for p in api["periods"]] == list(range(1, 9))  # type: ignore[index]
        assert api["periods"][-1]["tranches"] == last["tranches"]  # type: ignore[index]
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        try:
            resp = page.goto(f"{server.url}/deals/{deal}", wait_until="networkidle")
            assert resp is not None and resp.status == 200
            assert requests and all(u.startswith(server.url) for u in requests)
            section = page.locator("section#models")
            assert section.count() == 1
            assert page.locator("#model-name").inner_text() == "demo-hazard"
            for name, v in last["tranches"].items():
                card = page.locator(f"#model-{name}")
                assert float(card.get_attribute("data-value")) == v
                assert card.inner_text() == f"{v:.2f}"
            cpr = page.locator("#model-cpr").inner_text()
            assert f"{last['forecast_cpr']:.1f}%" in cpr and f"{last['realized_cpr']:.1f}%" in cpr
            rates = page.locator('svg[data-chart="model-rates"]')
            for series, key in (("CPR forecast", "forecast_cpr"), ("CDR realized", "realized_cdr")):
                pts = rates.locator(f'circle[data-series="{series}"]')
                assert pts.count() == len(stored)
                drawn = [float(pts.nth(i).get_attribute("data-y")) for i in range(len(stored))]
                assert drawn == pytest.approx([m.payload[key] for m in stored], abs=1e-12)
            values = page.locator('svg[data-chart="model-values"]')
            for name in last["tranches"]:
                pts = values.locator(f'circle[data-series="{name}"]')
                assert pts.count() == len(stored)
                y = float(pts.nth(len(stored) - 1).get_attribute("data-y")) + 100
                assert y == pytest.approx(last["tranches"][name], abs=1e-9)
            for chart in (rates, values):
                box = chart.bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 100
            cards = page.locator("section#models .card")
            assert cards.count() >= 6
            first = cards.nth(0).bounding_box()
            assert first and first["width"] > 100  # laid out as cards
            shot = tmp_path / "model_panel.png"
            section.screenshot(path=str(shot))
            assert shot.stat().st_size > 20_000
            keep = os.environ.get("TRANCHEFLOW_SHOT_DIR")
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, Path(keep) / shot.name)
            resp = page.goto(f"{server.url}/api/deals/NO-SUCH-DEAL/model")
            assert resp is not None and resp.status == 404
        finally:
            page.close()

"""The demo's models step: a model trained at closing re-prices every tranche each period."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from rich.console import Console

from trancheflow.ops import demo_models
from trancheflow.ops.demo import run_demo
from trancheflow.ops.metrics import read_metrics


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    mp.setattr(demo_models, "TRAIN_LOANS", 900)  # the demo trains on 2,500; seconds here
    mp.setattr(demo_models, "TRAIN_ROUNDS", 20)
    mp.setattr(demo_models, "PATHS", 8)
    out = tmp_path_factory.mktemp("demo-models")
    try:
        r = run_demo(out, loans=200, seed=3, months=6, investors=3, extras=("models",))
    finally:
        mp.undo()
    return out, r


def test_demo_trains_and_reprices_each_period(demo) -> None:  # type: ignore[no-untyped-def]
    out, r = demo
    assert r.audit_ok, r.audit_summary
    assert r.extras == {"models": True}
    stored = read_metrics(r.db_url, "DEMO-2026-1", "model")
    assert [(m.period, m.key) for m in stored] == [(0, "model")] + [
        (t, "period") for t in range(1, 7)
    ]
    meta = stored[0].payload
    saved = json.loads((out / "models" / "demo-hazard" / "meta.json").read_text())
    assert saved["data_hash"] == meta["data_hash"] and saved["name"] == "demo-hazard"
    for risk in ("prepay", "default"):
        assert 0.5 < meta["metrics"][risk]["auc"] <= 1 and meta["metrics"][risk]["auc_truth"] > 0.5
    for m in stored[1:]:
        p = m.payload
        for k in ("forecast_cpr", "realized_cpr", "forecast_cdr", "realized_cdr"):
            assert p[k] is not None and math.isfinite(p[k]) and 0 <= p[k] < 100, (m.period, k)
        assert p["forecast_cpr"] > 0 and p["realized_cpr"] > 0
        assert p["fractional"] is True and p["loans_current"] == 200 and p["model"] == "demo-hazard"
        if m.period % demo_models.REPRICE_EVERY:  # forecast vs realized only
            assert "tranches" not in p and "pool_value" not in p
            continue
        assert set(p["tranches"]) == {"A1", "A2", "M", "B"}
        assert all(math.isfinite(v) and 50 < v < 130 for v in p["tranches"].values())
        assert 50 < p["pool_value"] < 130
    page = r.report_path.read_text()
    assert demo_models.REPRICE_EVERY <= 6
    assert "Model re-pricing" in page and 'data-chart="model-rates"' in page
    assert 'data-chart="model-values"' in page


def test_demo_summary_says_what_is_simulated(demo) -> None:  # type: ignore[no-untyped-def]
    _out, r = demo
    page = r.report_path.read_text()
    assert "SIMULATED ground truth" in page and "not the model" in page


def test_a_failing_period_does_not_stop_the_life(tmp_path: Path) -> None:
    hook = demo_models.make_hook(tmp_path, Console(file=None, quiet=True))
    hook.monitor = SimpleNamespace(records=[])
    ctx = SimpleNamespace(feed=None, period=3, report=None, pool=pd.DataFrame(), spec=None)
    hook.on_period(ctx)  # type: ignore[arg-type]
    assert hook.ok is False and hook.errors and hook.errors[0].startswith("period 3:")
    assert any("period 3" in line for line in hook.summary_lines())

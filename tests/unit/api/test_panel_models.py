"""The models panel: ``GET /api/deals/{deal}/model`` and the deal page's section
show exactly the stored ``deal_metrics`` (kind ``model``)."""

from __future__ import annotations

import math
import re

from trancheflow.models.ops_deal import metric_rows
from trancheflow.ops.metrics import record_metrics

DEAL = "API-DEAL-1"


def _records() -> list[dict]:
    recs = []
    for t in range(1, 5):
        smm, mdr = 0.004 + 0.001 * t, 0.0002 * t
        rec = {
            "period": t,
            "month": f"2025-{t:02d}",
            "model": "panel-model",
            "forecast_smm": smm,
            "realized_smm": smm * 1.3,
            "forecast_mdr": mdr,
            "realized_mdr": mdr * 0.7,
            "forecast_cpr": 100 * (1 - (1 - smm) ** 12),
            "realized_cpr": 100 * (1 - (1 - 1.3 * smm) ** 12),
            "forecast_cdr": 100 * (1 - (1 - mdr) ** 12),
            "realized_cdr": 100 * (1 - (1 - 0.7 * mdr) ** 12),
            "loans_current": 100 - t,
            "loans_alive": 99 - t,
            "fractional": True,
            "oas_bp": 90.0,
            "paths": 16,
        }
        if t % 2 == 0:  # re-priced every other period
            rec.update(
                pool_value=99.0 + 0.1 * t,
                tranches={"A": 100.5 - 0.2 * t, "B": 96.0 + 0.3 * t},
                tranche_oas_bp={"A": 90.0, "B": 90.0},
            )
        recs.append(rec)
    return recs


def test_model_api_and_panel(world) -> None:  # type: ignore[no-untyped-def]
    client, _sim, url = world
    empty = client.get(f"/api/deals/{DEAL}/model").json()
    assert empty["periods"] == [] and empty["model"] is None
    assert 'id="models"' not in client.get(f"/deals/{DEAL}").text
    meta = {
        "model": "panel-model",
        "train_window": ["2012-02", "2020-12"],
        "test_from": "2021-01",
        "metrics": {"prepay": {"auc": 0.71, "auc_truth": 0.72, "max_decile_calib_err": 0.05}},
        "closing": {"pool_value": 98.0},
        "unknown_field": 1,
    }
    recs = _records()
    record_metrics(url, DEAL, "model", metric_rows(recs, meta))
    got = client.get(f"/api/deals/{DEAL}/model").json()
    assert got["model"]["name"] == "panel-model" and got["model"]["test_from"] == "2021-01"
    assert [p["period"] for p in got["periods"]] == [1, 2, 3, 4]
    for p, r in zip(got["periods"], recs, strict=True):
        for k in ("forecast_cpr", "realized_cpr", "forecast_cdr", "realized_cdr"):
            assert p[k] == r[k]
        assert p["tranches"] == r.get("tranches", {})
        assert p["pool_value"] == r.get("pool_value")
    assert client.get("/api/deals/NO-SUCH/model").status_code == 404

    page = client.get(f"/deals/{DEAL}").text
    sec = page[page.index('<section id="models">') :]
    sec = sec[: sec.index("</section>")]
    assert 'id="model-name"' in sec and "panel-model" in sec
    last = recs[-1]
    assert f"{last['forecast_cpr']:.1f}% / {last['realized_cpr']:.1f}%" in sec
    assert re.search(rf'id="model-A" data-value="{last["tranches"]["A"]!r}"', sec)

    def drawn(chart: str, series: str) -> list[tuple[float, float]]:
        svg = sec[sec.index(f'data-chart="{chart}"') :]
        svg = svg[: svg.index("</svg>")]
        pts = re.findall(
            rf'<circle data-series="{re.escape(series)}" data-x="([^"]+)" data-y="([^"]+)"', svg
        )
        return [(float(x), float(y)) for x, y in pts]

    assert drawn("model-rates", "CPR realized") == [
        (float(r["period"]), r["realized_cpr"]) for r in recs
    ]
    assert drawn("model-rates", "CDR forecast") == [
        (float(r["period"]), r["forecast_cdr"]) for r in recs
    ]
    # values drawn as value less par, on re-priced periods only
    b = drawn("model-values", "B")
    assert [x for x, _ in b] == [2.0, 4.0]
    assert all(
        math.isclose(y + 100, r["tranches"]["B"], abs_tol=1e-12)
        for (_, y), r in zip(b, recs[1::2], strict=True)
    )

"""One yield convention and one error shape across the CLI and the API (issues 15, 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from trancheflow.cli import app as cli

from .conftest import SPEC

URL = "/api/deals/API-DEAL-1/analytics/yield-table"


def _spec_file(tmp_path: Path, **extra: object) -> Path:
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump({**SPEC, **extra}))
    return path


def _cli_json(args: list[str]) -> list[dict[str, object]]:
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)  # type: ignore[no-any-return]


@pytest.mark.parametrize("delay", [None, 0, 14])
def test_same_tranche_same_price_same_yield_everywhere(world, tmp_path, delay) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = world
    a = SPEC["assumptions"]
    path = _spec_file(tmp_path)
    opt = [] if delay is None else ["--delay-days", str(delay)]
    summary = ["--report", "summary", "--format", "json"]
    run = _cli_json(["deal", "run", str(path), "--price", "99-16", *summary, *opt])
    scenario = ["--prepay", a["prepay"], "--default", a["default"]]
    table = _cli_json(
        ["deal", "yield-table", str(path), *scenario, "--price", "99.5", "--format", "json", *opt]
    )
    body: dict[str, object] = {"prepays": [a["prepay"]], "defaults": [a["default"]]}
    body["price"] = "99-16"
    if delay is not None:
        body["payment_delay_days"] = delay
    api = client.post(URL, json=body).json()["rows"]
    for name in (t["name"] for t in SPEC["tranches"] if not t.get("residual")):
        ys = [next(r["yield"] for r in rows if r["tranche"] == name) for rows in (run, table, api)]
        assert ys[0] == pytest.approx(ys[1], abs=1e-12) and ys[1] == pytest.approx(ys[2], abs=1e-12)
    if delay is None:  # the spec sets no delay: the documented default, 24 days
        at24 = _cli_json(
            ["deal", "run", str(path), "--price", "99.5", *summary, "--delay-days", "24"]
        )
        assert [r["yield"] for r in at24] == [r["yield"] for r in run]


def test_the_spec_payment_delay_is_used(tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = ["--price", "100", "--report", "summary", "--format", "json"]
    gnma = _cli_json(["deal", "run", str(_spec_file(tmp_path, payment_delay_days="GNMA_I")), *base])
    explicit = _cli_json(["deal", "run", str(_spec_file(tmp_path)), *base, "--delay-days", "14"])
    assert [r["yield"] for r in gnma] == [r["yield"] for r in explicit]


@pytest.mark.parametrize(
    ("price", "needle"),
    [
        ({"A": 100, "NOPE": 99}, "unknown tranche(s) 'NOPE'"),
        (0, "above 0"),
        ("101-40", "00..31"),
        ("abc", "is not a price"),
    ],
)
def test_bad_prices_are_422_with_one_shape(world, price, needle) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = world
    r = client.post(URL, json={"prepays": ["PSA 100"], "price": price})
    assert r.status_code == 422
    assert set(r.json()) == {"error"} and set(r.json()["error"]) == {"type", "message"}
    assert needle in r.json()["error"]["message"]


def test_huge_integers_in_queries_are_422_not_500(world) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = world
    for q in ("periods?from_period=9223372036854775808", "holders?offset=9223372036854775808"):
        r = client.get(f"/api/deals/API-DEAL-1/{q}")
        assert r.status_code == 422, q
        assert r.json()["error"]["type"] == "invalid_request"


def test_interactive_docs_need_no_network(world) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = world
    html = client.get("/docs").text
    assert "/static/swagger-ui/swagger-ui-bundle.js" in html and "/openapi.json" in html
    assert "cdn" not in html.lower() and "https://" not in html.split("<body>")[0].lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        r = client.get(f"/static/swagger-ui/{asset}")
        assert r.status_code == 200 and len(r.content) > 10_000


def test_dashboard_names_fees_from_the_spec(world) -> None:  # type: ignore[no-untyped-def]
    client, sim, _ = world
    html = client.get(f"/deals/{sim.address}").text
    assert "<td>trustee (fee)</td>" in html and "<td>fee 0</td>" not in html


def test_unknown_routes_and_methods_use_the_error_shape(world) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = world
    for r, status in ((client.get("/api/nope"), 404), (client.delete("/api/deals"), 405)):
        assert r.status_code == status
        assert set(r.json()) == {"error"} and set(r.json()["error"]) == {"type", "message"}

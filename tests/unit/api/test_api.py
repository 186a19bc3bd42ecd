"""The JSON API against an indexed simulated deal: every number checked
against the simulation (exact waterfall + the token-index mirror), the
waterfall's conservation law re-checked on the API's own output, analytics
equal to calling the library directly, errors with status codes and
messages that name the deal/address/field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from trancheflow.api import create_app
from trancheflow.errors import DatabaseError
from trancheflow.ops.db import register_deal, store_audit_result

PERIODS = 30
ALICE = "0x2bd806c97f0e00af1a1fc3328fa763a9269723c8"  # sim_address("alice")


def test_deal_list_and_detail_match_the_simulation(world) -> None:  # type: ignore[no-untyped-def]
    client, sim, _ = world
    listed = client.get("/api/deals").json()
    assert [d["address"] for d in listed] == [sim.address]
    last = sim.periods[PERIODS - 1]
    for ref in (sim.address, sim.address.upper().replace("0X", "0x"), "API-DEAL-1"):
        d = client.get(f"/api/deals/{ref}").json()
        assert d["period"] == PERIODS
        assert int(d["pool_balance"]) == last.pool_ending
        assert d["pool_factor"] == last.pool_ending / sim.pool_balance
        assert int(d["cumulative_loss"]) == last.state.cumulative_loss
        assert int(d["reserve"]) == last.reserve_balance
        assert int(d["residual_owed"]) == sim.residual_owed
        assert d["principal_rule"] == last.active_rule
        assert d["signers"] == sim.signers
        assert d["issuer"] == sim.issuer and d["closed"] is True
        assert d["pending_report_period"] is None
        assert [t["breached"] for t in d["triggers"]] == list(last.triggers)
        assert {a["kind"] for a in d["alerts"]} == {"trigger_breached", "report_vetoed"}


def test_tranches_carry_balances_factors_and_the_token_index(world) -> None:  # type: ignore[no-untyped-def]
    client, sim, _ = world
    rows = client.get("/api/deals/API-DEAL-1/tranches").json()
    last = sim.periods[PERIODS - 1]
    for t, flows, mirror in zip(rows, last.tranches, sim.mirrors, strict=True):
        assert int(t["balance"]) == flows.ending_balance
        assert t["factor"] == flows.ending_balance / int(t["original"])
        assert (int(t["index"]), int(t["carry"])) == (mirror.index, mirror.carry)
        assert int(t["claimed"]) == mirror.paid
        assert t["holders"] == len([b for b in mirror.balances.values() if b])


def test_periods_conserve_cash_and_filter(world) -> None:  # type: ignore[no-untyped-def]
    client, sim, _ = world
    periods = client.get("/api/deals/API-DEAL-1/periods").json()
    assert [p["period"] for p in periods] == list(range(1, PERIODS + 1))
    reserve_before = 0
    for p in periods:
        r = p["report"]
        cash = sum(
            int(r[k]) for k in ("interest", "scheduled_principal", "prepayments", "recoveries")
        )
        paid = (
            sum(int(f) for f in p["fees_paid"])
            + sum(int(t["interest_paid"]) + int(t["principal_paid"]) for t in p["tranches"])
            + int(p["residual"])
            + int(p["reserve"])
            - reserve_before
        )
        assert cash == paid, f"period {p['period']}: docs/waterfall.md conservation"
        reserve_before = int(p["reserve"])
        d60 = sum(
            int(r[k])
            for k in ("dq60_balance", "dq90_balance", "foreclosure_balance", "reo_balance")
        )
        assert p["delinquent_60_plus_pct"] == d60 / int(p["pool_balance"])
        assert d60 == sim.inputs[p["period"] - 1].delinquent_60_plus
    page = client.get("/api/deals/API-DEAL-1/periods?from_period=11&limit=5").json()
    assert [p["period"] for p in page] == [11, 12, 13, 14, 15]
    bad = client.get("/api/deals/API-DEAL-1/periods?from_period=0")
    assert bad.status_code == 422 and "from_period" in bad.json()["error"]["message"]


def test_holders_and_exact_claimable(world) -> None:  # type: ignore[no-untyped-def]
    client, sim, _ = world
    listing = client.get("/api/deals/API-DEAL-1/holders").json()
    holders = {h["address"] for h in listing["holders"]}
    expected = {a for i in range(3) for a in sim.balances(i)}
    assert holders == expected and listing["total"] == len(expected)
    totals = [sum(int(v) for v in h["balances"].values()) for h in listing["holders"]]
    assert totals == sorted(totals, reverse=True)
    for addr in expected:
        h = client.get(f"/api/deals/{sim.address}/holders/{addr}").json()
        for t in h["tranches"]:
            i = t["tranche_id"]
            tokens = sim.balances(i).get(addr, 0)
            assert int(t["tokens"]) == tokens
            assert int(t["claimable"]) == sim.claimable(i, addr)
            bal = sim.periods[PERIODS - 1].tranches[i].ending_balance
            assert int(t["current_face"]) == tokens * bal // sim.params.tranche_balances[i]
        assert int(h["total_claimable"]) == sum(sim.claimable(i, addr) for i in range(3))
    assert (
        client.get("/api/deals/API-DEAL-1/holders?limit=1&offset=1").json()["holders"][0]["address"]
        == listing["holders"][1]["address"]
    )


@pytest.mark.parametrize(
    ("path", "status", "needle"),
    [
        ("/api/deals/NOPE", 404, "'NOPE' is not registered"),
        ("/api/deals/0x" + "00" * 20 + "/tranches", 404, "0x" + "00" * 20),
        ("/api/deals/API-DEAL-1/holders/0x" + "77" * 20, 404, "0x" + "77" * 20),
        ("/api/deals/API-DEAL-1/holders/0x123", 422, "'0x123' must be 20 bytes"),
        ("/api/deals/NOPE/periods", 404, "known deals: API-DEAL-1"),
    ],
)
def test_errors_are_json_and_name_the_input(world, path: str, status: int, needle: str) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = world
    r = client.get(path)
    assert r.status_code == status
    assert needle in r.json()["error"]["message"]


def test_audit_returns_the_latest_stored_result(world) -> None:  # type: ignore[no-untyped-def]
    client, _, url = world
    r = client.get("/api/deals/API-DEAL-1/audit")
    assert r.status_code == 404 and "no audit result" in r.json()["error"]["message"]
    store_audit_result(url, 1, ok=False, through_period=29, summary="period 29 differs")
    store_audit_result(url, 1, ok=True, through_period=30, summary="all periods match")
    a = client.get("/api/deals/API-DEAL-1/audit").json()
    assert (a["ok"], a["through_period"], a["summary"]) == (True, 30, "all periods match")


def test_projection_equals_the_library(world, spec) -> None:  # type: ignore[no-untyped-def]
    from trancheflow.collateral import Assumptions, project_pool
    from trancheflow.deal.run import collateral_pool

    client, _, _ = world
    r = client.post(
        "/api/deals/API-DEAL-1/analytics/projection", json={"prepay": "PSA 100", "n_periods": 60}
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["prepay"], body["default"], body["severity"]) == ("PSA 100", "SDA 600", 0.4)
    cf = project_pool(
        collateral_pool(spec),
        Assumptions("PSA 100", "SDA 600", severity=0.4, recovery_lag=6),
        n_periods=60,
    )
    assert body["columns"] == list(cf.columns)
    assert body["rows"] == cf.to_numpy(dtype=float).tolist()


def test_yield_table_equals_the_library_and_rejects_bad_speeds(world, spec) -> None:  # type: ignore[no-untyped-def]
    from trancheflow.deal import yield_table

    client, _, _ = world
    body = {"prepays": ["PSA 100", "PSA 400"], "defaults": ["SDA 0", "SDA 300"], "price": 99.5}
    r = client.post("/api/deals/API-DEAL-1/analytics/yield-table", json=body)
    assert r.status_code == 200
    direct = yield_table(spec, body["prepays"], body["defaults"], price=99.5)
    rows = r.json()["rows"]
    assert len(rows) == len(direct) == 12
    for got, (_, want) in zip(rows, direct.iterrows(), strict=True):
        assert (got["prepay"], got["default"], got["tranche"]) == (
            want["prepay"],
            want["default"],
            want["tranche"],
        )
        assert got["yield"] == pytest.approx(want["yield"], rel=1e-9, abs=1e-12)
        assert got["wal"] == pytest.approx(want["wal"], rel=1e-9)
    bad = client.post("/api/deals/API-DEAL-1/analytics/yield-table", json={"prepays": ["FAST 9"]})
    assert bad.status_code == 422 and "'FAST 9'" in bad.json()["error"]["message"]
    missing = client.post("/api/deals/API-DEAL-1/analytics/yield-table", json={})
    assert missing.status_code == 422 and "body.prepays" in missing.json()["error"]["message"]
    extra = client.post(
        "/api/deals/API-DEAL-1/analytics/projection", json={"prepay": "PSA 100", "speed": 1}
    )
    assert extra.status_code == 422 and "body.speed" in extra.json()["error"]["message"]


def test_tape_backed_deal_runs_on_its_tape_and_409s_without_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil
    from pathlib import Path

    from trancheflow.deal import parse_spec

    tape = tmp_path / "pool.csv"
    shutil.copy(Path(__file__).parents[3] / "examples" / "tapes" / "sample_200.csv", tape)
    spec = parse_spec(
        {
            "deal": "TAPE-DEAL",
            "collateral": {"tape": str(tape)},
            "assumptions": {"prepay": "PSA 150", "default": "SDA 100", "severity": 0.35},
            "tranches": [
                {"name": "A", "balance": 50_000_000, "coupon": 0.05},
                {"name": "R", "residual": True},
            ],
        }
    )
    url = f"sqlite:///{tmp_path / 'i.db'}"
    client = TestClient(create_app(url))
    register_deal(url, spec, chain_id=1, address="0x" + "ee" * 20, tokens=["0x" + "aa" * 20])
    ok = client.post("/api/deals/TAPE-DEAL/analytics/projection", json={"n_periods": 12})
    assert ok.status_code == 200 and len(ok.json()["rows"]) == 12
    tape.rename(tmp_path / "moved-away.csv")
    r = client.post("/api/deals/TAPE-DEAL/analytics/projection", json={})
    assert r.status_code == 409
    msg = r.json()["error"]["message"]
    assert "'pool.csv'" in msg and str(tape) in msg and "tape_path" in msg


def test_openapi_schema_documents_every_endpoint(world) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = world
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    for p in (
        "/api/deals",
        "/api/deals/{deal}",
        "/api/deals/{deal}/tranches",
        "/api/deals/{deal}/periods",
        "/api/deals/{deal}/holders",
        "/api/deals/{deal}/holders/{address}",
        "/api/deals/{deal}/audit",
        "/api/deals/{deal}/analytics/projection",
        "/api/deals/{deal}/analytics/yield-table",
    ):
        assert p in paths
    assert "404" in schema["paths"]["/api/deals/{deal}"]["get"]["responses"]
    units = schema["components"]["schemas"]["TrancheOut"]["properties"]["balance"]
    assert units["pattern"] == "^[0-9]+$"


def test_unreachable_database_fails_at_start_up_naming_it() -> None:
    with pytest.raises(DatabaseError, match=r"postgresql://svc:\*\*\*@127\.0\.0\.1:9/idx"):
        create_app("postgresql://svc:pw@127.0.0.1:9/idx")


def test_dashboard_page_serves_charts_and_static_files(world) -> None:  # type: ignore[no-untyped-def]
    client, sim, _ = world
    html = client.get(f"/deals/{sim.address}").text
    for chart in ("pool", "factor", "delinquency", "loss", "tranches"):
        assert f'data-chart="{chart}"' in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert client.get("/static/dashboard.js").status_code == 200
    assert client.get("/static/dashboard.css").status_code == 200
    assert client.get("/").status_code == 200
    r = client.get("/deals/NOPE")
    assert r.status_code == 404 and "NOPE" in r.text

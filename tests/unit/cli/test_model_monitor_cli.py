"""``trancheflow model monitor``: a finalized period's remittance file scored and re-priced.

The index holds what the indexer writes after a period is finalized (the
report with its loan root, each tranche's balance); the command must accept
only the remittance whose loan book hashes to that root.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from trancheflow.cli import app
from trancheflow.deal.run import collateral_pool
from trancheflow.deal.spec import load_spec
from trancheflow.models.registry import save_model
from trancheflow.ops.db import connect, register_deal, upgrade
from trancheflow.ops.metrics import read_metrics
from trancheflow.ops.models import Distribution, Report
from trancheflow.servicer.period import prepare_period
from trancheflow.servicer.simulate import simulate_remittances, write_remittances

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "examples" / "cli_life" / "deal.yaml"
ADDR = "0x" + "12" * 20


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    from trancheflow.models.simulate import simulate_panel
    from trancheflow.models.train import train_hazard_model

    out = tmp_path_factory.mktemp("mon")
    spec = load_spec(SPEC, onchain=True)
    pool = collateral_pool(spec)
    write_remittances(simulate_remittances(pool, 2, prepay="CPR 30", seed=3), out)
    (out / "other").mkdir()
    write_remittances(simulate_remittances(pool, 2, prepay="CPR 30", seed=4), out / "other")
    db = f"sqlite:///{out / 'index.db'}"
    upgrade(db)
    register_deal(
        db,
        spec,
        chain_id=31337,
        address=ADDR,
        tokens=["0x" + "a1" * 20, "0x" + "b2" * 20],
        tape_path=ROOT / "examples" / "cli_life" / "tape.csv",
    )
    prev = None
    engine = connect(db)
    for t in (1, 2):
        f = out / f"remittance-{t:03d}.csv"
        rep = prepare_period(spec, pool, t, f, previous=prev).report
        prev = f
        with Session(engine) as s:
            deal_id = 1
            fields = {k: getattr(rep, k) for k in ("interest", "scheduled_principal", "prepayments",
                      "recoveries", "losses", "dq30_count", "dq30_balance", "dq60_count",
                      "dq60_balance", "dq90_count", "dq90_balance", "foreclosure_count",
                      "foreclosure_balance", "reo_count", "reo_balance")}  # fmt: skip
            s.add(
                Report(
                    deal_id=deal_id, period=t, status="finalized", digest="0x" + "00" * 32,
                    inputs_hash="0x" + "00" * 32, cash=rep.cash,
                    loans_root="0x" + rep.loans_root.hex(),
                    block_number=t, tx_hash="0x" + f"{t:064x}", log_index=0, **fields,
                )
            )  # fmt: skip
            for i, bal in enumerate((3_700_000_000_000 - t * 50_000_000_000, 600_000_000_000)):
                s.add(
                    Distribution(
                        deal_id=deal_id, period=t, tranche_id=i, interest_paid=0,
                        principal_paid=0, writedown=0, balance=bal, block_number=t,
                        tx_hash="0x" + f"{t:064x}", log_index=1 + i,
                    )
                )  # fmt: skip
            s.commit()
    sim = simulate_panel(800, seed=2)
    model = train_hazard_model(sim.panel, sim.market, split="2020-01", rounds=10)
    save_model(model, "mon-test", directory=out / "models")
    return out, db


def _run(world, *extra: str, period: int = 2, file: str = "remittance-002.csv"):
    out, db = world
    argv = ["model", "monitor", "--db", db, "--deal", "CLI-LIFE-1", "--model", "mon-test",
            "--models-dir", str(out / "models"), "--period", str(period),
            "--remittance", str(out / file), "--mortgage-rate", "0.065",
            "--paths", "8", *extra]  # fmt: skip
    res = CliRunner().invoke(app, argv)
    return res.exit_code, " ".join(res.output.split())


def test_monitor_scores_reprices_and_stores(world) -> None:
    out, db = world
    code, text = _run(world, "--previous", str(out / "remittance-001.csv"))
    assert code == 0, text
    assert "prepayment CPR" in text and "default start CDR" in text and "pool" in text
    stored = read_metrics(db, "CLI-LIFE-1", "model")
    assert [(m.period, m.key) for m in stored] == [(0, "model"), (2, "period")]
    rec = stored[1].payload
    assert set(rec["tranches"]) == {"A", "B"} and all(v > 0 for v in rec["tranches"].values())
    assert rec["fractional"] is False and rec["loans_current"] > 0
    assert f"{rec['tranches']['A']:.3f}" in text


def test_monitor_refuses_a_file_that_is_not_the_attested_one(world) -> None:
    # period 1's file reconciles for period 1, but the index holds period 2's root
    code, text = _run(world, period=2, file="remittance-001.csv")
    assert code == 2, text
    assert "remittance-001.csv" in text
    # another servicer's books: they reconcile on their own, but were never attested
    out, _ = world
    code, text = _run(
        world,
        "--previous",
        str(out / "other" / "remittance-001.csv"),
        file="other/remittance-002.csv",
    )
    assert code == 2 and "refusing to score" in text, text


def test_monitor_refuses_a_period_not_finalized_and_bad_options(world) -> None:
    code, text = _run(world, period=5, file="remittance-002.csv")
    assert code == 2 and "no finalized report" in text, text
    code, text = _run(world, "--mortgage-rate", "6.5")
    assert code == 2 and "annual decimal" in text, text
    code, text = _run(world, "--deal", "NOPE")
    assert code != 0

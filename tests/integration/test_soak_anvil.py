"""Soak: keeper + indexer against anvil for 12 periods, the node restarted mid-way.

The example deal (plus a monitored 60+ delinquency trigger that breaches in
period 2) is deployed on anvil through the chain client. Each period the
servicer submits the feed's report (two of three signers), the indexer runs
while the report is pending, the keeper waits out the dispute window and
finalizes, a second keeper finds nothing to do, and the indexer runs again.
After period 6 the node is stopped and started from its state file
(``--state``) and every component is rebuilt from scratch (a new client from
the deployment record, a new keeper, a new indexer resuming from its cursor),
as after a crash.

Checked: every log of the deal and its tokens is in the database exactly once
(set of ``(tx_hash, log_index)`` equal to the chain's, no duplicates), the 12
periods are finalized once each on chain and indexed once each, the trigger
breach is one alert row, no re-org was seen, and the audit of the index
(with the loan-level files and the contract's tape root) passes. Bounded: the
test fails if it takes more than 120 s.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trancheflow.chain.client import DealClient, DealHandle
from trancheflow.chain.reports import sign_report, signer_addresses
from trancheflow.chain.servicer import ServicerFeed
from trancheflow.deal.spec import TriggerSpec, load_spec
from trancheflow.ops.audit import audit_db, write_loan_file
from trancheflow.ops.db import connect, register_deal, upgrade
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.keeper import BackendKeeperChain, Keeper
from trancheflow.ops.models import Alert, EventRow, Period, Report

from .anvil import AnvilNode, anvil  # noqa: F401

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "deals" / "example.yaml"
SIGNER_KEYS = [0x5EED0001, 0x5EED0002, 0x5EED0003]
WINDOW = 3_600
PERIODS, RESTART_AFTER, BUDGET_S = 12, 6, 120.0


def _spec():  # type: ignore[no-untyped-def]
    spec = load_spec(EXAMPLE, onchain=True)
    dq60 = TriggerSpec.model_validate(
        {"name": "dq60", "metric": "delinquency_60_pct", "above": 0.0003}
    )
    return spec.model_copy(update={"triggers": [*spec.triggers, dq60]})


def test_keeper_and_indexer_survive_a_node_restart(
    anvil: AnvilNode,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = time.monotonic()
    for k, v in anvil.env(1).items():
        monkeypatch.setenv(k, v)
    deployments = tmp_path / "deployments"
    spec = _spec()
    feed = ServicerFeed(spec)
    db = connect(f"sqlite:///{tmp_path / 'index.db'}")
    upgrade(db)

    def components(client: DealClient, deal: DealHandle) -> tuple[Keeper, Keeper, Indexer]:
        chain = BackendKeeperChain(deal)
        return (
            Keeper(chain, db=db, sleep=lambda s: None),
            Keeper(BackendKeeperChain(deal), db=db, sleep=lambda s: None),
            Indexer(db, client.event_source()),
        )

    client = DealClient.connect(anvil.url, chain_id=31337, deployments_dir=deployments)
    deal = client.deploy_deal(
        spec, signers=signer_addresses(SIGNER_KEYS), quorum=2, dispute_window=WINDOW
    )
    client.mint_mock(deal.record.settlement, client.accounts[0], 10**18)
    rec = deal.record
    register_deal(
        db,
        spec,
        chain_id=client.chain_id,
        address=rec.deal,
        tokens=[t.address for t in rec.tokens],
        start_block=rec.block,
        pool_balance=rec.extras["pool_balance"],
        contracts=dict(rec.contracts),
    )
    keeper, idle, indexer = components(client, deal)
    for t in range(1, PERIODS + 1):
        if t == RESTART_AFTER + 1:
            anvil.restart()  # the node goes down and comes back from its state file
            client = DealClient.connect(anvil.url, chain_id=31337, deployments_dir=deployments)
            deal = client.load_deployment(spec.deal)
            keeper, idle, indexer = components(client, deal)
        report = feed.report(t)
        deal.submit_report(report, sign_report(report, SIGNER_KEYS[:2], 31337, deal.address))
        indexer.run_once()
        assert [o.status for o in keeper.run_once().outcomes] == ["waiting"]
        client.advance_time(WINDOW)
        assert [(o.period, o.status) for o in keeper.run_once().outcomes] == [(t, "finalized")]
        assert idle.run_once().outcomes == ()
        indexer.run_once()
        assert time.monotonic() - started < BUDGET_S, f"over budget at period {t}"

    # the chain: each period finalized once
    src = client.event_source()
    logs = src.events(rec.block, src.latest_block(), rec.addresses)
    finalized = [int(e.args["period"]) for e in logs if e.name == "PeriodFinalized"]
    assert finalized == list(range(1, PERIODS + 1)) and deal.period() == PERIODS
    # the index: every log exactly once, nothing lost across the restart
    with Session(db) as s:
        stored = s.execute(select(EventRow.tx_hash, EventRow.log_index)).all()
        assert len(stored) == len(set(stored)) == len(logs)
        assert set(stored) == {(e.tx_hash, e.log_index) for e in logs}
        periods = s.scalars(select(Period.period).order_by(Period.period)).all()
        assert periods == list(range(1, PERIODS + 1))
        n_final = s.scalar(
            select(func.count()).select_from(Report).where(Report.status == "finalized")
        )
        assert n_final == PERIODS
        alerts = s.execute(select(Alert.kind, Alert.message)).all()
    assert [m for k, m in alerts if k == "trigger_breached"] == ["trigger 1 breached in period 2"]
    assert not [m for k, m in alerts if k == "reorg"], alerts
    # the audit of what was indexed
    loans = tmp_path / "loans"
    loans.mkdir()
    for t in range(PERIODS + 1):
        name = "tape.csv" if t == 0 else f"period-{t}.csv"
        write_loan_file(loans / name, zip(feed.loan_ids, feed.loan_units(t), strict=True))
    result = audit_db(db, spec.deal, spec, loans_dir=loans, tape_root=rec.tape_root)
    assert result.ok, result.summary
    assert result.through_period == PERIODS
    assert time.monotonic() - started < BUDGET_S


def _text(result) -> str:  # type: ignore[no-untyped-def]
    """CLI output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_keeper_cli_once_on_anvil(
    anvil: AnvilNode,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from trancheflow.cli import app

    for k, v in anvil.env(1).items():
        monkeypatch.setenv(k, v)
    spec = _spec()
    client = DealClient.connect(anvil.url, deployments_dir=tmp_path / "dep")
    deal = client.deploy_deal(
        spec, signers=signer_addresses(SIGNER_KEYS), quorum=2, dispute_window=WINDOW
    )
    client.mint_mock(deal.record.settlement, client.accounts[0], 10**18)
    report = ServicerFeed(spec).report(1)
    deal.submit_report(report, sign_report(report, SIGNER_KEYS[:2], 31337, deal.address))
    argv = ["keeper", "--once", "--rpc-url", anvil.url, "--deal", spec.deal]
    argv += ["--deployments", str(tmp_path / "dep")]
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 0 and "period 1: waiting (dispute window open until" in _text(r)
    client.advance_time(WINDOW)
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 0 and "period 1: finalized tx 0x" in _text(r), r.output
    assert deal.period() == 1
    r = CliRunner().invoke(app, argv)  # a second run: nothing to do
    assert r.exit_code == 0 and "period 1" not in _text(r)
    r = CliRunner().invoke(app, [*argv[:4], "--deal", "NO-SUCH-DEAL", *argv[6:]])
    assert r.exit_code == 2 and "NO-SUCH-DEAL" in _text(r)
    db = tmp_path / "index.db"
    upgrade(connect(f"sqlite:///{db}"))
    r = CliRunner().invoke(app, [*argv, "--db", f"sqlite:///{db}"])
    assert r.exit_code == 2 and "is not registered in the index" in _text(r)

"""Keeper against a real Deal contract in process (the chain client's embedded
titanoboa backend): the contract's own dispute window and input commitment
decide, and racing keepers finalize each period exactly once.

The deal is ``examples/deals/example.yaml`` with a monitored 60+ delinquency
trigger at 0.03% added (60+ balance / pool: 0.017% in period 1, 0.036% in
period 2, so it breaches in period 2), driven by
the servicer feed's reports attested by two of three oracle signers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

pytest.importorskip("boa")

from trancheflow.chain.client import DealClient, DealHandle
from trancheflow.chain.reports import sign_report, signer_addresses
from trancheflow.chain.servicer import ServicerFeed
from trancheflow.deal.spec import TriggerSpec, load_spec
from trancheflow.ops.db import register_deployment
from trancheflow.ops.keeper import BackendKeeperChain, Keeper
from trancheflow.ops.models import Alert as AlertRow

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "deals" / "example.yaml"
SIGNER_KEYS = [0x5EED0001, 0x5EED0002, 0x5EED0003]
WINDOW = 3_600


class BoaDeal:
    """A deployed example deal and a servicer that submits the feed's reports."""

    def __init__(self) -> None:
        spec = load_spec(EXAMPLE, onchain=True)
        dq60 = {"name": "dq60", "metric": "delinquency_60_pct", "above": 0.0003}
        triggers = [*spec.triggers, TriggerSpec.model_validate(dq60)]
        self.spec = spec.model_copy(update={"triggers": triggers})
        self.client = DealClient.embedded()
        self.feed = ServicerFeed(self.spec)
        self.deal: DealHandle = self.client.deploy_deal(
            self.spec, signers=signer_addresses(SIGNER_KEYS), quorum=2, dispute_window=WINDOW
        )
        self.client.mint_mock(self.deal.record.settlement, self.client.accounts[0], 10**18)

    def submit(self) -> int:
        t = self.deal.period() + 1
        r = self.feed.report(t)
        self.deal.submit_report(
            r, sign_report(r, SIGNER_KEYS[:2], self.client.chain_id, self.deal.address)
        )
        return t

    def finalized(self) -> list[int]:
        return [int(e.args["period"]) for e in self.deal.events() if e.name == "PeriodFinalized"]

    def register(self, db: Any) -> int:
        # every contract of the record: the deal, its tokens, its ReportOracle...
        return register_deployment(db, self.spec, self.deal.record)


def test_keeper_waits_for_the_contract_window_then_finalizes_once() -> None:
    w = BoaDeal()
    keeper = Keeper(BackendKeeperChain(w.deal), sleep=lambda s: None)
    for t in range(1, 4):
        assert w.submit() == t
        w.client.advance_time(WINDOW - 1)  # the head is 1 s short of the deadline
        (o,) = keeper.run_once().outcomes
        assert o.status == "waiting" and w.deal.period() == t - 1
        w.client.advance_time(1)
        (o,) = keeper.run_once().outcomes
        assert (o.period, o.status) == (t, "finalized") and o.tx_hash
        # a restarted keeper and the same keeper again: nothing left to do
        assert Keeper(BackendKeeperChain(w.deal)).run_once().outcomes == ()
        assert keeper.run_once().outcomes == ()
    assert w.finalized() == [1, 2, 3]


def test_two_keepers_racing_on_the_contract_finalize_once() -> None:
    w = BoaDeal()
    chain_a, chain_b = BackendKeeperChain(w.deal), BackendKeeperChain(w.deal)
    a, b = Keeper(chain_a, sleep=lambda s: None), Keeper(chain_b, sleep=lambda s: None)
    send = chain_a.finalize

    def b_lands_first(period: int, inputs: Any) -> str:
        assert [o.status for o in b.run_once().outcomes] == ["finalized"]
        return send(period, inputs)  # now reverts: "deal: no pending report"

    chain_a.finalize = b_lands_first  # type: ignore[method-assign]
    for _ in range(2):
        w.submit()
        w.client.advance_time(WINDOW)
        (o,) = a.run_once().outcomes
        assert o.status == "already_final" and "no pending report" in o.detail
    assert w.finalized() == [1, 2]


def test_trigger_breach_on_chain_is_one_alert_row(db) -> None:  # type: ignore[no-untyped-def]
    w = BoaDeal()
    w.register(db)
    keepers = [Keeper(BackendKeeperChain(w.deal), db=db, sleep=lambda s: None) for _ in range(2)]
    for _ in range(4):
        w.submit()
        w.client.advance_time(WINDOW)
        for k in keepers:
            k.run_once()
    breaches = [e for e in w.deal.events() if e.name == "TriggerBreached"]
    assert [int(e.args["trigger"]) for e in breaches] == [1]
    with Session(db) as s:
        rows = s.scalars(select(AlertRow).where(AlertRow.kind == "trigger_breached")).all()
    assert int(breaches[0].args["period"]) == 2
    assert [r.message for r in rows] == ["trigger 1 breached in period 2"]
    assert rows[0].block_number == breaches[0].block_number
    assert w.finalized() == [1, 2, 3, 4]


def test_keeper_reads_the_dispute_window_each_tick() -> None:
    """Governance changes the window mid-run (``set_dispute_window``, issue 10):
    a shorter window is finalized as soon as it closes, a longer one is waited
    for without a premature transaction (the keeper read it once and kept it)."""
    w = BoaDeal()
    keeper = Keeper(BackendKeeperChain(w.deal), sleep=lambda s: None)
    w.submit()
    w.client.advance_time(WINDOW)
    assert [o.status for o in keeper.run_once().outcomes] == ["finalized"]
    owner = w.client.accounts[0]
    w.client.backend.transact("Deal", w.deal.address, "set_dispute_window", [600], sender=owner)
    w.submit()
    w.client.advance_time(600)
    (o,) = keeper.run_once().outcomes
    assert (o.period, o.status) == (2, "finalized")
    w.client.backend.transact(
        "Deal", w.deal.address, "set_dispute_window", [3 * WINDOW], sender=owner
    )
    w.submit()
    w.client.advance_time(WINDOW)
    (o,) = keeper.run_once().outcomes
    assert (o.status, o.attempts) == ("waiting", 0)  # no transaction was tried
    w.client.advance_time(2 * WINDOW)
    (o,) = keeper.run_once().outcomes
    assert (o.period, o.status) == (3, "finalized")
    assert w.finalized() == [1, 2, 3]


def test_a_disputed_report_waits_for_governance_without_retries() -> None:
    """A veto disputes the pending report (core v2): the keeper sends nothing,
    raises one alert, and finalizes once governance upholds the report."""
    w = BoaDeal()
    sleeps: list[float] = []
    keeper = Keeper(BackendKeeperChain(w.deal), sleep=sleeps.append)
    w.submit()
    w.deal.veto(sender=w.client.accounts[0])  # the guardian (the deploying account)
    w.client.advance_time(WINDOW)
    for _ in range(2):
        (o,) = keeper.run_once().outcomes
        assert (o.period, o.status, o.attempts) == (1, "disputed", 0)
    assert [a.kind for a in keeper.alerts] == ["report_disputed"] and sleeps == []
    w.deal.uphold_report(sender=w.client.accounts[0])
    (o,) = keeper.run_once().outcomes
    assert (o.period, o.status) == (1, "finalized")

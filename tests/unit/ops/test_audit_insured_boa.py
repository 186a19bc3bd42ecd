"""Audit of a real titanoboa deal with a first-loss fund and a governance change.

``examples/deals/insured.yaml`` is deployed through the chain client with an
``InsuranceFund`` (2,000,000 USDC cover cap a period, 5 bp premium); the
servicer feed's reports run, with a 12,000,000 USDC loss added in period 2
(about 3% of the pool, three times the 4,000,000 overcollateralization), so
the fund pays its capped cover. After period 2 governance lowers the
cumulative-loss trigger from 5% to 2% (within the deployed bounds), so the
trigger breaches in period 3 only because of the change. The keeper
finalizes, the indexer indexes and the audit recomputes every period with
the exact waterfall (docs/waterfall.md steps 3b and 5).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("boa")

import boa

from trancheflow.chain.client import DealClient
from trancheflow.chain.insurance import deploy_insurance_fund
from trancheflow.chain.reports import sign_report, signer_addresses
from trancheflow.chain.servicer import ServicerFeed
from trancheflow.deal.spec import load_spec
from trancheflow.ops.audit import Difference, audit_db, audit_record, record_from_db
from trancheflow.ops.db import register_deployment
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.keeper import BackendKeeperChain, Keeper

INSURED = Path(__file__).resolve().parents[3] / "examples" / "deals" / "insured.yaml"
KEYS = [0x5EED0101, 0x5EED0102, 0x5EED0103]
WINDOW = 3_600
UNIT = 10**6
RATE = 10**9  # RATE_SCALE
CAP = 2_000_000 * UNIT
LOSS = 12_000_000 * UNIT
PERIODS = 4


class InsuredDeal:
    """The insured example deal on the embedded chain, a funded first-loss fund."""

    def __init__(self) -> None:
        self.spec = load_spec(INSURED, onchain=True)
        self.client = c = DealClient.embedded()
        self.me = me = c.accounts[0]
        settlement = c.deploy_settlement_mock()
        env = c.backend.env  # the embedded backend's own boa.Env
        with boa.swap_env(env):
            self.fund = deploy_insurance_fund(settlement, cap_per_period=CAP, owner=me)
        self.deal = c.deploy_deal(
            self.spec,
            signers=signer_addresses(KEYS),
            quorum=2,
            dispute_window=WINDOW,
            settlement=settlement,
            insurance_fund=str(self.fund.address),
            insurance_premium_rate=5 * RATE // 10_000,
            trigger_bounds=((RATE // 100, RATE // 10),),
        )
        c.mint_mock(settlement, me, 10**18)
        c.backend.transact(
            "MockUSDC", settlement, "approve", [self.fund.address, 10**15], sender=me
        )
        with boa.swap_env(env), boa.env.prank(me):
            self.fund.set_deal(self.deal.address)
            self.fund.deposit(10_000_000 * UNIT, me)
        self.feed = ServicerFeed(self.spec)

    def submit(self, extra_loss: int = 0) -> None:
        t = self.deal.period() + 1
        r = self.feed.report(t)
        r = replace(r, losses=r.losses + extra_loss)
        self.deal.submit_report(
            r, sign_report(r, KEYS[:2], self.client.chain_id, self.deal.address)
        )

    def register(self, db: object) -> int:
        # every contract of the record: the deal, its tokens, its ReportOracle...
        return register_deployment(db, self.spec, self.deal.record)


@pytest.fixture(scope="module")
def run() -> InsuredDeal:
    w = InsuredDeal()
    keeper = Keeper(BackendKeeperChain(w.deal), sleep=lambda s: None)
    for t in range(1, PERIODS + 1):
        if t == 3:  # governance: cum_loss trigger 5% -> 2%, in force from period 3
            args = [0, 2 * RATE // 100]
            w.client.backend.transact(
                "Deal", w.deal.address, "set_trigger_threshold", args, sender=w.me
            )
        w.submit(LOSS if t == 2 else 0)
        w.client.advance_time(WINDOW)
        assert [o.status for o in keeper.run_once().outcomes] == ["finalized"]
    return w


@pytest.fixture()
def indexed(run: InsuredDeal, db):  # type: ignore[no-untyped-def]
    run.register(db)
    Indexer(db, run.client.event_source()).run_once()
    return db


def test_insured_deal_with_governance_change_audits_clean(run, indexed) -> None:  # type: ignore[no-untyped-def]
    rec, _ = record_from_db(indexed, run.spec.deal)
    # the fund paid: premium every period, the capped cover in the loss period
    assert all(p.insurance_premium > 0 for p in rec.periods)
    assert [p.insurance_cover for p in rec.periods] == [0, CAP, 0, 0]
    assert rec.periods[2].breached & 1 and not rec.periods[1].breached & 1
    result = audit_db(indexed, run.spec.deal, run.spec)
    assert result.ok, result.summary
    assert result.through_period == PERIODS
    assert "cover checked as not exceeding the loss gap" in result.summary
    (change,) = result.governance
    assert change.startswith("TriggerThresholdSet cum_loss threshold=20000000 at block ")
    assert "(after period 2, from period 3)" in change
    assert "changed through governance: TriggerThresholdSet cum_loss" in result.summary
    # the change matters: ignoring it, period 3's trigger bitmap differs
    rec.parameter_changes.clear()
    d = audit_record(rec, run.spec).first_difference
    assert isinstance(d, Difference) and d.period == 3
    assert d.field in ("triggers breached (bitmap)", "principal_rule")


def test_wrong_premium_rate_in_the_spec_is_caught(run, indexed) -> None:  # type: ignore[no-untyped-def]
    ins = run.spec.insurance.model_copy(update={"premium_rate": 0.0006})
    wrong = run.spec.model_copy(update={"insurance": ins})
    result = audit_db(indexed, run.spec.deal, wrong, store=False)
    assert not result.ok
    d = result.periods[0].difference
    assert isinstance(d, Difference)
    assert (d.period, d.subject, d.field) == (1, "insurance fund", "insurance_premium")
    p0 = run.deal.record.extras["pool_balance"]
    assert (d.chain, d.spec) == (p0 * 500_000 // (12 * RATE), p0 * 600_000 // (12 * RATE))
    assert str(d).startswith("period 1, insurance fund insurance_premium: chain ")
    # the spec hash the deal committed to differs too, and is reported first
    assert {c.name: c.ok for c in result.checks}["spec_hash"] is False


def test_cover_above_the_loss_gap_is_caught(run, indexed) -> None:  # type: ignore[no-untyped-def]
    rec, _ = record_from_db(indexed, run.spec.deal)
    rec.periods[0] = replace(rec.periods[0], insurance_cover=1)  # no loss gap in period 1
    d = audit_record(rec, run.spec).first_difference
    assert isinstance(d, Difference)
    assert (d.period, d.field, d.chain, d.spec) == (1, "insurance_cover", 1, 0)


def test_auction_proceeds_enter_as_recoveries_within_the_pool_room(run, indexed) -> None:  # type: ignore[no-untyped-def]
    rec, _ = record_from_db(indexed, run.spec.deal)
    # proceeds beyond the pool room are refused by name
    huge = rec.original_pool_balance
    rec.periods[0] = replace(rec.periods[0], auction_proceeds=huge)
    d = audit_record(rec, run.spec).first_difference
    assert isinstance(d, Difference) and (d.period, d.field) == (1, "auction_proceeds")
    assert str(d.spec).startswith("at most the pool room")
    # proceeds the chain did not apply: the recomputed pool falls by them, the chain's does not
    rec.periods[0] = replace(rec.periods[0], auction_proceeds=1_000 * UNIT)
    d = audit_record(rec, run.spec).first_difference
    assert isinstance(d, Difference) and d.period == 1
    assert (d.field, d.chain - d.spec) == ("pool_balance", 1_000 * UNIT)


def test_api_serves_premium_cover_and_governance_changes(run, indexed) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from trancheflow.api.app import create_app

    http = TestClient(create_app(indexed))
    deal = run.spec.deal
    periods = http.get(f"/api/deals/{deal}/periods").json()
    assert [p["insurance_cover"] for p in periods] == ["0", str(CAP), "0", "0"]
    assert all(int(p["insurance_premium"]) > 0 and p["auction_proceeds"] == "0" for p in periods)
    changes = http.get(f"/api/deals/{deal}/parameters").json()
    gov = [c for c in changes if c["governance"]]
    assert [(c["name"], c["period"], c["args"]) for c in gov] == [
        ("TriggerThresholdSet", 2, {"trigger": 0, "threshold": 2 * RATE // 100})
    ]
    # the constructor's signer and owner logs are initial values, not governance
    assert {c["name"] for c in changes if not c["governance"]} == {
        "SignerSet",
        "OwnershipTransferred",
    }
    page = http.get(f"/deals/{deal}").text
    assert 'data-field="insurance_premium"' in page
    assert 'data-field="auction_proceeds"' not in page  # zero: no row

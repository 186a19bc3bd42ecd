"""The keeper's liquidation duty: it marks the latest finalized period's 90+ days
delinquent or over-LTV loans with their Merkle proofs, once, re-reading the auction state
before acting; against a fake contract and against the real ``Liquidation.vy``.

Adapter (stated): ``ServicerFeed`` produces per-loan BALANCES only (its loan leaves are
``loan_leaf(loan_id, units)``, without days delinquent), so the titanoboa test builds the
status leaves ``status_leaf(loan_id, balance, days)`` the contract proves from the feed's
period-1 balances plus delinquency days the test assigns as the servicer would report.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from trancheflow.errors import ChainError
from trancheflow.ops.keeper import (
    ContractLiquidationChain,
    Keeper,
    LiquidationChain,
    LoanStatus,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "deals" / "example.yaml"


class FakeDeal:
    """The smallest KeeperChain: nothing pending, ``done`` periods finalized."""

    address = "0x" + "11" * 20

    def __init__(self, done: int = 1) -> None:
        self.done = done

    def now(self) -> int:
        return 1_000

    def period(self) -> int:
        return self.done

    def pending_report(self) -> None:
        return None

    def dispute_deadline(self) -> None:
        return None

    def report_inputs(self, period: int) -> tuple[int, ...]:
        raise AssertionError("nothing is pending")

    def finalize(self, period: int, inputs: object) -> str:
        raise AssertionError("nothing is pending")

    def trigger_breaches(self) -> list:
        return []


class FakeLiquidation:
    """Applies the contract's rule (90+ days, or balance * 1e9 > threshold * value)."""

    def __init__(self, values: dict[bytes, int], threshold: int = 10**9) -> None:
        self.values, self.threshold = values, threshold
        self.status: dict[bytes, int] = {}
        self.sent: list[str] = []
        self.race: set[bytes] = set()  # marked by "another keeper" just before our send
        self.broken: set[bytes] = set()

    def auction_status(self, loan_id: bytes) -> int:
        return self.status.get(loan_id, 0)

    def collateral_value(self, loan_id: bytes) -> int:
        return self.values.get(loan_id, 0)

    def ltv_threshold(self) -> int:
        return self.threshold

    def mark(self, loan: LoanStatus) -> str:
        if loan.loan_id in self.race:
            self.status[loan.loan_id] = 1
            raise ChainError("liquidation: loan already marked")
        if loan.loan_id in self.broken:
            raise ChainError("liquidation: loan data not proven")
        over = loan.balance * 10**9 > self.threshold * self.values[loan.loan_id]
        assert loan.days_delinquent >= 90 or over, "keeper sent a loan the contract refuses"
        self.status[loan.loan_id] = 1
        self.sent.append(loan.name)
        return f"0x{len(self.sent):064x}"


def _loans(period: int) -> list[LoanStatus]:
    # name: (balance, days delinquent)
    rows = {"A": (200, 95), "B": (300, 0), "C": (100, 0), "D": (50, 120), "E": (80, 89)}
    return [
        LoanStatus(n, n.encode().ljust(32, b"\0"), b, d, (), b"\x01" * 32)
        for n, (b, d) in rows.items()
    ]


def _values() -> dict[bytes, int]:
    # A: 95 days; B: LTV 300/280 > 100%; C: LTV 25%; D: 120 days, no value; E: 89 days, LTV 80%
    v = {"A": 250, "B": 280, "C": 400, "E": 100}
    return {k.encode().ljust(32, b"\0"): x for k, x in v.items()}


def test_fake_is_a_liquidation_chain() -> None:
    assert isinstance(FakeLiquidation({}), LiquidationChain)


def test_marks_delinquent_and_over_ltv_once() -> None:
    liq = FakeLiquidation(_values())
    k = Keeper(FakeDeal(), liquidation=liq, loan_status=_loans, sleep=lambda s: None)
    tick = k.run_once()
    assert [(m.name, m.status) for m in tick.marks] == [
        ("A", "marked"),
        ("B", "marked"),
        ("D", "no_value"),
    ]
    assert liq.sent == ["A", "B"]
    kinds = [(a.kind, a.message.split(" ")[1]) for a in tick.alerts]
    assert kinds == [("loan_marked", "A"), ("loan_marked", "B"), ("liquidation_no_value", "D")]
    # a second tick (or a restarted keeper) marks nothing again
    again = Keeper(FakeDeal(), liquidation=liq, loan_status=_loans).run_once()
    assert liq.sent == ["A", "B"]
    assert [m.status for m in again.marks] == ["no_value"]


def test_a_stricter_threshold_spares_the_ltv_loan() -> None:
    liq = FakeLiquidation(_values(), threshold=11 * 10**8)  # 110% > B's 107%
    Keeper(FakeDeal(), liquidation=liq, loan_status=_loans).run_once()
    assert liq.sent == ["A"]


def test_race_lost_is_already_marked_and_failure_alerts() -> None:
    liq = FakeLiquidation(_values())
    liq.race.add(b"A".ljust(32, b"\0"))
    liq.broken.add(b"B".ljust(32, b"\0"))
    tick = Keeper(FakeDeal(), liquidation=liq, loan_status=_loans).run_once()
    got = {m.name: m.status for m in tick.marks}
    assert got["A"] == "already_marked" and got["B"] == "failed"
    failed = [a for a in tick.alerts if a.kind == "mark_failed"]
    assert len(failed) == 1 and "not proven" in failed[0].message
    assert failed[0].severity == "critical"


def test_nothing_before_the_first_finalized_period_or_without_the_duty() -> None:
    liq = FakeLiquidation(_values())
    assert Keeper(FakeDeal(done=0), liquidation=liq, loan_status=_loans).run_once().marks == ()
    assert Keeper(FakeDeal()).run_once().marks == ()
    assert liq.sent == []


# ------------------------------------------------------------------ real contract
def test_keeper_marks_on_the_real_liquidation_contract() -> None:
    boa = pytest.importorskip("boa")
    from trancheflow.chain.compile import CONTRACTS_DIR
    from trancheflow.chain.deploy import DealConfig, TrancheConfig, deploy_deal
    from trancheflow.chain.liquidation import loan_id, sign_property_value, status_leaf
    from trancheflow.chain.merkle import merkle_proof, merkle_root
    from trancheflow.chain.reports import sign_report, signer_addresses
    from trancheflow.chain.servicer import ServicerFeed
    from trancheflow.deal.spec import load_spec

    keys, valuers = [0x5EED01, 0x5EED02], [0x7A1E01, 0x7A1E02]
    feed = ServicerFeed(load_spec(EXAMPLE, onchain=True))
    a = boa.env.generate_address
    owner, servicer, issuer, keeper = a("owner"), a("servicer"), a("issuer"), a("keeper")
    pool = feed.pool_balance_units
    cfg = DealConfig(
        pool_balance=pool,
        tranches=(TrancheConfig("Senior", "SR", pool * 9 // 10, 40_000_000),),
        signers=tuple(signer_addresses(keys)),
        servicer=str(servicer),
        quorum=2,
        dispute_window=3_600,
    )
    with boa.env.anchor():
        d = deploy_deal(cfg, issuer=str(issuer), owner=str(owner))
        with boa.env.prank(owner):
            c = boa.load_partial(str(CONTRACTS_DIR / "compliance" / "Compliance.vy")).deploy(
                owner, owner
            )
            liq = boa.load_partial(str(CONTRACTS_DIR / "liquidation" / "Liquidation.vy")).deploy(
                d.deal.address, d.settlement.address, c.address, signer_addresses(valuers),
                2, 10**9, 3 * 86_400, 6_000, 90 * 86_400,
            )  # fmt: skip
        # adapter: the feed's period-1 balances + the servicer's delinquency days
        days = {feed.loan_ids[0]: 120, feed.loan_ids[1]: 0}
        bal = dict(zip(feed.loan_ids, feed.loan_units(1), strict=True))
        names = list(feed.loan_ids)
        leaves = [status_leaf(loan_id(n), bal[n], days[n]) for n in names]
        root = merkle_root(leaves)
        report = replace(feed.report(1), loans_root=root)
        sigs = sign_report(report, keys, int(boa.env.evm.patch.chain_id), str(d.deal.address))
        d.settlement.mint(servicer, 10**30)
        with boa.env.prank(servicer):
            d.settlement.approve(d.deal.address, 2**256 - 1)
            d.oracle.submit_report(report.as_tuple(), sigs)
        boa.env.time_travel(seconds=3_601)
        d.deal.finalize(report.period_input())

        def statuses(period: int) -> list[LoanStatus]:
            assert period == 1
            return [
                LoanStatus(n, loan_id(n), bal[n], days[n], tuple(merkle_proof(leaves, i)), root)
                for i, n in enumerate(names)
            ]

        def value(name: str, units: int) -> None:
            t = boa.env.evm.patch.timestamp
            boa.env.time_travel(seconds=10)
            cid = int(boa.env.evm.patch.chain_id)
            sigs = sign_property_value(loan_id(name), units, t, valuers, cid, str(liq.address))
            liq.report_value(loan_id(name), units, t, sigs)

        class Deal(FakeDeal):
            def period(self) -> int:
                return int(d.deal.period())

        # the delinquent loan's house is worth more than its balance; the current one too
        value(names[0], bal[names[0]] * 2)
        value(names[1], bal[names[1]] * 2)
        chain = ContractLiquidationChain(liq, sender=str(keeper))
        k = Keeper(Deal(), liquidation=chain, loan_status=statuses)
        tick = k.run_once()
        assert [(m.name, m.status) for m in tick.marks] == [(names[0], "marked")]
        got = liq.auctions(loan_id(names[0]))
        assert (got.status, got.balance, got.start_price) == (1, bal[names[0]], 2 * bal[names[0]])
        assert chain.auction_status(loan_id(names[0])) == 1
        assert chain.auction_status(loan_id(names[1])) == 0
        # the current loan's house falls below its balance: LTV over 100%, marked next tick
        value(names[1], bal[names[1]] * 9 // 10)
        assert [(m.name, m.status) for m in k.run_once().marks] == [(names[1], "marked")]
        assert chain.auction_status(loan_id(names[1])) == 1
        # idempotent: a second keeper finds both marked and sends nothing
        other = Keeper(Deal(), liquidation=chain, loan_status=statuses)
        assert other.run_once().marks == ()
        assert [a.kind for a in k.alerts] == ["loan_marked", "loan_marked"]

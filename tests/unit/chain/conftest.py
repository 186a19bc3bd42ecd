"""Fixtures for the contract unit tests: one deal per module, one anchor per test.

The standard deal: pool 1,000,000 USDC; tranches A (600k, 5%), B (250k, 7%)
and Z (100k, 8%, accrual); a 0.25% servicing fee; a 1% reserve target;
pro-rata principal switching to sequential when cumulative losses pass 2%.
Three oracle signers with a quorum of two; a fourth key that is not a signer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import boa
import pytest

from trancheflow.chain.compile import load_partial
from trancheflow.chain.deploy import DealConfig, DeployedDeal, FeeConfig, TrancheConfig, deploy_deal
from trancheflow.chain.reports import ServicerReport, sign_report, signer_addresses

UNIT = 10**6
SIGNER_KEYS = [0x5EED0001, 0x5EED0002, 0x5EED0003]
OUTSIDER_KEY = 0x5EED0009
WINDOW = 3_600


def standard_config(roles: dict[str, str], **overrides: Any) -> DealConfig:
    """The standard deal of this test package (see module doc)."""
    cfg = DealConfig(
        pool_balance=1_000_000 * UNIT,
        tranches=(
            TrancheConfig("Class A", "A", 600_000 * UNIT, 50_000_000),
            TrancheConfig("Class B", "B", 250_000 * UNIT, 70_000_000),
            TrancheConfig("Class Z", "Z", 100_000 * UNIT, 80_000_000, accrual=True),
        ),
        fees=(FeeConfig(roles["fee"], 2_500_000),),
        principal_rule=1,
        reserve_target=10_000_000,
        triggers=((0, 0, 20_000_000, 0),),
        signers=tuple(signer_addresses(SIGNER_KEYS)),
        quorum=2,
        servicer=roles["servicer"],
        guardian=roles["guardian"],
        residual_holder=roles["residual"],
        dispute_window=WINDOW,
        spec_hash=b"\x5a" * 32,
        tape_root=b"\x01" * 32,
    )
    return replace(cfg, **overrides)


class World:
    """A deployed deal with its roles and helpers to drive periods."""

    def __init__(self, d: DeployedDeal, roles: dict[str, str], config: DealConfig) -> None:
        self.d = d
        self.deal = d.deal
        self.oracle = d.oracle
        self.tokens = d.tokens
        self.usdc = d.settlement
        self.roles = roles
        self.config = config
        self.servicer = roles["servicer"]
        self.issuer = roles["issuer"]
        self.owner = roles["owner"]
        self.guardian = roles["guardian"]
        self.usdc.mint(self.servicer, 10**30)
        with boa.env.prank(self.servicer):
            self.usdc.approve(self.deal.address, 2**256 - 1)

    @property
    def chain_id(self) -> int:
        return int(boa.env.evm.patch.chain_id)

    def report(self, period: int | None = None, **kw: Any) -> ServicerReport:
        """A report for the next period (or ``period``), defaults: a normal month."""
        fields = {
            "period": int(self.deal.period()) + 1 if period is None else period,
            "interest": 5_000 * UNIT,
            "scheduled_principal": 1_000 * UNIT,
            "prepayments": 3_000 * UNIT,
            "recoveries": 0,
            "losses": 0,
            "dq60_balance": 10_000 * UNIT,
        }
        fields.update(kw)
        return ServicerReport(**fields)

    def sign(
        self,
        report: ServicerReport,
        keys: Sequence[int] | None = None,
        chain_id: int | None = None,
        deal: str | None = None,
    ) -> list[bytes]:
        return sign_report(
            report,
            SIGNER_KEYS[:2] if keys is None else keys,
            self.chain_id if chain_id is None else chain_id,
            str(self.deal.address) if deal is None else deal,
        )

    def submit(
        self, report: ServicerReport, sigs: list[bytes] | None = None, sender: str | None = None
    ) -> None:
        with boa.env.prank(sender or self.servicer):
            self.oracle.submit_report(
                report.as_tuple(), self.sign(report) if sigs is None else sigs
            )

    def finalize(self, report: ServicerReport) -> None:
        boa.env.time_travel(seconds=WINDOW)
        self.deal.finalize(report.period_input())

    def run(self, **kw: Any) -> ServicerReport:
        """Submit and finalize one period."""
        r = self.report(**kw)
        self.submit(r)
        self.finalize(r)
        return r

    def claim(self, token: Any, holder: str) -> int:
        with boa.env.prank(holder):
            return int(token.claim())

    def transfer(self, token: Any, sender: str, receiver: str, amount: int) -> None:
        with boa.env.prank(sender):
            token.transfer(receiver, amount)


def make_roles() -> dict[str, str]:
    return {
        name: str(boa.env.generate_address(name))
        for name in ("owner", "servicer", "guardian", "issuer", "fee", "residual", "alice", "bob")
    }


def make_world(**overrides: Any) -> World:
    """Deploy the standard deal (closed to the issuer) in the current boa env."""
    roles = make_roles()
    cfg = standard_config(roles, **overrides)
    d = deploy_deal(cfg, issuer=roles["issuer"], owner=roles["owner"])
    return World(d, roles, cfg)


@pytest.fixture(scope="module")
def world() -> World:
    return make_world()


@pytest.fixture(autouse=True)
def _isolate() -> Iterator[None]:
    with boa.env.anchor():
        yield


@pytest.fixture(scope="module")
def token_deployer() -> Any:
    return load_partial("TrancheToken")


# ------------------------------------------------------------------ parity helpers
def waterfall_params(cfg: DealConfig) -> Any:
    """The exact-mode parameters equivalent to ``cfg``."""
    from trancheflow.deal.params import TriggerParams, WaterfallParams

    return WaterfallParams(
        tranche_balances=tuple(t.original for t in cfg.tranches),
        coupons=tuple(t.coupon for t in cfg.tranches),
        accrual=tuple(t.accrual for t in cfg.tranches),
        fee_rates=tuple(f.rate for f in cfg.fees),
        principal_rule=cfg.principal_rule,
        reserve_target=cfg.reserve_target,
        reserve_floor=cfg.reserve_floor,
        oc_target=cfg.oc_target,
        triggers=tuple(TriggerParams(*t) for t in cfg.triggers),
        pool_balance=cfg.pool_balance,
        insurance_premium_rate=cfg.insurance_premium_rate,
    )


class ParityRun:
    """Drives the deployed deal and the exact waterfall + ledger mirror side by side.

    With an insurance ``fund`` the exact input's ``insurance_available`` is
    what the fund can pay at finalize time (``cover_room``); with a
    ``liquidation`` contract the exact input's recoveries are the reported
    ones plus the auction proceeds the deal applies (held + carried, up to
    the pool room), computed here independently of the contract.
    """

    def __init__(self, world: World, fund: Any = None, liquidation: Any = None) -> None:
        from trancheflow.chain.mirror import DealLedgerMirror
        from trancheflow.deal.exact import ExactWaterfall

        self.w = world
        self.wf = ExactWaterfall(waterfall_params(world.config))
        self.state = self.wf.initial_state(world.config.pool_balance)
        self.ledger = DealLedgerMirror(
            [t.original for t in world.config.tranches], len(world.config.fees)
        )
        self.ledger.close(world.issuer)
        self.holders = {world.issuer}
        self.results: list[Any] = []
        self.events: list[Any] = []  # each period's PeriodFinalized
        self.last_logs: list[Any] = []  # every deal log of the last finalize
        self.fund = fund
        self.liquidation = liquidation

    def period(
        self,
        inp: Any,
        loans_root: bytes | None = None,
        *,
        refused: frozenset[str] = frozenset(),
        available: int | None = None,
    ) -> Any:
        """Run one period on both sides and compare everything, to the unit.

        ``refused`` names the integration steps the test made fail this
        period (``"cover"``, ``"premium"``, ``"proceeds"``); the exact side
        then applies the documented fallback (docs/waterfall.md,
        "Integration faults"). ``available`` overrides what the fund could
        pay (for stand-in funds without ``cover_room``).
        """
        w = self.w
        t = self.state.period + 1
        root = t.to_bytes(32, "big") if loans_root is None else loans_root
        r = ServicerReport.from_period_input(t, inp, loans_root=root)
        w.submit(r)
        boa.env.time_travel(seconds=WINDOW)
        if available is None:
            available = int(self.fund.cover_room()) if self.fund is not None else 0
        applied = 0
        if self.liquidation is not None:
            held = self.ledger.proceeds_carried
            if "proceeds" not in refused:
                held += int(self.liquidation.recoveries_held())
            room = self.state.pool_balance - (
                inp.scheduled_principal + inp.prepayments + inp.recoveries + inp.losses
            )
            applied = min(held, room)
            self.ledger.proceeds_carried = held - applied
        w.deal.finalize(r.period_input())
        self.last_logs = list(w.deal.get_logs())
        ev = [e for e in self.last_logs if type(e).__name__ == "PeriodFinalized"][-1]
        self.events.append(ev)
        exact_inp = replace(
            inp,
            recoveries=inp.recoveries + applied,
            insurance_available=available,
            cover_refused="cover" in refused,
            premium_refused="premium" in refused,
        )
        res = self.wf.run_period(self.state, exact_inp)
        self.state = res.state
        self.ledger.apply(res)
        self.results.append(res)
        where = f"period {t}"
        assert ev.period == t, where
        assert list(ev.interest_paid) == [x.interest_paid for x in res.tranches], where
        assert list(ev.principal_paid) == [x.principal_paid for x in res.tranches], where
        assert list(ev.writedown) == [x.writedown for x in res.tranches], where
        assert list(ev.balance) == [x.ending_balance for x in res.tranches], where
        assert list(ev.fees_paid) == [f.paid for f in res.fees], where
        assert ev.residual == res.residual, where
        assert ev.reserve == res.reserve_balance == w.deal.reserve(), where
        assert ev.pool_balance == res.pool_ending == w.deal.pool_balance(), where
        assert ev.cumulative_loss == res.state.cumulative_loss, where
        assert ev.breached == sum(1 << k for k, b in enumerate(res.triggers) if b), where
        assert ev.insurance_premium == res.insurance_premium, where
        assert ev.insurance_cover == res.insurance_cover, where
        assert ev.auction_proceeds == applied, where
        assert w.deal.auction_proceeds_carried() == self.ledger.proceeds_carried, where
        for i, x in enumerate(res.tranches):
            assert w.deal.tranche_balance(i) == x.ending_balance, where
            assert w.deal.interest_shortfall(i) == x.interest_shortfall, where
            tok = w.tokens[i]
            m = self.ledger.tranches[i]
            assert (tok.index(), tok.carry()) == (m.index, m.carry), where
            for h in self.holders:
                assert tok.claimable(h) == m.claimable(h), (where, i, h)
            assert tok.factor() == x.ending_balance * 10**18 // w.config.tranches[i].original
        for j in range(len(w.config.fees)):
            assert w.deal.fee_state(j)[2] == self.ledger.fee_owed[j], where
            assert w.deal.fee_state(j)[3] == res.state.fee_shortfall[j], where
        assert w.deal.residual_owed() == self.ledger.residual_owed, where
        assert w.deal.premium_owed() == self.ledger.premium_owed, where
        assert res.cash_in + res.insurance_cover == res.cash_out, where
        return res

    def transfer(self, i: int, sender: str, receiver: str, amount: int) -> None:
        self.w.transfer(self.w.tokens[i], sender, receiver, amount)
        self.ledger.tranches[i].transfer(sender, receiver, amount)
        self.holders.add(receiver)

    def claim(self, i: int, holder: str) -> None:
        got = self.w.claim(self.w.tokens[i], holder)
        assert got == self.ledger.tranches[i].claim(holder)

    def check_solvency(self) -> None:
        """The deal holds at least everything it owes (internal accounting)."""
        held = self.w.usdc.balanceOf(self.w.deal.address)
        assert held == self.ledger.owed_total(), (held, self.ledger.owed_total())


# ------------------------------------------------------------------ insured deals
PREMIUM_RATE = 5_000_000  # 0.5% a year on the pool balance
COVER_CAP = 40_000 * UNIT


def make_insured_world(
    premium_rate: int = PREMIUM_RATE, cap: int = COVER_CAP, **overrides: Any
) -> tuple[World, Any]:
    """The standard deal with a first-loss fund (deployed first, bound after)."""
    from trancheflow.chain.insurance import deploy_insured_deal

    roles = make_roles()
    cfg = standard_config(roles, **overrides)
    d, fund = deploy_insured_deal(
        cfg,
        premium_rate=premium_rate,
        cap_per_period=cap,
        issuer=roles["issuer"],
        owner=roles["owner"],
    )
    w = World(
        d,
        roles,
        replace(cfg, insurance_fund=str(fund.address), insurance_premium_rate=premium_rate),
    )
    return w, fund


def underwrite(w: World, fund: Any, who: str, assets: int) -> int:
    """``who`` deposits ``assets`` into the fund (minted first); returns shares."""
    w.usdc.mint(who, assets)
    with boa.env.prank(who):
        w.usdc.approve(fund.address, assets)
        return int(fund.deposit(assets, who))

"""Stateful test: an insured deal with auction proceeds beside the exact waterfall.

Random sequences of periods (with losses), underwriter deposits, withdrawal
requests and redemptions, auction sales (the real ``Liquidation.vy``:
notes marked against the deal's latest finalized loan root and sold by
Dutch auction, proceeds held for the deal), tranche transfers, claims and
donations to the deal and to the fund. After every step the invariants
of ``src/trancheflow/chain/contracts/TECH_SPEC.md`` (I1-I5 and the insurance
ones I6-I9) are checked:

- I6 loss order: a period writes a tranche down only after the fund paid
  everything it could (cover == what it could pay at finalize), and junior
  first (a tranche is written down only when every junior
  tranche is at zero).
- I7 seniority: principal sequentially, seniors first; no interest to a
  junior while a senior carries a shortfall.
- I8 fund accounting: ``totalAssets`` == deposits + premiums - cover -
  redemptions (a Python model); donations never move it, so the share
  price is never inflated by a donation; the fund holds exactly its
  tracked assets plus donations.
- I9 parity: every period's premium, cover, auction proceeds and all
  tranche flows equal exact mode to the unit; the deal holds exactly what
  it owes (incl. carried proceeds) plus donations.
"""

from __future__ import annotations

from typing import Any

import boa
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from trancheflow.chain.deploy import DealConfig, FeeConfig, TrancheConfig
from trancheflow.chain.insurance import deploy_insured_deal
from trancheflow.chain.liquidation import deploy_liquidation, loan_id, status_leaf
from trancheflow.chain.merkle import merkle_proof, merkle_root
from trancheflow.chain.mirror import DealLedgerMirror
from trancheflow.chain.reports import ServicerReport, sign_report, signer_addresses
from trancheflow.deal.exact import ExactWaterfall, PeriodInput
from trancheflow.deal.params import WaterfallParams

UNIT = 10**6
KEYS = [0xC0FFEE21, 0xC0FFEE22]
WINDOW = 60
COOLDOWN = 100
FACES = (600_000 * UNIT, 250_000 * UNIT + 3, 100_000 * UNIT + 1)
COUPONS = (40_000_000, 60_000_000, 85_000_000)
PREMIUM = 6_000_000
CAP = 25_000 * UNIT

#: The period loan-level tree: N_LOANS notes, 120 days delinquent, one
#: balance; every report carries its root, so the real Liquidation can mark
#: any of them against the deal's latest finalized root.
N_LOANS = 6
LOAN_BALANCE = 30_000 * UNIT
LEAVES = [status_leaf(loan_id(f"LN{k}"), LOAN_BALANCE, 120) for k in range(N_LOANS)]
ROOT = merkle_root(LEAVES)
VALUER_KEYS = [0xC0FFEE31, 0xC0FFEE32]
_BASE: dict[str, Any] = {}


def _base() -> dict[str, Any]:
    if not _BASE:
        a = boa.env.generate_address
        servicer, issuer, fee, owner, buyer = (a() for _ in range(5))
        holders = [issuer, a(), a()]
        uws = [a(), a()]
        cfg = DealConfig(
            pool_balance=1_000_000 * UNIT,
            tranches=tuple(TrancheConfig(f"T{i}", f"T{i}", FACES[i], COUPONS[i]) for i in range(3)),
            fees=(FeeConfig(fee, 2_500_000),),
            reserve_target=5_000_000,
            signers=tuple(signer_addresses(KEYS)),
            quorum=2,
            servicer=servicer,
            dispute_window=WINDOW,
        )
        d, fund = deploy_insured_deal(
            cfg,
            premium_rate=PREMIUM,
            cap_per_period=CAP,
            cooldown=COOLDOWN,
            issuer=issuer,
            owner=owner,
        )
        setup = deploy_liquidation(d.deal, d.settlement, valuer_keys=VALUER_KEYS, owner=owner)
        setup.admit(buyer)
        liq = setup.liquidation
        with boa.env.prank(owner):
            d.deal.set_liquidation(liq.address)
        usdc = d.settlement
        usdc.mint(servicer, 10**30)
        with boa.env.prank(servicer):
            usdc.approve(d.deal.address, 2**256 - 1)
        for who, spender in ((buyer, liq.address), *((u, fund.address) for u in uws)):
            usdc.mint(who, 10**18)
            with boa.env.prank(who):
                usdc.approve(spender, 2**256 - 1)
        _BASE.update(
            d=d,
            fund=fund,
            liq=liq,
            setup=setup,
            cfg=cfg,
            servicer=servicer,
            holders=holders,
            uws=uws,
            buyer=buyer,
        )
    return _BASE


@pytest.fixture(scope="module", autouse=True)
def _deployed() -> Any:
    _BASE.clear()
    _base()
    yield
    _BASE.clear()


class InsuredDealMachine(RuleBasedStateMachine):
    """Contracts (deal + fund + real Liquidation) vs exact waterfall + models."""

    @initialize()
    def setup(self) -> None:
        b = _base()
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        self.b = b
        self.d, self.fund, self.liq = b["d"], b["fund"], b["liq"]
        self.usdc = self.d.settlement
        self.wf = ExactWaterfall(
            WaterfallParams(
                tranche_balances=FACES,
                coupons=COUPONS,
                accrual=(False, False, False),
                fee_rates=(2_500_000,),
                principal_rule=0,
                reserve_target=5_000_000,
                reserve_floor=0,
                oc_target=0,
                triggers=(),
                insurance_premium_rate=PREMIUM,
            )
        )
        self.state = self.wf.initial_state(b["cfg"].pool_balance)
        self.ledger = DealLedgerMirror(list(FACES), 1)
        self.ledger.close(b["holders"][0])
        self.fund_assets = 0
        self.deal_donations = 0
        self.fund_donations = 0
        self.sold: set[int] = set()
        self.last: Any = None
        self.last_available = 0

    def teardown(self) -> None:
        if hasattr(self, "_anchor"):
            self._anchor.__exit__(None, None, None)

    # ------------------------------------------------------------ rules
    @rule(
        interest_bp=st.integers(0, 100),
        prepay_bp=st.integers(0, 400),
        loss_bp=st.integers(0, 600),
        odd=st.integers(0, 999),
    )
    def period(self, interest_bp: int, prepay_bp: int, loss_bp: int, odd: int) -> None:
        pool = self.state.pool_balance
        sched = min(pool, pool // 400 + odd)
        prepay = min(pool - sched, pool * prepay_bp // 10_000)
        losses = min(pool - sched - prepay, pool * loss_bp // 10_000 + odd)
        inp = PeriodInput(
            interest=pool * interest_bp // 120_000 + odd,
            scheduled_principal=sched,
            prepayments=prepay,
            recoveries=0,
            losses=losses,
            delinquent_60_plus=0,
        )
        t = self.state.period + 1
        r = ServicerReport.from_period_input(t, inp, loans_root=ROOT)
        sigs = sign_report(r, KEYS, int(boa.env.evm.patch.chain_id), str(self.d.deal.address))
        with boa.env.prank(self.b["servicer"]):
            self.d.oracle.submit_report(r.as_tuple(), sigs)
        boa.env.time_travel(seconds=WINDOW)
        available = int(self.fund.cover_room())
        held = int(self.liq.recoveries_held()) + self.ledger.proceeds_carried
        applied = min(held, pool - sched - prepay - losses)
        self.ledger.proceeds_carried = held - applied
        self.d.deal.finalize(r.period_input())
        ev = [e for e in self.d.deal.get_logs() if type(e).__name__ == "PeriodFinalized"][-1]
        exact_inp = PeriodInput(
            interest=inp.interest,
            scheduled_principal=sched,
            prepayments=prepay,
            recoveries=applied,
            losses=losses,
            insurance_available=available,
        )
        res = self.wf.run_period(self.state, exact_inp)
        self.state = res.state
        self.ledger.apply(res)
        self.last, self.last_available = res, available
        self.fund_assets += res.insurance_premium - res.insurance_cover
        # I9 parity
        assert list(ev.balance) == [x.ending_balance for x in res.tranches]
        assert list(ev.interest_paid) == [x.interest_paid for x in res.tranches]
        assert list(ev.principal_paid) == [x.principal_paid for x in res.tranches]
        assert list(ev.writedown) == [x.writedown for x in res.tranches]
        assert (ev.insurance_premium, ev.insurance_cover) == (
            res.insurance_premium,
            res.insurance_cover,
        )
        assert ev.auction_proceeds == applied
        assert ev.residual == res.residual and ev.reserve == res.reserve_balance
        assert res.cash_in + res.insurance_cover == res.cash_out

    @rule(u=st.integers(0, 1), amount=st.integers(1, 60_000 * UNIT))
    def deposit(self, u: int, amount: int) -> None:
        who = self.b["uws"][u]
        if self.fund.previewDeposit(amount) == 0:
            return
        with boa.env.prank(who):
            self.fund.deposit(amount, who)
        self.fund_assets += amount

    @rule(u=st.integers(0, 1), frac=st.floats(0.01, 1))
    def request_withdrawal(self, u: int, frac: float) -> None:
        who = self.b["uws"][u]
        # only shares not already requested can be requested (issue 10 fund)
        free = int(self.fund.balanceOf(who)) - int(self.fund.requests(who)[0])
        shares = int(max(free, 0) * frac)
        if shares:
            with boa.env.prank(who):
                self.fund.request_redeem(shares)

    @rule(u=st.integers(0, 1))
    def redeem(self, u: int) -> None:
        who = self.b["uws"][u]
        boa.env.time_travel(seconds=COOLDOWN)
        shares = int(self.fund.maxRedeem(who))
        if shares and self.fund.previewRedeem(shares):
            with boa.env.prank(who):
                self.fund_assets -= int(self.fund.redeem(shares, who, who))

    @rule(
        k=st.integers(0, N_LOANS - 1),
        value_pct=st.integers(40, 160),
        wait=st.integers(0, 3 * 86_400 - 1),
    )
    def auction_sale(self, k: int, value_pct: int, wait: int) -> None:
        # the real Liquidation: appraisal, mark against the latest finalized
        # loan root, a Dutch auction bid after `wait` seconds; the deal gets
        # at most the note balance (the rest is the borrower's surplus)
        if self.state.period == 0 or k in self.sold:
            return
        setup, lid = self.b["setup"], loan_id(f"LN{k}")
        setup.value(lid, LOAN_BALANCE * value_pct // 100)
        setup.mark(lid, LOAN_BALANCE, 120, merkle_proof(LEAVES, k), ROOT)
        boa.env.time_travel(seconds=wait)
        held = int(self.liq.recoveries_held())
        price = setup.sell(lid, self.b["buyer"])
        assert int(self.liq.recoveries_held()) == held + min(price, LOAN_BALANCE)
        self.sold.add(k)

    @rule(i=st.integers(0, 2), a=st.integers(0, 2), b=st.integers(0, 2), frac=st.floats(0, 1))
    def transfer(self, i: int, a: int, b: int, frac: float) -> None:
        sender, receiver = self.b["holders"][a], self.b["holders"][b]
        m = self.ledger.tranches[i]
        amount = int(m.balances.get(sender, 0) * frac)
        with boa.env.prank(sender):
            self.d.tokens[i].transfer(receiver, amount)
        m.transfer(sender, receiver, amount)

    @rule(i=st.integers(0, 2), h=st.integers(0, 2))
    def claim(self, i: int, h: int) -> None:
        holder = self.b["holders"][h]
        with boa.env.prank(holder):
            got = self.d.tokens[i].claim()
        assert got == self.ledger.tranches[i].claim(holder)

    @rule(amount=st.integers(1, 10**11), to_fund=st.booleans())
    def donate(self, amount: int, to_fund: bool) -> None:
        target = self.fund if to_fund else self.d.deal
        price = self.fund.convertToAssets(10**12)
        self.usdc.mint(target.address, amount)
        if to_fund:
            self.fund_donations += amount
            assert self.fund.convertToAssets(10**12) == price  # I8: no inflation
        else:
            self.deal_donations += amount

    # ------------------------------------------------------------ invariants
    @invariant()
    def deal_solvent(self) -> None:  # I9
        if not hasattr(self, "d"):
            return
        held = self.usdc.balanceOf(self.d.deal.address)
        assert held == self.ledger.owed_total() + self.deal_donations
        assert self.d.deal.auction_proceeds_carried() == self.ledger.proceeds_carried

    @invariant()
    def fund_accounting(self) -> None:  # I8
        if not hasattr(self, "d"):
            return
        assert self.fund.totalAssets() == self.fund_assets
        assert self.usdc.balanceOf(self.fund.address) == self.fund_assets + self.fund_donations

    @invariant()
    def loss_order(self) -> None:  # I6
        r = getattr(self, "last", None)
        if r is None:
            return
        wd = [x.writedown for x in r.tranches]
        if any(wd):
            assert r.insurance_cover == min(self.last_available, CAP)  # fund exhausted
            for i, w in enumerate(wd):
                if w:
                    assert all(r.tranches[j].ending_balance == 0 for j in range(i + 1, 3))

    @invariant()
    def seniors_first(self) -> None:  # I7
        r = getattr(self, "last", None)
        if r is None:
            return
        tr = r.tranches
        for i, x in enumerate(tr):
            if x.principal_paid:
                assert all(tr[j].ending_balance == 0 for j in range(i))
            if x.interest_paid:
                assert all(tr[j].interest_shortfall == 0 for j in range(i))


InsuredDealMachine.TestCase.settings = settings(
    max_examples=12, stateful_step_count=14, deadline=None
)
test_insured_deal_machine = InsuredDealMachine.TestCase


@pytest.mark.slow
def test_insured_deal_machine_long() -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        InsuredDealMachine,
        settings=settings(max_examples=150, stateful_step_count=40, deadline=None),
    )

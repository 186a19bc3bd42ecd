"""Stateful test: the on-chain deal beside the exact waterfall and the holder mirror.

Random sequences of periods (collections, losses, delinquencies), tranche
transfers, claims, fee/residual claims and donations run on the titanoboa
deployment and on the Python model. After every step the invariants of
``src/trancheflow/chain/contracts/TECH_SPEC.md`` are checked:

- I1 solvency: the deal's settlement balance == everything it owes (tranche
  cash credited and unpaid incl. carries and dust, fees, residual, reserve)
  + donations; so balance >= owed.
- I2 claims: each holder's claimable == the mirror's, and per tranche
  sum(claimable) + paid <= floor(index * supply / 1e27) <= credited
  (rounding never creates value); dust <= one unit per settlement + holders.
- I3 factor: supply * factor / 1e18 == tranche balance within one unit.
- I4 seniority: under sequential principal no junior is paid principal while
  a senior still has a balance; no junior receives interest while a senior
  carries an interest shortfall.
- I5 conservation: cash in == fees + interest + principal + residual +
  reserve change, every period, and the contract equals exact to the unit.
"""

from __future__ import annotations

from typing import Any

import boa
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from trancheflow.chain.deploy import DealConfig, FeeConfig, TrancheConfig, deploy_deal
from trancheflow.chain.mirror import INDEX_SCALE, DealLedgerMirror
from trancheflow.chain.reports import ServicerReport, sign_report, signer_addresses
from trancheflow.deal.exact import ExactWaterfall, PeriodInput
from trancheflow.deal.params import TriggerParams, WaterfallParams

UNIT = 10**6
KEYS = [0xC0FFEE01, 0xC0FFEE02]
WINDOW = 60
FACES = (500_000 * UNIT + 1, 300_000 * UNIT + 7, 150_000 * UNIT + 3)
COUPONS = (45_000_000, 65_000_000, 90_000_000)
TRIGGERS = ((1, 0, 80_000_000, 1),)  # 60+ delinquency above 8% -> pro rata
_BASE: dict[str, Any] = {}


def _base() -> dict[str, Any]:
    """Deploy once per module; every example runs inside an anchor on top."""
    if not _BASE:
        servicer, issuer, fee = (boa.env.generate_address() for _ in range(3))
        holders = [issuer, *(boa.env.generate_address() for _ in range(3))]
        cfg = DealConfig(
            pool_balance=1_000_000 * UNIT,
            tranches=tuple(
                TrancheConfig(f"T{i}", f"T{i}", FACES[i], COUPONS[i], accrual=i == 2)
                for i in range(3)
            ),
            fees=(FeeConfig(fee, 3_000_000),),
            principal_rule=0,
            reserve_target=5_000_000,
            reserve_floor=1_000 * UNIT,
            oc_target=20_000_000,
            triggers=TRIGGERS,
            signers=tuple(signer_addresses(KEYS)),
            quorum=2,
            servicer=servicer,
            dispute_window=WINDOW,
        )
        d = deploy_deal(cfg, issuer=issuer)
        d.settlement.mint(servicer, 10**30)
        with boa.env.prank(servicer):
            d.settlement.approve(d.deal.address, 2**256 - 1)
        _BASE.update(d=d, cfg=cfg, servicer=servicer, holders=holders)
    return _BASE


@pytest.fixture(scope="module", autouse=True)
def _deployed() -> Any:
    """One deployment for the module (titanoboa anchors module fixtures for their life)."""
    _BASE.clear()
    _base()
    yield
    _BASE.clear()


class DealMachine(RuleBasedStateMachine):
    """Contract vs model, step by step."""

    @initialize()
    def setup(self) -> None:
        b = _base()
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        self.d = b["d"]
        self.cfg: DealConfig = b["cfg"]
        self.servicer = b["servicer"]
        self.holders: list[str] = b["holders"]
        self.wf = ExactWaterfall(
            WaterfallParams(
                tranche_balances=FACES,
                coupons=COUPONS,
                accrual=(False, False, True),
                fee_rates=(3_000_000,),
                principal_rule=0,
                reserve_target=5_000_000,
                reserve_floor=1_000 * UNIT,
                oc_target=20_000_000,
                triggers=tuple(TriggerParams(*t) for t in TRIGGERS),
            )
        )
        self.state = self.wf.initial_state(self.cfg.pool_balance)
        self.ledger = DealLedgerMirror(list(FACES), 1)
        self.ledger.close(self.holders[0])
        self.donated = 0
        self.settles = 1
        self.last: Any = None

    def teardown(self) -> None:
        if hasattr(self, "_anchor"):
            self._anchor.__exit__(None, None, None)

    # ------------------------------------------------------------ rules
    @rule(
        interest_bp=st.integers(0, 120),
        sched_bp=st.integers(0, 100),
        prepay_bp=st.integers(0, 600),
        recov_bp=st.integers(0, 50),
        loss_bp=st.integers(0, 300),
        dq_bp=st.integers(0, 1500),
        odd=st.integers(0, 999),
    )
    def period(
        self,
        interest_bp: int,
        sched_bp: int,
        prepay_bp: int,
        recov_bp: int,
        loss_bp: int,
        dq_bp: int,
        odd: int,
    ) -> None:
        pool = self.state.pool_balance
        left = pool
        parts = []
        for bp in (sched_bp, prepay_bp, recov_bp, loss_bp):
            x = min(left, pool * bp // 10_000 + (odd if left > odd else 0))
            parts.append(x)
            left -= x
        inp = PeriodInput(
            interest=pool * interest_bp // 120_000 + odd,
            scheduled_principal=parts[0],
            prepayments=parts[1],
            recoveries=parts[2],
            losses=parts[3],
            delinquent_60_plus=pool * dq_bp // 10_000,
        )
        t = self.state.period + 1
        r = ServicerReport.from_period_input(t, inp)
        sigs = sign_report(r, KEYS, int(boa.env.evm.patch.chain_id), str(self.d.deal.address))
        with boa.env.prank(self.servicer):
            self.d.oracle.submit_report(r.as_tuple(), sigs)
        boa.env.time_travel(seconds=WINDOW)
        self.d.deal.finalize(r.period_input())
        res = self.wf.run_period(self.state, inp)
        self.state = res.state
        self.ledger.apply(res)
        self.last = res
        ev = [e for e in self.d.deal.get_logs() if type(e).__name__ == "PeriodFinalized"][-1]
        assert list(ev.balance) == [x.ending_balance for x in res.tranches]
        assert list(ev.interest_paid) == [x.interest_paid for x in res.tranches]
        assert list(ev.principal_paid) == [x.principal_paid for x in res.tranches]
        assert ev.residual == res.residual and ev.reserve == res.reserve_balance
        assert res.cash_in == res.cash_out  # I5

    @rule(i=st.integers(0, 2), a=st.integers(0, 3), b=st.integers(0, 3), frac=st.floats(0, 1))
    def transfer(self, i: int, a: int, b: int, frac: float) -> None:
        sender, receiver = self.holders[a], self.holders[b]
        m = self.ledger.tranches[i]
        amount = int(m.balances.get(sender, 0) * frac)
        with boa.env.prank(sender):
            self.d.tokens[i].transfer(receiver, amount)
        m.transfer(sender, receiver, amount)
        self.settles += 2

    @rule(i=st.integers(0, 2), h=st.integers(0, 3))
    def claim(self, i: int, h: int) -> None:
        holder = self.holders[h]
        with boa.env.prank(holder):
            got = self.d.tokens[i].claim()
        assert got == self.ledger.tranches[i].claim(holder)
        self.settles += 1

    @rule()
    def claim_fee_and_residual(self) -> None:
        assert self.d.deal.claim_fee(0) == self.ledger.fee_owed[0]
        self.ledger.fee_owed[0] = 0
        assert self.d.deal.claim_residual() == self.ledger.residual_owed
        self.ledger.residual_owed = 0

    @rule(amount=st.integers(1, 10**12))
    def donate(self, amount: int) -> None:
        self.d.settlement.mint(self.d.deal.address, amount)
        self.donated += amount

    # ------------------------------------------------------------ invariants
    @invariant()
    def solvency(self) -> None:  # I1
        if not hasattr(self, "d"):
            return
        held = self.d.settlement.balanceOf(self.d.deal.address)
        assert held == self.ledger.owed_total() + self.donated
        assert self.d.deal.reserve() == self.ledger.reserve

    @invariant()
    def claims_match_and_never_create_value(self) -> None:  # I2
        if not hasattr(self, "d"):
            return
        for i, m in enumerate(self.ledger.tranches):
            tok = self.d.tokens[i]
            assert (tok.index(), tok.credited()) == (m.index, m.credited)
            total = 0
            for h in self.holders:
                c = tok.claimable(h)
                assert c == m.claimable(h)
                total += c
            covered = m.index * FACES[i] // INDEX_SCALE
            assert total + m.paid <= covered <= m.credited
            assert 0 <= m.dust() <= self.settles + len(self.holders)

    @invariant()
    def factor_times_supply_is_balance(self) -> None:  # I3
        if not hasattr(self, "d"):
            return
        for i, tok in enumerate(self.d.tokens):
            bal = self.d.deal.tranche_balance(i)
            assert bal == self.state.balances[i]
            f = tok.factor()
            supply = tok.totalSupply()
            assert supply * f // 10**18 <= bal
            assert bal * 10**18 < (f + 1) * supply

    @invariant()
    def seniors_first(self) -> None:  # I4
        r = getattr(self, "last", None)
        if r is None:
            return
        tr = r.tranches
        if r.active_rule == "sequential":
            for i, x in enumerate(tr):
                if x.principal_paid:
                    assert all(tr[j].ending_balance == 0 for j in range(i))
        for i, x in enumerate(tr):
            if x.interest_paid or x.accreted:
                assert all(tr[j].interest_shortfall == 0 for j in range(i))


DealMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=12, deadline=None)
test_deal_machine = DealMachine.TestCase

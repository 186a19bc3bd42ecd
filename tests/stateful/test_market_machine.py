"""TrancheMarket vs its Python mirror, step by step (issue 11).

Swaps, liquidity changes, LP share transfers, period finalizations (principal,
losses, write-off to zero), donations of cash and tokens, claims and an
ineligible buyer, on the real TrancheToken + Compliance over a stand-in deal.
After every step the contract's state equals the mirror's to the unit, and:

- donations never reach reserves or LP accounting;
- swaps never lower either position's (T+A)(Y+B) (no value from rounding);
- the tail's cash covers the accrued-interest receivable;
- the pool's cash covers its reserves, every LP's claimable cash and the dust,
  the excess bounded by donations plus one unit per LP settlement;
- after a final sync every distribution the pool's tokens earned is credited
  (the pool has nothing claimable left at the token: nothing stranded).
"""

from __future__ import annotations

from typing import Any

import boa
import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from trancheflow.errors import MarketError
from trancheflow.market.pool import PoolMirror
from trancheflow.market.sandbox import UNIT, MarketSandbox

FACE = 1_000_000 * UNIT + 7
DEADLINE = 2**63
_BASE: dict[str, Any] = {}


def _base() -> dict[str, Any]:
    if not _BASE:
        sb = MarketSandbox(FACE, amp=20, fee_bps=30, twap_window=600)
        actors = [str(boa.env.generate_address(f"m{i}")) for i in range(3)]
        for a in actors:
            sb.admit(a)
            sb.fund(a, tokens=150_000 * UNIT, cash=10**13)
        outsider = str(boa.env.generate_address("outsider"))
        sb.usdc.mint(outsider, 10**12)
        with boa.env.prank(outsider):
            sb.usdc.approve(sb.pool.address, 2**256 - 1)
        _BASE.update(sb=sb, actors=actors, outsider=outsider)
    return _BASE


@pytest.fixture(scope="module", autouse=True)
def _deployed() -> Any:
    _BASE.clear()
    _base()
    yield
    _BASE.clear()


def mirror_of(pool: Any, face: int) -> PoolMirror:
    """A fresh mirror with the pool's parameters and first sync point."""
    m = PoolMirror(
        face=face,
        amp=int(pool.AMP()),
        fee_bps=int(pool.FEE_BPS()),
        core_bps=int(pool.CORE_BPS()),
        coupon=int(pool.COUPON()),
        period_s=int(pool.PERIOD()),
    )
    m.seen_balance = int(pool.seen()[0])
    m.acc_start = int(pool.accrual()[1])
    return m


class MarketMachine(RuleBasedStateMachine):
    """Contract vs mirror."""

    @initialize(tokens=st.integers(1_000, 100_000), price_bp=st.integers(8_000, 11_000))
    def setup(self, tokens: int, price_bp: int) -> None:
        b = _base()
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        self.sb: MarketSandbox = b["sb"]
        self.actors: list[str] = b["actors"]
        self.outsider: str = b["outsider"]
        self.m = mirror_of(self.sb.pool, FACE)
        self.donated_cash = 0
        self.donated_tokens = 0
        self.settles = 0
        self.paid = 0
        self.claimed_total = 0
        self._sync()
        with boa.env.prank(self.actors[0]):
            self.sb.pool.add_liquidity(
                0, tokens * UNIT, tokens * price_bp * UNIT // 10_000, DEADLINE
            )
        self.m.add_liquidity(self.actors[0], 0, tokens * UNIT, tokens * price_bp * UNIT // 10_000)
        self.settles += 1

    def teardown(self) -> None:
        if hasattr(self, "_anchor"):
            self._anchor.__exit__(None, None, None)

    def _sync(self) -> None:
        """Mirror the contract's sync that the next call performs first."""
        claimed = int(self.sb.token.claimable(self.sb.pool.address))
        self.claimed_total += claimed
        bal, idx = self.sb.balance(), int(self.sb.token.index())
        moved = (bal, idx) != tuple(self.sb.pool.seen())
        self.m.sync(bal, claimed, now=boa.env.timestamp, moved=moved)

    def _k(self) -> tuple[int, int]:
        m = self.m
        return (m.tc + m.ac) * (m.yc + m.bc), m.tf * (m.yf + m.bf)

    # ------------------------------------------------------------ rules
    @rule(who=st.integers(0, 2), units=st.integers(1, 60_000 * UNIT))
    def sell(self, who: int, units: int) -> None:
        a = self.actors[who]
        units = min(units, int(self.sb.token.balanceOf(a)))
        self._sync()
        k0 = self._k()
        try:
            expect = self.m.sell(units, now=boa.env.timestamp)
        except MarketError:
            with boa.env.prank(a), boa.reverts():
                self.sb.pool.sell(units, 0, DEADLINE)
            self.sb.pool.sync()  # the revert undid the contract's sync; the mirror synced
            return
        with boa.env.prank(a):
            assert self.sb.pool.sell(units, 0, DEADLINE) == expect
        k1 = self._k()
        assert k1[0] >= k0[0] and k1[1] >= k0[1]

    @rule(who=st.integers(0, 2), units=st.integers(1, 60_000 * UNIT))
    def buy(self, who: int, units: int) -> None:
        a = self.actors[who]
        self._sync()
        k0 = self._k()
        try:
            expect = self.m.buy(units, now=boa.env.timestamp)
        except MarketError:
            with boa.env.prank(a), boa.reverts():
                self.sb.pool.buy(units, 0, DEADLINE)
            self.sb.pool.sync()  # the revert undid the contract's sync; the mirror synced
            return
        with boa.env.prank(a):
            assert self.sb.pool.buy(units, 0, DEADLINE) == expect
        k1 = self._k()
        assert k1[0] >= k0[0] and k1[1] >= k0[1]

    @rule(who=st.integers(0, 2), bp=st.integers(1, 5_000))
    def add(self, who: int, bp: int) -> None:
        a = self.actors[who]
        self._sync()
        if self.m.supply == 0 or self.m.seen_balance == 0:
            return
        shares = max(1, self.m.supply * bp // 10_000)
        t_have = int(self.sb.token.balanceOf(a))
        try:
            expect = self.m.add_liquidity(a, shares, t_have, 10**13)
        except MarketError:
            with boa.env.prank(a), boa.reverts():
                self.sb.pool.add_liquidity(shares, t_have, 10**13, DEADLINE)
            self.sb.pool.sync()  # the revert undid the contract's sync; the mirror synced
            return
        with boa.env.prank(a):
            assert self.sb.pool.add_liquidity(shares, t_have, 10**13, DEADLINE) == expect
        self.settles += 1

    @rule(who=st.integers(0, 2), bp=st.integers(1, 10_000))
    def remove(self, who: int, bp: int) -> None:
        a = self.actors[who]
        shares = self.m.shares.get(a, 0) * bp // 10_000
        if shares == 0:
            return
        self._sync()
        expect = self.m.remove_liquidity(a, shares)
        with boa.env.prank(a):
            assert self.sb.pool.remove_liquidity(shares, 0, 0, DEADLINE) == expect
        self.settles += 1

    @rule(i=st.integers(0, 2), j=st.integers(0, 2), bp=st.integers(0, 10_000))
    def transfer_shares(self, i: int, j: int, bp: int) -> None:
        a, b = self.actors[i], self.actors[j]
        shares = self.m.shares.get(a, 0) * bp // 10_000
        self.m.transfer(a, b, shares)
        with boa.env.prank(a):
            self.sb.pool.transfer(b, shares)
        self.settles += 2

    @rule(who=st.integers(0, 2))
    def claim(self, who: int) -> None:
        a = self.actors[who]
        self._sync()
        expect = self.m.claim(a)
        with boa.env.prank(a):
            assert self.sb.pool.claim() == expect
        self.paid += expect
        self.settles += 1

    @rule(
        principal_bp=st.integers(0, 800),
        loss_bp=st.integers(0, 300),
        coupon_bp=st.integers(0, 60),
        write_off=st.booleans(),
    )
    def period(self, principal_bp: int, loss_bp: int, coupon_bp: int, write_off: bool) -> None:
        bal = self.sb.balance()
        if write_off and principal_bp > 700:
            self.sb.period(0, 0)
            return
        principal = bal * principal_bp // 10_000
        loss = bal * loss_bp // 10_000
        interest = bal * coupon_bp // 10_000
        self.sb.period(bal - principal - loss, principal + interest)
        boa.env.time_travel(seconds=86_400)

    @rule(days=st.integers(1, 40))
    def wait(self, days: int) -> None:
        boa.env.time_travel(seconds=days * 86_400)

    @rule(cash=st.integers(1, 10**11), tokens=st.integers(0, 1_000 * UNIT))
    def donate(self, cash: int, tokens: int) -> None:
        self.sb.usdc.mint(self.sb.pool.address, cash)
        self.donated_cash += cash
        tokens = min(tokens, int(self.sb.token.balanceOf(self.actors[2])))
        if tokens:
            with boa.env.prank(self.actors[2]):
                self.sb.token.transfer(self.sb.pool.address, tokens)
            self.donated_tokens += tokens

    @rule(units=st.integers(1, 10**10))
    def outsider_buys(self, units: int) -> None:
        code = self.sb.token.detectTransferRestriction(self.sb.pool.address, self.outsider, 1)
        assert code != 0
        with boa.env.prank(self.outsider), boa.reverts():
            self.sb.pool.buy(units, 0, DEADLINE)

    # ------------------------------------------------------------ invariants
    @invariant()
    def matches_mirror(self) -> None:
        m = self.m
        assert self.sb.pool.reserves() == (m.tokens, m.cash, m.off_tokens, m.off_cash)
        assert self.sb.pool.positions() == (m.tc, m.yc, m.ac, m.bc, m.tf, m.yf, m.bf)
        assert self.sb.pool.accrual() == (m.q, m.acc_start)
        assert self.sb.pool.accrued_per_100() == m.accrued_per_100(boa.env.timestamp)
        assert m.q <= 0 or m.yf >= m.q
        assert self.sb.pool.totalSupply() == m.supply
        assert self.sb.pool.lp_index() == m.lp_index
        assert self.sb.pool.lp_dust() == m.lp_dust
        for a in self.actors:
            assert self.sb.pool.balanceOf(a) == m.shares.get(a, 0)
            assert self.sb.pool.lp_claimable(a) == m.claimable(a)
        assert self.sb.pool.spot_price() == m.spot_price()

    @invariant()
    def donations_never_counted(self) -> None:
        assert self.sb.token.balanceOf(self.sb.pool.address) == self.m.tokens + self.donated_tokens

    @invariant()
    def cash_covers_everything(self) -> None:
        owed = sum(self.m.claimable(a) for a in self.actors)
        excess = (
            int(self.sb.usdc.balanceOf(self.sb.pool.address)) - self.m.cash - owed - self.m.lp_dust
        )
        assert self.donated_cash <= excess <= self.donated_cash + self.settles + 1

    def check_nothing_stranded(self) -> None:
        self.sb.pool.sync()
        self._sync()
        assert self.sb.token.claimable(self.sb.pool.address) == 0


MarketMachine.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=15,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
test_market_machine = MarketMachine.TestCase


def test_final_sync_strands_nothing() -> None:
    """One scripted run to the end of the tranche: every unit the pool earned is claimed."""
    sb: MarketSandbox = _base()["sb"]
    a = _base()["actors"][0]
    with boa.env.anchor():
        with boa.env.prank(a):
            sb.pool.add_liquidity(0, 100_000 * UNIT, 99_000 * UNIT, DEADLINE)
        bal = sb.balance()
        for _ in range(12):
            pay = bal // 10
            sb.period(bal - pay, pay + bal // 200)
            bal -= pay
        sb.period(0, bal)
        sb.pool.sync()
        assert sb.token.claimable(sb.pool.address) == 0
        with boa.env.prank(a):
            sb.pool.remove_liquidity(sb.pool.balanceOf(a), 0, 0, DEADLINE)
            sb.pool.claim()
        # what is left is the LP index's dust plus < one unit per LP settlement
        left = int(sb.usdc.balanceOf(sb.pool.address)) - int(sb.pool.lp_dust())
        assert 0 <= left <= 3

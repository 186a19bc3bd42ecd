"""Stateful machine: the insurance fund beside a Python mirror of its accounting.

Steps mix deposits, redemption requests (locked shares, capped at their value
at the request, expiring REDEEM_WINDOW after the cooldown), cancels, waits,
redemptions, premiums, cover (with a per-period cap), pending-loss blocks and
donations. After every step: tracked assets, supply, every underwriter's
free and locked shares and request cap equal the mirror; the price is the
virtual-share formula on the mirror; the fund's token balance is tracked
assets + donations (nothing created or lost); donations never move the
price; a request is never worth more than its cap once settled.
"""

from __future__ import annotations

import boa
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from tests.unit.chain.insurance.conftest import CAP, COOLDOWN, OFFSET, WINDOW, FundEnv

VS = 10**OFFSET


def _mul_div(x: int, y: int, d: int, up: bool) -> int:
    q, r = divmod(x * y, d)
    return q + (1 if up and r else 0)


class FundMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        self.e = ENV
        for u in self.e.uw:
            self.e.usdc.mint(u, 10**18)
        self.assets = 0
        self.supply = 0
        self.shares = dict.fromkeys(self.e.uw, 0)
        self.escrow = dict.fromkeys(self.e.uw, 0)
        self.cap = dict.fromkeys(self.e.uw, 0)
        self.unlock = dict.fromkeys(self.e.uw, 0)
        self.donated = 0
        self.period = 0
        self.pending = False
        self.covered: dict[int, int] = {}

    def teardown(self) -> None:
        self._anchor.__exit__(None, None, None)

    def _price(self, shares: int) -> int:
        return _mul_div(shares, self.assets + 1, self.supply + VS, False)

    def _settle(self, u: object) -> None:
        """The forfeit: keep k = cap * (S - R + V) // (A + 1 - cap) when R is worth more."""
        r, c = self.escrow[u], self.cap[u]
        if r == 0 or r == self.supply or self._price(r) <= c:
            return  # nothing to forfeit, or nobody else to receive it
        keep = c * (self.supply - r + VS) // (self.assets + 1 - c)
        self.supply -= r - keep
        self.escrow[u] = keep
        assert self._price(keep) <= c

    def _live(self, u: object) -> bool:
        now = boa.env.evm.patch.timestamp
        return (
            self.escrow[u] > 0
            and self.unlock[u] <= now < self.unlock[u] + WINDOW
            and not self.pending
        )

    @rule(i=st.integers(0, 2), amount=st.integers(1, 10**12))
    def deposit(self, i: int, amount: int) -> None:
        u = self.e.uw[i]
        expect = _mul_div(amount, self.supply + VS, self.assets + 1, False)
        if expect == 0:
            return
        assert self.e.deposit(u, amount) == expect
        self.assets += amount
        self.supply += expect
        self.shares[u] += expect

    @rule(i=st.integers(0, 2), frac=st.floats(0.01, 1.0))
    def request(self, i: int, frac: float) -> None:
        u = self.e.uw[i]
        s = int(self.shares[u] * frac)
        if s == 0:
            return
        self._settle(u)
        self.cap[u] += self._price(s)
        self.e.request(u, s)
        self.shares[u] -= s
        self.escrow[u] += s
        self.unlock[u] = boa.env.evm.patch.timestamp + COOLDOWN

    @rule(i=st.integers(0, 2))
    def cancel(self, i: int) -> None:
        u = self.e.uw[i]
        if self.escrow[u] == 0:
            return
        self._settle(u)
        with boa.env.prank(u):
            self.e.fund.cancel_request()
        self.shares[u] += self.escrow[u]
        self.escrow[u] = self.cap[u] = self.unlock[u] = 0

    @rule(secs=st.sampled_from([COOLDOWN, WINDOW, 3_600]))
    def wait(self, secs: int) -> None:
        boa.env.time_travel(seconds=secs)

    @rule(i=st.integers(0, 2))
    def redeem(self, i: int) -> None:
        u = self.e.uw[i]
        if self.escrow[u] == 0:
            return
        if not self._live(u):
            assert self.e.fund.maxRedeem(u) == 0
            with boa.env.prank(u), boa.reverts():
                self.e.fund.redeem(max(self.escrow[u], 1), u, u)
            return
        self._settle(u)
        s = self.escrow[u]
        assert self.e.fund.maxRedeem(u) == s
        expect = self._price(s)
        assert self.e.fund.maxWithdraw(u) == expect
        assert self.e.redeem(u, s) == expect
        self.assets -= expect
        self.supply -= s
        self.escrow[u] = self.cap[u] = self.unlock[u] = 0

    @rule(amount=st.integers(0, 10**11))
    def premium(self, amount: int) -> None:
        self.e.deal.premium(self.e.fund.address, self.e.usdc.address, amount)
        self.assets += amount

    @rule(amount=st.integers(0, 10**11))
    def cover(self, amount: int) -> None:
        used = self.covered.get(self.period, 0)
        paid = min(amount, self.assets, CAP - used)
        got = self.e.deal.cover(self.e.fund.address, amount)
        assert got == paid
        self.covered[self.period] = used + paid
        self.assets -= paid

    @rule(pending=st.booleans())
    def next_period(self, pending: bool) -> None:
        self.period += 1
        self.pending = pending
        self.e.deal.set_state(self.period, pending)

    @rule(amount=st.integers(1, 10**13))
    def donate(self, amount: int) -> None:
        p = self.e.fund.convertToAssets(10**18)
        self.e.usdc.mint(self.e.fund.address, amount)
        self.donated += amount
        assert self.e.fund.convertToAssets(10**18) == p

    @invariant()
    def matches_mirror(self) -> None:
        f = self.e.fund
        assert f.totalAssets() == self.assets
        assert f.totalSupply() == self.supply
        assert f.balanceOf(f.address) == 0
        for u in self.e.uw:
            assert f.balanceOf(u) == self.shares[u] + self.escrow[u]
            req = f.requests(u)
            assert (req[0], req[2]) == (self.escrow[u], self.cap[u])
        assert f.convertToAssets(10**18) == self._price(10**18)
        assert self.e.usdc.balanceOf(f.address) == self.assets + self.donated
        assert f.withdrawals_blocked() == self.pending


ENV: FundEnv


@pytest.fixture(scope="module", autouse=True)
def _env() -> None:
    global ENV
    ENV = FundEnv()


TestFundMachine = FundMachine.TestCase
TestFundMachine.settings = settings(max_examples=12, stateful_step_count=20, deadline=None)


class LongFundMachine(FundMachine):
    pass


TestLongFundMachine = pytest.mark.slow(LongFundMachine.TestCase)
# the profile bounds it (dev 60, ci 40 examples; HYPOTHESIS_PROFILE=soak for a long run)
TestLongFundMachine.settings = settings(
    settings.default, max_examples=min(settings.default.max_examples, 30), stateful_step_count=30
)

"""The stress engine's array curve against PoolMirror's exact integers and the contract.

Bound: the mirror floors the fee-adjusted input and then the output; float64
floors neither, so a float output is at most ``PARITY_UNITS`` plus one unit
per unit of price (cash per token) above the mirror's, and never below it by
more than float64 error (a few units in 1e15 at these sizes).
"""

from __future__ import annotations

import boa
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trancheflow.market.pool import PoolMirror
from trancheflow.market.sandbox import UNIT, MarketSandbox
from trancheflow.market.stress_curve import (
    PARITY_UNITS,
    buy_out,
    buy_to_price,
    sell_capacity,
    sell_out,
    sell_to_price,
)

DEADLINE = 2**63


def arrays(p: PoolMirror) -> tuple[np.ndarray, ...]:
    return tuple(np.array([float(x)]) for x in (p.cash, p.off_cash, p.tokens, p.off_tokens))


def seeded(face: int, tokens: int, cash: int, amp: int, fee: int, paid_down: int) -> PoolMirror:
    p = PoolMirror(face=face, amp=amp, fee_bps=fee)
    p.sync(balance=face, claimed=0)
    p.add_liquidity("lp", 0, tokens, cash)
    if paid_down:
        p.sync(balance=face - paid_down, claimed=0)
    return p


pools = st.builds(
    seeded,
    face=st.just(10**14),
    tokens=st.integers(10**6, 10**13),
    cash=st.integers(10**6, 10**13),
    amp=st.integers(1, 200),
    fee=st.integers(0, 999),
    paid_down=st.integers(0, 9 * 10**13),
)


def bound(p: PoolMirror, sell: bool) -> float:
    vt, vy = p.tokens + p.off_tokens, p.cash + p.off_cash
    price = vy / vt if sell else vt / vy
    return PARITY_UNITS + price


@settings(max_examples=300, deadline=None)
@given(p=pools, frac=st.floats(1e-9, 2.0))
def test_sell_and_buy_match_the_mirror(p: PoolMirror, frac: float) -> None:
    c, oc, t, ot = arrays(p)
    t_in = int(frac * p.tokens) + 1
    exact = p.quote_sell(t_in)
    got = float(sell_out(c, oc, t, ot, np.array([float(t_in)]), p.fee_bps)[0])
    if exact == 0:  # floored to 0, or refused: float is tiny, refuses, or sits at the edge
        assert got <= bound(p, True) or got >= p.cash - bound(p, True)
    else:
        assert exact - 1e-6 <= got <= exact + bound(p, True)
    c_in = int(frac * p.cash) + 1
    exact = p.quote_buy(c_in)
    got = float(buy_out(c, oc, t, ot, np.array([float(c_in)]), p.fee_bps)[0])
    if exact == 0:
        assert got <= bound(p, False) or got >= p.tokens - bound(p, False)
    else:
        assert exact - 1e-6 <= got <= exact + bound(p, False)


@settings(max_examples=200, deadline=None)
@given(p=pools, frac=st.floats(0.0, 1.0))
def test_capacity_is_the_mirrors_edge(p: PoolMirror, frac: float) -> None:
    c, oc, t, ot = arrays(p)
    cap = float(sell_capacity(c, oc, t, ot, p.fee_bps)[0])
    if not np.isfinite(cap):
        assert p.off_cash == 0
        return
    inside = int(frac * cap * 0.999)
    if inside > 0 and p.quote_sell(inside) == 0:
        # only the floors can refuse inside the bound: a tiny trade paying < 1 unit
        assert float(sell_out(c, oc, t, ot, np.array([float(inside)]), p.fee_bps)[0]) < 2
    assert p.quote_sell(int(cap * 1.001) + 10) == 0


@settings(max_examples=200, deadline=None)
@given(p=pools, move=st.floats(0.5, 1.5))
def test_trade_to_price_lands_on_the_target(p: PoolMirror, move: float) -> None:
    c, oc, t, ot = arrays(p)
    spot = (p.cash + p.off_cash) / (p.tokens + p.off_tokens)
    target = np.array([spot * move])
    k = float(p.tokens + p.off_tokens) * float(p.cash + p.off_cash)
    lo, hi = p.off_cash**2 / k, (k / p.off_tokens**2 if p.off_tokens else np.inf)
    reach = min(max(float(target[0]), lo), hi)
    if move < 1:
        t_in = int(sell_to_price(c, oc, t, ot, target, p.fee_bps)[0])
        if t_in == 0 or p.quote_sell(t_in) == 0:
            return
        p.sell(t_in)
    else:
        c_in = int(buy_to_price(c, oc, t, ot, target, p.fee_bps)[0])
        if c_in == 0 or p.quote_buy(c_in) == 0:
            return
        p.buy(c_in)
    after = (p.cash + p.off_cash) / (p.tokens + p.off_tokens)
    # the fee stays in the reserves, so a sale overshoots and a buy undershoots by it;
    # the integer trade floors its input and output: a unit each moves the price
    # by about (2 * price + 1) / (T + A)
    fee = p.fee_bps / 10_000
    units = 3 * (reach + 1) / (p.tokens + p.off_tokens)
    assert abs(after - reach) <= reach * (fee + 1e-6) + units


def test_curve_matches_the_contract(sb: MarketSandbox) -> None:
    """Sells and buys on the deployed TrancheMarket, each checked against the array curve."""
    with boa.env.prank(sb.lp):  # type: ignore[attr-defined]
        sb.pool.add_liquidity(0, 100_000 * UNIT, 97_000 * UNIT, DEADLINE)
    sb.period(sb.face * 9 // 10, 0)
    sb.pool.sync()
    for k, amount in enumerate([5_000, 1, 40_000, 777, 12_345]):
        tok, cash, off_t, off_c = (float(x) for x in sb.pool.reserves())
        args = (np.array([cash]), np.array([off_c]), np.array([tok]), np.array([off_t]))
        with boa.env.prank(sb.trader):  # type: ignore[attr-defined]
            if k % 2 == 0:
                got = sb.pool.sell(amount * UNIT, 0, DEADLINE)
                want = float(sell_out(*args, np.array([amount * UNIT * 1.0]), 10)[0])
                price = (cash + off_c) / (tok + off_t)
            else:
                got = sb.pool.buy(amount * UNIT, 0, DEADLINE)
                want = float(buy_out(*args, np.array([amount * UNIT * 1.0]), 10)[0])
                price = (tok + off_t) / (cash + off_c)
        assert got - 1e-6 <= want <= got + PARITY_UNITS + price

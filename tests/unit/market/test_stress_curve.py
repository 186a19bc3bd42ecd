"""The stress engine's array curve against PoolMirror's exact integers and the contract.

Bound: the mirror floors the fee-adjusted input of each position, the routing
split and each output; float64 floors none, so a float output is at most
``PARITY_UNITS`` plus four tokens at the tail price (cash per token) above the
mirror's, and never below it by more than float64 error.
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
    Pools,
    buy_out,
    buy_to_price,
    scale_cash,
    sell_out,
    sell_to_price,
    spot,
)

DEADLINE = 2**63


def arrays(p: PoolMirror) -> Pools:
    return Pools(*(np.array([float(x)]) for x in (p.tc, p.yc, p.ac, p.bc, p.tf, p.yf, p.bf)))


def seeded(
    face: int, tokens: int, cash: int, amp: int, fee: int, core_bps: int, paid_down: int
) -> PoolMirror:
    p = PoolMirror(face=face, amp=amp, fee_bps=fee, core_bps=core_bps)
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
    core_bps=st.integers(0, 9_500),
    paid_down=st.integers(0, 9 * 10**13),
)


def bound(p: PoolMirror, sell: bool) -> float:
    price = (p.yf + p.bf) / p.tf
    # the core's cap path rounds two amounts up (its effective and gross input), each
    # moving up to one token between the positions: up to 4 tokens' worth at the tail price
    return PARITY_UNITS + 4 * (price if sell else 1 / price)


@settings(max_examples=300, deadline=None)
@given(p=pools, frac=st.floats(1e-9, 2.0))
def test_sell_and_buy_match_the_mirror(p: PoolMirror, frac: float) -> None:
    s = arrays(p)
    t_in = int(frac * p.tokens) + 1
    exact = p.quote_sell(t_in)
    got = float(sell_out(s, np.array([float(t_in)]), p.fee_bps)[0][0])
    assert exact - 1e-6 * exact - 1 <= got <= exact + bound(p, True)
    c_in = int(frac * p.cash) + 1
    exact = p.quote_buy(c_in)
    got = float(buy_out(s, np.array([float(c_in)]), p.fee_bps)[0][0])
    assert exact - 1e-6 * exact - 1 <= got <= exact + bound(p, False)


@settings(max_examples=200, deadline=None)
@given(p=pools, ratio=st.floats(0.01, 1.5))
def test_rescale_matches_the_mirror(p: PoolMirror, ratio: float) -> None:
    bal = p.seen_balance
    new = max(1, int(bal * ratio))
    s, rel = scale_cash(arrays(p), np.array([new / bal]))
    released = p.sync(new, 0, moved=True)
    assert abs(float(rel[0]) - released) <= 2 + 1e-9 * released
    for a, b in zip(s, (p.tc, p.yc, p.ac, p.bc, p.tf, p.yf, p.bf), strict=True):
        assert abs(float(a[0]) - b) <= 2 + 1e-9 * b


@settings(max_examples=200, deadline=None)
@given(p=pools, move=st.floats(0.05, 1.5))
def test_trade_to_price_lands_on_the_target(p: PoolMirror, move: float) -> None:
    s = arrays(p)
    p0 = float(spot(s)[0])
    target = np.array([p0 * move])
    if move < 1:
        t_in = int(sell_to_price(s, target, p.fee_bps)[0])
        if t_in == 0 or p.quote_sell(t_in) == 0:
            return
        p.sell(t_in)
    else:
        c_in = int(buy_to_price(s, target, p.fee_bps)[0])
        if c_in == 0 or p.quote_buy(c_in) == 0:
            return
        p.buy(c_in)
    after = (p.yf + p.bf) / p.tf
    reach = float(target[0])
    if move > 1 and p.tc == 0 and p.ac:  # the core sold out: the tail alone went on
        return
    # the fee stays in the reserves, so a sale overshoots and a buy undershoots
    # by about it; the integer trade floors inputs and outputs: a few units each
    # move the price by about (price + 1) / Tf
    fee = p.fee_bps / 10_000
    units = 6 * (reach + 1) / p.tf
    assert abs(after - reach) <= reach * (fee + 1e-6) + units


def test_curve_matches_the_contract(sb: MarketSandbox) -> None:
    """Sells and buys on the deployed TrancheMarket, each checked against the array curve."""
    with boa.env.prank(sb.lp):  # type: ignore[attr-defined]
        sb.pool.add_liquidity(0, 100_000 * UNIT, 97_000 * UNIT, DEADLINE)
    sb.period(sb.face * 9 // 10, 0)
    sb.pool.sync()  # accrual restarts: trades in this block carry no accrued interest
    for k, amount in enumerate([5_000, 1, 40_000, 777, 12_345, 60_000]):
        s = Pools(*(np.array([float(x)]) for x in sb.pool.positions()))
        with boa.env.prank(sb.trader):  # type: ignore[attr-defined]
            if k % 2 == 0:
                got = sb.pool.sell(amount * UNIT, 0, DEADLINE)
                want = float(sell_out(s, np.array([amount * UNIT * 1.0]), 10)[0][0])
                price = float(spot(s)[0])
            else:
                got = sb.pool.buy(amount * UNIT, 0, DEADLINE)
                want = float(buy_out(s, np.array([amount * UNIT * 1.0]), 10)[0][0])
                price = 1 / float(spot(s)[0])
        assert got - 1e-9 * got - 1 <= want <= got + PARITY_UNITS + 2 * price

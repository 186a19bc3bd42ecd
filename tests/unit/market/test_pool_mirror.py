"""Properties of the pool's exact math (the mirror equals the contract to the unit:
tests/stateful/test_market_machine.py), checked fast over many inputs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trancheflow.errors import MarketError
from trancheflow.market.pool import PoolMirror

FACE = 10**12
seeds = st.tuples(
    st.integers(10**6, 10**11), st.integers(8_000, 11_000), st.integers(1, 50), st.integers(0, 100)
)


def seeded(t: int, price_bp: int, amp: int, fee: int) -> PoolMirror:
    p = PoolMirror(face=FACE, amp=amp, fee_bps=fee)
    p.sync(FACE, 0)
    p.add_liquidity("lp", 0, t, t * price_bp // 10_000)
    return p


@settings(max_examples=300, deadline=None)
@given(seed=seeds, frac=st.integers(1, 10_000))
def test_round_trip_swap_never_profits(seed: tuple[int, int, int, int], frac: int) -> None:
    p = seeded(*seed)
    x = p.tokens * frac // 20_000 + 1
    try:
        cash = p.sell(x)
        back = p.buy(cash)
    except MarketError:
        return
    assert back <= x


@settings(max_examples=300, deadline=None)
@given(seed=seeds, bp=st.integers(1, 20_000))
def test_add_then_remove_never_profits(seed: tuple[int, int, int, int], bp: int) -> None:
    p = seeded(*seed)
    shares = p.supply * bp // 10_000 + 1
    tin, cin = p.add_liquidity("x", shares, 10**15, 10**15)
    tout, cout = p.remove_liquidity("x", shares)
    assert tout <= tin and cout <= cin


@settings(max_examples=300, deadline=None)
@given(seed=seeds, keep_bp=st.integers(100, 9_999), claimed=st.integers(0, 10**10))
def test_paydown_keeps_price_and_credits_all(
    seed: tuple[int, int, int, int], keep_bp: int, claimed: int
) -> None:
    p = seeded(*seed)
    p0 = p.spot_price()
    cash0 = p.cash
    released = p.sync(FACE * keep_bp // 10_000, claimed)
    # the price per 100 of current face (the tail's) moves only by the
    # rescale's rounding (Yf and Bf each floored: at most 2 units of Yf+Bf)
    assert abs(p.spot_price() - p0) <= p0 * 2 // (p.yf + p.bf) + 1
    assert p.cash + released == cash0
    # all of it reaches the LP or the dust carried to the next credit, but for
    # at most one unit (the committed cash is rounded up, accruals down)
    assert 0 <= claimed + released - p.claimable("lp") - p.lp_dust <= 1


@settings(max_examples=200, deadline=None)
@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["credit", "move", "add"]), st.integers(0, 10**9)), max_size=30
    )
)
def test_lp_accruals_never_exceed_credits(ops: list[tuple[str, int]]) -> None:
    p = seeded(10**9, 9_900, 20, 10)
    credited = 0
    bal = FACE
    cash0 = p.cash
    for op, n in ops:
        if op == "credit":
            bal -= bal // 100
            credited += n + p.sync(bal, n)
        elif op == "move":
            p.transfer("lp", "other", min(n, p.shares.get("lp", 0)))
        elif p.seen_balance:
            p.add_liquidity("third", n % 10**6 + 1, 10**15, 10**15)
    owed = sum(p.claimable(w) for w in ("lp", "other", "third"))
    # every unit credited (claimed + released) is owed to an LP or kept as dust,
    # less at most one unit per LP per credit lost to floor rounding
    assert owed + p.lp_dust <= credited
    assert credited - owed - p.lp_dust <= 3 * (len(ops) + 1)
    assert p.cash <= cash0 + 10**15


def test_bad_parameters_are_named() -> None:
    with pytest.raises(MarketError, match="amp=0"):
        PoolMirror(face=FACE, amp=0)
    with pytest.raises(MarketError, match="fee_bps=1000"):
        PoolMirror(face=FACE, fee_bps=1000)

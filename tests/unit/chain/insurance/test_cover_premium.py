"""The deal's cover (capped by assets and per period) and premium move the share price."""

from __future__ import annotations

import boa
import pytest

from .conftest import CAP, COOLDOWN, UNIT, FundEnv


def test_premium_raises_price_pro_rata(env: FundEnv) -> None:
    a, b = env.uw[0], env.uw[1]
    env.deposit(a, 300 * UNIT)
    env.deposit(b, 100 * UNIT)
    env.deal.premium(env.fund.address, env.usdc.address, 40 * UNIT)
    assert env.fund.totalAssets() == 440 * UNIT
    ga, gb = env.exit(a), env.exit(b)
    assert 330 * UNIT - 1 <= ga <= 330 * UNIT
    assert 110 * UNIT - 1 <= gb <= 110 * UNIT + 1  # the last one out gets a's dust


@pytest.mark.parametrize(
    ("assets", "ask", "paid"),
    [
        (100_000, 20_000, 20_000),  # within everything
        (100_000, 80_000, 50_000),  # capped per period
        (30_000, 40_000, 30_000),  # capped by assets
        (0, 10_000, 0),  # empty fund
    ],
)
def test_cover_caps(env: FundEnv, assets: int, ask: int, paid: int) -> None:
    if assets:
        env.deposit(env.uw[0], assets * UNIT)
    before = env.usdc.balanceOf(env.deal.address)
    env.deal.set_state(5, False)
    assert env.fund.cover_room() == min(assets * UNIT, CAP)
    env.deal.cover(env.fund.address, ask * UNIT)
    assert env.usdc.balanceOf(env.deal.address) - before == paid * UNIT
    assert env.fund.totalAssets() == (assets - paid) * UNIT
    assert env.fund.covered(5) == paid * UNIT


def test_cap_is_per_period(env: FundEnv) -> None:
    env.deposit(env.uw[0], 200_000 * UNIT)
    env.deal.set_state(1, False)
    env.deal.cover(env.fund.address, 30_000 * UNIT)
    env.deal.cover(env.fund.address, 30_000 * UNIT)  # only 20k left this period
    assert env.fund.covered(1) == CAP
    assert env.fund.cover_room() == 0
    env.deal.set_state(2, False)
    assert env.fund.cover_room() == CAP
    env.deal.cover(env.fund.address, 30_000 * UNIT)
    assert env.fund.totalAssets() == 200_000 * UNIT - CAP - 30_000 * UNIT


def test_cover_hits_escrowed_shares_too(env: FundEnv) -> None:
    """A pending request does not escape a loss realised during its cooldown."""
    a, b = env.uw[0], env.uw[1]
    env.deposit(a, 100 * UNIT)
    env.deposit(b, 100 * UNIT)
    env.request(a)
    env.deal.cover(env.fund.address, 50 * UNIT)
    boa.env.time_travel(seconds=COOLDOWN)
    assert 75 * UNIT - 1 <= env.redeem(a, env.fund.requests(a)[0]) <= 75 * UNIT


def test_cap_change_by_owner(env: FundEnv) -> None:
    with boa.env.prank(env.owner):
        env.fund.set_cap_per_period(1)
    env.deposit(env.uw[0], 10 * UNIT)
    env.deal.cover(env.fund.address, 10 * UNIT)
    assert env.fund.totalAssets() == 10 * UNIT - 1

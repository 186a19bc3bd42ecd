"""Audit finding 2 (issue 10): a redemption request must not be a free option to leave.

Reproduced against the fund of issue 7: shares escrowed by ``request_redeem``
kept earning premium and a matured request never expired, so an underwriter
who requested at deposit earned the premium AND could leave in one block at
any later time. The fund also burned the shares from its own escrow instead
of from ``owner`` as EIP-4626 says. After the fix (TECH_SPEC.md, "Insurance
fund"): requested shares stop earning (they keep bearing losses), a matured
request can be used for ``REDEEM_WINDOW`` seconds only, and shares stay with
the owner (locked) until ``redeem``/``withdraw`` burns them from the owner.
"""

from __future__ import annotations

import boa

from .conftest import COOLDOWN, UNIT, FundEnv

PREMIUM = 100_000 * UNIT


def test_requested_shares_stop_earning_premium(env: FundEnv) -> None:
    quick, patient = env.uw[0], env.uw[1]
    env.deposit(quick, 500_000 * UNIT)
    env.deposit(patient, 500_000 * UNIT)
    env.request(quick)  # at deposit: ready to leave after the cooldown
    env.deal.premium(env.fund.address, env.usdc.address, PREMIUM)
    boa.env.time_travel(seconds=COOLDOWN)
    got_quick = env.redeem(quick, int(env.fund.maxRedeem(quick)))
    # the requester gets back what its shares were worth at the request, no premium
    assert 500_000 * UNIT - 1 <= got_quick <= 500_000 * UNIT
    # the whole premium stays with the underwriter that stayed at risk
    left = int(env.fund.convertToAssets(env.fund.balanceOf(patient)))
    assert 500_000 * UNIT + PREMIUM - 2 <= left <= 500_000 * UNIT + PREMIUM
    assert env.fund.totalAssets() == 500_000 * UNIT + PREMIUM + 500_000 * UNIT - got_quick


def test_requested_shares_still_bear_losses(env: FundEnv) -> None:
    a, b = env.uw[0], env.uw[1]
    env.deposit(a, 100_000 * UNIT)
    env.deposit(b, 100_000 * UNIT)
    env.request(a)
    env.deal.cover(env.fund.address, 50_000 * UNIT)  # a quarter of the fund
    boa.env.time_travel(seconds=COOLDOWN)
    got = env.redeem(a, int(env.fund.maxRedeem(a)))
    assert 75_000 * UNIT - 1 <= got <= 75_000 * UNIT


def test_a_matured_request_expires(env: FundEnv) -> None:
    u = env.uw[0]
    s = env.deposit(u, 1_000 * UNIT)
    env.request(u)
    window = int(env.fund.REDEEM_WINDOW())
    boa.env.time_travel(seconds=COOLDOWN + window)
    assert env.fund.maxRedeem(u) == 0 and env.fund.maxWithdraw(u) == 0
    with boa.env.prank(u), boa.reverts("fund: request expired"):
        env.fund.redeem(s, u, u)
    with boa.env.prank(u):
        env.fund.cancel_request()  # shares unlocked; a new request waits a new cooldown
    assert env.fund.balanceOf(u) == s
    env.request(u)
    assert env.fund.maxRedeem(u) == 0


def test_shares_are_burned_from_the_owner(env: FundEnv) -> None:
    u, op, other = env.uw[0], env.uw[1], env.uw[2]
    s = env.deposit(u, 1_000 * UNIT)
    env.request(u, s // 2)
    # the owner keeps its shares (locked while requested), transfers only the free part
    assert env.fund.balanceOf(u) == s and env.fund.balanceOf(env.fund.address) == 0
    with boa.env.prank(u), boa.reverts("fund: shares locked by a redemption request"):
        env.fund.transfer(other, s // 2 + 1)
    boa.env.time_travel(seconds=COOLDOWN)
    with boa.env.prank(u):
        env.fund.approve(op, s // 2)
    with boa.env.prank(op):
        env.fund.redeem(s // 2, op, u)
    assert env.fund.balanceOf(u) == s - s // 2 and env.fund.allowance(u, op) == 0


def test_previews_and_max_stay_exact_with_a_forfeit(env: FundEnv) -> None:
    """EIP-4626: redeem pays >= previewRedeem, withdraw burns <= previewWithdraw, and
    withdrawing maxWithdraw (or redeeming maxRedeem) does not revert."""
    a, b = env.uw[0], env.uw[1]
    env.deposit(a, 300_000 * UNIT)
    env.deposit(b, 700_000 * UNIT)
    env.request(a)
    env.deal.premium(env.fund.address, env.usdc.address, PREMIUM)
    boa.env.time_travel(seconds=COOLDOWN)
    with boa.env.anchor():
        mx = int(env.fund.maxWithdraw(a))
        preview = int(env.fund.previewWithdraw(mx))
        with boa.env.prank(a):
            burned = int(env.fund.withdraw(mx, a, a))
        assert burned <= preview
        assert mx <= 300_000 * UNIT
    s = int(env.fund.maxRedeem(a))
    preview = int(env.fund.previewRedeem(s))
    got = env.redeem(a, s)
    assert got >= preview and got <= 300_000 * UNIT
    assert env.fund.balanceOf(a) == 0 and env.fund.requests(a) == (0, 0, 0)


def test_a_sole_underwriter_keeps_its_gain(env: FundEnv) -> None:
    """With every share requested by one underwriter nobody else could receive the
    gain: no burn (burning would strand it with the virtual shares)."""
    u = env.uw[0]
    s = env.deposit(u, 100_000 * UNIT)
    env.request(u)
    env.deal.premium(env.fund.address, env.usdc.address, PREMIUM)
    boa.env.time_travel(seconds=COOLDOWN)
    assert env.fund.maxRedeem(u) == s
    got = env.redeem(u, s)
    assert 100_000 * UNIT + PREMIUM - 1 <= got <= 100_000 * UNIT + PREMIUM

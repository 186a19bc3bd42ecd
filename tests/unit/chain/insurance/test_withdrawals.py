"""Deposits, redemption requests, cooldown, pending-loss block, cancel and operators."""

from __future__ import annotations

import boa

from .conftest import COOLDOWN, OFFSET, UNIT, FundEnv


def test_first_deposit_shares_use_the_offset(env: FundEnv) -> None:
    # empty vault: shares = assets * (0 + 10**OFFSET) / (0 + 1)
    assert env.deposit(env.uw[0], 1_000 * UNIT) == 1_000 * UNIT * 10**OFFSET
    assert env.fund.totalAssets() == 1_000 * UNIT
    assert env.fund.decimals() == 6 + OFFSET


def test_round_trip_after_cooldown(env: FundEnv) -> None:
    u = env.uw[0]
    env.deposit(u, 1_000 * UNIT)
    before = env.usdc.balanceOf(u)
    s = env.request(u)
    # locked in the owner's balance (issue 10), burned from the owner at redeem
    assert env.fund.balanceOf(u) == s and env.fund.requests(u)[0] == s
    boa.env.time_travel(seconds=COOLDOWN - 1)
    assert env.fund.maxRedeem(u) == 0
    with boa.env.prank(u), boa.reverts("fund: cooldown not over"):
        env.fund.redeem(s, u, u)
    boa.env.time_travel(seconds=1)
    assert env.fund.maxRedeem(u) == s
    got = env.redeem(u, s)
    assert env.usdc.balanceOf(u) - before == got
    assert 1_000 * UNIT - 1 <= got <= 1_000 * UNIT  # rounding favours the fund
    assert env.fund.totalSupply() == 0


def test_withdraw_by_assets_rounds_shares_up(env: FundEnv) -> None:
    u = env.uw[1]
    env.deposit(u, 777 * UNIT + 1)
    env.request(u)
    boa.env.time_travel(seconds=COOLDOWN)
    preview = env.fund.previewWithdraw(100 * UNIT)
    with boa.env.prank(u):
        burned = env.fund.withdraw(100 * UNIT, u, u)
    assert burned == preview
    assert burned * (env.fund.totalAssets() + 100 * UNIT + 1) >= 100 * UNIT * (
        env.fund.totalSupply() + burned + 10**OFFSET
    )


def test_no_request(env: FundEnv) -> None:
    env.deposit(env.uw[0], UNIT)
    with boa.env.prank(env.uw[0]), boa.reverts("fund: no withdrawal request"):
        env.fund.redeem(1, env.uw[0], env.uw[0])


def test_redeem_more_than_requested(env: FundEnv) -> None:
    s = env.deposit(env.uw[0], 10 * UNIT)
    env.request(env.uw[0], s // 2)
    boa.env.time_travel(seconds=COOLDOWN)
    with boa.env.prank(env.uw[0]), boa.reverts("fund: shares exceed the request"):
        env.fund.redeem(s // 2 + 1, env.uw[0], env.uw[0])


def test_adding_to_a_request_restarts_the_cooldown(env: FundEnv) -> None:
    s = env.deposit(env.uw[0], 10 * UNIT)
    env.request(env.uw[0], s // 2)
    boa.env.time_travel(seconds=COOLDOWN - 5)
    env.request(env.uw[0], s // 2)
    boa.env.time_travel(seconds=5)
    assert env.fund.maxRedeem(env.uw[0]) == 0


def test_blocked_while_loss_pending(env: FundEnv) -> None:
    u = env.uw[0]
    s = env.deposit(u, 100 * UNIT)
    env.request(u)
    boa.env.time_travel(seconds=COOLDOWN)
    env.deal.set_state(3, True)
    assert env.fund.withdrawals_blocked()
    assert env.fund.maxRedeem(u) == 0 and env.fund.maxWithdraw(u) == 0
    with boa.env.prank(u), boa.reverts("fund: loss pending, withdrawals blocked"):
        env.fund.redeem(s, u, u)
    env.deal.cover(env.fund.address, 40 * UNIT)  # the loss is absorbed first
    env.deal.set_state(4, False)
    assert 60 * UNIT - 1 <= env.redeem(u, s) <= 60 * UNIT


def test_cancel_returns_shares(env: FundEnv) -> None:
    u = env.uw[2]
    s = env.deposit(u, 5 * UNIT)
    env.request(u)
    with boa.env.prank(u):
        env.fund.cancel_request()
    assert env.fund.balanceOf(u) == s
    assert env.fund.requests(u) == (0, 0, 0)
    with boa.env.prank(u), boa.reverts("fund: no request"):
        env.fund.cancel_request()


def test_operator_needs_allowance(env: FundEnv) -> None:
    u, op = env.uw[0], env.uw[1]
    s = env.deposit(u, 5 * UNIT)
    env.request(u)
    boa.env.time_travel(seconds=COOLDOWN)
    with boa.env.prank(op), boa.reverts("erc20: insufficient allowance"):
        env.fund.redeem(s, op, u)
    with boa.env.prank(u):
        env.fund.approve(op, s)
    with boa.env.prank(op):
        got = env.fund.redeem(s, op, u)
    assert env.usdc.balanceOf(op) == 1_000_000 * UNIT + got

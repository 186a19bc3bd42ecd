"""Every ERC-1404 restriction code: ``detect`` returns it, the token's transfer reverts with
its message, and lifting the cause lets the same transfer through."""

from __future__ import annotations

import boa
import pytest

from .conftest import ACC, COMPLIANCE, US, YEAR, Env


def _assert_code(env: Env, frm, to, amount: int, code: int) -> None:
    assert env.c.detect(env.token.address, frm, to, amount) == code
    msg = env.c.messageForTransferRestriction(code)
    with boa.reverts(msg):
        env.send(frm, to, amount)


def _funded(env: Env, amount: int = 1_000) -> tuple:
    a, b = env.inv["us_acc"], env.inv["us_qib"]
    env.token.mint(a, amount)
    return a, b


def test_allowed_transfer(env: Env) -> None:
    a, b = _funded(env)
    assert env.c.detect(env.token.address, a, b, 400) == 0
    env.send(a, b, 400)
    assert env.token.balanceOf(b) == 400


def test_paused_by_guardian_unpaused_by_owner(env: Env) -> None:
    a, b = _funded(env)
    with boa.env.prank(env.guardian):
        env.c.pause()
    _assert_code(env, a, b, 1, 1)
    with boa.env.prank(env.guardian), boa.reverts("ownable: caller is not the owner"):
        env.c.unpause()
    with boa.env.prank(env.owner):
        env.c.unpause()
    env.send(a, b, 1)


def test_sender_frozen(env: Env) -> None:
    a, b = _funded(env)
    with boa.env.prank(env.owner):
        env.c.set_frozen(env.token.address, a, True)
    _assert_code(env, a, b, 1, 2)
    with boa.env.prank(env.owner):
        env.c.set_frozen(env.token.address, a, False)
    env.send(a, b, 1)


def test_receiver_frozen(env: Env) -> None:
    a, b = _funded(env)
    with boa.env.prank(env.owner):
        env.c.set_frozen(env.token.address, b, True)
    _assert_code(env, a, b, 1, 3)


def test_receiver_not_registered(env: Env) -> None:
    a, _ = _funded(env)
    _assert_code(env, a, env.stranger, 1, 4)
    with boa.env.prank(env.registrar):
        env.c.revoke(env.inv["us_qib"])
    _assert_code(env, a, env.inv["us_qib"], 1, 4)


def test_receiver_expired_automatically(env: Env) -> None:
    a, _ = _funded(env)
    c = env.inv["us_acc2"]
    env.register(c, US, ACC, expiry=env.now + 1_000)
    env.send(a, c, 1)  # valid now
    boa.env.time_travel(seconds=1_000)  # expiry is exclusive: invalid at t == expiry
    assert not env.c.is_valid(c)
    _assert_code(env, a, c, 1, 5)
    env.register(c, US, ACC, expiry=env.now + 2 * YEAR)  # renewal
    env.send(a, c, 1)


def test_sender_with_expired_identity_may_still_sell(env: Env) -> None:
    a, b = _funded(env)
    boa.env.time_travel(seconds=YEAR + 1)
    env.register(b, US, ACC)  # only the buyer renews
    assert not env.c.is_valid(a)
    env.send(a, b, 10)


def test_jurisdiction(env: Env) -> None:
    a, _ = _funded(env)
    _assert_code(env, a, env.inv["gb_acc"], 1, 6)
    with boa.env.prank(env.owner):
        env.c.set_jurisdiction(env.token.address, 826, True)
    env.send(a, env.inv["gb_acc"], 1)


def test_class(env: Env) -> None:
    a, _ = _funded(env)
    _assert_code(env, a, env.inv["us_retail"], 1, 7)


def test_lockup(env: Env) -> None:
    env.rules(lock=env.now + 86_400)
    a, b = _funded(env)  # the mint is not locked up
    _assert_code(env, a, b, 1, 8)
    boa.env.time_travel(seconds=86_400)
    env.send(a, b, 1)


def test_max_holders(env: Env) -> None:
    env.rules(max_h=2)
    a, b = _funded(env)
    env.send(a, b, 10)
    assert env.c.holder_count(env.token.address) == 2
    c = env.inv["us_acc2"]
    _assert_code(env, a, c, 10, 9)
    env.send(b, a, 5)  # existing holders keep trading
    env.send(b, c, 5)  # b leaves as c joins: the count stays 2
    assert env.c.holder_count(env.token.address) == 2
    assert env.token.balanceOf(b) == 0


def test_minimum_holding(env: Env) -> None:
    env.rules(min_h=100)
    a, b = _funded(env, 1_000)
    _assert_code(env, a, b, 99, 10)  # receiver would hold 99
    _assert_code(env, a, b, 950, 10)  # sender would keep 50
    env.send(a, b, 100)
    env.send(a, b, 900)  # sender leaves entirely: allowed


def test_unknown_tranche(env: Env) -> None:
    other = boa.env.generate_address()
    assert env.c.detect(other, env.inv["us_acc"], env.inv["us_qib"], 1) == 11
    with boa.reverts("compliance: caller is not a configured token"):
        env.c.on_transfer(env.inv["us_acc"], env.inv["us_qib"], 1)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (0, "no restriction"),
        (9, "compliance: maximum number of holders reached"),
        (200, "compliance: unknown restriction code"),
    ],
)
def test_messages(env: Env, code: int, text: str) -> None:
    assert env.c.messageForTransferRestriction(code) == text


def test_check_investor_for_other_rule_keys(env: Env) -> None:
    auction = boa.env.generate_address()
    assert env.c.check_investor(auction, env.inv["us_acc"]) == 11
    with boa.env.prank(env.owner):
        env.c.set_rules(auction, 2, 0, 0, 0)  # QIB only
        env.c.set_jurisdiction(auction, US, True)
    assert env.c.check_investor(auction, env.inv["us_qib"]) == 0
    assert env.c.check_investor(auction, env.inv["us_acc"]) == 7


def test_rules_for_a_token_that_already_has_holders(env: Env) -> None:
    """Issue 10: a live token can be configured (its holder count lives in the token)."""
    env.token.mint(env.inv["us_acc"], 5)
    env.token.mint(env.inv["us_qib"], 5)
    with boa.env.prank(env.owner):
        other = boa.load_partial(COMPLIANCE).deploy(env.registrar, env.guardian)
        other.set_rules(env.token.address, ACC, 2, 0, 0)
    assert other.holder_count(env.token.address) == env.token.holder_count() == 2
    env.rules(classes=ACC, max_h=5)  # reconfiguring a configured token is fine
    assert env.c.rules(env.token.address)[2] == 5

"""Every privileged Compliance function refuses an unauthorised caller."""

from __future__ import annotations

import boa
import pytest

from .conftest import ACC, US, Env

OWNER_ONLY = [
    ("set_registrar", lambda e: (e.stranger, True)),
    ("set_guardian", lambda e: (e.stranger,)),
    ("set_rules", lambda e: (e.token.address, ACC, 0, 0, 0)),
    ("set_jurisdiction", lambda e: (e.token.address, US, True)),
    ("set_frozen", lambda e: (e.token.address, e.stranger, True)),
    ("unpause", lambda e: ()),
    ("transfer_ownership", lambda e: (e.stranger,)),
]


@pytest.mark.parametrize(("fn", "args"), OWNER_ONLY, ids=[f for f, _ in OWNER_ONLY])
@pytest.mark.parametrize("who", ["registrar", "guardian", "stranger"])
def test_owner_only(env: Env, fn: str, args, who: str) -> None:
    with boa.env.prank(getattr(env, who)), boa.reverts("ownable: caller is not the owner"):
        getattr(env.c, fn)(*args(env))


@pytest.mark.parametrize("who", ["owner", "guardian", "stranger"])
def test_registrar_only(env: Env, who: str) -> None:
    with boa.env.prank(getattr(env, who)), boa.reverts("compliance: caller is not a registrar"):
        env.c.register(env.stranger, US, ACC, env.now + 10)
    with boa.env.prank(getattr(env, who)), boa.reverts("compliance: caller is not a registrar"):
        env.c.revoke(env.inv["us_acc"])


def test_pause_guardian_or_owner(env: Env) -> None:
    for who in (env.registrar, env.stranger):
        with boa.env.prank(who), boa.reverts("compliance: caller cannot pause"):
            env.c.pause()
    with boa.env.prank(env.owner):
        env.c.pause()
    assert env.c.paused()


def test_registration_inputs(env: Env) -> None:
    with boa.env.prank(env.registrar):
        with boa.reverts("compliance: zero jurisdiction"):
            env.c.register(env.stranger, 0, ACC, env.now + 10)
        with boa.reverts("compliance: no investor class"):
            env.c.register(env.stranger, US, 0, env.now + 10)
        with boa.reverts("compliance: expiry in the past"):
            env.c.register(env.stranger, US, ACC, env.now)


def test_removed_registrar_loses_the_role(env: Env) -> None:
    with boa.env.prank(env.owner):
        env.c.set_registrar(env.registrar, False)
    with boa.env.prank(env.registrar), boa.reverts("compliance: caller is not a registrar"):
        env.c.register(env.stranger, US, ACC, env.now + 10)


def test_rules_through_safe_and_timelock(env: Env) -> None:
    """Governance owns the rules: a Safe-scheduled, timelocked change takes effect."""
    from trancheflow.chain.governance import deploy_governance
    from trancheflow.chain.reports import signer_addresses

    keys = [0xAB01, 0xAB02, 0xAB03]
    gov = deploy_governance(signer_addresses(keys), 2, 86_400)
    with boa.env.prank(env.owner):
        env.c.transfer_ownership(gov.address)
    gov.enact(gov.operation(env.c, env.c.accept_ownership.prepare_calldata()), keys[:2])
    assert env.c.owner() == gov.address
    with boa.env.prank(env.owner), boa.reverts("ownable: caller is not the owner"):
        env.c.set_jurisdiction(env.token.address, 826, True)
    op = gov.operation(env.c, env.c.set_jurisdiction.prepare_calldata(env.token.address, 826, True))
    gov.enact(op, keys[1:])
    assert env.c.jurisdiction_allowed(env.token.address, 826)

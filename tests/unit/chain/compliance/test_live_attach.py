"""Audit finding 4 (issue 10): compliance can be attached to, migrated on and detached
from a LIVE deal, and the holder limit stays exact throughout.

Reproduced against issue 7's Compliance: rules refused a token with supply
("token already has holders") because the hook kept its own holder count,
which only a hook present since the mint could know. So compliance could not
be attached after closing, ``DealClient.deploy_deal(compliance=...)`` failed
(the mint asked a hook with no rules for the new tokens) and a replacement
hook blocked every transfer. Fixed design (TECH_SPEC.md, "Compliance"): the
tranche token counts its own holders on 0 <-> non-0 balance transitions and
every hook reads ``TrancheToken.holder_count()``. The expected counts here are
recounted in Python from the balances.
"""

from __future__ import annotations

from typing import Any

import boa
import pytest

from ..conftest import UNIT, World, make_world
from .conftest import ACC, COMPLIANCE, US, YEAR

MAX_HOLDERS_REACHED = 9


def _holders(tok: Any, people: list[str]) -> int:
    return sum(1 for p in people if tok.balanceOf(p) > 0)


def _hook(w: World, registrar: str, people: list[str], max_holders: int) -> Any:
    with boa.env.prank(w.owner):
        c = boa.load_partial(COMPLIANCE).deploy(registrar, w.guardian)
    now = boa.env.evm.patch.timestamp
    with boa.env.prank(registrar):
        for p in people:
            c.register(p, US, ACC, now + YEAR)
    with boa.env.prank(w.owner):
        for tok in w.tokens:
            c.set_rules(tok.address, ACC, max_holders, 0, 0)  # refused for a live token before
            c.set_jurisdiction(tok.address, US, True)
    return c


def test_attach_migrate_detach_on_a_live_deal() -> None:
    w = make_world()  # closed, no compliance
    a = w.tokens[0]
    registrar = str(boa.env.generate_address("registrar"))
    carol, dave = (str(boa.env.generate_address(n)) for n in ("carol", "dave"))
    issuer, alice, bob = w.issuer, w.roles["alice"], w.roles["bob"]
    people = [issuer, alice, bob, carol, dave]
    w.transfer(a, issuer, alice, 1_000 * UNIT)
    w.transfer(a, issuer, bob, 1_000 * UNIT)
    assert _holders(a, people) == 3

    c1 = _hook(w, registrar, people, max_holders=3)
    with boa.env.prank(w.owner):
        w.deal.set_compliance(c1.address)
    assert c1.holder_count(a.address) == 3  # exact at attach, without a loop
    assert c1.detect(a.address, alice, carol, UNIT) == MAX_HOLDERS_REACHED
    with boa.env.prank(alice), boa.reverts("compliance: maximum number of holders reached"):
        a.transfer(carol, UNIT)
    w.transfer(a, alice, carol, 1_000 * UNIT)  # alice leaves as carol joins
    assert c1.holder_count(a.address) == _holders(a, people) == 3

    c2 = _hook(w, registrar, people, max_holders=4)  # migrate to a new contract
    with boa.env.prank(w.owner):
        w.deal.set_compliance(c2.address)
    assert c2.holder_count(a.address) == 3
    w.transfer(a, bob, dave, 10 * UNIT)
    assert c2.holder_count(a.address) == _holders(a, people) == 4
    with boa.env.prank(bob), boa.reverts("compliance: maximum number of holders reached"):
        a.transfer(alice, UNIT)

    with boa.env.prank(w.owner):
        w.deal.set_compliance("0x" + "00" * 20)  # detach: free transfers
    w.transfer(a, bob, alice, UNIT)
    w.transfer(a, dave, issuer, 10 * UNIT)
    assert _holders(a, people) == 4
    with boa.env.prank(w.owner):
        w.deal.set_compliance(c2.address)  # re-attach: the count followed the detached moves
    assert c2.holder_count(a.address) == a.holder_count() == 4


def test_deploy_deal_with_the_real_compliance() -> None:
    """``DealClient.deploy_deal(compliance=...)`` closes (the mint does not ask the hook);
    transfers then follow the rules the compliance owner sets for the new tokens."""
    from trancheflow.chain.client import DealClient
    from trancheflow.errors import ChainError

    from ..client.scenario import EXAMPLE

    client = DealClient.embedded()
    me, alice, bob = client.accounts[:3]
    with boa.swap_env(client.backend.env):  # type: ignore[attr-defined]
        c = boa.load_partial(COMPLIANCE).deploy(me, me, sender=me)
    d = client.deploy_deal(EXAMPLE, signers=[client.accounts[5]], compliance=str(c.address))
    token = d.token("A")
    face = d.balances(me)["A"]
    assert face > 0
    with boa.swap_env(client.backend.env):  # type: ignore[attr-defined]
        now = boa.env.evm.patch.timestamp
        c.register(alice, US, ACC, now + YEAR, sender=me)
        c.set_rules(token, ACC, 2, 0, 0, sender=me)
        c.set_jurisdiction(token, US, True, sender=me)
        assert c.holder_count(token) == 1
    d.transfer("A", me, alice, 10 * UNIT)
    assert d.balances(alice)["A"] == 10 * UNIT
    with pytest.raises(ChainError, match="receiver not registered"):
        d.transfer("A", me, bob, 10 * UNIT)

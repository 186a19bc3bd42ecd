"""The real TrancheToken of a deal calls the Compliance hook on the mint and every transfer,
exposes ERC-1404, and claims stay payable to a frozen or expired holder."""

from __future__ import annotations

import boa
import pytest

from trancheflow.chain.deploy import deploy_deal

from ..conftest import World, make_roles, standard_config
from .conftest import ACC, COMPLIANCE, US, YEAR


@pytest.fixture(scope="module")
def hooked() -> tuple[World, object, dict]:
    roles = make_roles()
    registrar = str(boa.env.generate_address("registrar"))
    with boa.env.prank(roles["owner"]):
        c = boa.load_partial(COMPLIANCE).deploy(registrar, roles["guardian"])
    cfg = standard_config(roles, compliance=str(c.address))
    d = deploy_deal(cfg, issuer=None, owner=roles["owner"])
    now = boa.env.evm.patch.timestamp
    with boa.env.prank(registrar):
        for who in ("issuer", "alice"):
            c.register(roles[who], US, ACC, now + YEAR)
    with boa.env.prank(roles["owner"]):
        for tok in d.tokens:
            c.set_rules(tok.address, ACC, 2, 0, 0)
            c.set_jurisdiction(tok.address, US, True)
        d.deal.close(roles["issuer"])
    return World(d, roles, cfg), c, roles


def test_mint_counts_the_issuer(hooked) -> None:
    w, c, roles = hooked
    for tok in w.tokens:
        assert c.holder_count(tok.address) == 1
        assert tok.balanceOf(roles["issuer"]) == tok.FACE()


def test_transfer_restrictions_on_the_token(hooked) -> None:
    w, c, roles = hooked
    a = w.tokens[0]
    assert a.detectTransferRestriction(roles["issuer"], roles["bob"], 10) == 4
    assert a.messageForTransferRestriction(4) == "compliance: receiver not registered"
    with boa.reverts("compliance: receiver not registered"):
        w.transfer(a, roles["issuer"], roles["bob"], 10)
    w.transfer(a, roles["issuer"], roles["alice"], 10)
    assert c.holder_count(a.address) == 2
    with boa.env.prank(roles["alice"]), boa.reverts("compliance: receiver not registered"):
        a.transferFrom(roles["issuer"], roles["bob"], 0)


def test_guardian_pause_blocks_transfers_not_claims(hooked) -> None:
    w, c, roles = hooked
    a = w.tokens[0]
    w.transfer(a, roles["issuer"], roles["alice"], 100_000 * 10**6)
    w.run()
    with boa.env.prank(roles["guardian"]):
        c.pause()
    with boa.reverts("compliance: transfers paused"):
        w.transfer(a, roles["alice"], roles["issuer"], 1)
    with boa.env.prank(roles["owner"]):
        c.set_frozen(a.address, roles["alice"], True)
    boa.env.time_travel(seconds=2 * YEAR)  # alice's identity has expired too
    owed = a.claimable(roles["alice"])
    assert owed > 0
    assert w.claim(a, roles["alice"]) == owed

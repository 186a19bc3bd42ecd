"""Governance-approved recovery of a frozen holder (issue 7): the compliance owner moves the
holder's accrued-but-unclaimed distributions and all its tokens to a recovery address that
passes compliance; the recovery address then claims exactly what the frozen holder had
accrued (checked against the independent ``TrancheIndexMirror``)."""

from __future__ import annotations

import copy

import boa
import pytest

from trancheflow.chain.deploy import deploy_deal
from trancheflow.chain.governance import deploy_governance
from trancheflow.chain.mirror import TrancheIndexMirror
from trancheflow.chain.reports import signer_addresses

from ..conftest import UNIT, World, make_roles, standard_config
from .conftest import ACC, COMPLIANCE, RETAIL, US, YEAR

GOV_KEYS = [0x5AFE01, 0x5AFE02, 0x5AFE03]


class RecEnv:
    """A closed deal whose tokens use a Compliance hook; ``alice`` holds 100k of tranche A
    after one period, ``vault`` is a registered recovery address, ``bob`` is retail."""

    def __init__(self) -> None:
        self.roles = make_roles()
        self.registrar = str(boa.env.generate_address("registrar"))
        self.vault = str(boa.env.generate_address("vault"))
        with boa.env.prank(self.roles["owner"]):
            self.c = boa.load_partial(COMPLIANCE).deploy(self.registrar, self.roles["guardian"])
        cfg = standard_config(self.roles, compliance=str(self.c.address))
        d = deploy_deal(cfg, issuer=None, owner=self.roles["owner"])
        now = boa.env.evm.patch.timestamp
        with boa.env.prank(self.registrar):
            for who in (self.roles["issuer"], self.roles["alice"], self.vault):
                self.c.register(who, US, ACC, now + 10 * YEAR)
            self.c.register(self.roles["bob"], US, RETAIL, now + 10 * YEAR)
        with boa.env.prank(self.roles["owner"]):
            for tok in d.tokens:
                self.c.set_rules(tok.address, ACC, 0, 0, 0)
                self.c.set_jurisdiction(tok.address, US, True)
            d.deal.close(self.roles["issuer"])
        self.w = World(d, self.roles, cfg)
        self.a = self.w.tokens[0]
        self.mirror = TrancheIndexMirror(int(self.a.FACE()))
        self.mirror.mint("issuer")
        self._credited = 0
        self.w.transfer(self.a, self.roles["issuer"], self.roles["alice"], 100_000 * UNIT)
        self.mirror.transfer("issuer", "alice", 100_000 * UNIT)
        self.period()

    def period(self) -> None:
        """Run one period and replay its tranche-A cash into the mirror."""
        self.w.run()
        credited = int(self.a.credited())
        self.mirror.distribute(credited - self._credited)
        self._credited = credited

    def freeze(self, who: str) -> None:
        with boa.env.prank(self.roles["owner"]):
            self.c.set_frozen(self.a.address, who, True)


@pytest.fixture(scope="module")
def env() -> RecEnv:
    return RecEnv()


@pytest.fixture(autouse=True)
def _restore_mirror(env: RecEnv):
    """Each test's chain changes are rolled back (``_isolate``); so are the mirror's."""
    saved = copy.deepcopy((env.mirror, env._credited))
    yield
    env.mirror, env._credited = saved


def _recovered(token) -> list:
    return [e for e in token.get_logs() if type(e).__name__ == "Recovered"]


def test_only_the_compliance_owner_recovers(env: RecEnv) -> None:
    alice = env.roles["alice"]
    env.freeze(alice)
    for who in (alice, env.vault, env.roles["guardian"], env.w.deal.address):
        with boa.env.prank(who), boa.reverts("tranche: caller is not governance"):
            env.a.recover(alice, env.vault)


def test_a_holder_that_is_not_frozen_cannot_be_recovered(env: RecEnv) -> None:
    with boa.env.prank(env.roles["owner"]), boa.reverts("tranche: holder not frozen"):
        env.a.recover(env.roles["alice"], env.vault)
    assert env.a.balanceOf(env.roles["alice"]) == 100_000 * UNIT


def test_recovery_address_must_pass_compliance(env: RecEnv) -> None:
    alice, bob = env.roles["alice"], env.roles["bob"]
    env.freeze(alice)
    with (
        boa.env.prank(env.roles["owner"]),
        boa.reverts("compliance: receiver investor class not allowed"),
    ):
        env.a.recover(alice, bob)
    env.freeze(env.vault)
    with boa.env.prank(env.roles["owner"]), boa.reverts("compliance: receiver frozen"):
        env.a.recover(alice, env.vault)


def test_recovery_moves_tokens_and_accrued_cash(env: RecEnv) -> None:
    alice, owner = env.roles["alice"], env.roles["owner"]
    env.period()  # a second period accrues more to alice
    env.freeze(alice)
    with boa.reverts("compliance: sender frozen"):
        env.w.transfer(env.a, alice, env.vault, 1)
    supply = int(env.a.totalSupply())
    holders = int(env.c.holder_count(env.a.address))
    owed = env.mirror.claimable("alice")
    assert owed > 0 and env.a.claimable(alice) == owed
    with boa.env.prank(owner):
        tokens, moved = env.a.recover(alice, env.vault)
    env.mirror.transfer("alice", "vault", 100_000 * UNIT)  # settles both, as recover does
    assert (tokens, moved) == (100_000 * UNIT, owed)
    ev = _recovered(env.a)[-1]
    assert (ev.holder, ev.to, ev.tokens, ev.owed) == (alice, env.vault, tokens, owed)
    assert env.a.balanceOf(alice) == 0 and env.a.claimable(alice) == 0
    assert env.a.balanceOf(env.vault) == 100_000 * UNIT
    assert int(env.a.totalSupply()) == supply
    assert sum(int(env.a.balanceOf(h)) for h in (env.roles["issuer"], alice, env.vault)) == supply
    assert env.c.holder_count(env.a.address) == holders  # alice left, the vault arrived
    assert env.w.claim(env.a, alice) == 0
    assert env.w.claim(env.a, env.vault) == owed
    # from now on the vault accrues on the recovered tokens, exactly as the mirror says
    env.period()
    expect = env.mirror.claimable("vault")
    assert expect > 0 and env.w.claim(env.a, env.vault) == expect


def test_recovery_through_safe_and_timelock(env: RecEnv) -> None:
    alice = env.roles["alice"]
    gov = deploy_governance(signer_addresses(GOV_KEYS), 2, 2 * 86_400)
    with boa.env.prank(env.roles["owner"]):
        env.c.transfer_ownership(gov.address)
    gov.enact(gov.operation(env.c, env.c.accept_ownership.prepare_calldata()), GOV_KEYS[:2])
    assert env.c.owner() == gov.address
    with boa.env.prank(env.roles["owner"]), boa.reverts("tranche: caller is not governance"):
        env.a.recover(alice, env.vault)
    freeze = env.c.set_frozen.prepare_calldata(env.a.address, alice, True)
    gov.enact(gov.operation(env.c, freeze), GOV_KEYS[:2])
    owed = int(env.a.claimable(alice))
    assert owed == env.mirror.claimable("alice") > 0
    payload = env.a.recover.prepare_calldata(alice, env.vault)
    gov.enact(gov.operation(env.a, payload), GOV_KEYS[:2])
    assert env.a.balanceOf(alice) == 0 and env.a.claimable(alice) == 0
    assert env.a.balanceOf(env.vault) == 100_000 * UNIT
    assert env.w.claim(env.a, env.vault) == owed

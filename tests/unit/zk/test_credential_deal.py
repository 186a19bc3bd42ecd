"""An investor buys a tranche with a ZK credential (titanoboa, the project's real deal).

The deal's tranche tokens call Compliance on every transfer; Compliance has a
CredentialRegistry attached. Bob has no clear-text identity: he is refused
with ERC-1404 code 4, gets a credential from the registered KYC provider,
proves it (snarkjs, the committed development keys) and buys; once the
recorded validity passes he is refused with code 5 again, and his expired
credential cannot make a new proof. Each bad input is refused with its reason
and nothing is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boa
import pytest

from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.chain.deploy import deploy_deal
from trancheflow.errors import ZkError
from trancheflow.zk.credential import (
    Credential,
    CredentialProof,
    TrancheRule,
    credential_worker,
    issue_credential,
    prove_credential,
)
from trancheflow.zk.eddsa import public_key
from trancheflow.zk.poseidon import FIELD_MODULUS

from ..chain.conftest import UNIT, World, make_roles, standard_config

US, GB, DE = 840, 826, 276
ACC, QIB, RETAIL = 1, 2, 4
DAY, YEAR = 86_400, 365 * 86_400
KYC_KEY = bytes.fromhex("6b7963" * 10 + "0102")  # development key, test only
OTHER_KEY = bytes.fromhex("0f" * 32)
RULE = TrancheRule((US, GB), ACC | QIB)
ZK = CONTRACTS_DIR / "zk"
COMPLIANCE = str(CONTRACTS_DIR / "compliance" / "Compliance.vy")


@dataclass
class Setup:
    w: World
    c: Any
    registry: Any
    verifier: Any
    bob: str
    carol: str
    now: int
    cred: Credential
    proof: CredentialProof
    foreign: CredentialProof  # bob's credential signed by an unregistered provider


@pytest.fixture(scope="module")
def setup(node_modules: Path) -> Setup:
    roles = make_roles()
    registrar = str(boa.env.generate_address("registrar"))
    with boa.env.prank(roles["owner"]):
        c = boa.load_partial(COMPLIANCE).deploy(registrar, roles["guardian"])
    d = deploy_deal(standard_config(roles, compliance=str(c.address)), issuer=None,
                    owner=roles["owner"])  # fmt: skip
    now = boa.env.evm.patch.timestamp
    with boa.env.prank(registrar):
        c.register(roles["issuer"], US, ACC, now + YEAR)
    with boa.env.prank(roles["owner"]):
        for tok in d.tokens:
            c.set_rules(tok.address, ACC | QIB, 0, 0, 0)
            c.set_jurisdiction(tok.address, US, True)
        d.deal.close(roles["issuer"])
    verifier = boa.load(str(ZK / "CredentialVerifier.vy"))
    registry = boa.load(str(ZK / "CredentialRegistry.vy"), c.address, verifier.address, 400 * DAY)
    a = public_key(KYC_KEY)
    with boa.env.prank(roles["owner"]):
        registry.set_kyc_key(1, a[0], a[1])
        registry.set_rule(d.tokens[0].address, list(RULE.jurisdictions), RULE.classes_mask)
        registry.set_rule(d.tokens[1].address, [DE], ACC)  # bob (826) cannot prove for it
        c.set_credentials(registry.address)
    bob, carol = roles["bob"], str(boa.env.generate_address("carol"))
    cred = issue_credential(KYC_KEY, bob, GB, QIB, now + 200 * DAY)
    until = now + 90 * DAY
    with credential_worker() as worker:
        proof = prove_credential(cred, RULE, until, worker)
        foreign = prove_credential(
            issue_credential(OTHER_KEY, bob, GB, QIB, now + 200 * DAY), RULE, until, worker
        )
        assert worker.verify(proof.proof, proof.public)  # snarkjs's own check
    return Setup(World(d, roles, standard_config(roles)), c, registry, verifier, bob, carol, now,
                 cred, proof, foreign)  # fmt: skip


def _prove(s: Setup, p: CredentialProof, *, holder: str | None = None, key_id: int = 1,
           token: Any = None, until: int | None = None) -> None:  # fmt: skip
    tok = token if token is not None else s.w.tokens[0]
    s.registry.prove_eligibility(
        holder or p.holder, tok.address, key_id, p.valid_until if until is None else until, p.words
    )


def test_investor_buys_a_tranche_with_a_zk_credential(setup: Setup) -> None:
    s = setup
    a = s.w.tokens[0]
    issuer = s.w.roles["issuer"]
    with boa.env.anchor():
        assert a.detectTransferRestriction(issuer, s.bob, UNIT) == 4
        with boa.reverts("compliance: receiver not registered"):
            s.w.transfer(a, issuer, s.bob, 1_000 * UNIT)
        _prove(s, s.proof)
        assert s.registry.eligible_until(a.address, s.bob) == s.proof.valid_until
        assert a.detectTransferRestriction(issuer, s.bob, UNIT) == 0
        s.w.transfer(a, issuer, s.bob, 1_000 * UNIT)
        assert a.balanceOf(s.bob) == 1_000 * UNIT
        # Nothing on chain holds bob's jurisdiction or class.
        assert s.c.identity(s.bob) == (0, 0, 0)
        # The credential's validity ends: transfers to bob stop with code 5, and his
        # proof (or any new one from the expired credential) is refused.
        boa.env.time_travel(seconds=s.proof.valid_until - boa.env.evm.patch.timestamp)
        assert a.detectTransferRestriction(issuer, s.bob, UNIT) == 5
        with boa.reverts("compliance: receiver identity expired"):
            s.w.transfer(a, issuer, s.bob, UNIT)
        with boa.reverts("credential: expired (valid_until not in the future)"):
            _prove(s, s.proof)
        boa.env.time_travel(seconds=s.cred.expiry - boa.env.evm.patch.timestamp)
        with pytest.raises(ZkError, match="after its expiry"):
            prove_credential(s.cred, RULE, boa.env.evm.patch.timestamp + DAY)
        # bob may still sell to an eligible buyer (the sender need not be eligible).
        s.w.transfer(a, s.bob, issuer, 1_000 * UNIT)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("tampered", "credential: proof does not verify"),
        ("other_holder", "credential: proof does not verify"),
        ("unregistered_key_id", "credential: unknown or revoked KYC key"),
        ("foreign_key", "credential: proof does not verify"),
        ("other_rule", "credential: proof does not verify"),
        ("no_rule", "credential: no rule for this tranche"),
        ("modulus", "credential: valid_until out of range"),
        ("beyond_cap", "credential: valid_until beyond the maximum validity"),
        ("other_until", "credential: proof does not verify"),
    ],
)
def test_bad_submissions_are_refused_and_nothing_recorded(
    setup: Setup, case: str, reason: str
) -> None:
    s = setup
    p = s.proof
    kw: dict[str, Any] = {}
    if case == "tampered":
        p = replace(p, words=[p.words[0], p.words[1] ^ 1, *p.words[2:]])
    elif case == "other_holder":
        kw["holder"] = s.carol
    elif case == "unregistered_key_id":
        kw["key_id"] = 2
    elif case == "foreign_key":
        p = s.foreign
    elif case == "other_rule":
        kw["token"] = s.w.tokens[1]
    elif case == "no_rule":
        kw["token"] = s.w.tokens[2]
    elif case == "modulus":
        kw["until"] = p.valid_until + FIELD_MODULUS
    elif case == "beyond_cap":
        kw["until"] = s.now + 500 * DAY
    elif case == "other_until":
        kw["until"] = p.valid_until - 1
    with boa.env.anchor():
        with boa.reverts(reason):
            _prove(s, p, **kw)
        for tok in s.w.tokens:
            for who in (s.bob, s.carol):
                assert s.registry.eligible_until(tok.address, who) == 0


@pytest.mark.parametrize("index", range(5))
def test_verifier_refuses_a_public_input_at_or_above_the_field_modulus(
    setup: Setup, index: int
) -> None:
    s = setup
    assert s.verifier.verify(s.proof.words, s.proof.public)
    public = list(s.proof.public)
    public[index] += FIELD_MODULUS  # the same residue: would verify without the check
    with boa.reverts("public input >= field modulus"):
        s.verifier.verify(s.proof.words, public)


def test_revoking_the_key_or_changing_the_rule_lapses_eligibility(setup: Setup) -> None:
    s = setup
    a = s.w.tokens[0]
    owner = s.w.roles["owner"]
    with boa.env.anchor():
        _prove(s, s.proof)
        with boa.env.prank(owner):
            s.registry.revoke_kyc_key(1)
        assert s.registry.eligible_until(a.address, s.bob) == 0
        assert a.detectTransferRestriction(s.w.roles["issuer"], s.bob, UNIT) == 4
        with boa.reverts("credential: unknown or revoked KYC key"):
            _prove(s, s.proof)
    with boa.env.anchor():
        _prove(s, s.proof)
        with boa.env.prank(owner):
            s.registry.set_rule(a.address, [US], ACC)
        assert s.registry.eligible_until(a.address, s.bob) == 0
        with boa.reverts("credential: proof does not verify"):
            _prove(s, s.proof)  # proven against the old rule


def test_only_the_compliance_owner_administers(setup: Setup) -> None:
    s = setup
    a = s.w.tokens[0]
    x, y = public_key(OTHER_KEY)
    with boa.env.prank(s.bob):
        for call in (
            lambda: s.registry.set_kyc_key(9, x, y),
            lambda: s.registry.revoke_kyc_key(1),
            lambda: s.registry.set_rule(a.address, [US], ACC),
            lambda: s.registry.set_max_validity(1),
            lambda: s.registry.revoke(a.address, s.bob),
        ):
            with boa.reverts("credential: caller is not the compliance owner"):
                call()
        with boa.reverts():
            s.c.set_credentials(s.bob)
    with boa.env.prank(s.w.roles["owner"]):
        with boa.reverts("credential: key is not a Baby Jubjub point"):
            s.registry.set_kyc_key(9, x, y + 1)
        with boa.reverts("credential: key id in use"):
            s.registry.set_kyc_key(1, x, y)
        with boa.reverts("credential: jurisdiction not an ISO numeric code"):
            s.registry.set_rule(a.address, [1000], ACC)
        with boa.reverts("credential: no investor class allowed"):
            s.registry.set_rule(a.address, [US], 0)

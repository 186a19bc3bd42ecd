"""Credentials in Python: files, rules, malformed input; the rule packing equals the contract's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.errors import ZkError
from trancheflow.zk.babyjubjub import BASE8
from trancheflow.zk.credential import (
    DOMAIN,
    MAX_JURISDICTIONS,
    Credential,
    CredentialProof,
    TrancheRule,
    credential_input,
    credential_message,
    issue_credential,
    load_credential,
    pack_rule,
    parse_private_key,
)
from trancheflow.zk.poseidon import poseidon

KEY = bytes(range(1, 33))
HOLDER = "0x" + "ab" * 20
EXPIRY = 1_900_000_000
RULE = TrancheRule((840, 826), 0b11)


@pytest.fixture(scope="module")
def cred() -> Credential:
    return issue_credential(KEY, HOLDER, 826, 2, EXPIRY)


def test_message_is_poseidon_of_the_domain_and_attributes() -> None:
    assert int.from_bytes(b"trancheflow-credential-v1", "big") == DOMAIN
    m = credential_message(HOLDER, 826, 2, EXPIRY)
    assert m == poseidon([DOMAIN, int(HOLDER, 16), 826, 2, EXPIRY])


def test_file_round_trip(cred: Credential, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cred.to_json()))
    assert load_credential(path) == cred


def _mutate(body: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(body))
    if "." in field:
        a, b = field.split(".")
        out[a][b] = value
    elif value is None:
        del out[field]
    else:
        out[field] = value
    return out


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("type", "something", "not a trancheflow investor credential"),
        ("holder", None, "missing field 'holder'"),
        ("holder", "0x1234", "field 'holder'"),
        ("jurisdiction", 0, "ISO 3166-1 numeric code"),
        ("jurisdiction", "840", "field 'jurisdiction' must be an integer"),
        ("classes", 256, "investor-class bitmask"),
        ("expiry", 2**64, "unix seconds"),
        ("issuer", [1, 2], "field 'issuer'"),
        ("issuer", "nope", "field 'issuer'"),
        ("signature.S", "x", "field 'signature.S'"),
        ("signature.R8", [3, 4], "field 'signature.R8'"),
        ("jurisdiction", 840, "signature does not verify"),  # altered after signing
        ("expiry", EXPIRY + 1, "signature does not verify"),
        ("holder", "0x" + "cd" * 20, "signature does not verify"),  # someone else's
        ("issuer", [str(BASE8[0]), str(BASE8[1])], "signature does not verify"),
    ],
)
def test_malformed_credentials_are_named(
    cred: Credential, field: str, value: Any, message: str
) -> None:
    with pytest.raises(ZkError, match=message):
        Credential.from_json(_mutate(cred.to_json(), field, value), "credential c.json")


def test_unreadable_credential_file(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text("{not json")
    with pytest.raises(ZkError, match="cannot be read as JSON"):
        load_credential(path)


@pytest.mark.parametrize(
    ("rule", "until", "message"),
    [
        (TrancheRule((840,), 0b11), EXPIRY, "jurisdiction is not in the tranche's allowed set"),
        (TrancheRule((826,), 0b101), EXPIRY, "none of its investor classes"),
        (RULE, EXPIRY + 1, "after its expiry"),
        (RULE, 0, "after its expiry"),
    ],
)
def test_a_credential_outside_the_rule_is_refused_before_proving(
    cred: Credential, rule: TrancheRule, until: int, message: str
) -> None:
    with pytest.raises(ZkError, match=message):
        credential_input(cred, rule, until)


def test_circuit_input_holds_the_public_inputs(cred: Credential) -> None:
    signals = credential_input(cred, RULE, EXPIRY - 10)
    w0, w1 = pack_rule(RULE)
    assert signals["binding"] == str(int(HOLDER, 16) + ((EXPIRY - 10) << 160))
    assert signals["rule"] == [str(w0), str(w1)]
    assert signals["expiry"] == str(EXPIRY)


@pytest.mark.parametrize(
    ("codes", "mask"),
    [((), 1), ((0,), 1), ((1000,), 1), (tuple(range(1, MAX_JURISDICTIONS + 2)), 1), ((840,), 0)],
)
def test_bad_rules_are_refused(codes: tuple[int, ...], mask: int) -> None:
    with pytest.raises(ZkError, match="tranche rule"):
        TrancheRule(codes, mask)


@pytest.mark.parametrize("text", ["", "zz" * 32, "ab" * 31])
def test_bad_private_key_text(text: str) -> None:
    with pytest.raises(ZkError, match="KYC key"):
        parse_private_key(text)


def test_proof_file_checks() -> None:
    with pytest.raises(ZkError, match="not a trancheflow credential proof"):
        CredentialProof.from_json({"type": "x"})
    body = {
        "type": "trancheflow-credential-proof-v1",
        "holder": HOLDER,
        "valid_until": 1,
        "issuer": [str(BASE8[0]), str(BASE8[1])],
        "words": ["1"] * 7,
        "public": ["1"] * 5,
    }
    with pytest.raises(ZkError, match="8 proof words"):
        CredentialProof.from_json(body)


@pytest.fixture(scope="module")
def registry() -> tuple[Any, str]:
    owner = str(boa.env.generate_address("comp-owner"))
    with boa.env.prank(owner):
        c = boa.load(str(CONTRACTS_DIR / "compliance" / "Compliance.vy"), owner, owner)
    v = boa.load(str(CONTRACTS_DIR / "zk" / "CredentialVerifier.vy"))
    r = boa.load(str(CONTRACTS_DIR / "zk" / "CredentialRegistry.vy"), c.address, v.address, 0)
    return r, owner


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(1, 999), min_size=1, max_size=MAX_JURISDICTIONS),
    st.integers(1, 255),
)
def test_rule_packing_equals_the_contracts(
    registry: tuple[Any, str], codes: list[int], mask: int
) -> None:
    r, owner = registry
    token = "0x" + "77" * 20
    with boa.env.prank(owner):
        r.set_rule(token, codes, mask)
    w0, w1, _ = r.rules(token)
    assert (w0, w1) == pack_rule(TrancheRule(tuple(codes), mask))

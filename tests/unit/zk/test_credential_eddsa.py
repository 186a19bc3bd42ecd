"""Baby Jubjub EdDSA-Poseidon and BLAKE-512 against circomlibjs (code we did not write)."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trancheflow.errors import ZkError
from trancheflow.zk.babyjubjub import BASE8, GENERATOR, ORDER, SUBORDER, add, mul, on_curve
from trancheflow.zk.blake512 import blake512
from trancheflow.zk.eddsa import Signature, public_key, sign, verify
from trancheflow.zk.poseidon import FIELD_MODULUS

EDDSA = Path(__file__).with_name("circomlibjs_eddsa.js")
BLAKE = Path(__file__).with_name("blake_hash.js")


def _node(script: Path, node_modules: Path, payload: object) -> list[str]:
    env = {**os.environ, "NODE_PATH": str(node_modules)}
    out = subprocess.run(
        ["node", str(script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return out.stdout.split()


def test_blake512_matches_npm_blake_hash(node_modules: Path) -> None:
    rng = random.Random(7)
    sizes = [0, 1, 31, 32, 64, 110, 111, 112, 127, 128, 129, 239, 240, 500]
    data = [bytes(rng.randrange(256) for _ in range(n)) for n in sizes]
    theirs = _node(BLAKE, node_modules, [d.hex() for d in data])
    assert [blake512(d).hex() for d in data] == theirs


def test_blake512_published_vector() -> None:
    # BLAKE specification v1.3, appendix A.4: BLAKE-512 of the one-byte message 0x00.
    assert blake512(b"\x00").hex().startswith("97961587f6d970faba6d2478045de6d1")


def test_keys_and_signatures_match_circomlibjs(node_modules: Path) -> None:
    rng = random.Random(20261207)
    cases = [(bytes(rng.randrange(256) for _ in range(32)), rng.randrange(FIELD_MODULUS))]
    cases += [(bytes(32), 0), (b"\xff" * 32, FIELD_MODULUS - 1), (bytes(range(32)), 12345)]
    cases += [(rng.randbytes(32), rng.randrange(1 << 64)) for _ in range(3)]
    payload = {"cases": [{"key": k.hex(), "msg": str(m)} for k, m in cases]}
    theirs = [json.loads(line) for line in _node(EDDSA, node_modules, payload)]
    for (key, msg), js in zip(cases, theirs, strict=True):
        a = public_key(key)
        sig = sign(key, msg)
        assert js["ok"] is True
        assert [str(a[0]), str(a[1])] == js["A"]
        assert [str(sig.r8[0]), str(sig.r8[1])] == js["R8"]
        assert str(sig.s) == js["S"]
        assert verify(msg, sig, a)


def test_curve_constants() -> None:
    assert on_curve(GENERATOR) and on_curve(BASE8)
    assert mul(GENERATOR, 8) == BASE8
    assert mul(BASE8, SUBORDER) == (0, 1)
    assert mul(GENERATOR, ORDER) == (0, 1)
    assert mul(GENERATOR, SUBORDER) != (0, 1)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, SUBORDER - 1), st.integers(0, SUBORDER - 1))
def test_scalar_multiplication_is_linear(a: int, b: int) -> None:
    assert add(mul(BASE8, a), mul(BASE8, b)) == mul(BASE8, (a + b) % SUBORDER)


@settings(max_examples=10, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(0, FIELD_MODULUS - 1))
def test_tampered_signatures_fail(key: bytes, msg: int) -> None:
    sig, a = sign(key, msg), public_key(key)
    assert verify(msg, sig, a)
    assert not verify((msg + 1) % FIELD_MODULUS, sig, a)
    assert not verify(msg, Signature(sig.r8, (sig.s + 1) % SUBORDER), a)
    assert not verify(msg, Signature(sig.r8, sig.s + SUBORDER), a)  # S must be < l
    assert not verify(msg, sig, public_key(bytes(b ^ 1 for b in key)))


@pytest.mark.parametrize("key", [b"", b"\x00" * 31, "0" * 32])
def test_bad_private_keys_are_refused(key: object) -> None:
    with pytest.raises(ZkError, match="32 bytes"):
        sign(key, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("msg", [-1, FIELD_MODULUS])
def test_messages_outside_the_field_are_refused(msg: int) -> None:
    with pytest.raises(ZkError, match="field element"):
        sign(bytes(32), msg)

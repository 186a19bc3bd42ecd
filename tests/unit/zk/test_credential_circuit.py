"""The circuit itself refuses what Python's pre-checks refuse: raw signals sent to snarkjs
(the committed wasm and zkey) for a credential outside the rule, past valid_until, with a
tampered signature or unsigned attributes, fail to produce a witness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trancheflow.errors import ZkError
from trancheflow.zk.credential import (
    TrancheRule,
    credential_input,
    credential_worker,
    issue_credential,
    pack_rule,
)
from trancheflow.zk.prover import SnarkjsWorker

KEY = bytes(range(32))
HOLDER = "0x" + "5a" * 20
EXPIRY = 1_900_000_000
RULE = TrancheRule((840, 826), 0b011)


@pytest.fixture(scope="module")
def worker(node_modules: Path) -> Iterator[SnarkjsWorker]:
    with credential_worker() as w:
        yield w


@pytest.fixture(scope="module")
def good() -> dict[str, Any]:
    return credential_input(issue_credential(KEY, HOLDER, 826, 2, EXPIRY), RULE, EXPIRY - 1)


def test_the_honest_witness_proves(worker: SnarkjsWorker, good: dict[str, Any]) -> None:
    proof, public = worker.prove(good)
    assert public[0] == int(HOLDER, 16) + ((EXPIRY - 1) << 160)
    assert worker.verify(proof, public)


def _with(signals: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**signals, **{k: v if isinstance(v, list) else str(v) for k, v in changes.items()}}


@pytest.mark.parametrize(
    "case",
    ["jurisdiction_not_allowed", "class_not_allowed", "after_expiry", "other_holder",
     "unsigned_jurisdiction", "tampered_s", "s_plus_order", "other_key"],
)  # fmt: skip
def test_the_circuit_refuses(worker: SnarkjsWorker, good: dict[str, Any], case: str) -> None:
    holder = int(HOLDER, 16)
    if case == "jurisdiction_not_allowed":
        w0, w1 = pack_rule(TrancheRule((840,), 0b011))
        bad = _with(good, rule=[str(w0), str(w1)])
    elif case == "class_not_allowed":
        w0, w1 = pack_rule(TrancheRule((840, 826), 0b101))
        bad = _with(good, rule=[str(w0), str(w1)])
    elif case == "after_expiry":
        bad = _with(good, binding=holder + ((EXPIRY + 1) << 160))
    elif case == "other_holder":
        bad = _with(good, binding=(holder ^ 1) + ((EXPIRY - 1) << 160))
    elif case == "unsigned_jurisdiction":
        bad = _with(good, jurisdiction=840)
    elif case == "tampered_s":
        bad = _with(good, S=int(good["S"]) + 1)
    elif case == "s_plus_order":
        from trancheflow.zk.babyjubjub import SUBORDER

        bad = _with(good, S=int(good["S"]) + SUBORDER)  # same point, refused: S < l
    else:
        other = issue_credential(bytes(32), HOLDER, 826, 2, EXPIRY).issuer
        bad = _with(good, kycAx=other[0], kycAy=other[1])
    with pytest.raises(ZkError):
        worker.prove(bad)

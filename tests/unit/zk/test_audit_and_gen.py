"""Audit sizing (property: k is the smallest sufficient) and verifier generation rules."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.errors import ZkError
from trancheflow.zk.artifacts import artifact_path
from trancheflow.zk.audit import audit_k, draw_positions, pass_probability
from trancheflow.zk.verifier_gen import render_verifier


@given(st.floats(0.5, 0.999), st.floats(0.01, 0.5))
def test_audit_k_is_the_smallest_sufficient(confidence: float, share: float) -> None:
    k = audit_k(confidence, share)
    assert pass_probability(k, share) <= 1 - confidence + 1e-12
    assert k == 1 or pass_probability(k - 1, share) > 1 - confidence


@pytest.mark.parametrize(("c", "x"), [(0.0, 0.1), (1.0, 0.1), (0.9, 0.0), (0.9, 1.0)])
def test_audit_k_refuses_degenerate_inputs(c: float, x: float) -> None:
    with pytest.raises(ZkError):
        audit_k(c, x)


def test_draw_positions_are_in_range_and_seed_dependent() -> None:
    a = draw_positions(b"\x01" * 32, 40, 7)
    assert all(0 <= p < 7 for p in a) and a != draw_positions(b"\x02" * 32, 40, 7)


def test_generator_refuses_keys_it_cannot_serve() -> None:
    vk = json.loads(artifact_path("verification_key.json").read_text())
    assert "N_PUBLIC: constant(uint256) = 4" in render_verifier(vk)
    with pytest.raises(ZkError, match="groth16"):
        render_verifier({**vk, "protocol": "plonk"})
    with pytest.raises(ZkError, match="IC points"):
        render_verifier({**vk, "IC": vk["IC"][:-1]})

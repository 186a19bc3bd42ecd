"""Python Poseidon against circomlibjs (an implementation we did not write)."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from trancheflow.errors import ZkError
from trancheflow.zk.poseidon import FIELD_MODULUS, MAX_INPUTS, poseidon

SCRIPT = Path(__file__).with_name("circomlibjs_poseidon.js")


def circomlibjs(node_modules: Path, batches: list[list[int]]) -> list[int]:
    env = {**os.environ, "NODE_PATH": str(node_modules)}
    payload = json.dumps({"inputs": [[str(x) for x in xs] for xs in batches]})
    out = subprocess.run(
        ["node", str(SCRIPT)],
        input=payload,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return [int(line) for line in out.stdout.split()]


def test_every_width_matches_circomlibjs(node_modules: Path) -> None:
    rng = random.Random(20261207)
    batches: list[list[int]] = []
    for n in range(1, MAX_INPUTS + 1):
        batches.append([rng.randrange(FIELD_MODULUS) for _ in range(n)])
    # edges: zeros, the largest field element, small integers
    batches += [[0, 0], [FIELD_MODULUS - 1, FIELD_MODULUS - 1], [0] * 9, list(range(1, 10))]
    assert [poseidon(xs) for xs in batches] == circomlibjs(node_modules, batches)


@pytest.mark.parametrize("inputs", [[], [0] * (MAX_INPUTS + 1), [FIELD_MODULUS], [-1]])
def test_bad_inputs_are_refused(inputs: list[int]) -> None:
    with pytest.raises(ZkError):
        poseidon(inputs)

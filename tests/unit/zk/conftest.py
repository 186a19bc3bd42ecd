"""Shared fixtures for the ZK tests: the repository's node tools."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
NODE_MODULES = ROOT / "node_modules"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """``node_modules`` with circomlibjs and snarkjs (installed by ``make test``)."""
    if shutil.which("node") is None or not (NODE_MODULES / "circomlibjs").is_dir():
        pytest.skip("node and the npm packages (circomlibjs, snarkjs) are needed: run `make test`")
    return NODE_MODULES

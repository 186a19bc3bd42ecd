"""Artifact hashes: manifest agreement and the deal's deployment record."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from trancheflow.chain.deployments import Deployment, DeploymentStore, TokenRecord
from trancheflow.errors import ZkError
from trancheflow.zk.artifacts import (
    ARTIFACT_FILES,
    ARTIFACTS_DIR,
    artifact_hashes,
    record_in_deployment,
)


def test_hashes_are_sha256_of_the_files() -> None:
    hashes = artifact_hashes()
    for name in ARTIFACT_FILES.values():
        assert (
            hashes[name] == "0x" + hashlib.sha256((ARTIFACTS_DIR / name).read_bytes()).hexdigest()
        )


def test_a_changed_key_file_disagrees_with_the_manifest(tmp_path: Path) -> None:
    copy = tmp_path / "artifacts"
    shutil.copytree(ARTIFACTS_DIR, copy)
    (copy / "verification_key.json").write_text("{}")
    with pytest.raises(ZkError, match="differs from"):
        artifact_hashes(copy)


def test_record_in_deployment_keeps_the_record_and_adds_zk(tmp_path: Path) -> None:
    store = DeploymentStore(tmp_path)
    rec = Deployment(
        name="D-1", chain_id=31337, deal="0x" + "11" * 20,
        tokens=(TokenRecord("A", "A", "0x" + "22" * 20),), settlement="0x" + "33" * 20,
        blueprint="0x" + "44" * 20, block=5, tx_hash="0x" + "55" * 32,
        spec_hash="0x" + "66" * 32, tape_root="0x" + "77" * 32, decimals=6,
    )  # fmt: skip
    store.save(rec)
    record_in_deployment(store, 31337, "D-1", "0x" + "88" * 20, "0x" + "99" * 20, root=255)
    got = store.load(31337, "D-1")
    assert got.deal == rec.deal and got.tape_root == rec.tape_root
    assert got.contracts["zk_registry"] == "0x" + "88" * 20
    assert got.extras["zk"]["poseidon_root"] == "0xff"
    assert got.extras["zk"]["artifacts_sha256"] == artifact_hashes()
    assert got.extras["zk"]["setup"] == "development"

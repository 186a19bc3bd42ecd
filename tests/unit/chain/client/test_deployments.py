"""Deployment records: per-chain files, atomic writes, errors that name the file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from trancheflow.chain.client import DealClient
from trancheflow.chain.deployments import Deployment, DeploymentStore, TokenRecord
from trancheflow.errors import ChainError

from .scenario import EXAMPLE


def _record(name: str = "D", chain_id: int = 5) -> Deployment:
    return Deployment(
        name=name,
        chain_id=chain_id,
        deal="0x" + "11" * 20,
        tokens=(TokenRecord("A", "A", "0x" + "22" * 20), TokenRecord("B", "B", "0x" + "23" * 20)),
        settlement="0x" + "33" * 20,
        blueprint="0x" + "44" * 20,
        block=9,
        tx_hash="0x" + "55" * 32,
        spec_hash="0x" + "66" * 32,
        tape_root="0x" + "77" * 32,
        decimals=6,
        extras={"pool_balance": 10},
    )


def test_round_trip_and_one_file_per_chain(tmp_path: Path) -> None:
    store = DeploymentStore(tmp_path)
    store.save(_record("D1", 5))
    store.save(_record("D2", 5))
    store.save(_record("D1", 7))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["5.json", "7.json"]
    assert store.names(5) == ["D1", "D2"] and store.names(7) == ["D1"]
    assert DeploymentStore(tmp_path).load(5, "D2") == _record("D2", 5)
    assert json.loads((tmp_path / "5.json").read_text())["deals"]["D1"]["block"] == 9
    assert _record().addresses == ["0x" + "11" * 20, "0x" + "22" * 20, "0x" + "23" * 20]


def test_refuses_to_overwrite_and_names_the_file(tmp_path: Path) -> None:
    store = DeploymentStore(tmp_path)
    store.save(_record())
    with pytest.raises(ChainError, match=r"'D' is already deployed at 0x1111.* chain 5 .*5\.json"):
        store.save(_record())
    store.save(_record(), overwrite=True)
    with pytest.raises(ChainError, match=r"no deployment of deal 'X' on chain 5 .*known: D"):
        store.load(5, "X")


def test_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DeploymentStore(tmp_path)
    store.save(_record("D1"))
    before = (tmp_path / "5.json").read_bytes()

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        store.save(_record("D2"))
    assert (tmp_path / "5.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["5.json"]  # no temporary left behind


def test_malformed_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "5.json").write_text("{not json")
    with pytest.raises(ChainError, match=r"5\.json: cannot read deployments"):
        DeploymentStore(tmp_path).load(5, "D")
    (tmp_path / "5.json").write_text(json.dumps({"chain_id": 6, "deals": {}}))
    with pytest.raises(ChainError, match=r"expected \{'chain_id': 5"):
        DeploymentStore(tmp_path).names(5)
    (tmp_path / "5.json").write_text(json.dumps({"chain_id": 5, "deals": {"D": {"deal": "0x"}}}))
    with pytest.raises(ChainError, match=r"5\.json\[D\]: malformed deployment record"):
        DeploymentStore(tmp_path).load(5, "D")


def test_client_records_and_reloads(tmp_path: Path) -> None:
    client = DealClient.embedded(deployments_dir=tmp_path)
    deal = client.deploy_deal(EXAMPLE, signers=[client.accounts[5]])
    rec = json.loads((tmp_path / "31337.json").read_text())["deals"]["EXAMPLE-2026-1"]
    assert rec["deal"] == deal.address and rec["block"] == deal.record.block
    assert [t["tranche"] for t in rec["tokens"]] == ["A", "B", "Z"]
    again = client.load_deployment("EXAMPLE-2026-1")
    assert again.tranche_balances() == deal.tranche_balances()
    assert again.balances(client.accounts[0]) == {
        "A": 194_500_000 * 10**6,
        "B": 36_000_000 * 10**6,
        "Z": 73_000_000 * 10**6,
    }
    with pytest.raises(ChainError, match="already deployed"):
        client.deploy_deal(EXAMPLE, signers=[client.accounts[5]])
    # a record whose contract is not on this chain is refused clearly
    other = DealClient.embedded(deployments_dir=tmp_path)
    with pytest.raises(ChainError, match="does not answer there"):
        other.load_deployment("EXAMPLE-2026-1")
    with pytest.raises(ChainError, match="has no tranche 'Q'"):
        deal.claim("Q")

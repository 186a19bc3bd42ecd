"""``trancheflow zk credential``: issue -> prove -> register on the embedded chain; bad input
exits 2 naming the input; the committed artifacts match their manifest and verifier."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trancheflow.chain.client import DealClient
from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.cli import app
from trancheflow.zk.credential import TrancheRule, load_credential
from trancheflow.zk.credential_artifacts import credential_artifact, credential_hashes
from trancheflow.zk.credential_onchain import (
    attach,
    deploy_credentials,
    eligible_until,
    register_kyc_key,
    set_rule,
)
from trancheflow.zk.eddsa import public_key
from trancheflow.zk.verifier_gen import render_verifier

runner = CliRunner()
KYC_HEX = "4b" * 32  # development key, test only


def test_artifacts_match_the_manifest_and_the_verifier() -> None:
    assert set(credential_hashes()) == {
        "investor_credential.wasm",
        "investor_credential.zkey",
        "credential_verification_key.json",
    }
    vk = json.loads(credential_artifact("verification_key.json").read_text())
    assert vk["nPublic"] == 5
    generated = render_verifier(vk)
    assert generated == (CONTRACTS_DIR / "zk" / "CredentialVerifier.vy").read_text()


def test_issue_prove_register_on_the_embedded_chain(
    node_modules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = DealClient.embedded()
    b = c.backend
    owner, holder = b.accounts[0], b.accounts[3]
    comp = b.deploy("Compliance", [owner, owner], sender=owner).contract_address
    token = b.accounts[5]  # any address may be a rule key
    b.transact("Compliance", comp, "set_rules", [token, 3, 0, 0, 0], sender=owner)
    _, registry = deploy_credentials(b, comp, sender=owner)
    attach(b, comp, registry, sender=owner)
    register_kyc_key(b, registry, 1, public_key(bytes.fromhex(KYC_HEX)), sender=owner)
    set_rule(b, registry, token, TrancheRule((840, 826), 3), sender=owner)
    assert b.call("Compliance", comp, "check_investor", [token, holder]) == 4

    monkeypatch.setenv("TRANCHEFLOW_KYC_KEY", KYC_HEX)
    monkeypatch.setattr("trancheflow.cli.zk_credential._client", lambda *a: c)
    cred, proof = tmp_path / "cred.json", tmp_path / "proof.json"
    args = ["--holder", holder, "--jurisdiction", "826", "--classes", "qib", "--expiry"]
    res = runner.invoke(app, ["zk", "credential", "issue", *args, "2099-01-01", "--out", str(cred)])
    assert res.exit_code == 0, res.output
    assert load_credential(cred).is_valid()
    rule = ["--jurisdictions", "840,826", "--classes", "accredited,qib"]
    until = (dt.datetime.fromtimestamp(b.timestamp(), dt.UTC) + dt.timedelta(days=60)).date()
    res = runner.invoke(
        app,
        ["zk", "credential", "prove", str(cred), *rule, "--valid-until", until.isoformat(),
         "--out", str(proof)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        ["zk", "credential", "register", str(proof), "--registry", registry, "--token", token],
    )
    assert res.exit_code == 0, res.output
    assert "eligible for" in res.output and until.isoformat() in res.output
    assert eligible_until(b, registry, token, holder) > 0
    assert b.call("Compliance", comp, "check_investor", [token, holder]) == 0

    # A proof for another rule is named before any transaction.
    set_rule(b, registry, token, TrancheRule((840,), 3), sender=owner)
    res = runner.invoke(
        app,
        ["zk", "credential", "register", str(proof), "--registry", registry, "--token", token],
    )
    assert res.exit_code == 2 and "another rule" in res.output


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["issue", "--holder", "0x" + "11" * 20, "--jurisdiction", "840", "--classes", "qib",
          "--expiry", "2030-01-01", "--out", "{tmp}/c.json"], "TRANCHEFLOW_KYC_KEY is not set"),
        (["prove", "{tmp}/missing.json", "--jurisdictions", "840", "--classes", "qib",
          "--out", "{tmp}/p.json"], "cannot be read as JSON"),
        (["prove", "{tmp}/bad.json", "--jurisdictions", "840", "--classes", "qib",
          "--out", "{tmp}/p.json"], "not a trancheflow investor credential"),
        (["register", "{tmp}/bad.json", "--registry", "0x" + "11" * 20, "--token",
          "0x" + "22" * 20], "not a trancheflow credential proof"),
    ],
)  # fmt: skip
def test_bad_input_exits_2(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRANCHEFLOW_KYC_KEY", raising=False)
    (tmp_path / "bad.json").write_text('{"type": "other"}')
    res = runner.invoke(app, ["zk", "credential", *(a.format(tmp=tmp_path) for a in argv)])
    assert res.exit_code == 2, res.output
    assert message in res.output


def test_record_in_deployment_adds_the_credential_contracts_and_hashes(tmp_path: Path) -> None:
    from trancheflow.chain.deployments import Deployment, DeploymentStore, TokenRecord
    from trancheflow.zk.credential_onchain import record_in_deployment

    store = DeploymentStore(tmp_path)
    rec = Deployment(
        name="D-1", chain_id=31337, deal="0x" + "11" * 20,
        tokens=(TokenRecord("A", "A", "0x" + "22" * 20),), settlement="0x" + "33" * 20,
        blueprint="0x" + "44" * 20, block=5, tx_hash="0x" + "55" * 32,
        spec_hash="0x" + "66" * 32, tape_root="0x" + "77" * 32, decimals=6,
    )  # fmt: skip
    store.save(rec)
    record_in_deployment(store, 31337, "D-1", "0x" + "88" * 20, "0x" + "99" * 20)
    got = store.load(31337, "D-1")
    assert got.deal == rec.deal
    assert got.contracts["credential_registry"] == "0x" + "88" * 20
    assert got.extras["zk_credential"]["artifacts_sha256"] == credential_hashes()
    assert got.extras["zk_credential"]["setup"] == "development"

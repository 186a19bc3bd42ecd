"""Investor credentials on chain: the registry, its administration and proof submission.

Works over any :class:`~trancheflow.chain.backends.Backend` (the embedded
titanoboa chain or a JSON-RPC node): :func:`deploy_credentials` deploys the
generated ``CredentialVerifier`` and a ``CredentialRegistry`` bound to a
``Compliance`` contract; the compliance owner registers KYC keys
(:func:`register_kyc_key`) and tranche rules (:func:`set_rule`) and attaches
the registry to Compliance (:func:`attach`); anyone submits a holder's proof
(:func:`submit_proof`), which Python checks first against what the chain will
use, so a mismatch is named before any gas is spent.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from trancheflow.chain.backends import EXTRA_CONTRACTS, TxResult
from trancheflow.errors import ZkError
from trancheflow.zk.babyjubjub import Point
from trancheflow.zk.credential import CredentialProof, TrancheRule, binding, pack_rule
from trancheflow.zk.credential_artifacts import credential_hashes

__all__ = [
    "attach",
    "deploy_credentials",
    "eligible_until",
    "record_in_deployment",
    "register_kyc_key",
    "set_rule",
    "submit_proof",
]

# The backends deploy and call contracts by name; these two join the named set.
EXTRA_CONTRACTS.setdefault("CredentialVerifier", "zk/CredentialVerifier.vy")
EXTRA_CONTRACTS.setdefault("CredentialRegistry", "zk/CredentialRegistry.vy")

#: Default cap on one proof's eligibility window: 400 days.
DEFAULT_MAX_VALIDITY = 400 * 86_400


def deploy_credentials(
    backend: Any,
    compliance: str,
    *,
    max_validity: int = DEFAULT_MAX_VALIDITY,
    sender: str | None = None,
) -> tuple[str, str]:
    """Deploy (verifier, registry) for ``compliance``; returns their addresses."""
    verifier: TxResult = backend.deploy("CredentialVerifier", [], sender=sender)
    registry: TxResult = backend.deploy(
        "CredentialRegistry", [compliance, verifier.contract_address, max_validity], sender=sender
    )
    assert verifier.contract_address is not None and registry.contract_address is not None
    return verifier.contract_address, registry.contract_address


def attach(backend: Any, compliance: str, registry: str, *, sender: str | None = None) -> None:
    """Have Compliance accept credential-eligible receivers (compliance owner)."""
    backend.transact("Compliance", compliance, "set_credentials", [registry], sender=sender)


def register_kyc_key(
    backend: Any, registry: str, key_id: int, key: Point, *, sender: str | None = None
) -> TxResult:
    """Register KYC provider key ``key_id`` (compliance owner)."""
    result: TxResult = backend.transact(
        "CredentialRegistry", registry, "set_kyc_key", [key_id, key[0], key[1]], sender=sender
    )
    return result


def set_rule(
    backend: Any, registry: str, token: str, rule: TrancheRule, *, sender: str | None = None
) -> TxResult:
    """Set tranche ``token``'s credential rule (compliance owner)."""
    result: TxResult = backend.transact(
        "CredentialRegistry",
        registry,
        "set_rule",
        [token, list(rule.jurisdictions), rule.classes_mask],
        sender=sender,
    )
    return result


def _check_against_chain(
    backend: Any, registry: str, proof: CredentialProof, token: str, key_id: int
) -> None:
    ax, ay, active = backend.call("CredentialRegistry", registry, "kyc_keys", [key_id])
    if not active:
        raise ZkError(f"KYC key {key_id}: not registered (or revoked) on registry {registry}")
    if (int(ax), int(ay)) != tuple(proof.issuer):
        raise ZkError(
            f"credential proof: signed by another KYC key than key {key_id} registered on chain"
        )
    w0, w1, version = backend.call("CredentialRegistry", registry, "rules", [token])
    if int(version) == 0:
        raise ZkError(f"tranche {token}: no credential rule on registry {registry}")
    if [int(w0), int(w1)] != proof.public[3:5]:
        raise ZkError(f"credential proof: made for another rule than tranche {token}'s on chain")
    if proof.public[0] != binding(proof.holder, proof.valid_until):
        raise ZkError("credential proof: its public inputs disagree with its holder/valid_until")


def submit_proof(
    backend: Any,
    registry: str,
    proof: CredentialProof,
    token: str,
    key_id: int,
    *,
    check: bool = True,
    sender: str | None = None,
) -> TxResult:
    """Submit ``proof`` (``prove_eligibility``); Python checks key and rule first.

    Parameters
    ----------
    check : bool
        Compare the proof's key and rule with the chain's before sending (the
        contract checks anyway; ``False`` lets tests reach its reverts).

    Raises
    ------
    ZkError
        When the key or rule differ from the chain's (``check``).
    ChainError
        When the contract reverts (its reason in the message).
    """
    if check:
        _check_against_chain(backend, registry, proof, token, key_id)
    result: TxResult = backend.transact(
        "CredentialRegistry",
        registry,
        "prove_eligibility",
        [proof.holder, token, key_id, proof.valid_until, proof.words],
        sender=sender,
    )
    return result


def eligible_until(backend: Any, registry: str, token: str, holder: str) -> int:
    """Until when ``holder`` is recorded eligible for ``token`` (0 = not)."""
    return int(backend.call("CredentialRegistry", registry, "eligible_until", [token, holder]))


def rule_words(rule: TrancheRule) -> tuple[int, int]:
    """What ``set_rule`` stores for ``rule`` (same packing as the circuit)."""
    return pack_rule(rule)


def record_in_deployment(
    store: Any, chain_id: int, name: str, registry: str, verifier: str
) -> None:
    """Add the credential registry, verifier and artifact hashes to a deal's deployment record."""
    record = store.load(chain_id, name)
    contracts = {
        **record.contracts,
        "credential_registry": registry,
        "credential_verifier": verifier,
    }
    extras = {
        **record.extras,
        "zk_credential": {"artifacts_sha256": credential_hashes(), "setup": "development"},
    }
    store.save(replace(record, contracts=contracts, extras=extras), overwrite=True)

"""Liquidation helpers: property-value attestations and loan-status Merkle leaves.

A property value is EIP-712 typed data ``PropertyValue(bytes32 loanId,
uint256 value, uint256 asOf)`` in the domain ``"trancheflow Liquidation"``,
version ``"1"``, the chain id and the ``Liquidation`` contract's address.
The keeper proves a loan's servicer data with the leaf
``keccak(keccak(abi.encode(bytes32 loanId, uint256 balance, uint256 daysDelinquent)))``
under a loan-level root the deal has accepted.

Examples
--------
>>> lid = loan_id("L-0001")
>>> len(lid), len(status_leaf(lid, 250_000, 95))
(32, 32)
>>> sigs = sign_property_value(lid, 300_000, 1_700_000_000, [0x11, 0x22], 1, "0x" + "33" * 20)
>>> len(sigs)
2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_hash.auto import keccak

from trancheflow.errors import ChainError

__all__ = ["loan_id", "property_typed_data", "sign_property_value", "status_leaf"]


def loan_id(name: str) -> bytes:
    """The 32-byte loan id of a tape loan id string: ``keccak(utf8(name))``."""
    return bytes(keccak(name.encode()))


def status_leaf(lid: bytes, balance: int, days_delinquent: int) -> bytes:
    """Loan-status leaf of the period's loan-level tree (double keccak, like tape leaves)."""
    inner = keccak(encode(["bytes32", "uint256", "uint256"], [lid, balance, days_delinquent]))
    return bytes(keccak(inner))


def property_typed_data(
    lid: bytes, value: int, as_of: int, chain_id: int, contract: str
) -> dict[str, Any]:
    """EIP-712 document of one property value."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "PropertyValue": [
                {"name": "loanId", "type": "bytes32"},
                {"name": "value", "type": "uint256"},
                {"name": "asOf", "type": "uint256"},
            ],
        },
        "primaryType": "PropertyValue",
        "domain": {
            "name": "trancheflow Liquidation",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": str(contract),
        },
        "message": {"loanId": lid, "value": value, "asOf": as_of},
    }


def sign_property_value(
    lid: bytes,
    value: int,
    as_of: int,
    keys: Sequence[int | bytes | str],
    chain_id: int,
    contract: str,
) -> list[bytes]:
    """Signatures of a property value, ordered by ascending signer address.

    Raises
    ------
    ChainError
        When two keys belong to one signer (the contract rejects repeats).
    """
    m = encode_typed_data(full_message=property_typed_data(lid, value, as_of, chain_id, contract))
    out = []
    for k in keys:
        acct = Account.from_key(k.to_bytes(32, "big") if isinstance(k, int) else k)
        out.append((int(acct.address, 16), bytes(acct.sign_message(m).signature)))
    out.sort()
    if len({a for a, _ in out}) != len(out):
        raise ChainError("a property-value signer appears twice among the keys")
    return [s for _, s in out]

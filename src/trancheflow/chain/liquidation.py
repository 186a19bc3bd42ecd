"""Liquidation helpers: property-value attestations and the loan-level Merkle leaf.

A property value is EIP-712 typed data ``PropertyValue(bytes32 loanId,
uint256 value, uint256 asOf)`` in the domain ``"trancheflow Liquidation"``,
version ``"1"``, the chain id and the ``Liquidation`` contract's address.
The keeper proves a loan's servicer data with the leaf
``keccak(keccak(abi.encode(bytes32 loanId, uint256 balance, uint256 daysDelinquent)))``
under the deal's ``latest_loan_root()`` (the latest finalized period's
loan-level root; older roots are refused). This status leaf is the project's
ONE loan-level leaf: :func:`loan_status_leaf` (re-exported as
:func:`trancheflow.chain.merkle.loan_leaf`) builds it from a tape loan id
string, and the servicer's remittance roots, the model feed's period roots,
the closing tape root (0 days) and ``audit --loans-dir`` all use it.

:func:`deploy_liquidation` deploys a ``Liquidation`` for a deal in the
current ``boa.env`` (with its own ``Compliance`` admitting the buyers you
``admit``, unless one is given) and returns a :class:`LiquidationSetup`
that values, marks and sells notes in one call each (what the stateful
machines need to drive the real contract).

Examples
--------
>>> lid = loan_id("L-0001")
>>> len(lid), len(status_leaf(lid, 250_000, 95))
(32, 32)
>>> loan_status_leaf("L-0001", 250_000, 95) == status_leaf(lid, 250_000, 95)
True
>>> sigs = sign_property_value(lid, 300_000, 1_700_000_000, [0x11, 0x22], 1, "0x" + "33" * 20)
>>> len(sigs)
2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi import encode
from eth_hash.auto import keccak

from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.errors import ChainError

__all__ = [
    "LiquidationSetup",
    "deploy_liquidation",
    "loan_id",
    "loan_status_leaf",
    "property_typed_data",
    "sign_property_value",
    "status_leaf",
]

_US = 840  # ISO 3166-1 numeric jurisdiction of the buyers ``admit`` registers
_QIB = 2  # Compliance.CLASS_QIB
_YEAR = 365 * 86_400


def loan_id(name: str) -> bytes:
    """The 32-byte loan id of a tape loan id string: ``keccak(utf8(name))``."""
    return bytes(keccak(name.encode()))


def status_leaf(lid: bytes, balance: int, days_delinquent: int) -> bytes:
    """Loan-status leaf ``keccak(keccak(abi.encode(bytes32, uint256, uint256)))``.

    The encoding ``Liquidation.vy`` checks in ``_check_latest``; double hashed
    so no leaf can pass for a 64-byte internal node.
    """
    inner = keccak(encode(["bytes32", "uint256", "uint256"], [lid, balance, days_delinquent]))
    return bytes(keccak(inner))


def loan_status_leaf(name: str, balance_units: int, days_delinquent: int = 0) -> bytes:
    """The loan-level leaf of tape loan ``name``: ``status_leaf(loan_id(name), ...)``.

    Every loan-level root of a deal (each period's ``loans_root`` and the
    closing ``TAPE_ROOT``, whose loans all carry 0 days) is the Merkle root of
    these leaves in tape order.

    Raises
    ------
    ChainError
        A balance or days delinquent outside ``uint256``.
    """
    if not (0 <= balance_units < 2**256 and 0 <= days_delinquent < 2**256):
        raise ChainError(
            f"loan {name!r}: balance {balance_units} and days delinquent {days_delinquent} "
            "must be uint256 values (not negative, below 2**256)"
        )
    return status_leaf(loan_id(name), int(balance_units), int(days_delinquent))


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
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    m = encode_typed_data(full_message=property_typed_data(lid, value, as_of, chain_id, contract))
    out = []
    for k in keys:
        acct = Account.from_key(k.to_bytes(32, "big") if isinstance(k, int) else k)
        out.append((int(acct.address, 16), bytes(acct.sign_message(m).signature)))
    out.sort()
    if len({a for a, _ in out}) != len(out):
        raise ChainError("a property-value signer appears twice among the keys")
    return [s for _, s in out]


@dataclass
class LiquidationSetup:
    """A deployed ``Liquidation`` with the keys and the compliance it uses.

    ``value``/``mark``/``sell`` each send one transaction in the current
    ``boa.env``; ``admit`` registers a buyer (jurisdiction 840, QIB, one
    year) when this setup deployed its own ``Compliance``.
    """

    liquidation: Any
    compliance: Any
    valuer_keys: tuple[int, ...]
    quorum: int
    owner: str
    _admitted: set[str] = field(default_factory=set)

    def admit(self, buyer: str) -> None:
        """Register ``buyer`` as an eligible auction buyer (owner = registrar)."""
        import boa

        with boa.env.prank(self.owner):
            self.compliance.register(buyer, _US, _QIB, boa.env.evm.patch.timestamp + _YEAR)
        self._admitted.add(str(buyer))

    def value(self, lid: bytes, units: int, as_of: int | None = None) -> None:
        """Record a property value signed by the first ``quorum`` valuer keys."""
        import boa

        t = boa.env.evm.patch.timestamp if as_of is None else as_of
        keys = self.valuer_keys[: self.quorum]
        cid = int(boa.env.evm.patch.chain_id)
        sigs = sign_property_value(lid, units, t, keys, cid, str(self.liquidation.address))
        self.liquidation.report_value(lid, units, t, sigs)

    def mark(
        self, lid: bytes, balance: int, days: int, proof: Sequence[bytes], root: bytes
    ) -> None:
        """Mark a loan proven under ``root`` (must be the deal's latest loan root)."""
        self.liquidation.mark(lid, balance, days, list(proof), root)

    def sell(self, lid: bytes, buyer: str, max_price: int = 2**256 - 1) -> int:
        """``buyer`` (admitted, holding and approving the settlement token) bids; the price."""
        import boa

        with boa.env.prank(buyer):
            return int(self.liquidation.bid(lid, max_price))


def deploy_liquidation(
    deal: Any,
    settlement: Any,
    *,
    valuer_keys: Sequence[int],
    quorum: int | None = None,
    owner: str | None = None,
    compliance: Any = None,
    ltv_threshold: int = 10**9,
    auction_duration: int = 3 * 86_400,
    floor_bps: int = 6_000,
    recovery_lag: int = 90 * 86_400,
    max_appraisal_age: int | None = None,
    surplus_recipient: str | None = None,
) -> LiquidationSetup:
    """Deploy ``Liquidation.vy`` for ``deal`` in the current ``boa.env``.

    Parameters
    ----------
    deal, settlement : contract or str
        The deal (its ``latest_loan_root()`` gates marking; it takes the
        recoveries) and the settlement token buyers pay in.
    valuer_keys : sequence of int
        Private keys of the property-value signers (registered in this order).
    quorum : int, optional
        Signatures needed (default: a majority).
    owner : str, optional
        Deployer and owner of the contracts (default ``boa.env.eoa``).
    compliance : contract, optional
        A ``Compliance`` whose rule key for this contract the caller sets;
        default: a fresh one owned by ``owner`` admitting QIBs in 840.
    ltv_threshold, auction_duration, floor_bps, recovery_lag : int
        Constructor parameters (``RATE_SCALE`` 1e9, seconds, basis points).
    max_appraisal_age : int, optional
        Seconds an appraisal counts (default: the contract's 180 days).
    surplus_recipient : str, optional
        The servicer's remittance account pulling borrower surplus.

    Raises
    ------
    ChainError
        When no valuer key is given or the quorum is out of range.
    """
    import boa

    from trancheflow.chain.reports import signer_addresses

    keys = tuple(int(k) for k in valuer_keys)
    q = len(keys) // 2 + 1 if quorum is None else quorum
    if not keys or not 1 <= q <= len(keys):
        raise ChainError(f"liquidation: quorum {q} must be between 1 and {len(keys)} valuer keys")
    who = str(owner or boa.env.eoa)
    addr = str(getattr(deal, "address", deal))
    token = str(getattr(settlement, "address", settlement))
    with boa.env.prank(who):
        own = compliance is None
        if own:
            compliance = boa.load_partial(
                str(CONTRACTS_DIR / "compliance" / "Compliance.vy")
            ).deploy(who, who)
        liq = boa.load_partial(str(CONTRACTS_DIR / "liquidation" / "Liquidation.vy")).deploy(
            addr,
            token,
            compliance.address,
            signer_addresses(keys),
            q,
            ltv_threshold,
            auction_duration,
            floor_bps,
            recovery_lag,
        )
        if own:
            compliance.set_rules(liq.address, _QIB, 0, 0, 0)
            compliance.set_jurisdiction(liq.address, _US, True)
        if max_appraisal_age is not None:
            liq.set_max_appraisal_age(max_appraisal_age)
        if surplus_recipient is not None:
            liq.set_surplus_recipient(surplus_recipient)
    return LiquidationSetup(liq, compliance, keys, q, who)

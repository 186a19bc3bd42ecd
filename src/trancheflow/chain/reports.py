"""Servicer reports: EIP-712 typed data, oracle signatures, submission packing.

A :class:`ServicerReport` is one period's collections, losses, delinquency
buckets and loan-level Merkle root, in settlement-token units. Oracle signers
sign its EIP-712 typed data (domain ``"trancheflow Deal"``, version ``"1"``,
the chain id and the deal's address, so a signature is valid for one deal on
one chain only); :func:`sign_report` returns the signatures ordered by
ascending signer address, as the contract requires (it rejects duplicates by
that order). :meth:`ServicerReport.period_input` is what ``Deal.finalize``
takes; its keccak is the commitment stored at submission.

Examples
--------
>>> r = ServicerReport(period=1, interest=500, scheduled_principal=1000, prepayments=200,
...                    recoveries=0, losses=0, dq60_balance=70, reo_balance=5)
>>> r.cash, r.delinquent_60_plus
(1700, 75)
>>> keys = [0x1111, 0x2222, 0x3333]
>>> sigs = sign_report(r, keys[:2], chain_id=1, deal="0x" + "11" * 20)
>>> [len(s) for s in sigs]
[65, 65]
>>> recover_signer(r, sigs[0], 1, "0x" + "11" * 20) in signer_addresses(keys)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from itertools import pairwise
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_hash.auto import keccak

from trancheflow.errors import ReportError

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "REPORT_TYPE",
    "ServicerReport",
    "inputs_hash",
    "recover_signer",
    "report_digest",
    "sign_report",
    "signer_addresses",
    "typed_data",
]

DOMAIN_NAME = "trancheflow Deal"
DOMAIN_VERSION = "1"

#: EIP-712 field list of the report, in the contract's order.
REPORT_TYPE: list[dict[str, str]] = [
    {"name": "period", "type": "uint256"},
    {"name": "interest", "type": "uint256"},
    {"name": "scheduledPrincipal", "type": "uint256"},
    {"name": "prepayments", "type": "uint256"},
    {"name": "recoveries", "type": "uint256"},
    {"name": "losses", "type": "uint256"},
    {"name": "dq30Count", "type": "uint256"},
    {"name": "dq30Balance", "type": "uint256"},
    {"name": "dq60Count", "type": "uint256"},
    {"name": "dq60Balance", "type": "uint256"},
    {"name": "dq90Count", "type": "uint256"},
    {"name": "dq90Balance", "type": "uint256"},
    {"name": "foreclosureCount", "type": "uint256"},
    {"name": "foreclosureBalance", "type": "uint256"},
    {"name": "reoCount", "type": "uint256"},
    {"name": "reoBalance", "type": "uint256"},
    {"name": "loansRoot", "type": "bytes32"},
]

_UINT256_MAX = 2**256 - 1


@dataclass(frozen=True)
class ServicerReport:
    """One period's servicer report (amounts in settlement-token units).

    ``dq90_*`` is the 90+ days bucket. The 60+ balance that feeds the
    ``delinquency_60_pct`` trigger is ``dq60 + dq90 + foreclosure + REO``
    balances (:attr:`delinquent_60_plus`), computed the same way on chain.
    """

    period: int
    interest: int
    scheduled_principal: int
    prepayments: int
    recoveries: int
    losses: int
    dq30_count: int = 0
    dq30_balance: int = 0
    dq60_count: int = 0
    dq60_balance: int = 0
    dq90_count: int = 0
    dq90_balance: int = 0
    foreclosure_count: int = 0
    foreclosure_balance: int = 0
    reo_count: int = 0
    reo_balance: int = 0
    loans_root: bytes = b"\x00" * 32

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "loans_root":
                if not isinstance(v, bytes | bytearray) or len(v) != 32:
                    raise ReportError(f"report field loans_root = {v!r} must be 32 bytes")
            elif isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= _UINT256_MAX:
                raise ReportError(
                    f"report field {f.name} = {v!r} must be an integer in 0..2**256-1"
                )

    @property
    def cash(self) -> int:
        """Cash the servicer deposits: interest + scheduled principal + prepayments + recoveries."""
        return self.interest + self.scheduled_principal + self.prepayments + self.recoveries

    @property
    def delinquent_60_plus(self) -> int:
        """Balance 60+ days delinquent, in foreclosure or REO."""
        return self.dq60_balance + self.dq90_balance + self.foreclosure_balance + self.reo_balance

    def as_tuple(self) -> tuple[Any, ...]:
        """The contract's ``Report`` struct as an ABI tuple."""
        return astuple(self)

    def period_input(self) -> tuple[int, ...]:
        """The contract's ``PeriodInput`` struct (what ``Deal.finalize`` takes)."""
        return (
            self.period,
            self.interest,
            self.scheduled_principal,
            self.prepayments,
            self.recoveries,
            self.losses,
            self.delinquent_60_plus,
        )

    def message(self) -> dict[str, Any]:
        """The EIP-712 message (camelCase field names)."""
        values = self.as_tuple()
        return {f["name"]: v for f, v in zip(REPORT_TYPE, values, strict=True)}

    @classmethod
    def from_period_input(
        cls, period: int, inp: Any, *, loans_root: bytes = b"\x00" * 32
    ) -> ServicerReport:
        """A report from an exact-mode ``PeriodInput`` (the 60+ balance goes to the 60 bucket)."""
        return cls(
            period=period,
            interest=inp.interest,
            scheduled_principal=inp.scheduled_principal,
            prepayments=inp.prepayments,
            recoveries=inp.recoveries,
            losses=inp.losses,
            dq60_balance=inp.delinquent_60_plus,
            loans_root=loans_root,
        )


def typed_data(report: ServicerReport, chain_id: int, deal: str) -> dict[str, Any]:
    """The full EIP-712 typed-data document for ``report`` on ``deal`` at ``chain_id``."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Report": REPORT_TYPE,
        },
        "primaryType": "Report",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": str(deal),
        },
        "message": report.message(),
    }


def report_digest(report: ServicerReport, chain_id: int, deal: str) -> bytes:
    """``keccak(0x19 0x01 || domainSeparator || hashStruct(report))``."""
    m = encode_typed_data(full_message=typed_data(report, chain_id, deal))
    return bytes(keccak(b"\x19" + m.version + m.header + m.body))


def _account(key: int | bytes | str) -> Any:
    """An eth-account ``LocalAccount`` from an int, 32 raw bytes or a hex string."""
    if isinstance(key, int):
        key = key.to_bytes(32, "big")
    return Account.from_key(key)


def signer_addresses(keys: Sequence[int | bytes | str]) -> list[str]:
    """Checksummed addresses of private ``keys``."""
    return [_account(k).address for k in keys]


def sign_report(
    report: ServicerReport, keys: Sequence[int | bytes | str], chain_id: int, deal: str
) -> list[bytes]:
    """65-byte signatures of ``report`` by each key, ordered by ascending signer address.

    Raises
    ------
    ReportError
        When two keys belong to the same signer (the contract would reject it).
    """
    m = encode_typed_data(full_message=typed_data(report, chain_id, deal))
    signed = []
    for k in keys:
        acct = _account(k)
        sig = acct.sign_message(m).signature
        signed.append((int(acct.address, 16), bytes(sig)))
    signed.sort()
    for a, b in pairwise(signed):
        if a[0] == b[0]:
            raise ReportError(f"signer {hex(a[0])} appears twice among the signing keys")
    return [s for _, s in signed]


def recover_signer(report: ServicerReport, signature: bytes, chain_id: int, deal: str) -> str:
    """The address that produced ``signature`` over ``report``."""
    m = encode_typed_data(full_message=typed_data(report, chain_id, deal))
    return str(Account.recover_message(m, signature=signature))


def inputs_hash(report: ServicerReport) -> bytes:
    """``keccak(abi.encode(PeriodInput))``, the commitment the deal stores at submission."""
    return bytes(keccak(encode(["uint256"] * 7, list(report.period_input()))))

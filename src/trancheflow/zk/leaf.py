"""Field encoding of a loan and of a deal's eligibility criteria.

One loan becomes nine field elements, hashed with circomlib's ``Poseidon(9)``
(one call: circomlib's Poseidon takes up to 16 inputs):

============  ==============================================================
loan id       UTF-8 bytes (at most 31) read as a big-endian integer
balance       current balance in cents (rounded half-even to the cent)
note rate     annual decimal rate in millionths (0.06125 -> 61250)
FICO          integer score; missing -> 0 (fails any minimum)
LTV, DTI      basis points (0.80 -> 8000); missing -> 65535 (fails any maximum)
state         index in :data:`STATES` (alphabetical USPS codes); missing -> 63
occupancy     owner 1, second_home 2, investor 3; missing 0
salt          a random field element per loan (hides low-entropy attributes)
============  ==============================================================

The criteria (min FICO, max LTV, max DTI, max balance, allowed states) pack
into one field element, as the circuit unpacks them: see
:func:`pack_criteria`.

Examples
--------
>>> encode_loan_id("L-0001")
83756965703729
>>> Criteria(min_fico=660, max_ltv_bps=9500, max_dti_bps=4500,
...          max_balance_cents=100_000_000, states=("CA", "TX")).state_mask == (
...     (1 << STATES.index("CA")) | (1 << STATES.index("TX")))
True
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from trancheflow.errors import ZkError
from trancheflow.tape.schema import US_STATES
from trancheflow.zk.poseidon import FIELD_MODULUS, poseidon

__all__ = [
    "OCCUPANCY_CODES",
    "STATES",
    "Criteria",
    "LoanLeaf",
    "encode_loan_id",
    "leaf_from_record",
    "pack_criteria",
]

#: State codes in bitmask order (bit i of the mask is STATES[i]).
STATES: tuple[str, ...] = tuple(sorted(US_STATES))
#: Occupancy code in the leaf.
OCCUPANCY_CODES = {"owner": 1, "second_home": 2, "investor": 3}
_MISSING_STATE = 63
_MAX16 = (1 << 16) - 1
_MAX64 = (1 << 64) - 1


def encode_loan_id(loan_id: str) -> int:
    """The loan id as a field element: its UTF-8 bytes, big-endian.

    Raises
    ------
    ZkError
        When the id is empty or longer than 31 bytes (it must fit the field).
    """
    raw = loan_id.encode("utf-8")
    if not 1 <= len(raw) <= 31:
        raise ZkError(f"loan_id {loan_id!r}: must be 1 to 31 UTF-8 bytes to fit a field element")
    return int.from_bytes(raw, "big")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _scaled(value: Any, scale: int, field: str, loan_id: str) -> int:
    try:
        scaled = (Decimal(str(value)) * scale).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    except ArithmeticError:
        raise ZkError(
            f"loan {loan_id!r}, field {field!r}: value {value!r} must be a number"
        ) from None
    if scaled < 0:
        raise ZkError(f"loan {loan_id!r}, field {field!r}: value {value!r} must not be negative")
    return int(scaled)


@dataclass(frozen=True)
class LoanLeaf:
    """A loan's nine field elements, in leaf order."""

    loan_id: int
    balance_cents: int
    note_rate_e6: int
    fico: int
    ltv_bps: int
    dti_bps: int
    state: int
    occupancy: int
    salt: int

    def fields(self) -> list[int]:
        """The inputs of ``Poseidon(9)``, in order."""
        return [
            self.loan_id,
            self.balance_cents,
            self.note_rate_e6,
            self.fico,
            self.ltv_bps,
            self.dti_bps,
            self.state,
            self.occupancy,
            self.salt,
        ]

    def hash(self) -> int:
        """The leaf: ``Poseidon(9)`` of :meth:`fields`."""
        return poseidon(self.fields())


def leaf_from_record(record: dict[str, Any], salt: int | None = None) -> LoanLeaf:
    """Encode one tape row (a mapping of tape columns) as a :class:`LoanLeaf`.

    Parameters
    ----------
    record : dict
        Needs ``loan_id``, ``current_balance``, ``note_rate``; ``fico``, ``ltv``,
        ``dti``, ``state``, ``occupancy`` may be missing (see the module table).
    salt : int, optional
        The loan's salt; a fresh random field element when omitted.

    Raises
    ------
    ZkError
        Naming the loan and the field when a value cannot be encoded.

    Examples
    --------
    >>> leaf = leaf_from_record({"loan_id": "A1", "current_balance": 250000.5,
    ...     "note_rate": 0.065, "fico": 720, "ltv": 0.8, "dti": 0.36,
    ...     "state": "CA", "occupancy": "owner"}, salt=7)
    >>> leaf.balance_cents, leaf.note_rate_e6, leaf.ltv_bps, leaf.state
    (25000050, 65000, 8000, 4)
    """
    loan_id = str(record.get("loan_id", ""))
    lid = encode_loan_id(loan_id)
    for need in ("current_balance", "note_rate"):
        if _missing(record.get(need)):
            raise ZkError(f"loan {loan_id!r}, field {need!r}: required for the ZK leaf")
    balance = _scaled(record["current_balance"], 100, "current_balance", loan_id)
    if balance > _MAX64:
        raise ZkError(f"loan {loan_id!r}, field 'current_balance': must be below 2^64 cents")
    rate = _scaled(record["note_rate"], 1_000_000, "note_rate", loan_id)
    fico = 0 if _missing(record.get("fico")) else _scaled(record["fico"], 1, "fico", loan_id)
    ltv = _MAX16 if _missing(record.get("ltv")) else _scaled(record["ltv"], 10_000, "ltv", loan_id)
    dti = _MAX16 if _missing(record.get("dti")) else _scaled(record["dti"], 10_000, "dti", loan_id)
    for name, value in (("fico", fico), ("ltv", ltv), ("dti", dti)):
        if value > _MAX16:
            raise ZkError(f"loan {loan_id!r}, field {name!r}: encoded {value} must fit 16 bits")
    state_code = record.get("state")
    if _missing(state_code):
        state = _MISSING_STATE
    elif state_code in STATES:
        state = STATES.index(str(state_code))
    else:
        raise ZkError(f"loan {loan_id!r}, field 'state': value {state_code!r} is not a US state")
    occ = record.get("occupancy")
    occupancy = 0 if _missing(occ) else OCCUPANCY_CODES.get(str(occ), -1)
    if occupancy < 0:
        raise ZkError(
            f"loan {loan_id!r}, field 'occupancy': value {occ!r} must be one of "
            f"{', '.join(OCCUPANCY_CODES)}"
        )
    if salt is None:
        salt = secrets.randbelow(FIELD_MODULUS)
    if not 0 <= salt < FIELD_MODULUS:
        raise ZkError(f"loan {loan_id!r}: salt must be a field element")
    return LoanLeaf(lid, balance, rate, fico, ltv, dti, state, occupancy, salt)


@dataclass(frozen=True)
class Criteria:
    """A deal's eligibility criteria in circuit units.

    Parameters
    ----------
    min_fico : int
        Lowest FICO allowed.
    max_ltv_bps, max_dti_bps : int
        Highest LTV and DTI allowed, basis points.
    max_balance_cents : int
        Highest current balance allowed, cents.
    states : tuple of str
        Allowed property states (USPS codes).
    """

    min_fico: int
    max_ltv_bps: int
    max_dti_bps: int
    max_balance_cents: int
    states: tuple[str, ...]

    def __post_init__(self) -> None:
        for name in ("min_fico", "max_ltv_bps", "max_dti_bps"):
            value = getattr(self, name)
            if not 0 <= value <= _MAX16:
                raise ZkError(f"criteria {name} = {value}: must be between 0 and {_MAX16}")
        if not 0 <= self.max_balance_cents <= _MAX64:
            raise ZkError(
                f"criteria max_balance_cents = {self.max_balance_cents}: must fit 64 bits"
            )
        unknown = [s for s in self.states if s not in STATES]
        if unknown:
            raise ZkError(f"criteria states {unknown}: not US state codes")

    @property
    def state_mask(self) -> int:
        """Bit ``STATES.index(s)`` set for every allowed state ``s``."""
        mask = 0
        for s in self.states:
            mask |= 1 << STATES.index(s)
        return mask

    def admits(self, leaf: LoanLeaf) -> bool:
        """Whether ``leaf`` meets the criteria (what the circuit proves)."""
        return (
            leaf.fico >= self.min_fico
            and leaf.ltv_bps <= self.max_ltv_bps
            and leaf.dti_bps <= self.max_dti_bps
            and leaf.balance_cents <= self.max_balance_cents
            and leaf.state < 64
            and bool((self.state_mask >> leaf.state) & 1)
        )


def pack_criteria(criteria: Criteria) -> int:
    """The criteria as the circuit's public ``criteria`` input (176 bits, LSB first).

    Bits 0-15 min FICO, 16-31 max LTV, 32-47 max DTI, 48-111 max balance,
    112-175 the state mask (the registry contract packs the same way).

    Examples
    --------
    >>> pack_criteria(Criteria(1, 2, 3, 4, ())) == 1 | 2 << 16 | 3 << 32 | 4 << 48
    True
    """
    return (
        criteria.min_fico
        | criteria.max_ltv_bps << 16
        | criteria.max_dti_bps << 32
        | criteria.max_balance_cents << 48
        | criteria.state_mask << 112
    )

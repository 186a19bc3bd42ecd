"""Money to settlement-token units and back: the one conversion and its rounding rule.

Every amount of money that becomes an integer number of token units (a tape
balance, a projected collection, a fund deposit, a tranche face) goes through
:func:`to_units`. The rule:

1. the amount is read as an exact decimal: a ``str`` or :class:`~decimal.Decimal`
   as written, a ``float`` as the shortest decimal that round-trips to it
   (``Decimal(repr(x))``, so ``0.29`` is 0.29, not 0.28999999999999998);
2. it is scaled by ``10**decimals`` exactly (decimal arithmetic, no float
   product);
3. what is left below one unit is rounded **down** (``ROUND_FLOOR``), so a
   conversion never promises a unit the amount does not hold. Amounts with at
   most ``decimals`` digits after the point (cents, for any token with two or
   more decimals) convert with no rounding at all.

A float floor (``floor(x * 10**d)``) loses a unit on values such as 0.29, 1.13
or 4.35 with two decimals because the product lands just below the integer;
:func:`to_units` does not.

Examples
--------
>>> import math
>>> math.floor(0.29 * 100), to_units(0.29, 2)
(28, 29)
>>> to_units("1234.567891", 6), to_units(1.0000009, 6)
(1234567891, 1000000)
>>> from_units(1234567891, 6)
Decimal('1234.567891')
>>> sum_units([0.29, 1.13, 4.35], 2)
577
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

import numpy as np

from trancheflow.errors import UnitsError

__all__ = [
    "exact_decimal",
    "format_money",
    "from_units",
    "sum_units",
    "to_units",
    "to_units_array",
]

#: Token decimals a conversion accepts (ERC-20 tokens use 0..18).
MAX_DECIMALS = 18

Amount = str | Decimal | float | int


def exact_decimal(amount: Amount) -> Decimal:
    """``amount`` as the exact decimal it was written as (floats by shortest repr).

    Raises
    ------
    UnitsError
        When ``amount`` is not a finite number (NaN, infinity, text, bool).

    Examples
    --------
    >>> exact_decimal(0.1), exact_decimal("2.50"), exact_decimal(7)
    (Decimal('0.1'), Decimal('2.50'), Decimal('7'))
    """
    if isinstance(amount, bool):
        raise UnitsError(f"amount {amount!r} must be a number, not a boolean")
    if isinstance(amount, Decimal):
        d = amount
    elif isinstance(amount, int | np.integer):
        d = Decimal(int(amount))
    elif isinstance(amount, float | np.floating):
        d = Decimal(repr(float(amount)))
    elif isinstance(amount, str):
        try:
            d = Decimal(amount.strip().replace(",", "").replace("_", ""))
        except InvalidOperation:
            raise UnitsError(f"amount {amount!r} must be a decimal number") from None
    else:
        raise UnitsError(f"amount {amount!r} must be a number (str, Decimal, float or int)")
    if not d.is_finite():
        raise UnitsError(f"amount {amount!r} must be finite")
    return d


def _check_decimals(decimals: int) -> int:
    if isinstance(decimals, bool) or not 0 <= int(decimals) <= MAX_DECIMALS:
        raise UnitsError(f"decimals {decimals!r} must be an integer in 0..{MAX_DECIMALS}")
    return int(decimals)


def to_units(amount: Amount, decimals: int) -> int:
    """``amount`` of currency in token units: exact decimal, rounded down.

    Parameters
    ----------
    amount : str, Decimal, float or int
        Currency amount (negative amounts round toward minus infinity).
    decimals : int
        Token decimals; one currency unit is ``10**decimals`` token units.

    Returns
    -------
    int

    Examples
    --------
    >>> to_units(194_500_000, 6), to_units(0.57, 2), to_units(-0.015, 2)
    (194500000000000, 57, -2)
    """
    dec = _check_decimals(decimals)
    d = exact_decimal(amount).scaleb(dec)
    return int(d.to_integral_value(rounding=ROUND_FLOOR))


def from_units(units: int, decimals: int) -> Decimal:
    """Token units back to an exact currency :class:`~decimal.Decimal`.

    Examples
    --------
    >>> from_units(57, 2), float(from_units(10**6, 6))
    (Decimal('0.57'), 1.0)
    """
    dec = _check_decimals(decimals)
    return Decimal(int(units)).scaleb(-dec)


def to_units_array(amounts: Iterable[Amount], decimals: int) -> list[int]:
    """:func:`to_units` of every element (NumPy arrays, lists, pandas columns).

    Examples
    --------
    >>> to_units_array(np.array([0.29, 1.13, 4.35]), 2)
    [29, 113, 435]
    """
    dec = _check_decimals(decimals)
    seq = amounts.tolist() if isinstance(amounts, np.ndarray) else amounts
    return [to_units(x, dec) for x in seq]


def sum_units(amounts: Iterable[Amount], decimals: int) -> int:
    """Total of ``amounts`` in units, each converted by :func:`to_units` first.

    This is the pool's unit balance: the sum of the loans' unit balances, so
    a Merkle tree of loan units and the pool balance always agree.
    """
    return sum(to_units_array(amounts, decimals))


def format_money(units: int, decimals: int, places: int = 2) -> str:
    """Units as money with thousands separators and ``places`` decimals (half-even).

    Examples
    --------
    >>> format_money(123456789, 2), format_money(5, 6)
    ('1,234,567.89', '0.00')
    """
    d = from_units(units, decimals).quantize(Decimal(1).scaleb(-places))
    return f"{d:,}"

"""Price quotes as desks write them: decimals, 32nds, clean or full, one or per tranche.

Every command and API route that takes a price reads it here, so the same text
means the same number everywhere.

Notation (percent of current face, 100 = par):

* decimal: ``101.5``, ``99.375``;
* 32nds: ``101-16`` (101 + 16/32 = 101.5), ``101-16+`` (a half 32nd more:
  101 + 16.5/32), ``101-161`` .. ``101-167`` (a third digit counts eighths of
  a 32nd: ``101-162`` = 101 + 16.25/32), ``101-16 1/4`` (a fraction of a 32nd);
* per tranche: ``A=101-16,B=98.25``.

A price must be a finite number above 0 (a price of 0 or below is an error,
never par) and below :data:`MAX_PRICE`. A price is **clean** (excluding accrued
interest) or **full** (including it); :func:`full_price` turns either into the
full price the yield equation discounts (BMA *Standard Formulas* SF G.1.a).

Examples
--------
>>> parse_price("101-16"), parse_price("101-16+"), parse_price("101-162")
(101.5, 101.515625, 101.5078125)
>>> parse_price("99-00"), parse_price("100.25"), parse_price("101-16 1/4")
(99.0, 100.25, 101.5078125)
>>> parse_prices("A=101-16, B=98", names=("A", "B"))
{'A': 101.5, 'B': 98.0}
>>> full_price(101.5, "clean", accrued=0.5), full_price(102.0, "full", accrued=0.5)
(102.0, 102.0)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Literal

from trancheflow.errors import PriceError

__all__ = [
    "MAX_PRICE",
    "PRICE_TYPES",
    "PriceType",
    "check_price",
    "check_prices",
    "full_price",
    "parse_price",
    "parse_price_type",
    "parse_prices",
]

PriceType = Literal["clean", "full"]
#: Accepted price bases.
PRICE_TYPES: tuple[PriceType, ...] = ("clean", "full")
#: Highest price accepted, percent of face (a higher number is almost surely a typo
#: or a price quoted per unit of a different face).
MAX_PRICE = 1000.0

_THIRTY_SECONDS = re.compile(
    r"^(?P<handle>\d+)-(?P<ticks>\d{2})(?:(?P<plus>\+)|(?P<eighth>[0-7])|\s+(?P<frac>\d+/\d+))?$"
)
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def check_price(value: float, where: str = "price") -> float:
    """``value`` if it is a usable price (finite, > 0, < :data:`MAX_PRICE`), else raise.

    Examples
    --------
    >>> check_price(101.5)
    101.5
    >>> check_price(0.0)
    Traceback (most recent call last):
    ...
    trancheflow.errors.PriceError: price 0.0: a price must be above 0 (percent of face, 100 = par)
    """
    if isinstance(value, bool):
        raise PriceError(f"{where} {value!r}: must be a number, percent of face")
    v = float(value)
    if not math.isfinite(v):
        raise PriceError(f"{where} {value!r}: must be a finite number, percent of face")
    if v <= 0.0:
        raise PriceError(f"{where} {value!r}: a price must be above 0 (percent of face, 100 = par)")
    if v >= MAX_PRICE:
        raise PriceError(
            f"{where} {value!r}: must be below {MAX_PRICE:g} (percent of face, 100 = par)"
        )
    return v


def parse_price(text: str | float, where: str = "price") -> float:
    """One price: a decimal or a 32nds quote (see the module notes), checked.

    Raises
    ------
    PriceError
        Not a price in either notation, 32nds above 31, or out of range.
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        return check_price(float(text), where)
    raw = str(text).strip()
    m = _THIRTY_SECONDS.match(raw)
    if m:
        ticks = Fraction(int(m["ticks"]))
        if ticks >= 32:
            raise PriceError(f"{where} {raw!r}: 32nds must be 00..31, not {m['ticks']}")
        if m["plus"]:
            ticks += Fraction(1, 2)
        elif m["eighth"]:
            ticks += Fraction(int(m["eighth"]), 8)
        elif m["frac"]:
            num, den = (int(x) for x in m["frac"].split("/"))
            if den == 0 or num >= den:
                raise PriceError(f"{where} {raw!r}: a fraction of a 32nd must be below 1")
            ticks += Fraction(num, den)
        return check_price(float(int(m["handle"]) + ticks / 32), where)
    if not _DECIMAL.match(raw):
        raise PriceError(
            f"{where} {raw!r} is not a price: write a decimal (101.5) or 32nds "
            "(101-16, 101-16+, 101-162), percent of face"
        )
    return check_price(float(raw), where)


def parse_prices(
    text: str | float | Mapping[str, float | str],
    names: Iterable[str] | None = None,
    where: str = "price",
) -> float | dict[str, float]:
    """One price for everything, or ``NAME=PRICE`` pairs (``A=101-16,B=98``).

    Parameters
    ----------
    text : str, float or mapping
        The quote(s); a mapping is checked name by name.
    names : iterable of str, optional
        Tranche names that exist; a name not among them is an error.
    where : str
        How the input is named in errors (``--price``, ``price``).
    """
    pairs: list[tuple[str, float | str]]
    if isinstance(text, Mapping):
        pairs = [(str(k), v) for k, v in text.items()]
    elif isinstance(text, str) and "=" in text:
        pairs = []
        for part in text.split(","):
            name, eq, value = part.partition("=")
            if not eq or not name.strip() or not value.strip():
                raise PriceError(f"{where} {text!r}: each item must be NAME=PRICE (A=101-16,B=98)")
            pairs.append((name.strip(), value))
    else:
        return parse_price(text, where)
    out: dict[str, float] = {}
    for tranche, quote in pairs:
        if tranche in out:
            raise PriceError(f"{where}: tranche {tranche!r} is priced twice")
        out[tranche] = parse_price(quote, f"{where} {tranche}")
    check_prices(out, names, where)
    return out


def check_prices(
    prices: float | Mapping[str, float], names: Iterable[str] | None = None, where: str = "price"
) -> float | Mapping[str, float]:
    """Check a price or a per-tranche map: every value a price, every name known."""
    if not isinstance(prices, Mapping):
        return check_price(prices, where)
    if names is not None:
        known = list(names)
        unknown = [n for n in prices if n not in known]
        if unknown:
            raise PriceError(
                f"{where}: unknown tranche(s) {', '.join(map(repr, unknown))}; "
                f"the deal's tranches are {', '.join(known)}"
            )
    for n, v in prices.items():
        check_price(v, f"{where} {n}")
    return prices


def parse_price_type(text: str, where: str = "--price-type") -> PriceType:
    """``clean`` or ``full`` (also ``dirty``), case-insensitive."""
    t = str(text).strip().lower()
    if t == "dirty":
        t = "full"
    if t not in PRICE_TYPES:
        raise PriceError(f"{where} {text!r}: must be 'clean' (excluding accrued) or 'full'")
    return "clean" if t == "clean" else "full"


def full_price(price: float, price_type: PriceType, accrued: float) -> float:
    """The full price: ``price + accrued`` when ``price`` is clean, else ``price``."""
    return float(price) + (float(accrued) if parse_price_type(price_type) == "clean" else 0.0)

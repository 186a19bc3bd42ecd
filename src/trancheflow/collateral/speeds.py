"""Prepayment and default speeds in market notation (PSA, CPR, SMM / SDA, CDR, MDR).

The standard curves follow The Bond Market Association, *Uniform Practices /
Standard Formulas*, Chapter SF (1999):

* **PSA** (section B.2.c, p. SF-6): 100% PSA is 0.2% CPR in the first month
  after origination, rising 0.2% CPR a month to 6% CPR at month 30 and flat
  after; ``CPR = min(PSA/100 * 0.2 * max(1, min(MONTH, 30)), 100)`` (percent).
* **SDA** (section C.4, pp. SF-20/21): 100% SDA rises 0.02% CDR a month to a
  0.60% peak at month 30, stays there through month 60, falls 0.0095% a month
  from month 61 to the 0.03% tail at month 120, flat after.
* **SMM / MDR** (sections B.2.b and C.4.g): ``SMM = 1 - (1 - CPR)^(1/12)``, and
  the same conversion from an annual default rate (CDR) to a monthly one (MDR).

``MONTH`` is the accrual month during which the loan age goes from
``MONTH - 1`` to ``MONTH``: for projection period ``t`` (1-based) of a loan
with age (WALA) ``a`` it is ``a + t``.

Notation accepted by :func:`parse_prepay` / :func:`parse_default` (case-free,
an optional ``%`` after numbers, and the number may come first):

* ``"PSA 150"``, ``"CPR 6"``, ``"SMM 1"`` — prepayment;
  ``"SDA 100"``, ``"CDR 2"``, ``"MDR 1"`` — default. Numbers after CPR, SMM,
  CDR and MDR are percents; PSA and SDA are percents of the standard curve.
* **Vectors** — ``"CPR 6 8 10 12"``: several numbers after CPR, SMM, CDR or
  MDR give the rate for projection months 1, 2, 3, ...; the last number holds
  for every later month. Vectors are indexed by *projection month*, not loan
  age. PSA and SDA take exactly one number.

Examples
--------
>>> s = parse_prepay("PSA 150")
>>> str(s), s.kind, s.values
('PSA 150', 'PSA', (150.0,))
>>> [round(float(x), 6) for x in s.monthly_rate(np.array([1, 30, 31]))]
[0.00025, 0.007828, 0.007828]
>>> str(s.scaled(1.1))
'PSA 165'
>>> d = parse_default("100% SDA")
>>> round(float(d.monthly_rate(np.array([61]))[0]), 6)
0.000493
>>> v = parse_prepay("cpr 6 12")
>>> v.is_vector, [round(float(x), 6) for x in v.monthly_rate(period=np.array([1, 2, 9]))]
(True, [0.005143, 0.010596, 0.010596])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from trancheflow.errors import ModelError, SpeedNotationError

FloatArray = npt.NDArray[np.float64]

PREPAY_KINDS = ("PSA", "CPR", "SMM")
DEFAULT_KINDS = ("SDA", "CDR", "MDR")
_CURVE_KINDS = ("PSA", "SDA")
#: Largest multiple of a standard curve: where its peak (6% CPR, 0.6% CDR) reaches 100%.
_CURVE_MAX = {"PSA": 100.0 / 0.06, "SDA": 100.0 / 0.006}
_MONTHLY_KINDS = ("SMM", "MDR")

_NUMBER = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?%?"
_KIND_FIRST = re.compile(rf"^\s*([A-Za-z]{{3}})\s*[:=]?\s*((?:{_NUMBER}[\s,]*)+)$")
_NUMBER_FIRST = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-z]{{3}})\s*$")


# ------------------------------------------------------------ standard curves
def psa_cpr(month: npt.ArrayLike, psa: npt.ArrayLike = 100.0) -> FloatArray:
    """Annual CPR (decimal) of ``psa``% PSA in accrual month ``month``.

    BMA SF-6: ``CPR = min(PSA/100 * 0.2% * max(1, min(MONTH, 30)), 100%)``.

    Examples
    --------
    >>> [round(float(x), 4) for x in psa_cpr([0, 1, 15, 30, 200])]
    [0.002, 0.002, 0.03, 0.06, 0.06]
    """
    m = np.clip(np.asarray(month, dtype=np.float64), 1.0, 30.0)
    return np.minimum(np.asarray(psa, dtype=np.float64) / 100.0 * 0.002 * m, 1.0)


def sda_cdr(month: npt.ArrayLike, sda: npt.ArrayLike = 100.0) -> FloatArray:
    """Annual default rate (CDR, decimal) of ``sda``% SDA in accrual month ``month``.

    BMA SF-20/21: 0.02% a month up to 0.60% at month 30, flat through 60,
    minus 0.0095% a month from month 61 to 0.03% at month 120, flat after.

    Examples
    --------
    >>> [round(float(x), 6) for x in sda_cdr([1, 30, 60, 61, 120, 300])]
    [0.0002, 0.006, 0.006, 0.005905, 0.0003, 0.0003]
    """
    m = np.maximum(np.asarray(month, dtype=np.float64), 1.0)
    pct = np.where(
        m <= 30.0,
        0.02 * m,
        np.where(m <= 60.0, 0.6, np.where(m <= 120.0, 0.6 - 0.0095 * (m - 60.0), 0.03)),
    )
    return np.minimum(np.asarray(sda, dtype=np.float64) / 100.0 * pct / 100.0, 1.0)


def cpr_to_smm(cpr: npt.ArrayLike) -> FloatArray:
    """Monthly rate from an annual one: ``1 - (1 - cpr)^(1/12)`` (decimals; BMA SF-6).

    Examples
    --------
    >>> round(float(cpr_to_smm(0.06)), 8)
    0.00514301
    """
    c = np.clip(np.asarray(cpr, dtype=np.float64), 0.0, 1.0)
    return 1.0 - (1.0 - c) ** (1.0 / 12.0)


def smm_to_cpr(smm: npt.ArrayLike) -> FloatArray:
    """Annual rate from a monthly one: ``1 - (1 - smm)^12`` (decimals; BMA SF-6).

    Examples
    --------
    >>> round(float(smm_to_cpr(0.0043527)), 4)
    0.051
    """
    s = np.clip(np.asarray(smm, dtype=np.float64), 0.0, 1.0)
    return 1.0 - (1.0 - s) ** 12


# ------------------------------------------------------------------- speeds
@dataclass(frozen=True)
class _Speed:
    """A speed in market notation; ``values`` are in the notation's units (percent)."""

    kind: str
    values: tuple[float, ...]

    _KINDS: ClassVar[tuple[str, ...]] = ()
    _WHAT: ClassVar[str] = ""

    def __post_init__(self) -> None:
        kind = str(self.kind).upper()
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "values", tuple(float(v) for v in self.values))
        if kind not in self._KINDS:
            raise SpeedNotationError(
                f"{self._WHAT} speed kind {self.kind!r} is not one of {', '.join(self._KINDS)}"
            )
        if not self.values:
            raise SpeedNotationError(f"{self._WHAT} speed {kind!r} has no number")
        if kind in _CURVE_KINDS and len(self.values) != 1:
            raise SpeedNotationError(
                f"{self._WHAT} speed {self}: {kind} takes exactly one number "
                f"(vectors are written with CPR/SMM/CDR/MDR, e.g. 'CPR 6 8 10')"
            )
        for v in self.values:
            if not np.isfinite(v) or v < 0.0:
                raise SpeedNotationError(f"{self._WHAT} speed {self}: {v:g} must be >= 0")
            if kind in _CURVE_KINDS and v > _CURVE_MAX[kind]:
                raise SpeedNotationError(
                    f"{self._WHAT} speed {self}: {v:g} is above {_CURVE_MAX[kind]:g}, where "
                    f"the {kind} curve's peak rate passes 100% a year"
                )
            if kind not in _CURVE_KINDS and v > 100.0:
                raise SpeedNotationError(
                    f"{self._WHAT} speed {self}: {v:g} is a percent and must be <= 100"
                )

    def __str__(self) -> str:
        return f"{self.kind} " + " ".join(f"{v:g}" for v in self.values)

    @property
    def by_age(self) -> bool:
        """True for the standard curves (PSA/SDA), whose rate depends on loan age."""
        return self.kind in _CURVE_KINDS

    @property
    def is_vector(self) -> bool:
        """True when the speed is a vector by projection month (several numbers)."""
        return len(self.values) > 1

    def monthly_rate(
        self, age_months: npt.ArrayLike | None = None, *, period: npt.ArrayLike | None = None
    ) -> FloatArray:
        """Monthly rate (SMM or MDR, decimal) by loan age or projection month.

        Parameters
        ----------
        age_months : array_like of int, optional
            ``MONTH`` in the BMA sense (loan age at the end of the accrual
            month: ``WALA + t`` for projection period ``t``). Required for
            PSA/SDA.
        period : array_like of int, optional
            1-based projection month. Required for vector speeds.

        Returns
        -------
        numpy.ndarray
            Monthly rates, decimals in ``[0, 1]``.
        """
        if self.is_vector:
            if period is None:
                raise ModelError(
                    f"speed {str(self)!r} is a vector by projection month; pass period="
                )
            idx = np.clip(np.asarray(period, dtype=np.int64) - 1, 0, len(self.values) - 1)
            vals = np.asarray(self.values, dtype=np.float64)[idx] / 100.0
            return self._to_monthly(vals, None)
        if self.by_age:
            if age_months is None:
                raise ModelError(f"speed {str(self)!r} depends on loan age; pass age_months")
            month = np.asarray(age_months, dtype=np.float64)
            return self._to_monthly(np.full(month.shape, self.values[0] / 100.0), month)
        shape_src = age_months if age_months is not None else period
        shape = np.shape(shape_src) if shape_src is not None else ()
        return self._to_monthly(np.full(shape, self.values[0] / 100.0), None)

    def _to_monthly(self, vals: FloatArray, month: FloatArray | None) -> FloatArray:
        if self.kind in _MONTHLY_KINDS:
            return np.clip(vals, 0.0, 1.0)
        if self.kind == "PSA":
            assert month is not None
            return cpr_to_smm(psa_cpr(month, vals * 100.0))
        if self.kind == "SDA":
            assert month is not None
            return cpr_to_smm(sda_cdr(month, vals * 100.0))
        return cpr_to_smm(vals)

    def rate_table(self, n_index: int) -> tuple[FloatArray, bool]:
        """Monthly rates for index ``0 .. n_index - 1`` and whether the index is loan age.

        The projection kernels look rates up in this table: by ``MONTH`` (``WALA
        + t``) for PSA/SDA, by projection month ``t`` otherwise. Index 0 is
        never used by the kernel.
        """
        idx = np.arange(n_index, dtype=np.int64)
        if self.by_age:
            return self.monthly_rate(idx), True
        return self.monthly_rate(idx, period=idx), False

    def _scaled_values(self, k: float) -> tuple[float, ...]:
        if not np.isfinite(k) or k < 0.0:
            raise ModelError(f"speed {str(self)!r}: scale factor {k!r} must be >= 0")
        vals = tuple(v * k for v in self.values)
        if self.kind not in _CURVE_KINDS:
            vals = tuple(min(v, 100.0) for v in vals)
        return vals


@dataclass(frozen=True)
class PrepaySpeed(_Speed):
    """A voluntary prepayment speed: PSA, CPR or SMM (see module docstring).

    Parameters
    ----------
    kind : {'PSA', 'CPR', 'SMM'}
    values : tuple of float
        One number (constant / standard curve) or, for CPR and SMM, several
        (a vector by projection month, last value held).

    Examples
    --------
    >>> PrepaySpeed.vector([4, 6, 8], kind="CPR")
    PrepaySpeed(kind='CPR', values=(4.0, 6.0, 8.0))
    >>> str(PrepaySpeed("psa", (100,)).scaled(0.5))
    'PSA 50'
    """

    _KINDS: ClassVar[tuple[str, ...]] = PREPAY_KINDS
    _WHAT: ClassVar[str] = "prepayment"

    @classmethod
    def vector(cls, values: npt.ArrayLike, kind: str = "CPR") -> PrepaySpeed:
        """Speed from per-projection-month rates (percent), last value held."""
        return cls(kind, tuple(float(v) for v in np.ravel(np.asarray(values, dtype=float))))

    def scaled(self, k: float) -> PrepaySpeed:
        """The same kind of speed times ``k`` (CPR/SMM capped at 100%)."""
        return PrepaySpeed(self.kind, self._scaled_values(k))


@dataclass(frozen=True)
class DefaultSpeed(_Speed):
    """A default speed: SDA, CDR or MDR (see module docstring).

    Examples
    --------
    >>> d = DefaultSpeed("CDR", (2,))
    >>> round(float(d.monthly_rate(np.array([5]))[0]), 8)
    0.00168214
    """

    _KINDS: ClassVar[tuple[str, ...]] = DEFAULT_KINDS
    _WHAT: ClassVar[str] = "default"

    @classmethod
    def vector(cls, values: npt.ArrayLike, kind: str = "CDR") -> DefaultSpeed:
        """Speed from per-projection-month rates (percent), last value held."""
        return cls(kind, tuple(float(v) for v in np.ravel(np.asarray(values, dtype=float))))

    def scaled(self, k: float) -> DefaultSpeed:
        """The same kind of speed times ``k`` (CDR/MDR capped at 100%)."""
        return DefaultSpeed(self.kind, self._scaled_values(k))


# ------------------------------------------------------------------ parsing
def _split(
    text: object, what: str, kinds: tuple[str, ...], example: str
) -> tuple[str, list[float]]:
    forms = ", ".join(repr(k + " " + n) for k, n in zip(kinds, example.split(), strict=True))
    accepted = (
        f"accepted forms: {forms}"
        f" (numbers are percents; PSA/SDA are % of the standard curve), or a vector by "
        f"projection month such as {kinds[1] + ' 4 6 8'!r}"
    )
    if not isinstance(text, str):
        raise SpeedNotationError(f"{what} speed {text!r} is not a string; {accepted}")
    m = _KIND_FIRST.match(text)
    if m:
        kind, nums = m.group(1).upper(), re.split(r"[\s,]+", m.group(2).strip())
    else:
        m2 = _NUMBER_FIRST.match(text)
        if not m2:
            raise SpeedNotationError(f"{what} speed {text!r} is not in market notation; {accepted}")
        kind, nums = m2.group(2).upper(), [m2.group(1)]
    if kind not in kinds:
        other = "default" if what == "prepayment" else "prepayment"
        hint = f" ({kind} is a {other} speed)" if kind in PREPAY_KINDS + DEFAULT_KINDS else ""
        raise SpeedNotationError(f"{what} speed {text!r}: unknown kind {kind!r}{hint}; {accepted}")
    return kind, [float(n.rstrip("%")) for n in nums if n]


def parse_prepay(text: str | PrepaySpeed) -> PrepaySpeed:
    """Parse a prepayment speed: ``"PSA 150"``, ``"CPR 6"``, ``"SMM 1"``, ``"CPR 6 8 10"``.

    Raises
    ------
    SpeedNotationError
        Naming the text and the accepted forms.

    Examples
    --------
    >>> parse_prepay("150% psa")
    PrepaySpeed(kind='PSA', values=(150.0,))
    """
    if isinstance(text, PrepaySpeed):
        return text
    kind, nums = _split(text, "prepayment", PREPAY_KINDS, "150 6 1")
    try:
        return PrepaySpeed(kind, tuple(nums))
    except SpeedNotationError as exc:
        raise SpeedNotationError(f"prepayment speed {text!r}: {exc}") from None


def parse_default(text: str | DefaultSpeed) -> DefaultSpeed:
    """Parse a default speed: ``"SDA 100"``, ``"CDR 2"``, ``"MDR 1"``, ``"CDR 1 2 3"``.

    Raises
    ------
    SpeedNotationError
        Naming the text and the accepted forms.

    Examples
    --------
    >>> str(parse_default("CDR 0.5"))
    'CDR 0.5'
    """
    if isinstance(text, DefaultSpeed):
        return text
    kind, nums = _split(text, "default", DEFAULT_KINDS, "100 2 1")
    try:
        return DefaultSpeed(kind, tuple(nums))
    except SpeedNotationError as exc:
        raise SpeedNotationError(f"default speed {text!r}: {exc}") from None

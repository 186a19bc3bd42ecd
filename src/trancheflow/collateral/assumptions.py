"""Projection inputs: behaviour assumptions and representative lines (rep lines).

Examples
--------
>>> a = Assumptions("PSA 150", "SDA 100", severity=0.2, recovery_lag=12)
>>> str(a.prepay), str(a.default), a.severity, a.recovery_lag, a.advance
('PSA 150', 'SDA 100', 0.2, 12, True)
>>> RepLine(1_000_000, 0.07, 0.065, term=360, wam=348, wala=12).servicing_rate
0.005
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trancheflow.errors import AssumptionError

from .speeds import DefaultSpeed, PrepaySpeed, parse_default, parse_prepay

AMORTIZATION_CODES = {"level_pay": 0, "interest_only": 1, "balloon": 2}


@dataclass(frozen=True, init=False)
class Assumptions:
    """One behaviour scenario for a collateral projection (BMA SF-17, section C.2.f).

    Parameters
    ----------
    prepay : PrepaySpeed or str
        Voluntary prepayment speed, e.g. ``"PSA 150"`` (strings are parsed
        with :func:`~trancheflow.collateral.parse_prepay`).
    default : DefaultSpeed or str
        Default speed, e.g. ``"SDA 100"`` or ``"CDR 0"`` for none.
    severity : float, default 0.0
        Loss severity: loss as a fraction of the loan balance *when it
        defaulted* (BMA SF-18 g), in ``[0, 1]``.
    recovery_lag : int, default 0
        Months to liquidation: a loan defaulting in month ``i`` is liquidated
        (recovery and loss taken) in month ``i + recovery_lag``; ``0`` means in
        the month of default.
    advance : bool, default True
        Whether the servicer advances principal and interest on defaulted
        loans until liquidation.

    Examples
    --------
    >>> Assumptions("CPR 6", "CDR 0").severity
    0.0
    >>> Assumptions("CPR 6", "CDR 1", severity=1.5)
    Traceback (most recent call last):
    ...
    trancheflow.errors.AssumptionError: severity 1.5 must be within [0, 1]
    """

    prepay: PrepaySpeed
    default: DefaultSpeed
    severity: float
    recovery_lag: int
    advance: bool

    def __init__(
        self,
        prepay: PrepaySpeed | str,
        default: DefaultSpeed | str,
        severity: float = 0.0,
        recovery_lag: int = 0,
        advance: bool = True,
    ) -> None:
        sev = float(severity)
        if not np.isfinite(sev) or not 0.0 <= sev <= 1.0:
            raise AssumptionError(f"severity {severity!r} must be within [0, 1]")
        if isinstance(recovery_lag, bool) or int(recovery_lag) != recovery_lag:
            raise AssumptionError(f"recovery_lag {recovery_lag!r} must be a whole number of months")
        if not 0 <= int(recovery_lag) <= 600:
            raise AssumptionError(f"recovery_lag {recovery_lag!r} must be within [0, 600] months")
        object.__setattr__(self, "prepay", parse_prepay(prepay))
        object.__setattr__(self, "default", parse_default(default))
        object.__setattr__(self, "severity", sev)
        object.__setattr__(self, "recovery_lag", int(recovery_lag))
        object.__setattr__(self, "advance", bool(advance))

    def __str__(self) -> str:
        adv = "advancing" if self.advance else "no advancing"
        return (
            f"{self.prepay} / {self.default} / severity {self.severity:.0%} / "
            f"lag {self.recovery_lag}m / {adv}"
        )


@dataclass(frozen=True)
class RepLine:
    """A representative line: one aggregate loan standing for a group of loans.

    Parameters
    ----------
    balance : float
        Current balance.
    gross_rate : float
        Gross weighted-average coupon (WAC), annual decimal; drives amortization.
    net_rate : float
        Net (pass-through) rate paid to investors, annual decimal, ``<= gross_rate``.
    term : int
        Original term, months (the amortization term for balloons).
    wam : int
        Weighted-average remaining maturity, months; level-pay amortization
        runs over ``wam`` months (BMA SF-39: amortize on the WAM).
    wala : int
        Weighted-average loan age, months; prepayment/default curves use
        ``MONTH = wala + t`` (BMA SF-40).
    amortization_type : {'level_pay', 'interest_only', 'balloon'}
    io_term : int
        Interest-only months from first payment (``interest_only`` only).
    balloon_term : int
        Month from first payment when the balloon is due (``balloon`` only).

    Examples
    --------
    >>> RepLine(100.0, 0.08, 0.08, 360, 360, 0).wam
    360
    """

    balance: float
    gross_rate: float
    net_rate: float
    term: int
    wam: int
    wala: int
    amortization_type: str = "level_pay"
    io_term: int = 0
    balloon_term: int = 0

    def __post_init__(self) -> None:
        def bad(field: str, rule: str) -> AssumptionError:
            return AssumptionError(f"rep line {field} {getattr(self, field)!r} {rule}")

        if not np.isfinite(self.balance) or self.balance < 0:
            raise bad("balance", "must be a finite number >= 0")
        for f in ("gross_rate", "net_rate"):
            v = getattr(self, f)
            if not np.isfinite(v) or not 0.0 <= v < 1.0:
                raise bad(f, "must be an annual decimal within [0, 1)")
        if self.net_rate > self.gross_rate + 1e-12:
            raise bad("net_rate", f"must not exceed gross_rate {self.gross_rate!r}")
        for f, low in (("term", 1), ("wam", 1), ("wala", 0), ("io_term", 0), ("balloon_term", 0)):
            v = getattr(self, f)
            if int(v) != v or v < low or v > 1200:
                raise bad(f, f"must be a whole number of months within [{low}, 1200]")
            object.__setattr__(self, f, int(v))
        if self.amortization_type not in AMORTIZATION_CODES:
            raise bad("amortization_type", f"must be one of {sorted(AMORTIZATION_CODES)}")
        if self.amortization_type == "balloon" and self.balloon_term <= self.wala:
            raise bad("balloon_term", f"must be after the loan age wala={self.wala}")

    @property
    def servicing_rate(self) -> float:
        """Servicing strip ``gross_rate - net_rate`` (annual decimal)."""
        return round(self.gross_rate - self.net_rate, 12)

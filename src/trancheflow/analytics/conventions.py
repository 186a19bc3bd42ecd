"""Market conventions every yield in trancheflow is computed with.

**Payment delay.** Mortgage cash flows of period ``k`` are received ``delay``
days after the end of the accrual month; the yield equation discounts them at
``k/12 + delay/360`` years (BMA *Uniform Practices / Standard Formulas* 1999,
SF E.2). The *actual* delay is the stated delay less 31 days (the stated delay
counts from the first day of the accrual month; payments made on the same day
of the month as the stated delay):

==================  ============  ============
program             stated days   actual delay
==================  ============  ============
FNMA / UMBS         55            24
FHLMC Gold PC       45            14
FHLMC non-Gold PC   75            44
GNMA I              45            14
GNMA II             50            19
==================  ============  ============

The actual delays are BMA SF E.2's table (page SF-45), which
:mod:`trancheflow.analytics.daycount` holds; this module only names them for
specs and options. Background: the programs' payment dates as their issuers
publish them - Fannie Mae MBS and UMBS pay on the 25th (55-day stated delay);
Freddie Mac Gold PCs paid on the 15th (45 days), its older PCs 75 days; Ginnie
Mae I pays on the 15th (45 days), Ginnie Mae II on the 20th (50 days). A deal
spec sets ``payment_delay_days`` (a number or a program name); without it a
deal uses :data:`DEFAULT_PAYMENT_DELAY_DAYS`, the FNMA/UMBS delay most
private-label deals also pay with (the 25th).

Examples
--------
>>> payment_delay_days(None), payment_delay_days("GNMA II"), payment_delay_days(0)
(24, 19, 0)
"""

from __future__ import annotations

from trancheflow.errors import AnalyticsError

from .daycount import ACTUAL_DELAY_DAYS

__all__ = ["AGENCY_PAYMENT_DELAYS", "DEFAULT_PAYMENT_DELAY_DAYS", "payment_delay_days"]


def _key(name: str) -> str:
    return name.strip().upper().replace(" ", "_").replace("-", "_")


#: Actual payment delay in days by program: the SF E.2 table
#: (:data:`~trancheflow.analytics.daycount.ACTUAL_DELAY_DAYS`, page SF-45) with names
#: normalised (``GNMA I`` -> ``GNMA_I``), plus UMBS (paid like FNMA) and ``FHLMC_75``
#: (the non-Gold 75-day PC).
AGENCY_PAYMENT_DELAYS: dict[str, int] = {
    **{_key(k): v for k, v in ACTUAL_DELAY_DAYS.items()},
    "UMBS": ACTUAL_DELAY_DAYS["FNMA"],
    "FHLMC_75": ACTUAL_DELAY_DAYS["FHLMC non-Gold"],
}
#: Delay used when a deal or a command does not say (FNMA/UMBS, 25th-day payment).
DEFAULT_PAYMENT_DELAY_DAYS = 24
#: Longest delay accepted, days.
MAX_PAYMENT_DELAY_DAYS = 90


def payment_delay_days(value: int | str | None, where: str = "payment delay") -> int:
    """Actual payment delay in days from a number, a program name or ``None`` (default).

    Raises
    ------
    AnalyticsError
        An unknown program, or a number outside 0..90.
    """
    if value is None:
        return DEFAULT_PAYMENT_DELAY_DAYS
    if isinstance(value, str):
        key = _key(value)
        if key.isdigit():
            value = int(key)
        elif key in AGENCY_PAYMENT_DELAYS:
            return AGENCY_PAYMENT_DELAYS[key]
        else:
            raise AnalyticsError(
                f"{where} {value!r}: must be days (0..{MAX_PAYMENT_DELAY_DAYS}) or one of "
                + ", ".join(AGENCY_PAYMENT_DELAYS)
            )
    if isinstance(value, bool) or not 0 <= int(value) <= MAX_PAYMENT_DELAY_DAYS:
        raise AnalyticsError(
            f"{where} {value!r} days: must be an integer in 0..{MAX_PAYMENT_DELAY_DAYS}"
        )
    return int(value)

"""Freddie Mac monthly performance records as one period's remittance.

The Single-Family Loan-Level Dataset's monthly performance file (headerless,
pipe-delimited, field order :data:`trancheflow.tape.freddie.PERFORMANCE_FIELDS`)
carries each loan's balance and status at month end, not the cash of the
month. :func:`read_freddie_month` takes the lines of one reporting month and
derives a :class:`~trancheflow.servicer.schema.RemittanceRecord` per loan
from the previous period's book, stating every assumption:

* ``beginning_balance`` is the loan's balance in the previous book;
  ``ending_balance`` is Current Actual UPB (exact decimal), or 0 when the
  record carries a Zero Balance Code. A UPB of 0 without a Zero Balance Code
  (the public files mask early balances) is refused: a remittance needs the
  actual balance.
* ``scheduled_principal`` is the level-payment principal of the beginning
  balance at Current Interest Rate over Remaining Months to Legal Maturity
  plus one, rounded to the unit; the balance reduction is collected
  principal up to that, curtailment above it. A balance that rose (capitalised
  arrears) is left to the roll-forward rule, which refuses it.
* ``interest_collected`` is the beginning balance times (Current Interest
  Rate - ``servicing_fee``) / 12, rounded to the unit, for a loan current
  this month or paid off; a delinquent loan remits no interest (no advance).
* Zero Balance Code ``01`` (prepaid or matured), ``06`` (repurchase) and
  ``96`` (removal) are payoffs of the whole beginning balance; ``02``, ``03``,
  ``09``, ``15``, ``16`` are liquidations with proceeds Net Sale Proceeds +
  MI Recoveries + Non-MI Recoveries (capped at the balance; ``C`` = covered
  in full, ``U`` = unknown -> 0) and the rest of the balance as loss.
* Current Loan Delinquency Status ``0``..``3`` -> current, dpd30, dpd60,
  dpd90; ``4`` and up -> dpd120plus; ``RA`` -> reo; anything else (``XX``)
  is refused. Modification Flag ``Y``/``P`` -> modification ``rate_and_term``
  (the file does not say which terms changed). Days delinquent (committed to
  the period's loan root) are 30 x the months delinquent; ``RA`` -> 120.

Line numbers name the file's 1-based line (the file has no header).
"""

from __future__ import annotations

import csv
import os
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

from trancheflow.errors import Problem, RemittanceError

from .read import DEFAULT_CAP, Problems
from .reconcile import LoanBook
from .schema import DAYS_DELINQUENT, TERMINAL, RemittanceRecord

__all__ = ["read_freddie_month"]

_PAYOFF = {"01", "06", "96"}
_LIQUIDATION = {"02", "03", "09", "15", "16"}


def _dec(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _status(code: str) -> str | None:
    if code == "RA":
        return "reo"
    if code.isdigit():
        n = int(code)
        return ("current", "dpd30", "dpd60", "dpd90")[n] if n < 4 else "dpd120plus"
    return None


def _days(code: str, status: str) -> int:
    """Days delinquent of a record: 30 x the months delinquent Freddie Mac reports
    (``RA`` and terminal statuses: :data:`~trancheflow.servicer.schema.DAYS_DELINQUENT`)."""
    if status in TERMINAL or not code.isdigit():
        return DAYS_DELINQUENT[status]
    return 30 * int(code)


def _level_principal(balance: Decimal, annual_pct: Decimal, months: int) -> Decimal:
    if months <= 1:
        return balance
    r = annual_pct / Decimal(1200)
    if r == 0:
        return balance / months
    pay = balance * r / (1 - (1 + r) ** -months)
    return min(balance, pay - balance * r)


def read_freddie_month(
    path: str | os.PathLike[str],
    previous: LoanBook,
    period: int,
    decimals: int,
    *,
    month: str | None = None,
    servicing_fee: float = 0.0025,
    cap: int = DEFAULT_CAP,
) -> list[RemittanceRecord]:
    """Records of reporting month ``month`` (``YYYYMM``) derived against ``previous``.

    Parameters
    ----------
    path : path
        Freddie Mac monthly performance file.
    previous : LoanBook
        Balances at the end of the previous period (units).
    period : int
        The deal period these records report.
    decimals : int
        Settlement token decimals.
    month : str, optional
        Reporting month to take; required when the file holds several.
    servicing_fee : float
        Annual servicing fee (decimal) kept from interest.

    Raises
    ------
    RemittanceError
        Unreadable file, unknown month, masked balance, unknown status, or a
        field that is not a number, each with its line and field.
    """
    from trancheflow.tape.freddie import PERFORMANCE_FIELDS

    p = Path(path)
    if not p.is_file():
        raise RemittanceError([Problem(str(p), None, None, None, "no such file")])
    try:
        lines = list(csv.reader(p.read_text(encoding="utf-8").splitlines(), delimiter="|"))
    except UnicodeDecodeError:
        raise RemittanceError([Problem(str(p), None, None, None, "is not UTF-8 text")]) from None
    col = {n: i for i, n in enumerate(PERFORMANCE_FIELDS)}
    need = col["current_interest_rate"] + 1
    probs = Problems(str(p), cap)
    months = sorted({ln[1].strip() for ln in lines if len(ln) > 1})
    if month is None:
        if len(months) != 1:
            probs.add(
                None,
                "monthly_reporting_period",
                None,
                f"the file holds {len(months)} months ({', '.join(months[:6])}...): pass the "
                "month to read",
            )
            probs.raise_if_any()
        month = months[0]
    if month not in months:
        probs.add(None, "monthly_reporting_period", month, "has no records in this file")
        probs.raise_if_any()
    scale = Decimal(10) ** decimals
    prev = previous.as_dict()
    fee_pct = Decimal(repr(float(servicing_fee))) * 100
    out: list[RemittanceRecord] = []

    def units(d: Decimal) -> int:
        return int((d * scale).to_integral_value(ROUND_HALF_EVEN))

    for ln_no, ln in enumerate(lines, start=1):
        if len(ln) < 2 or ln[1].strip() != month:
            continue
        if len(ln) < need:
            probs.add(ln_no, None, None, f"has {len(ln)} fields; the layout needs {need} or more")
            continue

        def f(name: str, _ln: list[str] = ln) -> str:
            i = col[name]
            return _ln[i].strip() if i < len(_ln) else ""

        lid = f("loan_sequence_number")
        beg = prev.get(lid, 0)
        zb = f("zero_balance_code")
        status = _status(f("current_loan_delinquency_status"))
        if status is None and not zb:
            probs.add(
                ln_no,
                "current_loan_delinquency_status",
                f("current_loan_delinquency_status"),
                "is not a known delinquency status (0-9.., RA)",
            )
            continue
        rate = _dec(f("current_interest_rate"))
        upb = _dec(f("current_actual_upb"))
        remaining = _dec(f("remaining_months_to_legal_maturity"))
        if rate is None or upb is None or remaining is None:
            for name, v in (
                ("current_interest_rate", rate),
                ("current_actual_upb", upb),
                ("remaining_months_to_legal_maturity", remaining),
            ):
                if v is None:
                    probs.add(ln_no, name, f(name), "must be a number")
            continue
        b = Decimal(beg) / scale
        net_pct = max(Decimal(0), rate - fee_pct)
        interest = units(b * net_pct / 1200)
        sched = min(beg, units(_level_principal(b, rate, int(remaining) + 1)))
        mod = "rate_and_term" if f("modification_flag") in ("Y", "P") else "none"
        kw = {
            "principal_collected": 0,
            "curtailment": 0,
            "payoff": 0,
            "liquidation_proceeds": 0,
            "realized_loss": 0,
        }
        if zb in _PAYOFF:
            st, end = "paid_off", 0
            kw["payoff"] = beg
        elif zb in _LIQUIDATION:
            st, end, interest = "liquidated", 0, 0
            got = Decimal(0)
            for name in ("net_sale_proceeds", "mi_recoveries", "non_mi_recoveries"):
                cell = f(name)
                if cell == "C":
                    got += b
                elif cell and cell != "U":
                    d = _dec(cell)
                    if d is None:
                        probs.add(ln_no, name, cell, "must be a number, C or U")
                        continue
                    got += d
            kw["liquidation_proceeds"] = min(beg, units(got))
            kw["realized_loss"] = beg - kw["liquidation_proceeds"]
        elif zb:
            probs.add(ln_no, "zero_balance_code", zb, "is not a known Zero Balance Code")
            continue
        else:
            assert status is not None
            st, end = status, units(upb)
            if end == 0 and beg > 0:
                probs.add(
                    ln_no,
                    "current_actual_upb",
                    f("current_actual_upb"),
                    "is 0 without a Zero Balance Code (a masked balance): a remittance "
                    "needs the actual balance",
                )
                continue
            if st != "current":
                interest = 0
            reduction = max(0, beg - end)
            kw["principal_collected"] = min(reduction, sched)
            kw["curtailment"] = reduction - kw["principal_collected"]
        out.append(
            RemittanceRecord(
                row=ln_no,
                loan_id=lid,
                period=period,
                beginning_balance=beg,
                scheduled_principal=sched,
                interest_collected=interest,
                ending_balance=end,
                delinquency_status=st,
                modification=mod,
                days_delinquent=_days(f("current_loan_delinquency_status"), st),
                **kw,
            )
        )
    probs.raise_if_any()
    return out

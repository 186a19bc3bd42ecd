"""SIMULATION ONLY: remittance files drawn from the model, for demos and tests.

Real deals report what the servicer collected (:mod:`trancheflow.servicer.read`).
This module draws what a servicer *might* report, loan by loan, from the
spec's assumptions, so the command-line life of a deal can be rehearsed on a
local node:

* each month a performing loan defaults with the monthly default rate of its
  age (the spec's CDR/SDA), else prepays in full with the SMM of its age
  (CPR/PSA), else pays its level-payment scheduled principal (gross note
  rate, remaining term) and, with probability ``curtailment_rate``, a
  curtailment of 1-10% of its balance;
* interest collected is the beginning balance times the net rate / 12;
* a defaulted loan pays nothing and moves dpd30, dpd60, dpd90, dpd120plus,
  foreclosure, reo, then is liquidated ``recovery_lag`` months (at least 3)
  after it stopped paying, with proceeds ``balance x (1 - severity)`` and the
  rest as realized loss.

Amounts are whole cents (exact integers), so files roll forward to the cent.
The draws use ``numpy.random.default_rng(seed)``: the same inputs give the
same files.

Examples
--------
>>> from trancheflow.tape.generate import generate_tape
>>> tape = generate_tape(5, seed=1)
>>> frames = simulate_remittances(tape, 3, prepay="CPR 20", default="CDR 5", seed=2)
>>> len(frames), list(frames[0].columns)[:3]
(3, ['loan_id', 'period', 'beginning_balance'])
>>> frames[1]["beginning_balance"].tolist() == frames[0]["ending_balance"].tolist()
True
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from trancheflow.units import to_units

from .schema import COLUMNS, DAYS_DELINQUENT

__all__ = ["cents_text", "simulate_remittances", "write_remittances"]


def cents_text(c: int) -> str:
    """Whole cents as a decimal string: ``cents_text(123456) == '1234.56'``.

    >>> cents_text(5), cents_text(123456)
    ('0.05', '1234.56')
    """
    return f"{c // 100}.{c % 100:02d}"


def _level_principal(b: int, annual: float, n: int) -> int:
    if n <= 1:
        return b
    r = annual / 12.0
    pay = b * r / (1 - (1 + r) ** -n) if r > 0 else b / n
    return min(b, max(0, round(pay - b * r)))


def simulate_remittances(
    tape: pd.DataFrame,
    periods: int,
    *,
    prepay: str = "PSA 100",
    default: str = "SDA 100",
    severity: float = 0.35,
    recovery_lag: int = 6,
    curtailment_rate: float = 0.01,
    seed: int = 0,
) -> list[pd.DataFrame]:
    """SIMULATION: ``periods`` monthly remittance frames (money as decimal text).

    Parameters
    ----------
    tape : DataFrame
        Normalised loan tape (``loan_id``, ``current_balance``, ``note_rate``,
        ``net_rate``, ``remaining_term``, ``loan_age``).
    periods : int
        Months to draw.
    prepay, default : str
        Speeds in market notation (the spec's assumptions).
    severity : float
        Loss severity at liquidation.
    recovery_lag : int
        Months from the first missed payment to liquidation (at least 3).
    curtailment_rate : float
        Monthly probability of a curtailment by a performing loan.
    seed : int
        Seed of the generator.
    """
    from trancheflow.collateral.speeds import parse_default, parse_prepay

    pp, dd = parse_prepay(prepay), parse_default(default)
    rng = np.random.default_rng(seed)
    lag = max(3, int(recovery_lag))
    ids = [str(x) for x in tape["loan_id"]]
    bal = [to_units(x, 2) for x in tape["current_balance"]]
    gross = [float(x) for x in tape["note_rate"]]
    net = [float(x) for x in tape["net_rate"]]
    rem = [int(x) for x in tape["remaining_term"]]
    age = [int(x) for x in tape["loan_age"]]
    missed = [0] * len(ids)
    frames = []
    for t in range(1, periods + 1):
        rows = []
        u = rng.random((len(ids), 3))
        for i, lid in enumerate(ids):
            b = bal[i]
            if b == 0:
                continue
            a = age[i] + t
            row = dict.fromkeys(c.name for c in COLUMNS if c.kind == "money")
            for k in row:
                row[k] = 0
            row.update(loan_id=lid, period=t, beginning_balance=b, modification="none")
            sched = _level_principal(b, gross[i], rem[i] - t + 1)
            row["scheduled_principal"] = sched
            if missed[i] == 0:
                mdr = float(dd.monthly_rate([a], period=[t])[0])
                smm = float(pp.monthly_rate([a], period=[t])[0])
                if u[i, 0] < mdr:
                    missed[i] = 1
            if missed[i] > 0:
                m = missed[i]
                if m >= lag:
                    proceeds = math.floor(b * (1 - severity))
                    row.update(
                        liquidation_proceeds=proceeds,
                        realized_loss=b - proceeds,
                        ending_balance=0,
                        delinquency_status="liquidated",
                    )
                    bal[i] = 0
                else:
                    status = ("dpd30", "dpd60", "dpd90")[m - 1] if m <= 3 else "dpd120plus"
                    if m == lag - 1 and m > 3:
                        status = "reo"
                    elif m == lag - 2 and m > 4:
                        status = "foreclosure"
                    row.update(ending_balance=b, delinquency_status=status)
                    missed[i] += 1
            else:
                row["interest_collected"] = round(b * net[i] / 12.0)
                if u[i, 1] < smm or sched >= b:
                    row.update(payoff=b, ending_balance=0, delinquency_status="paid_off")
                    bal[i] = 0
                else:
                    curt = 0
                    if u[i, 2] < curtailment_rate:
                        curt = min(b - sched, round(b * (0.01 + 0.09 * u[i, 2] / curtailment_rate)))
                    end = b - sched - curt
                    row.update(
                        principal_collected=sched,
                        curtailment=curt,
                        ending_balance=end,
                        delinquency_status="current" if end > 0 else "paid_off",
                    )
                    bal[i] = end
            rows.append(row)
        df = pd.DataFrame(rows, columns=[c.name for c in COLUMNS])
        df["days_delinquent"] = [DAYS_DELINQUENT[st] for st in df["delinquency_status"]]
        for c in COLUMNS:
            if c.kind == "money":
                df[c.name] = [cents_text(int(x)) for x in df[c.name]]
        frames.append(df)
    return frames


def write_remittances(
    frames: list[pd.DataFrame], folder: str | os.PathLike[str], *, fmt: str = "csv"
) -> list[Path]:
    """Write ``remittance-001.csv`` (or ``.parquet``) ... into ``folder``; returns the paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for df in frames:
        n = int(df["period"].iloc[0]) if len(df) else len(paths) + 1
        p = out / f"remittance-{n:03d}.{fmt}"
        if fmt == "parquet":
            df.to_parquet(p, index=False)
        else:
            df.to_csv(p, index=False)
        paths.append(p)
    return paths

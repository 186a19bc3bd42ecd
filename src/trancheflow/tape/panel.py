"""The loan-month panel: one row per loan per observed month, the input every model trains on.

Built from Freddie Mac files by :func:`trancheflow.tape.panel_build.build_panel`
(``trancheflow tape panel ORIG PERF OUT_DIR``: Parquet partitioned by vintage)
and read back by :func:`trancheflow.tape.panel_build.read_panel`. Covariates for
a simulated panel that look like a real file: :func:`trancheflow.tape.like.fit_like`
then ``model.sample_covariates(n, seed=...)`` (same column names and units).

Schema (stable; H7's ground-truth simulator writes the same columns)
--------------------------------------------------------------------
Per loan-month (from the Freddie Mac monthly performance file):

=====================  =========  ===========================================
column                 dtype      meaning
=====================  =========  ===========================================
``loan_id``            str        Loan Sequence Number
``period``             datetime   reporting month, first day of the month
``loan_age``           int32      months since the first payment date
``upb``                float64    actual UPB at month end (0 once terminated)
``note_rate``          float64    current interest rate, **percent** (6.5)
``status``             str        one of :data:`STATUSES`
``zero_balance_code``  str/None   Freddie code (``"01"``, ``"03"``, ...), on
                                  the terminal row only
``loss``               float64    actual loss where reported (positive = loss)
=====================  =========  ===========================================

Origination covariates repeated on every row of the loan: ``fico``, ``ltv``,
``cltv``, ``dti`` (float64, NaN when the file says "not available"; LTV,
CLTV and DTI in **percent**, as in the files), ``orig_upb`` (float64),
``orig_rate`` (float64, percent), ``orig_term`` (int32), ``state``,
``occupancy``, ``purpose``, ``channel``, ``property_type`` (str, tape-schema
vocabulary: ``owner``/``second_home``/``investor``, ``purchase``/
``cash_out_refi``/``rate_term_refi``, ``retail``/``broker``/
``correspondent``/``tpo``, ``single_family``/``condo``/``pud``/
``manufactured``/``coop``/``two_to_four_unit``; None when not available),
``first_payment`` (datetime, month start) and ``vintage`` (int32, the year of
the first payment date).

Status rules
------------
* ``current`` (0 months delinquent), ``d30`` (1), ``d60`` (2), ``d90p`` (3 or
  more); ``fc_reo``: REO acquired (delinquency ``RA``). The public files do
  not flag foreclosure in progress, so a loan in foreclosure shows as
  ``d90p`` until the REO acquisition.
* ``prepaid``: zero balance code ``01`` (prepaid or matured, the
  voluntary payoff);
  ``default``: a zero balance code that ends the loan through a credit event
  (``02`` third-party sale, ``03`` short sale or charge-off, ``09`` REO
  disposition);
  ``repurchased``: ``96`` (the General User Guide's "repurchase prior to
  property disposition": the seller bought the loan back, e.g. for a breach
  of representations) and ``06`` (the same event in the code Fannie Mae's
  dataset uses, read alike);
  ``note_sale``: ``15`` (whole-loan / note sale) and ``16`` (reperforming
  loan sale): the loan leaves the pool by a sale of the note.
  All four are **terminal and appear once**, on the loan's last row.
  Repurchases and note sales are neither credit events nor voluntary
  prepayments: the hazard models drop those rows from the default and prepay
  targets (the loan is censored that month; :func:`trancheflow.models.hazard.labels`).
* Delinquency ``XX`` (unknown) rows are kept with status of the previous
  month (``current`` if none).

Examples
--------
>>> validate_panel(empty_panel()).shape[1] == len(PANEL_COLUMNS)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trancheflow.errors import Problem, TapeValidationError

__all__ = [
    "NOTE_SALE_CODES",
    "PANEL_COLUMNS",
    "PANEL_DTYPES",
    "REPURCHASE_CODES",
    "STATUSES",
    "TERMINAL_STATUSES",
    "empty_panel",
    "validate_panel",
]

STATUSES: tuple[str, ...] = (
    "current",
    "d30",
    "d60",
    "d90p",
    "fc_reo",
    "prepaid",
    "default",
    "repurchased",
    "note_sale",
)
TERMINAL_STATUSES: frozenset[str] = frozenset({"prepaid", "default", "repurchased", "note_sale"})
#: Zero balance codes of a repurchase (``96`` Freddie Mac; ``06`` Fannie Mae style, same event).
REPURCHASE_CODES: frozenset[str] = frozenset({"06", "96"})
#: Zero balance codes of a note sale (``15`` whole-loan/note sale, ``16`` reperforming loan sale).
NOTE_SALE_CODES: frozenset[str] = frozenset({"15", "16"})

PANEL_DTYPES: dict[str, str] = {
    "loan_id": "object",
    "period": "datetime64[ns]",
    "loan_age": "int32",
    "upb": "float64",
    "note_rate": "float64",
    "status": "object",
    "zero_balance_code": "object",
    "loss": "float64",
    "fico": "float64",
    "ltv": "float64",
    "cltv": "float64",
    "dti": "float64",
    "orig_upb": "float64",
    "orig_rate": "float64",
    "orig_term": "int32",
    "state": "object",
    "occupancy": "object",
    "purpose": "object",
    "channel": "object",
    "property_type": "object",
    "first_payment": "datetime64[ns]",
    "vintage": "int32",
}
PANEL_COLUMNS: tuple[str, ...] = tuple(PANEL_DTYPES)
"""Column order of every panel frame and Parquet file."""

_NON_NULL = ("loan_id", "period", "loan_age", "upb", "note_rate", "status", "orig_upb",
             "orig_rate", "orig_term", "first_payment", "vintage")  # fmt: skip


def empty_panel() -> pd.DataFrame:
    """A panel with no rows and the schema's dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in PANEL_DTYPES.items()})


def validate_panel(df: pd.DataFrame, *, source: str = "<panel>") -> pd.DataFrame:
    """Check a panel frame against the schema; return it with columns in schema order.

    Parameters
    ----------
    df : pandas.DataFrame
        A loan-month panel.
    source : str
        Name used in problems.

    Returns
    -------
    pandas.DataFrame
        ``df[PANEL_COLUMNS]`` cast to :data:`PANEL_DTYPES`.

    Raises
    ------
    TapeValidationError
        A column is missing or uncastable, a required value is null, a status
        is unknown, ``period`` is not a month start, a loan repeats a month,
        or a terminal status is followed by another row of the same loan.
    """
    problems: list[Problem] = []
    missing = [c for c in PANEL_COLUMNS if c not in df.columns]
    for c in missing:
        problems.append(Problem(source, None, c, None, "panel column is missing"))
    if problems:
        raise TapeValidationError(problems)
    out = df.loc[:, list(PANEL_COLUMNS)].reset_index(drop=True)
    for c, t in PANEL_DTYPES.items():
        try:
            if t.startswith("datetime"):
                out[c] = pd.to_datetime(out[c]).astype(np.dtype(t))
            elif t != "object":
                if t.startswith("int") and out[c].isna().any():
                    raise ValueError("null in an integer column")
                out[c] = out[c].astype(np.dtype(t))
        except (ValueError, TypeError) as exc:
            problems.append(Problem(source, None, c, None, f"cannot be read as {t}: {exc}"))
    if problems:
        raise TapeValidationError(problems)

    def add(mask: np.ndarray, field: str, rule: str) -> None:
        for i in np.flatnonzero(mask)[:20]:
            problems.append(Problem(source, int(i) + 1, field, out[field].iloc[i], rule))

    for c in _NON_NULL:
        add(out[c].isna().to_numpy(), c, "must not be empty")
    add(~out["status"].isin(STATUSES).to_numpy(), "status", "must be one of " + ", ".join(STATUSES))
    add((out["period"].dt.day != 1).to_numpy(), "period", "must be the first day of a month")
    add(out.duplicated(["loan_id", "period"]).to_numpy(), "period", "repeats a loan-month")
    if len(out):
        order = out.sort_values(["loan_id", "period"], kind="stable")
        term = order["status"].isin(TERMINAL_STATUSES).to_numpy()
        same_next = np.r_[
            order["loan_id"].to_numpy()[1:] == order["loan_id"].to_numpy()[:-1], False
        ]
        pos = np.zeros(len(out), dtype=bool)
        pos[out.index.get_indexer(order.index[term & same_next])] = True
        add(
            pos,
            "status",
            "a terminal status (prepaid/default/repurchased/note_sale) must be the loan's last row",
        )
    if problems:
        raise TapeValidationError(problems[:100], len(problems) > 100)
    return out.reset_index(drop=True)

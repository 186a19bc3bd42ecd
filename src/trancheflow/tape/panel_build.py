"""Build the loan-month panel from Freddie Mac origination + performance files, in bounded memory.

The origination file is read once into a compact covariate table (one row per
loan); the performance file is then streamed in chunks. The published
performance files list each loan's months together, in period order, so a
chunk's loans are complete except the last one, whose rows are carried into
the next chunk. Each completed batch becomes panel rows (schema and status
rules in :mod:`trancheflow.tape.panel`) written as Parquet, partitioned by
vintage (``OUT_DIR/vintage=2019/part-00000-0.parquet``); memory holds one
chunk and the covariates, never the panel.

Choices the files leave open
----------------------------
* ``upb``: Current Actual UPB; a 0 without a zero balance code (the masking
  of a loan's first months in some releases) is replaced by the scheduled
  level-pay balance at that loan age; the terminal row carries 0.
* ``loss``: minus the Actual Loss Calculation (the files write a loss as a
  negative amount), on the rows that report one.
* ``note_rate``: Current Interest Rate, or the original rate when blank.
* A loan whose records are not contiguous, a month repeated, a record after
  the loan's zero balance, or a loan with no origination record is a problem;
  the build is rejected whole (the partial output is removed).

Examples
--------
>>> import tempfile, pathlib
>>> data = pathlib.Path("tests/data/freddie")
>>> with tempfile.TemporaryDirectory() as d:
...     summary = build_panel(data / "sample_orig_2019.txt", data / "sample_svcg_2019.txt",
...                           pathlib.Path(d) / "panel")
...     panel = read_panel(pathlib.Path(d) / "panel")
>>> summary.loans, summary.rows, len(panel)
(7, 38, 38)
>>> panel.groupby("loan_id")["status"].last().tolist()
['prepaid', 'default', 'default', 'default', 'repurchased', 'current', 'current']
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from trancheflow.errors import TapeError

from .freddie import months_to_dates, origination_records
from .freddie_layout import PREPAID_CODES
from .freddie_perf import DQ_REO, DQ_UNKNOWN, performance_records
from .freddie_scan import DEFAULT_CHUNK_ROWS, ProblemLog
from .panel import NOTE_SALE_CODES, PANEL_COLUMNS, PANEL_DTYPES, REPURCHASE_CODES, validate_panel

__all__ = ["PanelSummary", "build_panel", "read_panel"]

_COVARIATES = ("fico", "ltv", "cltv", "dti", "orig_upb", "orig_rate", "orig_term", "state",
               "occupancy", "purpose", "channel", "property_type", "first_payment")  # fmt: skip


_ARROW = {"object": pa.string(), "float64": pa.float64(), "int32": pa.int32(),
          "datetime64[ns]": pa.timestamp("ns")}  # fmt: skip
_SCHEMA = pa.schema([(c, _ARROW[t]) for c, t in PANEL_DTYPES.items()])
"""Every part file gets the same column types (a batch where a column is all null included)."""


@dataclass(frozen=True)
class PanelSummary:
    """What :func:`build_panel` wrote."""

    loans: int
    rows: int
    vintages: tuple[int, ...]
    prepaid: int
    defaulted: int
    path: Path
    removed: int = 0
    """Loans repurchased (``96``/``06``) or sold (``15``/``16``): neither prepaid nor defaulted."""


def _covariates(path: str | os.PathLike[str], log: ProblemLog, chunk_rows: int,
                progress: bool) -> pd.DataFrame:  # fmt: skip
    parts = []
    for rec in origination_records(path, log, chunk_rows=chunk_rows, progress=progress):
        rec = rec[~rec["bad"].to_numpy()]
        log.skipped_keys.update(rec.loc[rec["first_payment"] < 0, "loan_id"])
        parts.append(rec[rec["first_payment"] >= 0][["loan_id", *_COVARIATES, "line"]])
    cov = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["loan_id"])
    dup = cov["loan_id"].duplicated()
    for _, r in cov[dup].iterrows():
        log.add(str(path), int(r["line"]), "loan_sequence_number", r["loan_id"],
                "repeats an earlier loan")  # fmt: skip
    cov = cov[~dup]
    for c in ("state", "occupancy", "purpose", "channel", "property_type"):
        cov[c] = cov[c].astype("category")
    return cov.set_index("loan_id")


def _scheduled(b0: np.ndarray, rate_pct: np.ndarray, n: np.ndarray, k: np.ndarray) -> np.ndarray:
    r = rate_pct / 1200.0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        g_n, g_k = (1 + r) ** n, (1 + r) ** k
        return np.where(r > 0, b0 * (g_n - g_k) / (g_n - 1), b0 * (1 - k / n))


def _rows(batch: pd.DataFrame, cov: pd.DataFrame, pfile: str, log: ProblemLog) -> pd.DataFrame:
    """Panel rows for complete loans (``batch`` sorted by loan, then period)."""
    batch = batch[batch["loan_id"].isin(cov.index)]
    dup = batch.duplicated(["loan_id", "period"]).to_numpy()
    for i in np.flatnonzero(dup):
        log.add(pfile, int(batch["line"].iloc[i]), "monthly_reporting_period", None,
                "repeats an earlier record of this loan")  # fmt: skip
    batch = batch[~dup]
    loan = batch["loan_id"].to_numpy()
    new_loan = np.r_[True, loan[1:] != loan[:-1]]
    ended = batch["zbc"].notna().to_numpy()
    # Records after a zero balance: cumulative count of terminal rows before this one, per loan.
    group = np.cumsum(new_loan)
    ended_before = pd.Series(ended).groupby(group).cumsum().to_numpy() - ended
    after = ended_before > 0
    for i in np.flatnonzero(after):
        log.add(pfile, int(batch["line"].iloc[i]), "zero_balance_code", None,
                "a record after the loan's zero balance")  # fmt: skip
    batch = batch[~after]
    group = group[~after]
    c = cov.loc[batch["loan_id"]]
    dq = batch["dq"].to_numpy()
    labels = np.array(["current", "d30", "d60", "d90p"], dtype=object)
    status = pd.Series(np.where(dq == DQ_REO, "fc_reo", labels[np.clip(dq, 0, 3)]), dtype=object)
    status[dq == DQ_UNKNOWN] = None
    status = status.groupby(group).ffill().fillna("current")
    zbc = batch["zbc"].to_numpy(dtype=object)
    ended = pd.notna(zbc)
    prepaid = np.isin(zbc, list(PREPAID_CODES))
    ending = np.select(
        [prepaid, np.isin(zbc, list(REPURCHASE_CODES)), np.isin(zbc, list(NOTE_SALE_CODES))],
        ["prepaid", "repurchased", "note_sale"],
        "default",
    )
    labelled = np.where(ended, ending, status.to_numpy())

    fpd = c["first_payment"].to_numpy()
    period = batch["period"].to_numpy()
    age = batch["age"].to_numpy()
    age = np.where(np.isnan(age), period - fpd + 1, age)
    orig_rate = c["orig_rate"].to_numpy()
    rate = batch["rate"].to_numpy()
    rate = np.where(np.isnan(rate), orig_rate, rate)
    upb = batch["upb"].to_numpy()
    masked = ~ended & ((upb == 0) | np.isnan(upb))
    if masked.any():
        sched = _scheduled(c["orig_upb"].to_numpy(), orig_rate, c["orig_term"].to_numpy(), age)
        upb = np.where(masked, np.round(sched, 2), upb)
    upb = np.where(ended, 0.0, upb)
    out = pd.DataFrame(
        {
            "loan_id": pd.Series(batch["loan_id"].to_numpy(), dtype=object),
            "period": months_to_dates(period).to_numpy(),
            "loan_age": age,
            "upb": upb,
            "note_rate": rate,
            "status": pd.Series(labelled, dtype=object),
            "zero_balance_code": pd.Series(zbc, dtype=object),
            "loss": -batch["loss"].to_numpy(),
        }
    )
    for col in _COVARIATES:
        out[col] = c[col].to_numpy()
    out["first_payment"] = months_to_dates(fpd).to_numpy()
    out["vintage"] = fpd // 12
    for col, t in PANEL_DTYPES.items():
        if t != "object":
            out[col] = out[col].astype(np.dtype(t))
        else:
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out[list(PANEL_COLUMNS)]


def build_panel(
    origination_path: str | os.PathLike[str],
    performance_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    max_problems: int = 100,
    progress: bool = False,
    overwrite: bool = False,
) -> PanelSummary:
    """Write the loan-month panel of a Freddie Mac origination + performance file pair.

    Parameters
    ----------
    origination_path, performance_path : path-like
        The published files (any release width).
    out_dir : path-like
        Target directory; Parquet partitioned by ``vintage``.
    chunk_rows : int
        Performance lines per chunk (bounds memory).
    max_problems : int
        Cap on problems collected.
    progress : bool
        Rich progress bars while reading.
    overwrite : bool
        Replace an existing ``out_dir``.

    Returns
    -------
    PanelSummary

    Raises
    ------
    TapeValidationError
        Any problem in either file (nothing is left at ``out_dir``).
    TapeError
        A file is missing, or ``out_dir`` exists and ``overwrite`` is False.
    """
    target = Path(out_dir)
    if target.exists() and not overwrite:
        raise TapeError(f"{target} exists; pass overwrite=True (CLI: --overwrite) to replace it")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    log = ProblemLog(max_problems)
    pfile = str(performance_path)
    cov = _covariates(origination_path, log, chunk_rows, progress)
    done: set[str] = set()
    stray: set[str] = set()
    carry: pd.DataFrame | None = None
    n_rows = n_prepaid = n_default = n_removed = part = 0
    vintages: set[int] = set()

    def flush(batch: pd.DataFrame) -> None:
        nonlocal n_rows, n_prepaid, n_default, n_removed, part
        rows = _rows(batch, cov, pfile, log)
        if len(rows) == 0 or log.problems:
            return
        n_rows += len(rows)
        n_prepaid += int((rows["status"] == "prepaid").sum())
        n_default += int((rows["status"] == "default").sum())
        n_removed += int(rows["status"].isin(["repurchased", "note_sale"]).sum())
        vintages.update(int(v) for v in np.unique(rows["vintage"]))
        table = pa.Table.from_pandas(rows, schema=_SCHEMA, preserve_index=False)
        pq.write_to_dataset(table, partial, partition_cols=["vintage"],
                            basename_template=f"part-{part:05d}-{{i}}.parquet")  # fmt: skip
        part += 1

    try:
        for rec in performance_records(performance_path, log, chunk_rows=chunk_rows,
                                       progress=progress):  # fmt: skip
            rec = rec[~rec["bad"].to_numpy()]
            unknown = ~rec["loan_id"].isin(cov.index).to_numpy()
            for i in np.flatnonzero(unknown):
                lid = rec["loan_id"].iloc[i]
                if lid not in stray and lid not in log.skipped_keys:
                    stray.add(lid)
                    log.add(pfile, int(rec["line"].iloc[i]), "loan_sequence_number", lid,
                            f"has no record in {origination_path}")  # fmt: skip
            rec = rec[~unknown]
            if carry is not None:
                rec = pd.concat([carry, rec], ignore_index=True)
            if len(rec) == 0:
                continue
            ids = rec["loan_id"].to_numpy()
            starts = np.r_[True, ids[1:] != ids[:-1]]
            run_ids = ids[starts]
            again = np.array([x in done for x in run_ids], dtype=bool)
            again |= pd.Series(run_ids).duplicated().to_numpy()
            if again.any():
                rule = "records of a loan must be together (the files are sorted by loan)"
                for i in np.flatnonzero(starts)[again]:
                    log.add(pfile, int(rec["line"].iloc[i]), "loan_sequence_number", ids[i], rule)
                rec = rec[~np.repeat(again, np.diff(np.r_[np.flatnonzero(starts), len(ids)]))]
                ids = rec["loan_id"].to_numpy()
            last = ids[-1]
            tail = ids == last
            carry = rec[tail]
            batch = rec[~tail].sort_values(["loan_id", "period"], kind="stable")
            done.update(np.unique(batch["loan_id"]))
            if len(batch):
                flush(batch)
        if carry is not None and len(carry):
            done.update(np.unique(carry["loan_id"]))
            flush(carry.sort_values(["loan_id", "period"], kind="stable"))
        for lid in cov.index[~cov.index.isin(list(done))]:
            log.add(str(origination_path), int(cov.loc[lid, "line"]), "loan_sequence_number",
                    lid, f"has no record in {pfile}")  # fmt: skip
        log.raise_if_any()
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if target.exists():
        shutil.rmtree(target)
    if part == 0:
        partial.mkdir(parents=True)
    partial.rename(target)
    return PanelSummary(
        loans=len(done), rows=n_rows, vintages=tuple(sorted(vintages)), prepaid=n_prepaid,
        defaulted=n_default, path=target, removed=n_removed,
    )  # fmt: skip


def read_panel(path: str | os.PathLike[str], vintages: list[int] | None = None) -> pd.DataFrame:
    """Read a panel directory (optionally some vintages) back as a validated frame.

    Rows come sorted by loan and period.
    """
    filters = [("vintage", "in", vintages)] if vintages else None
    df = pd.read_parquet(Path(path), filters=filters)
    df["vintage"] = df["vintage"].astype(np.int32)
    df = df.sort_values(["loan_id", "period"], kind="stable").reset_index(drop=True)
    return validate_panel(df, source=str(path))

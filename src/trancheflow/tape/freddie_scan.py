"""Stream a headerless pipe-delimited Freddie Mac file in chunks and read its fields by kind.

The files run to millions of lines, so they are read ``chunk_rows`` lines at
a time (bounded memory) with an optional rich progress bar over the bytes
read. The first non-blank line fixes the file's width (its release); a line
with another field count, a blank line, and a value that breaks its field's
kind, codes or range are collected as :class:`~trancheflow.errors.Problem`
(file, 1-based line, field, value, rule) in a :class:`ProblemLog`, never
raised mid-file.

Examples
--------
>>> import tempfile, pathlib
>>> from trancheflow.tape.freddie_layout import PERFORMANCE, PERFORMANCE_MIN_WIDTH
>>> with tempfile.TemporaryDirectory() as d:
...     p = pathlib.Path(d) / "svcg.txt"
...     _ = p.write_text("F19Q10000001|201904|180000.00|0|1|359|||||4.625\\n")
...     log = ProblemLog(10)
...     chunks = list(scan(p, PERFORMANCE, PERFORMANCE_MIN_WIDTH, log))
>>> chunks[0].width, chunks[0].lines.tolist(), chunks[0].raw["loan_age"].tolist()
(11, [1], [1.0])
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from trancheflow.errors import Problem, TapeError, TapeValidationError

from .freddie_layout import Field

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "Chunk",
    "ProblemLog",
    "check_fields",
    "codes",
    "numbers",
    "periods",
    "scan",
]

DEFAULT_CHUNK_ROWS = 250_000


class ProblemLog:
    """Problems found while streaming, capped at ``cap`` (``truncated`` when more)."""

    def __init__(self, cap: int) -> None:
        if cap < 1:
            raise ValueError(f"max_problems must be >= 1, got {cap}")
        self.cap = cap
        self.problems: list[Problem] = []
        self.truncated = False
        self.skipped_keys: set[str] = set()
        """Loan ids of lines left unread (wrong width), so other files' checks can skip them."""

    @property
    def full(self) -> bool:
        """True once the cap is reached (callers may stop looking)."""
        return len(self.problems) >= self.cap

    def add(self, file: str, row: int | None, field: str | None, value: object, rule: str) -> None:
        """Record one problem (or mark the log truncated past the cap)."""
        if self.full:
            self.truncated = True
            return
        if isinstance(value, np.generic):
            value = value.item()
        self.problems.append(Problem(file, row, field, value, rule))

    def extend(self, problems: Sequence[Problem], truncated: bool = False) -> None:
        """Record problems found by another checker (the tape validator)."""
        for p in problems:
            self.add(p.file, p.row, p.field, p.value, p.rule)
        self.truncated |= truncated

    def raise_if_any(self) -> None:
        """Raise :class:`TapeValidationError` with every problem, in file/line order."""
        if self.problems:
            ordered = sorted(self.problems, key=lambda p: (p.file, p.row or 0))
            raise TapeValidationError(ordered, self.truncated)


@dataclass
class Chunk:
    """Consecutive well-formed lines of a file.

    Attributes
    ----------
    raw : pandas.DataFrame
        One text column per field of the file's width (stripped; ``""`` when blank).
    lines : numpy.ndarray
        1-based line number of each row.
    width : int
        The file's field count.
    """

    raw: pd.DataFrame
    lines: np.ndarray
    width: int


def _progress(path: Path, enabled: bool) -> Progress:
    return Progress(
        TextColumn(f"reading {path.name}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not enabled,
    )


def scan(
    path: str | os.PathLike[str],
    layout: Sequence[Field],
    min_width: int,
    log: ProblemLog,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: bool = False,
) -> Iterator[Chunk]:
    """Yield a file's well-formed lines in chunks; log malformed ones.

    Parameters
    ----------
    path : path-like
        The file.
    layout : sequence of Field
        The full (latest-release) layout; the file may be any prefix of it
        at least ``min_width`` fields wide.
    min_width : int
        Narrowest acceptable line.
    log : ProblemLog
        Receives blank lines and lines of the wrong width.
    chunk_rows : int
        Lines per chunk (memory bound).
    progress : bool
        Show a rich progress bar over the bytes read.

    Raises
    ------
    TapeError
        The file is missing.
    TapeValidationError
        The file is empty, or its first line is not of this layout (too few or
        too many fields): nothing else in it could be read.
    """
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise TapeError(f"{path}: no such Freddie Mac file")
    names = [f.name for f in layout]
    key = names.index("loan_sequence_number")
    width = 0
    trailing = False
    line_no = 0
    with (
        path.open("r", encoding="utf-8", errors="replace", newline="") as fh,
        _progress(path, progress) as bar,
    ):
        task = bar.add_task("read", total=path.stat().st_size)
        while True:
            block = list(islice(fh, chunk_rows))
            if not block:
                break
            bar.advance(task, sum(len(s) for s in block))
            keep: list[str] = []
            nums: list[int] = []
            for text in block:
                line_no += 1
                text = text.rstrip("\r\n")
                if not text.strip():
                    log.add(file, line_no, None, None, "blank line")
                    continue
                if width == 0:
                    trailing = text.endswith("|")
                    width = text.count("|") + 1 - trailing
                    if not min_width <= width <= len(layout):
                        raise TapeValidationError(
                            [
                                Problem(
                                    file,
                                    line_no,
                                    None,
                                    None,
                                    f"has {width} fields; this Freddie Mac layout has "
                                    f"{min_width} to {len(layout)} (is it the right file?)",
                                )
                            ]
                        )
                    _check_kind(file, line_no, text, names[0])
                if trailing and text.endswith("|"):
                    text = text[:-1]
                n = text.count("|") + 1
                if n != width:
                    log.add(file, line_no, None, None, f"has {n} fields; line 1 has {width}")
                    parts = text.split("|")
                    if key < len(parts):
                        log.skipped_keys.add(parts[key].strip())
                    continue
                keep.append(text)
                nums.append(line_no)
            if not keep:
                continue
            yield Chunk(_parse("\n".join(keep), layout[:width]), np.asarray(nums, np.int64), width)
    if line_no == 0:
        raise TapeValidationError([Problem(file, None, None, None, "file is empty")])


_MONTHS = np.arange(1, 13)
_NUMERIC = ("int", "float", "percent", "period")


def _parse(text: str, fields: Sequence[Field]) -> pd.DataFrame:
    """Parse well-formed lines: numbers typed in C when they all read (the usual case).

    A chunk where some numeric field holds text that is not a number is re-read
    as text, so the per-field readers below can name each bad value.
    """
    names = [f.name for f in fields]
    numeric = {f.name: f for f in fields if f.kind in _NUMERIC}
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            sep="|",
            header=None,
            names=names,
            quoting=csv.QUOTE_NONE,
            dtype={n: (np.float64 if n in numeric else object) for n in names},
            keep_default_na=False,
            na_values={n: ["", *f.na] for n, f in numeric.items()},
            engine="c",
        )
    except ValueError:
        raw = pd.read_csv(
            io.StringIO(text),
            sep="|",
            header=None,
            names=names,
            quoting=csv.QUOTE_NONE,
            dtype=object,
            na_filter=False,
            engine="c",
        )
        for c in numeric:
            raw[c] = raw[c].astype(object).str.strip()
    return raw


def _check_kind(file: str, line_no: int, text: str, first_field: str) -> None:
    """Refuse an origination file read as a performance file, or the other way round."""
    head, second = [*text.split("|"), ""][:2]
    head, second = head.strip(), second.strip()
    if first_field == "credit_score" and re.match(r"[A-Za-z]", head) and second.isdigit():
        other, this = "monthly performance", "an origination"
    elif first_field == "loan_sequence_number" and re.fullmatch(r"\d{3,4}", head):
        other, this = "origination", "a monthly performance"
    else:
        return
    raise TapeValidationError(
        [
            Problem(file, line_no, None, head, f"starts like a Freddie Mac {other} line; "
                    f"{this} file was expected (are the files swapped?)")
        ]
    )  # fmt: skip


def _column(chunk: Chunk, field: Field) -> pd.Series:
    if field.name in chunk.raw:
        return chunk.raw[field.name]
    return pd.Series([""] * len(chunk.raw), dtype=object)


def _report(
    mask: np.ndarray,
    values: pd.Series,
    chunk: Chunk,
    field: Field,
    file: str,
    log: ProblemLog,
    rule: str,
) -> None:
    for i in np.flatnonzero(mask):
        if log.full:
            log.truncated = True
            return
        log.add(file, int(chunk.lines[i]), field.name, values.iloc[i], rule)


def numbers(chunk: Chunk, field: Field, file: str, log: ProblemLog) -> np.ndarray:
    """A numeric field as float64: blank or a sentinel -> NaN; bad text or range logged."""
    text = _column(chunk, field)
    if text.dtype == np.float64:  # typed by the parser; sentinels already NaN
        out = text.to_numpy()
    else:
        absent = (text == "") | text.isin(field.na)
        value = pd.to_numeric(text.where(~absent), errors="coerce").to_numpy(dtype=float)
        bad = ~absent.to_numpy() & np.isnan(value)
        _report(bad, text, chunk, field, file, log, f"must be a number ({field.guide})")
        out = np.where(bad, np.nan, value)
    lo = -np.inf if field.low is None else field.low
    hi = np.inf if field.high is None else field.high
    wide = ~np.isnan(out) & ((out < lo) | (out > hi))
    if wide.any():
        span = f"{lo:g} to {hi:g}" if np.isfinite(hi) else f">= {lo:g}"
        sentinel = f" or the not-available code {'/'.join(field.na)}" if field.na else ""
        _report(wide, text, chunk, field, file, log, f"must be {span}{sentinel} ({field.guide})")
    return out


def periods(chunk: Chunk, field: Field, file: str, log: ProblemLog) -> np.ndarray:
    """A ``YYYYMM`` field as months since year 0 (``year * 12 + month - 1``); -1 when blank."""
    text = _column(chunk, field)
    rule = f"must be a period YYYYMM ({field.guide})"
    if text.dtype == np.float64:
        v = text.to_numpy()
        blank = np.isnan(v)
        num = np.where(blank, 0, v).astype(np.int64)
        ok = ~blank & (num == v) & (num >= 100001) & (num <= 999912) & np.isin(num % 100, _MONTHS)
        if (~ok & ~blank).any():
            shown = pd.Series(np.char.mod("%d", np.nan_to_num(v).astype(np.int64)), dtype=object)
            _report(~ok & ~blank, shown, chunk, field, file, log, rule)
    else:
        ok = text.str.fullmatch(r"\d{4}(0[1-9]|1[0-2])").to_numpy(dtype=bool)
        blank = (text == "").to_numpy()
        _report(~ok & ~blank, text, chunk, field, file, log, rule)
        num = pd.to_numeric(text.where(ok), errors="coerce").fillna(0).to_numpy(dtype=np.int64)
    return np.where(ok, (num // 100) * 12 + num % 100 - 1, -1)


def codes(chunk: Chunk, field: Field, file: str, log: ProblemLog) -> pd.Series:
    """A code field as its code (object), None when blank or a not-available code."""
    text = _column(chunk, field)
    absent = (text == "") | text.isin(field.na)
    bad = (~absent & ~text.isin(field.codes)).to_numpy()
    if bad.any():  # padded with blanks? (rare: strip only then)
        text = text.str.strip()
        absent = (text == "") | text.isin(field.na)
        bad = (~absent & ~text.isin(field.codes)).to_numpy()
    allowed = ", ".join(field.codes + field.na)
    _report(bad, text, chunk, field, file, log, f"must be one of {allowed} ({field.guide})")
    return text.astype(object).where(~absent.to_numpy() & ~bad, None)


def check_fields(
    chunk: Chunk, layout: Sequence[Field], file: str, log: ProblemLog, read: frozenset[str]
) -> None:
    """Check the numbers and periods of the fields not in ``read`` (problems to ``log``).

    Code fields that nothing downstream reads are not checked against their
    code lists: a code the guide adds in a later release (a new borrower
    assistance status, say) must not reject a file for a field the tape and
    the panel never use.
    """
    for field in layout[: chunk.width]:
        if field.name in read:
            continue
        if field.kind in ("int", "float", "percent"):
            numbers(chunk, field, file, log)
        elif field.kind == "period":
            periods(chunk, field, file, log)

"""Read and write loan tapes as CSV or Parquet.

Reading validates (:func:`trancheflow.tape.validate.validate_tape`) and returns
the normalised tape; a tape that breaks a rule is rejected whole with every
problem named. CSV is read as text so that nothing is coerced before the
validator sees it (``"NA"`` is a value the validator refuses, not a missing
value; only an empty cell is missing). Writing validates first and is atomic:
the tape goes to a temporary file in the target folder, which is then renamed
over the target, so a reader never sees a half-written file.

Examples
--------
>>> import tempfile, pathlib
>>> from trancheflow.tape.generate import generate_tape
>>> tape = generate_tape(5, seed=1)
>>> with tempfile.TemporaryDirectory() as d:
...     path = pathlib.Path(d) / "tape.csv"
...     write_tape(tape, path)
...     back = read_tape(path)
>>> back["loan_id"].tolist() == tape["loan_id"].tolist()
True
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pandas as pd

from trancheflow.errors import TapeError

from .schema import COLUMNS
from .validate import validate_tape

__all__ = ["TapeFormat", "atomic_path", "detect_format", "read_tape", "write_tape"]

TapeFormat = Literal["csv", "parquet"]
_SUFFIXES: dict[str, TapeFormat] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def detect_format(path: str | os.PathLike[str], format: str | None = None) -> TapeFormat:
    """Return the tape format given explicitly or implied by the file suffix.

    Examples
    --------
    >>> detect_format("pool.parquet"), detect_format("x.dat", "csv")
    ('parquet', 'csv')
    """
    if format is not None:
        if format not in ("csv", "parquet"):
            raise TapeError(f"{path}: unknown tape format {format!r}; use 'csv' or 'parquet'")
        return format  # type: ignore[return-value]
    suffix = Path(path).suffix.lower()
    try:
        return _SUFFIXES[suffix]
    except KeyError:
        raise TapeError(
            f"{path}: cannot tell the tape format from suffix {suffix!r}; "
            "use .csv, .parquet or pass format="
        ) from None


def read_tape(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    max_problems: int = 100,
) -> pd.DataFrame:
    """Read, validate and normalise a CSV or Parquet loan tape.

    Parameters
    ----------
    path : path-like
        The tape file. CSV has one header line; problems report 1-based data
        rows (row 1 is the line after the header).
    format : {'csv', 'parquet'}, optional
        Overrides the format implied by the suffix.
    max_problems : int
        Cap on the problems collected before the tape is rejected.

    Returns
    -------
    pandas.DataFrame
        The normalised tape (see :func:`~trancheflow.tape.validate.validate_tape`).

    Raises
    ------
    TapeError
        The file is missing or unreadable, or the format is unknown.
    TapeValidationError
        The tape broke one or more rules.
    """
    fmt = detect_format(path, format)
    p = Path(path)
    if not p.is_file():
        raise TapeError(f"{p}: no such tape file")
    try:
        if fmt == "csv":
            raw = pd.read_csv(
                p, dtype=str, keep_default_na=False, na_values=[""], skip_blank_lines=False
            )
        else:
            raw = pd.read_parquet(p)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise TapeError(f"{p}: cannot read as {fmt}: {exc}") from exc
    return validate_tape(raw, source=str(p), max_problems=max_problems)


def _mode_for(target: Path) -> int:
    """Permissions for a new file: the target's own, else what ``open()`` would give."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success.

    On any exception the temporary file is removed and ``target`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = pathlib.Path(d) / "out.txt"
    ...     with atomic_path(target) as tmp:
    ...         _ = tmp.write_text("done")
    ...     print(target.read_text(), sorted(p.name for p in pathlib.Path(d).iterdir()))
    done ['out.txt']
    """
    target = Path(target)
    folder = target.parent
    if not folder.is_dir():
        raise TapeError(f"{target}: folder {folder} does not exist")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _ordered(df: pd.DataFrame) -> pd.DataFrame:
    known = [c.name for c in COLUMNS if c.name in df.columns]
    extra = [c for c in df.columns if c not in set(known)]
    return df[known + extra]


def write_tape(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
) -> None:
    """Validate a tape and write it atomically as CSV or Parquet.

    Parameters
    ----------
    df : pandas.DataFrame
        The tape; it must pass :func:`~trancheflow.tape.validate.validate_tape`.
    path : path-like
        Target file; its folder must exist.
    format : {'csv', 'parquet'}, optional
        Overrides the format implied by the suffix.

    Raises
    ------
    TapeValidationError
        The tape broke a rule; nothing is written.
    TapeError
        The format is unknown or the folder is missing.
    """
    fmt = detect_format(path, format)
    tape = _ordered(validate_tape(df, source=str(path)))
    with atomic_path(path) as tmp:
        if fmt == "csv":
            out = tape.copy()
            if "first_payment_date" in out:
                out["first_payment_date"] = out["first_payment_date"].dt.strftime("%Y-%m-%d")
            out.to_csv(tmp, index=False, lineterminator="\n")
        else:
            tape.to_parquet(tmp, index=False)

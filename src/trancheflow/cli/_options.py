"""Desk units on the command line, checked once for every command.

Note rates and loss severity are typed in **percent**, as desks quote them
(``--gross-rate 6.5``, ``--severity 40``); the library takes decimals. A value
that is plausibly in the other unit is refused with the reading it probably
meant, never silently rescaled:

* a note rate must be in [1, 25] percent: ``0.065`` reads as a decimal
  (6.5%), ``650`` as basis points;
* a severity must be 0 or in [5, 100] percent: ``0.4`` reads as a decimal
  (40%), ``2`` as a decimal above 1 (200%?) or a typo - a loss severity
  below 5% is not one a mortgage desk quotes;
* a rep line's WAM may not exceed its original term, nor WALA + WAM;
* seeds are integers >= 0.

Examples
--------
>>> rate_percent(6.5, "--gross-rate"), severity_percent(40, "--severity")
(0.065, 0.4)
>>> rate_percent(0.065, "--gross-rate")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
trancheflow.errors.AssumptionError: --gross-rate 0.065: ... looks like a decimal - write 6.5
"""

from __future__ import annotations

from pathlib import Path

from trancheflow.errors import AssumptionError, TrancheflowError

__all__ = [
    "RATE_RANGE",
    "SEVERITY_MIN",
    "check_db_exists",
    "check_output",
    "check_rep_line",
    "check_scheduler",
    "check_seed",
    "rate_percent",
    "severity_percent",
]

#: Note rates accepted, percent.
RATE_RANGE = (1.0, 25.0)
#: Smallest non-zero severity accepted, percent.
SEVERITY_MIN = 5.0


def rate_percent(value: float, option: str) -> float:
    """A note rate typed in percent, as a decimal; refuse a value in another unit."""
    v = float(value)
    lo, hi = RATE_RANGE
    if v != v or v in (float("inf"), float("-inf")):
        raise AssumptionError(f"{option} {value!r}: must be a finite number, percent")
    if 0 < v < lo:
        raise AssumptionError(
            f"{option} {value:g}: rates are in percent ({100 * v:g} = {100 * v:g}%); "
            f"{value:g} looks like a decimal - write {100 * v:g}"
        )
    if v > hi:
        raise AssumptionError(
            f"{option} {value:g}: rates are in percent, {lo:g}..{hi:g}; {value:g} looks like "
            f"basis points ({v / 100:g}%)"
        )
    if v < lo:
        raise AssumptionError(f"{option} {value:g}: must be a rate in percent, {lo:g}..{hi:g}")
    return v / 100.0


def severity_percent(value: float, option: str = "--severity") -> float:
    """A loss severity typed in percent, as a decimal; 0 or 5..100 percent."""
    v = float(value)
    if not 0.0 <= v <= 100.0:
        raise AssumptionError(
            f"{option} {value:g}: loss severity is in percent, 0..100 (40 = 40% of the "
            "defaulted balance lost)"
        )
    if 0.0 < v < SEVERITY_MIN:
        raise AssumptionError(
            f"{option} {value:g}: loss severity is in percent (40 = 40%); {value:g} looks like "
            f"a decimal ({100 * v:g}%?) - write it in percent, {SEVERITY_MIN:g}..100, or 0"
        )
    return v / 100.0


def check_rep_line(term: int, wam: int | None, wala: int) -> int:
    """The rep line's WAM (default ``term - wala``), checked against its term."""
    if term <= 0:
        raise AssumptionError(f"--term {term}: original term must be > 0 months")
    if wala < 0 or wala >= term:
        raise AssumptionError(f"--wala {wala}: loan age must be in 0..{term - 1} (term {term})")
    w = term - wala if wam is None else wam
    if not 0 < w <= term:
        raise AssumptionError(f"--wam {w}: remaining term must be in 1..{term} (--term {term})")
    if w + wala > term:
        raise AssumptionError(
            f"--wam {w} + --wala {wala} = {w + wala} months: above the original term {term}"
        )
    return w


def check_seed(seed: int, option: str = "--seed") -> int:
    """A random seed: an integer >= 0 (NumPy's generators refuse negatives)."""
    if seed < 0:
        raise AssumptionError(f"{option} {seed}: a seed must be an integer >= 0")
    return seed


def check_output(path: Path | None, option: str = "--output") -> Path | None:
    """An output file whose folder exists and which is not a folder itself."""
    if path is None:
        return None
    if path.is_dir():
        raise TrancheflowError(f"{option} {path}: is a folder; give a file name")
    if not path.parent.is_dir():
        raise TrancheflowError(
            f"{option} {path}: folder {str(path.parent)!r} does not exist; create it first"
        )
    return path


#: First bytes of every SQLite 3 database file.
SQLITE_MAGIC = b"SQLite format 3\x00"


def check_db_exists(db: str, option: str = "--db") -> None:
    """Refuse a ``sqlite:///FILE`` URL whose file is missing or is not an SQLite database.

    Connecting to a missing SQLite file would create it (and an empty index);
    a command that reads the index must not do that.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from trancheflow.errors import DatabaseError

    try:
        url = make_url(db)
    except ArgumentError:
        return  # connect() explains a malformed URL
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    path = Path(str(url.database)).expanduser()
    if not path.is_file():
        raise DatabaseError(
            f"{option}: database file {path} does not exist (nothing is created); pass the "
            "indexer's database, e.g. sqlite:///trancheflow-index.db, or run `trancheflow demo` "
            "or `trancheflow index add` to build one"
        )
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if path.stat().st_size > 0 and head != SQLITE_MAGIC:
        raise DatabaseError(f"{option}: {path} is not an SQLite database (wrong file header)")


def check_scheduler(address: str | None, option: str = "--scheduler", timeout: float = 5.0) -> None:
    """A Dask scheduler address ``tcp://host:port`` that answers within ``timeout`` seconds.

    Dask's client would wait 30 s and then fail with a traceback-shaped error;
    this says what is wrong at once.
    """
    import socket
    from urllib.parse import urlsplit

    if address is None:
        return
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None:
        raise TrancheflowError(
            f"{option} {address!r}: must be a Dask scheduler address, tcp://host:port"
        )
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            pass
    except OSError as exc:
        raise TrancheflowError(
            f"{option} {address}: cannot connect ({exc.strerror or exc}); start one with "
            "`dask scheduler` or leave out --scheduler to use local worker processes"
        ) from None

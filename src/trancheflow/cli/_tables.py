"""Tables for people, and the same rows as CSV or JSON for programs.

Every command that prints a table builds a list of row dicts and a list of
:class:`Column` and calls :func:`emit`: ``--format table`` prints a rich table
whose cells are formatted by kind (counts as integers, money with two
decimals and thousands separators, percent with the unit in the header, epoch
times as UTC dates), never truncated when piped (the table is as wide as its
content); ``--format csv|json`` writes the raw numbers; ``--output FILE``
writes to a file instead of the terminal.

Examples
--------
>>> cols = [Column("tranche", "tranche", "text"), Column("balance", "balance", "money"),
...         Column("yield", "yield (%)", "percent"), Column("loans", "loans", "count")]
>>> rows = [{"tranche": "A", "balance": 1234567.891, "yield": 0.0525, "loans": 12.0}]
>>> [cell(r, c) for r in rows for c in cols]
['A', '1,234,567.89', '5.250', '12']
>>> print(render(rows, cols, "csv"), end="")
tranche,balance,yield,loans
A,1234567.891,0.0525,12.0
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from trancheflow.errors import TrancheflowError

__all__ = ["FORMATS", "Column", "cell", "console", "emit", "output_to", "render"]

Kind = Literal["text", "count", "money", "percent", "number", "years", "bp", "date", "price"]
FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class Column:
    """One column: row key, header in words, and how its cells are written."""

    key: str
    label: str
    kind: Kind = "number"
    digits: int | None = None


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def cell(row: Mapping[str, Any], col: Column) -> str:
    """The table text of ``row[col.key]``."""
    v: Any = row.get(col.key)
    if _missing(v):
        return "-"
    k = col.kind
    if k == "text" or isinstance(v, str):
        return str(v)
    if k == "count":
        return f"{round(float(v)):,d}"
    if k == "money":
        return f"{float(v):,.{2 if col.digits is None else col.digits}f}"
    if k == "percent":
        return f"{100 * float(v):.{3 if col.digits is None else col.digits}f}"
    if k == "bp":
        return f"{float(v):,.{1 if col.digits is None else col.digits}f}"
    if k == "price":
        return f"{float(v):.{4 if col.digits is None else col.digits}f}"
    if k == "years":
        return f"{float(v):.{2 if col.digits is None else col.digits}f}"
    if k == "date":
        return datetime.fromtimestamp(int(v), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{float(v):,.{4 if col.digits is None else col.digits}f}"


def _plain(v: Any) -> Any:
    if hasattr(v, "item"):  # numpy scalars
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], fmt: str) -> str:
    """CSV or JSON text of ``rows`` (raw values, every key of the first row)."""
    keys = list(rows[0]) if rows else [c.key for c in columns]
    if fmt == "json":
        return json.dumps([{k: _plain(r.get(k)) for k in keys} for r in rows], indent=1) + "\n"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: _plain(r.get(k)) for k in keys})
    return buf.getvalue()


def console(file: Any = None) -> Any:
    """A rich console that never truncates: terminal width on a terminal, unbounded
    width when piped or writing a file."""
    from rich.console import Console

    out = sys.stdout if file is None else file
    tty = hasattr(out, "isatty") and out.isatty()
    # file=None: rich writes to whatever sys.stdout is at print time
    return Console(file=file, width=None if tty else 1000, soft_wrap=not tty)


def check_format(fmt: str, option: str = "--format") -> str:
    """``table``, ``csv`` or ``json``."""
    f = str(fmt).strip().lower()
    if f not in FORMATS:
        raise TrancheflowError(f"{option} {fmt!r}: must be one of {', '.join(FORMATS)}")
    return f


def emit(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: str = "table",
    output: Path | None = None,
    title: str | None = None,
    notes: Sequence[str] = (),
) -> None:
    """Print (or write to ``output``) ``rows`` as a table, CSV or JSON.

    ``notes`` are lines printed under a table (not written to CSV/JSON).
    """
    from rich.table import Table

    f = check_format(fmt)
    if f != "table":
        text = render(rows, columns, f)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
        return
    t = Table(title=title, header_style="bold")
    for c in columns:
        t.add_column(c.label, justify="left" if c.kind == "text" else "right", no_wrap=True)
    for r in rows:
        t.add_row(*(cell(r, c) for c in columns))
    if output is None:
        con = console()
        con.print(t)
        for n in notes:
            con.print(n, highlight=False)
        return
    with output.open("w", encoding="utf-8") as fh:
        con = console(fh)
        con.print(t)
        for n in notes:
            con.print(n, highlight=False)


def output_to(path: Path | None, *consoles: Any) -> None:
    """Send what the running command prints to ``path`` (``--output``) until it ends.

    Standard output is redirected for the rest of the command (tables, CSV,
    JSON alike) and ``consoles`` are widened so a table in a file is never
    squeezed to the terminal's width.
    """
    import contextlib

    from typer._click.globals import get_current_context

    if path is None:
        return
    from trancheflow.cli._options import check_output

    check_output(path)
    ctx = get_current_context()
    fh = ctx.with_resource(path.open("w", encoding="utf-8"))
    ctx.with_resource(contextlib.redirect_stdout(fh))
    for c in consoles:
        c.width = 1000

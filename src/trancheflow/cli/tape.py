"""``trancheflow tape``: generate, validate and convert loan tapes.

Freddie Mac files come in pairs. ``generate --format freddie --output PREFIX``
writes ``PREFIX_orig.txt`` and ``PREFIX_svcg.txt`` (the public dataset's
``sample_orig_YYYY.txt`` / ``sample_svcg_YYYY.txt`` naming). When reading,
FILE is the origination file; the performance file is ``--performance`` or,
by default, FILE with ``orig`` replaced by ``svcg`` in its name, when present.
A ``.txt`` FILE is taken to be Freddie Mac. An origination file without its
performance file needs ``--as-of``: the tape is then every loan aged on
schedule to that month (no prepayment, no delinquency assumed), and the
command says so.

``tape panel ORIG PERF OUT_DIR`` builds the loan-month panel (Parquet,
partitioned by vintage) that the models train on; ``tape generate --like
FILE`` samples a tape whose joint distribution is fitted to a real
origination file.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from trancheflow.errors import TapeError, TapeValidationError
from trancheflow.tape import generate_tape, read_freddie, read_tape, write_freddie, write_tape
from trancheflow.tape.io import detect_format

app = typer.Typer(help="Loan tapes: generate, validate, convert.", no_args_is_help=True)


def _console() -> Console:
    """A console for this command (made per use, so it reads ``COLUMNS`` as the command
    runs, not as the module was first imported)."""
    return Console()


class OutFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    freddie = "freddie"


class TabularFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


def _as_of(text: str | None) -> date | None:
    if text is None:
        return None
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y%m"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise typer.BadParameter(
        f"{text!r} is not a date YYYY-MM-DD or a month YYYY-MM", param_hint="--as-of"
    )


def freddie_paths(prefix: Path) -> tuple[Path, Path]:
    """Origination and performance paths written for ``--output PREFIX``."""
    return (
        prefix.with_name(prefix.name + "_orig.txt"),
        prefix.with_name(prefix.name + "_svcg.txt"),
    )


def _performance_for(path: Path, given: Path | None) -> Path | None:
    if given is not None:
        return given
    if "orig" in path.name:
        guess = path.with_name(path.name.replace("orig", "svcg"))
        if guess.is_file():
            return guess
    return None


def _load(
    path: Path,
    fmt: OutFormat | None,
    performance: Path | None,
    as_of: date | None,
    max_problems: int,
) -> pd.DataFrame:
    is_freddie = fmt == OutFormat.freddie or (fmt is None and path.suffix.lower() == ".txt")
    if is_freddie:
        perf = _performance_for(path, performance)
        if perf is None and as_of is None:
            _console().print(
                f"[red]{path} is an origination file without its performance file.[/red] "
                "Give --performance FILE, or --as-of YYYY-MM to age every loan on schedule "
                "to that month (no prepayment, no delinquency assumed)."
            )
            raise typer.Exit(2)
        if perf is None:
            _console().print(
                f"no performance file: loans aged on schedule to {as_of:%Y-%m} "
                "(assumed: no prepayment, no delinquency; matured loans left out)"
            )
        return read_freddie(path, perf, as_of=as_of, max_problems=max_problems, progress=True)
    return read_tape(path, format=fmt.value if fmt else None, max_problems=max_problems)


def _problem_table(exc: TapeValidationError) -> Table:
    table = Table(
        title=f"{len(exc.problems)} problem(s)" + (" (cap reached)" if exc.truncated else "")
    )
    for name in ("file", "row", "field", "value", "rule"):
        table.add_column(name, overflow="fold")
    for p in exc.problems:
        table.add_row(
            p.file,
            "" if p.row is None else str(p.row),
            p.field or "",
            "" if p.value is None else repr(p.value),
            p.rule,
        )
    return table


def summary(tape: pd.DataFrame) -> dict[str, float]:
    """Pool summary: loans, balance, WAC, WAM, WALA and balance-weighted FICO/LTV.

    Examples
    --------
    >>> t = pd.DataFrame({"current_balance": [100.0, 300.0], "note_rate": [0.04, 0.08],
    ...     "remaining_term": [300, 340], "loan_age": [60, 20]})
    >>> s = summary(t)
    >>> round(s["wac"], 4), s["wam"], s["wala"]
    (0.07, 330.0, 30.0)
    """
    bal = tape["current_balance"].to_numpy(dtype=float)
    total = bal.sum()

    def wavg(name: str) -> float:
        if name not in tape or total <= 0:
            return float("nan")
        x = tape[name].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        w = bal[ok].sum()
        return float((x[ok] * bal[ok]).sum() / w) if w > 0 else float("nan")

    return {
        "loans": float(len(tape)),
        "balance": float(total),
        "wac": wavg("note_rate"),
        "wam": wavg("remaining_term"),
        "wala": wavg("loan_age"),
        "fico": wavg("fico"),
        "ltv": wavg("ltv"),
    }


def _summary_table(path: Path, tape: pd.DataFrame) -> Table:
    s = summary(tape)
    table = Table(title=f"{path}: valid tape")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("loans", f"{int(s['loans']):,}")
    table.add_row("current balance", f"{s['balance']:,.2f}")
    table.add_row("WAC", f"{s['wac']:.4%}")
    table.add_row("WAM (months)", f"{s['wam']:.1f}")
    table.add_row("WALA (months)", f"{s['wala']:.1f}")
    table.add_row("avg FICO (bal-weighted)", f"{s['fico']:.0f}")
    table.add_row("avg LTV (bal-weighted)", f"{s['ltv']:.2%}")
    return table


@app.command()
def generate(
    loans: int = typer.Option(1000, "--loans", min=1, help="Number of loans."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same tape)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output file (freddie: a prefix)."),
    format: OutFormat | None = typer.Option(None, "--format", help="Default: from the suffix."),
    as_of: str | None = typer.Option(None, "--as-of", help="Tape date YYYY-MM-DD."),
    like: Path | None = typer.Option(
        None,
        "--like",
        help="Fit the loans' joint distribution to this real file (Freddie origination "
        "file or CSV/Parquet tape) or load a fitted model (.json), and sample new loans.",
    ),
    save_model: Path | None = typer.Option(
        None, "--save-model", help="With --like: also write the fitted model (JSON)."
    ),
) -> None:
    """Write a synthetic loan tape (with --like: new loans distributed like a real file's)."""
    when = _as_of(as_of)
    if like is not None:
        _generate_like(like, loans, seed, output, format, when, save_model)
        return
    if format == OutFormat.freddie:
        orig, perf = freddie_paths(output)
        tape = generate_tape(loans, seed=seed, as_of=when, freddie_compatible=True)
        write_freddie(tape, orig, perf)
        _console().print(f"wrote {loans:,} loans to {orig} and {perf}")
        return
    tape = generate_tape(loans, seed=seed, as_of=when)
    write_tape(tape, output, format=format.value if format else None)
    _console().print(f"wrote {loans:,} loans to {output}")


def _generate_like(
    like: Path,
    loans: int,
    seed: int,
    output: Path,
    format: OutFormat | None,
    when: date | None,
    save_model: Path | None,
) -> None:
    from trancheflow.tape.like import LikeModel, fit_like, sample_tape

    try:
        model = LikeModel.load(like) if like.suffix.lower() == ".json" else fit_like(like)
    except TapeValidationError as exc:
        _console().print(_problem_table(exc))
        raise typer.Exit(2) from None
    except TapeError as exc:
        _console().print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if save_model is not None:
        model.save(save_model)
        _console().print(f"fitted model of {model.n:,} loans written to {save_model}")
    tape = sample_tape(model, loans, seed=seed, as_of=when)
    if format == OutFormat.freddie:
        orig, perf = freddie_paths(output)
        write_freddie(tape, orig, perf)
        _console().print(f"wrote {loans:,} loans like {model.source} to {orig} and {perf}")
        return
    write_tape(tape, output, format=format.value if format else None)
    _console().print(
        f"wrote {loans:,} loans like {model.source} ({model.n:,} loans fitted) to {output} "
        "(new loans at origination: age 0, first payment at --as-of)"
    )


@app.command()
def validate(
    file: Path = typer.Argument(..., help="Tape file (Freddie: the origination file)."),
    format: OutFormat | None = typer.Option(None, "--format", help="Default: from the suffix."),
    max_problems: int = typer.Option(100, "--max-problems", min=1),
    performance: Path | None = typer.Option(
        None, "--performance", help="Freddie performance file."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Freddie: tape date YYYY-MM-DD."),
) -> None:
    """Check a tape; print its problems (exit 2) or a pool summary."""
    try:
        tape = _load(file, format, performance, _as_of(as_of), max_problems)
    except TapeValidationError as exc:
        _console().print(_problem_table(exc))
        raise typer.Exit(2) from None
    _console().print(_summary_table(file, tape))


@app.command()
def convert(
    src: Path = typer.Argument(..., metavar="IN", help="Input tape (CSV, Parquet or Freddie)."),
    dst: Path = typer.Argument(..., metavar="OUT", help="Output tape (CSV or Parquet)."),
    from_format: OutFormat | None = typer.Option(None, "--from", help="Input format."),
    to_format: TabularFormat | None = typer.Option(None, "--to", help="Output format."),
    performance: Path | None = typer.Option(
        None, "--performance", help="Freddie performance file."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Freddie: tape date YYYY-MM-DD."),
) -> None:
    """Convert CSV <-> Parquet, or Freddie Mac -> CSV/Parquet (validating on the way)."""
    out_fmt = detect_format(dst, to_format.value if to_format else None)
    try:
        tape = _load(src, from_format, performance, _as_of(as_of), 100)
    except TapeValidationError as exc:
        _console().print(_problem_table(exc))
        raise typer.Exit(2) from None
    write_tape(tape, dst, format=out_fmt)
    _console().print(f"converted {len(tape):,} loans: {src} -> {dst}")


@app.command()
def panel(
    orig: Path = typer.Argument(..., metavar="ORIG", help="Freddie Mac origination file."),
    perf: Path = typer.Argument(..., metavar="PERF", help="Its monthly performance file."),
    out_dir: Path = typer.Argument(..., metavar="OUT_DIR", help="Parquet output directory."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT_DIR if it exists."),
    chunk_rows: int = typer.Option(250_000, "--chunk-rows", min=1, help="Lines per chunk."),
    max_problems: int = typer.Option(100, "--max-problems", min=1),
) -> None:
    """Build the loan-month panel (status each month, losses), partitioned by vintage."""
    from trancheflow.tape.panel_build import build_panel

    try:
        s = build_panel(
            orig, perf, out_dir, chunk_rows=chunk_rows, max_problems=max_problems,
            progress=True, overwrite=overwrite,
        )  # fmt: skip
    except TapeValidationError as exc:
        _console().print(_problem_table(exc))
        raise typer.Exit(2) from None
    except TapeError as exc:
        _console().print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    _console().print(
        f"wrote {s.rows:,} loan-months of {s.loans:,} loans to {s.path} "
        f"(vintages {', '.join(map(str, s.vintages)) or 'none'}; "
        f"{s.prepaid:,} prepaid, {s.defaulted:,} ended otherwise)"
    )


__all__ = ["app", "freddie_paths", "summary"]

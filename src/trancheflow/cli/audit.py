"""``trancheflow audit``: recompute a deal from its spec and compare with the index.

Exit codes: 0 the audit passed, 1 it failed (the first difference is
printed), 2 bad input (missing spec, unknown deal, unreachable database...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trancheflow.errors import SpecError, TrancheflowError
from trancheflow.ops.db import DEFAULT_DB_URL

console = Console()
err_console = Console(stderr=True)

#: Rows of the period table printed in full; beyond, only failing periods.
_MAX_ROWS = 24


def check_db_exists(db: str) -> None:
    """Refuse a missing or non-SQLite ``sqlite:///FILE`` (see :mod:`trancheflow.cli._options`)."""
    from trancheflow.cli._options import check_db_exists as _check

    _check(db)


def _table(result: object) -> None:
    from trancheflow.ops.audit import AuditResult

    assert isinstance(result, AuditResult)
    checks = Table(title=f"{result.deal} ({result.address}, chain {result.chain_id})")
    checks.add_column("check")
    checks.add_column("result")
    checks.add_column("detail", overflow="fold")
    for c in result.checks:
        mark = {True: "[green]ok[/]", False: "[bold red]FAIL[/]", None: "[yellow]skipped[/]"}
        checks.add_row(c.name, mark[c.ok], c.message)
    console.print(checks)
    periods = Table(title="finalized periods")
    periods.add_column("period", justify="right")
    periods.add_column("result")
    periods.add_column("values", justify="right")
    periods.add_column("first difference", overflow="fold")
    rows = result.periods
    if len(rows) > _MAX_ROWS:
        rows = tuple(p for p in rows if not p.ok)
    for p in rows:
        periods.add_row(
            str(p.period),
            "[green]ok[/]" if p.ok else "[bold red]FAIL[/]",
            f"{p.compared:,}",
            "" if p.difference is None else str(p.difference),
        )
    if len(rows) != len(result.periods):
        periods.caption = f"{len(result.periods) - len(rows)} matching period(s) not listed"
    console.print(periods)
    style = "green" if result.ok else "bold red"
    console.print(f"[{style}]{result.summary}[/]", highlight=False)


def audit(
    deal: Annotated[str, typer.Option("--deal", help="deal name or contract address")],
    spec: Annotated[
        Path, typer.Option("--spec", help="the deal spec YAML the deal was deployed from")
    ],
    db: Annotated[
        str,
        typer.Option(
            "--db",
            envvar="TRANCHEFLOW_DB_URL",
            help="indexer database: sqlite:///FILE or postgresql://user:pass@host/db",
        ),
    ] = DEFAULT_DB_URL,
    loans_dir: Annotated[
        Path | None,
        typer.Option(
            "--loans-dir",
            help="folder of loan-level files period-<N>.csv / tape.csv (loan_id,balance_units)",
        ),
    ] = None,
    tape_root: Annotated[
        str | None,
        typer.Option("--tape-root", help="the deal's TAPE_ROOT (0x...), checked against tape.csv"),
    ] = None,
    chain_id: Annotated[
        int | None, typer.Option("--chain-id", help="when one name exists on several chains")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    store: Annotated[
        bool, typer.Option("--store/--no-store", help="record the result for the API")
    ] = True,
    output: Annotated[
        Path | None, typer.Option("--output", help="write the table/JSON to this file")
    ] = None,
) -> None:
    """Recompute every finalized period from the spec and check the chain's numbers.

    Exits 0 when everything matches, 1 on a difference, 2 on bad input.
    """
    from trancheflow.cli._tables import output_to

    output_to(output, console)
    from trancheflow.deal.spec import load_spec
    from trancheflow.ops.audit import audit_db

    if format not in ("table", "json"):
        err_console.print(f"[bold red]error:[/] --format {format!r}: use table or json")
        raise typer.Exit(2)
    try:
        if not spec.is_file():
            raise SpecError(
                "the deal spec does not exist; pass the YAML the deal was deployed from "
                "with --spec",
                file=str(spec),
            )
        check_db_exists(db)
        s = load_spec(spec)
        result = audit_db(
            db,
            deal,
            s,
            loans_dir=loans_dir,
            tape_root=tape_root,
            store=store,
            chain_id=chain_id,
        )
    except TrancheflowError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if format == "json":
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        _table(result)
    raise typer.Exit(0 if result.ok else 1)

"""``trancheflow model monitor``: one finalized period's model update from the servicer's file.

Registered on ``trancheflow model`` (:mod:`trancheflow.cli.model`); the work
is :func:`trancheflow.models.ops_monitor.monitor_period`.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from trancheflow.errors import TrancheflowError

console = Console()


def monitor(
    deal: str = typer.Option(..., "--deal", help="deal name or contract address in the index"),
    model: str = typer.Option(..., "--model", help="saved model name"),
    period: int = typer.Option(..., "--period", help="the finalized period to score"),
    remittance: Path = typer.Option(
        ..., "--remittance", "--loan-file", help="the period's loan-level remittance file"
    ),
    mortgage_rate: float = typer.Option(
        ..., "--mortgage-rate", help="market mortgage rate now, annual decimal (0.065)"
    ),
    db: str = typer.Option("sqlite:///trancheflow-index.db", "--db", help="indexer database URL"),
    previous: Path | None = typer.Option(
        None, "--previous", help="the previous period's accepted remittance"
    ),
    tape: Path | None = typer.Option(None, "--tape", help="the deal's tape (default: recorded)"),
    fmt: str | None = typer.Option(None, "--format", help="csv, parquet or freddie"),
    oas_bp: float = typer.Option(100.0, "--oas-bp", help="OAS the tranches are valued at (bp)"),
    paths: int = typer.Option(64, "--paths", help="Hull-White paths"),
    seed: int = typer.Option(1, "--seed"),
    models_dir: Path | None = typer.Option(None, "--models-dir", help="models directory"),
) -> None:
    """Score a finalized period's loans against the model, re-price every tranche, store it.

    The remittance's loan book must hash to the finalized report's loan root.
    """
    from trancheflow.models.ops_monitor import monitor_period

    if not 0 < mortgage_rate < 1:
        console.print(
            f"[red]--mortgage-rate {mortgage_rate} must be an annual decimal (0.065)[/red]"
        )
        raise typer.Exit(2)
    if paths < 2:
        console.print(f"[red]--paths {paths} must be at least 2[/red]")
        raise typer.Exit(2)
    try:
        with console.status(f"period {period}: scoring and re-pricing on {paths} paths"):
            rec = monitor_period(
                db,
                deal,
                model,
                period,
                remittance,
                mortgage_rate=mortgage_rate,
                previous=previous,
                tape=tape,
                models_dir=models_dir,
                fmt=fmt,
                oas_bp=oas_bp,
                paths=paths,
                seed=seed,
            )
    except TrancheflowError as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None
    t = Table(title=f"{deal} period {period} ({rec['month']}), model {model}")
    t.add_column("")
    t.add_column("forecast", justify="right")
    t.add_column("realized", justify="right")
    t.add_row("prepayment CPR", f"{rec['forecast_cpr']:.2f}%", f"{rec['realized_cpr']:.2f}%")
    t.add_row("default start CDR", f"{rec['forecast_cdr']:.3f}%", f"{rec['realized_cdr']:.3f}%")
    console.print(t)
    v = Table(title=f"model value per 100 of current face at OAS {oas_bp:g} bp ({paths} paths)")
    v.add_column("")
    v.add_column("value", justify="right")
    v.add_column("WAL (y)", justify="right")
    v.add_row("pool", f"{rec['pool_value']:.3f}", "")
    for n, x in rec.get("tranches", {}).items():
        v.add_row(n, f"{x:.3f}", f"{rec.get('tranche_wal', {}).get(n, float('nan')):.2f}")
    console.print(v)
    console.print(
        f"{rec['loans_current']:,} loans current at the start, {rec['loans_alive']:,} with a "
        f"balance at the end; stored in deal_metrics (kind 'model')"
    )

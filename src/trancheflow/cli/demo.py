"""``trancheflow demo``: the main job on the embedded default."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console


def demo(
    out: Path = typer.Option(Path("trancheflow-report"), "--out", help="folder for the report"),
    loans: int = typer.Option(2000, min=10, help="loans in the generated tape"),
    seed: int = typer.Option(7, help="seed of the tape, speed regimes, purchases and trades"),
    months: int = typer.Option(60, min=1, help="months of on-chain servicing"),
    investors: int = typer.Option(4, min=1, max=7, help="investor accounts buying the tranches"),
    spec: Path | None = typer.Option(None, help="deal spec (default: examples/demo/deal.yaml)"),
    without: list[str] = typer.Option(
        [],
        "--without",
        help="skip an extra step: market, zk or models (repeatable)",
    ),
) -> None:
    """Run a deal's life end to end on the in-process chain and write an HTML report.

    Generates a tape, loads the example deal spec, deploys it, sells the tranches,
    runs monthly servicing (reports, oracle quorum, keeper, claims, trades, indexer),
    audits every period and writes report.html.
    """
    from trancheflow.ops.demo import run_demo
    from trancheflow.ops.demo_extras import DEMO_EXTRAS

    unknown = sorted(set(without) - set(DEMO_EXTRAS))
    if unknown:
        raise typer.BadParameter(
            f"{', '.join(unknown)}: not an extra step; choose from {', '.join(DEMO_EXTRAS)}",
            param_hint="--without",
        )
    console = Console()
    result = run_demo(
        out,
        loans=loans,
        seed=seed,
        months=months,
        investors=investors,
        spec_path=spec,
        console=console,
        extras=[e for e in DEMO_EXTRAS if e not in without],
    )
    console.print(f"report: [bold]{result.report_path.resolve()}[/]")
    console.print(f"database: {result.db_url}  (trancheflow serve --db '{result.db_url}')")
    if not result.ok:
        raise typer.Exit(1)

"""``trancheflow demo``: the main job on the embedded default."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console


def demo(
    out: Path = typer.Option(Path("trancheflow-report"), "--out", help="folder for the report"),
    loans: int = typer.Option(2000, min=10, help="loans in the generated tape"),
    seed: int = typer.Option(7, help="seed of the generated tape"),
    spec: Path | None = typer.Option(None, help="deal spec (default: examples/demo/deal.yaml)"),
) -> None:
    """Generate a tape, run the example deal's waterfall, print results, write an HTML report."""
    from trancheflow.ops.demo import run_demo

    console = Console()
    result = run_demo(out, loans=loans, seed=seed, spec_path=spec, console=console)
    console.print(f"report: [bold]{result.report_path.resolve()}[/]")

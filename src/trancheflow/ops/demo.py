"""The main job: ``trancheflow demo`` on the embedded default.

Today the demo runs the off-chain half of a deal's life, end to end:

1. generate a seeded synthetic loan tape and validate it;
2. load the example deal spec (``examples/demo/deal.yaml``) over that tape;
3. project the pool with the BMA standard-default engine at the spec's speeds
   and price it;
4. run the waterfall in exact integer mode (the contract's rounding) and in
   float mode, and check they agree;
5. print per-tranche results and write an HTML report with charts.

The on-chain half (deploy, servicer reports, oracle quorum, keeper, claims,
indexer and audit) joins it as those parts land.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:  # doctest: +SKIP
...     result = run_demo(d, loans=300)
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trancheflow.deal.spec import DealSpec
from trancheflow.errors import TrancheflowError

DEMO_SPEC = Path(__file__).resolve().parents[3] / "examples" / "demo" / "deal.yaml"
TAPE_NAME = "demo-tape.parquet"


@dataclass
class DemoResult:
    """What the demo produced: file paths and the headline tables."""

    out_dir: Path
    tape_path: Path
    report_path: Path
    pool_summary: dict[str, float]
    tranches: pd.DataFrame
    exact_vs_float_max_diff: float
    notes: list[str] = field(default_factory=list)


def _spec_for_tape(
    spec_path: Path, tape_path: Path, tape_balance: float, notes: list[str]
) -> DealSpec:
    """Load the demo spec over ``tape_path``; scale tranches if they don't fit."""
    import yaml

    from trancheflow.deal.spec import parse_spec

    if not spec_path.is_file():
        raise TrancheflowError(
            f"demo deal spec not found at {spec_path}; run the demo from a trancheflow checkout "
            "or pass --spec FILE"
        )
    data = yaml.safe_load(spec_path.read_text())
    data["collateral"] = {"tape": str(tape_path)}
    sized = sum(t["balance"] for t in data["tranches"] if not t.get("residual"))
    limit = 0.92 * tape_balance
    if sized > limit:
        k = limit / sized
        for t in data["tranches"]:
            if not t.get("residual"):
                t["balance"] = int(t["balance"] * k // 1000 * 1000)
        notes.append(
            f"tranche balances scaled by {k:.4f} to fit the generated tape (${tape_balance:,.0f})"
        )
    return parse_spec(data, file=str(spec_path), onchain=True)


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _write_report(
    out: Path,
    spec_name: str,
    pool_summary: dict[str, float],
    tranches: pd.DataFrame,
    charts: dict[str, bytes],
    notes: list[str],
) -> Path:
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{v:,.4f}</td></tr>" for k, v in pool_summary.items()
    )
    body = [
        f"<h1>trancheflow demo: {html.escape(spec_name)}</h1>",
        "<h2>Pool</h2>",
        f"<table class='kv'>{rows}</table>",
        _img(charts["pool"], "pool balance, cash flow and losses"),
        "<h2>Tranches</h2>",
        tranches.to_html(index=False, float_format=lambda x: f"{x:,.4f}", border=0),
        _img(charts["tranches"], "tranche balances over time"),
    ]
    if notes:
        body.append(
            "<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
        )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>trancheflow demo</title>"
        "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto}"
        "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}"
        "img{max-width:100%}</style></head><body>" + "\n".join(body) + "</body></html>"
    )
    path = out / "report.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page)
    tmp.replace(path)
    return path


def run_demo(
    out_dir: str | Path = "trancheflow-report",
    *,
    loans: int = 2000,
    seed: int = 7,
    spec_path: str | Path | None = None,
    console: Console | None = None,
) -> DemoResult:
    """Run the demo and write its report under ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Folder for the tape, charts and ``report.html`` (created if missing).
    loans, seed : int
        Size and seed of the synthetic tape.
    spec_path : path, optional
        Deal spec to run (default ``examples/demo/deal.yaml``).
    console : rich.console.Console, optional
        Where to print; a quiet console is used when None.

    Returns
    -------
    DemoResult
    """
    from trancheflow.analytics.pool import pool_measures
    from trancheflow.collateral import project_pool
    from trancheflow.deal.run import collateral_pool, run_deal
    from trancheflow.deal.tables import tranche_analytics
    from trancheflow.ops.charts import pool_chart, tranche_balance_chart
    from trancheflow.tape import generate_tape, validate_tape, write_tape

    con = console or Console(quiet=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    steps = ["tape", "spec", "pool", "waterfall (exact)", "waterfall (float)", "report"]
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=con,
        transient=True,
    )
    with progress:
        task = progress.add_task("demo", total=len(steps))

        def step(name: str) -> None:
            progress.update(task, description=f"demo: {name}")

        step("generating tape")
        tape = validate_tape(generate_tape(loans, seed=seed), source=f"generated(seed={seed})")
        tape_path = out / TAPE_NAME
        write_tape(tape, tape_path)
        progress.advance(task)

        step("loading spec")
        spec = _spec_for_tape(
            Path(spec_path or DEMO_SPEC), tape_path, float(tape["current_balance"].sum()), notes
        )
        progress.advance(task)

        step("projecting pool")
        pool = collateral_pool(spec)
        a = spec.assumptions
        from trancheflow.collateral import Assumptions

        assumptions = Assumptions(
            a.prepay, a.default, severity=a.severity, recovery_lag=a.recovery_lag, advance=a.advance
        )
        cf = project_pool(pool, assumptions)
        m = pool_measures(pool, assumptions, price=100.0, delay_days=24)
        progress.advance(task)

        step("running exact waterfall")
        exact = run_deal(spec, mode="exact")
        progress.advance(task)
        step("running float waterfall")
        flt = run_deal(spec, mode="float")
        progress.advance(task)
        diff = float(np.max(np.abs(exact.flows.cash_flow - flt.flows.cash_flow)))

        step("writing report")
        tranches = tranche_analytics(exact, price=100.0, delay_days=24)
        pool_summary = {
            "loans": float(len(tape)),
            "balance": float(tape["current_balance"].sum()),
            "wac (%)": float(np.average(tape["note_rate"], weights=tape["current_balance"]) * 100),
            "wam (months)": float(
                np.average(tape["remaining_term"], weights=tape["current_balance"])
            ),
            "wala (months)": float(np.average(tape["loan_age"], weights=tape["current_balance"])),
            "cumulative loss (%)": float(cf["loss"].sum() / tape["current_balance"].sum() * 100),
            "pool yield @100 (BEY %)": m.yield_bey * 100,
            "pool WAL (years)": m.wal,
            "exact vs float max |diff| ($)": diff,
        }
        names = list(exact.tranche_names)
        balances = {n: exact.flows.ending_balance[0, :, i] for i, n in enumerate(names)}
        charts = {
            "pool": pool_chart(cf, f"{spec.deal}: collateral"),
            "tranches": tranche_balance_chart(balances, f"{spec.deal}: tranche balances"),
        }
        (out / "pool.png").write_bytes(charts["pool"])
        (out / "tranches.png").write_bytes(charts["tranches"])
        report = _write_report(out, spec.deal, pool_summary, tranches, charts, notes)
        progress.advance(task)

    _print_summary(con, spec.deal, pool_summary, tranches, notes)
    return DemoResult(out, tape_path, report, pool_summary, tranches, diff, notes)


def _print_summary(
    con: Console,
    deal: str,
    pool_summary: dict[str, float],
    tranches: pd.DataFrame,
    notes: list[str],
) -> None:
    pool_t = Table(title=f"{deal}: pool", show_header=False)
    for k, v in pool_summary.items():
        pool_t.add_row(k, f"{v:,.4f}" if abs(v) < 1e6 else f"{v:,.0f}")
    con.print(pool_t)
    t = Table(title=f"{deal}: tranches (exact mode, priced at 100)")
    fmt: dict[str, tuple[str, Callable[[Any], str] | None]] = {
        "tranche": ("tranche", str),
        "balance": ("face $M", lambda v: f"{v / 1e6:,.1f}"),
        "yield": ("yield %", lambda v: f"{v * 100:.3f}"),
        "wal": ("WAL y", lambda v: f"{v:.2f}"),
        "mod_duration": ("mod dur", lambda v: f"{v:.2f}"),
        "first_principal": ("window", None),
        "writedown": ("written down $", lambda v: f"{v:,.0f}"),
    }
    for head, _ in fmt.values():
        t.add_column(head, justify="right")
    for _, r in tranches.iterrows():
        cells = []
        for col, (_, f) in fmt.items():
            if f is None:
                cells.append(f"{int(r['first_principal'])}-{int(r['last_principal'])}")
            else:
                cells.append(f(r[col]))
        t.add_row(*cells)
    con.print(t)
    for n in notes:
        con.print(f"[yellow]note:[/] {n}")

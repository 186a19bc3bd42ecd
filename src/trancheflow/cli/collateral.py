"""``trancheflow collateral``: commands over :mod:`trancheflow.collateral`.

``project`` projects a pool's monthly cash flows under BMA standard
prepayment/default assumptions. The pool is a loan tape (``--tape FILE``,
projected loan by loan) or one rep line (``--balance --gross-rate --net-rate
--term --wam --wala``). Rates on the command line are **percent**
(``--gross-rate 6.5``), as in ``collateral analyze``; so is severity (``--severity 35``).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:  # imported where used, so `trancheflow collateral --help` stays fast
    import pandas as pd

    from trancheflow.collateral import RepLine

app = typer.Typer(help="collateral commands", no_args_is_help=True)

console = Console()

PROGRESS_MIN_LOANS = 50_000
"""Tapes with at least this many loans show a progress bar."""

TABLE_COLUMNS = (
    ("period", "month"),
    ("performing_balance", "performing balance"),
    ("new_defaults", "new defaults"),
    ("foreclosure_balance", "in foreclosure"),
    ("scheduled_principal", "scheduled principal"),
    ("voluntary_prepayment", "prepayments"),
    ("recovery", "recoveries"),
    ("loss", "losses"),
    ("net_interest", "net interest"),
    ("total_cash_flow", "cash flow"),
    ("cpr", "CPR (%)"),
    ("cdr", "CDR (%)"),
)
SUM_COLUMNS = {"new_defaults", "scheduled_principal", "voluntary_prepayment", "recovery",
               "loss", "net_interest", "total_cash_flow"}  # fmt: skip


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


def _rep_line(
    balance: float | None,
    gross_rate: float | None,
    net_rate: float | None,
    term: int | None,
    wam: int | None,
    wala: int,
) -> RepLine:
    missing = [
        name
        for name, v in (("--balance", balance), ("--gross-rate", gross_rate), ("--term", term))
        if v is None
    ]
    if missing:
        raise typer.BadParameter(
            f"give --tape FILE, or a rep line with {', '.join(missing)} (and optionally "
            "--net-rate, --wam, --wala)",
            param_hint="--tape / rep line",
        )
    assert balance is not None and gross_rate is not None and term is not None
    from trancheflow.cli._options import check_rep_line, rate_percent
    from trancheflow.collateral import RepLine

    net = gross_rate if net_rate is None else net_rate
    return RepLine(
        balance=balance,
        gross_rate=rate_percent(gross_rate, "--gross-rate"),
        net_rate=rate_percent(net, "--net-rate"),
        term=term,
        wam=check_rep_line(term, wam, wala),
        wala=wala,
    )


def _load_tape(path: Path) -> pd.DataFrame:
    from trancheflow.tape import read_tape  # the tape reader is optional for rep-line runs

    return read_tape(path)


def _pool_summary(pool: pd.DataFrame | RepLine) -> dict[str, float | int]:
    import numpy as np

    from trancheflow.collateral import RepLine

    if isinstance(pool, RepLine):
        return {"loans": 1, "balance": pool.balance, "wac": pool.gross_rate,
                "net_rate": pool.net_rate, "wam": pool.wam, "wala": pool.wala}  # fmt: skip
    bal = pool["current_balance"].to_numpy(dtype=float)
    total = float(bal.sum())
    w = bal / total if total > 0 else np.full(len(bal), 1.0 / max(len(bal), 1))

    def wavg(col: str) -> float:
        return float((pool[col].to_numpy(dtype=float) * w).sum()) if col in pool else float("nan")

    return {"loans": len(pool), "balance": total, "wac": wavg("note_rate"),
            "net_rate": wavg("net_rate"), "wam": round(wavg("remaining_term"), 1),
            "wala": round(wavg("loan_age"), 1)}  # fmt: skip


def _summary_rows(cf: pd.DataFrame) -> pd.DataFrame:
    """All months of short projections; else months 1-3, 6, then every 12th and the last."""
    n = len(cf)
    if n <= 24:
        return cf
    keep = sorted({0, 1, 2, 5, *range(11, n, 12), n - 1})
    return cf.iloc[keep]


def _amount(x: float, scale: float) -> str:
    """Money with two decimals and thousands separators (``scale`` divides first)."""
    v = x / scale
    return f"{0.0 if abs(v) < 0.005 else v:,.2f}"


def _render_table(cf: pd.DataFrame, title: str, stats: dict[str, str], width: int) -> Table:
    scale = 1.0
    narrow = {"foreclosure_balance", "recovery", "net_interest"} if width < 130 else set()
    cols = [(c, label) for c, label in TABLE_COLUMNS if c not in narrow]
    unit = "amounts in thousands" if scale > 1 else "amounts in currency units"
    stats = {**stats, "": unit}
    caption = "  ".join(f"{k}: {v}" if k else v for k, v in stats.items())
    table = Table(title=title, caption=caption)
    for _, label in cols:
        table.add_column(label, justify="right")
    for _, row in _summary_rows(cf).iterrows():
        cells = [str(int(row["period"]))]
        for col, _ in cols[1:]:
            v = float(row[col])
            cells.append(f"{v * 100:.2f}" if col in ("cpr", "cdr") else _amount(v, scale))
        table.add_row(*cells)
    table.add_section()
    table.add_row(
        "total",
        *(_amount(float(cf[c].sum()), scale) if c in SUM_COLUMNS else "" for c, _ in cols[1:]),
        style="bold",
    )
    return table


def _stats(cf: pd.DataFrame, balance: float) -> dict[str, str]:
    prin = cf["total_principal"].to_numpy()
    wal = float((prin * cf["period"].to_numpy()).sum() / prin.sum() / 12) if prin.sum() else 0.0
    cum_def = float(cf["new_defaults"].sum())
    cum_loss = float(cf["loss"].sum())
    return {
        "WAL (yrs)": f"{wal:.2f}",
        "cum. defaults": f"{cum_def / balance:.2%}" if balance else "n/a",
        "cum. loss": f"{cum_loss / balance:.2%}" if balance else "n/a",
        "months": str(len(cf)),
    }


@app.command("project")
def project(
    tape: Path | None = typer.Option(
        None, "--tape", help="Loan tape (CSV or Parquet), projected loan by loan."
    ),
    balance: float | None = typer.Option(None, "--balance", help="Rep line current balance."),
    gross_rate: float | None = typer.Option(
        None, "--gross-rate", help="Rep line gross WAC, percent (6.5)."
    ),
    net_rate: float | None = typer.Option(
        None, "--net-rate", help="Rep line net rate, percent (default: the gross rate)."
    ),
    term: int | None = typer.Option(None, "--term", help="Rep line original term, months."),
    wam: int | None = typer.Option(
        None, "--wam", help="Rep line remaining term, months (default: term - wala)."
    ),
    wala: int = typer.Option(0, "--wala", help="Rep line loan age, months."),
    prepay: str = typer.Option("PSA 100", "--prepay", help="Prepayment: 'PSA 150', 'CPR 6'..."),
    default: str = typer.Option("CDR 0", "--default", help="Default: 'SDA 100', 'CDR 2'..."),
    severity: float = typer.Option(0.0, "--severity", help="Loss severity, percent (35)."),
    recovery_lag: int = typer.Option(0, "--recovery-lag", help="Months to liquidation."),
    advance: bool = typer.Option(
        True, "--advance/--no-advance", help="Servicer advances P&I on defaulted loans."
    ),
    periods: int | None = typer.Option(
        None, "--periods", "--n-periods", help="Months to project (default: to maturity)."
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write here instead of standard output."
    ),
) -> None:
    """Project monthly pool cash flows (BMA standard formulas with defaults)."""
    rep_given = any(v is not None for v in (balance, gross_rate, net_rate, term, wam))
    if tape is not None and rep_given:
        raise typer.BadParameter("give either --tape or a rep line, not both", param_hint="--tape")
    import pandas as pd

    from trancheflow.cli._options import severity_percent
    from trancheflow.collateral import Assumptions, project_pool

    assumptions = Assumptions(prepay, default, severity_percent(severity), recovery_lag, advance)
    pool: pd.DataFrame | RepLine = (
        _load_tape(tape) if tape is not None else _rep_line(balance, gross_rate, net_rate, term,
                                                            wam, wala)
    )  # fmt: skip
    summary = _pool_summary(pool)
    if isinstance(pool, pd.DataFrame) and len(pool) >= PROGRESS_MIN_LOANS:
        with Progress(
            TextColumn("projecting loans"),
            BarColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("project", total=len(pool))
            cf = project_pool(
                pool,
                assumptions,
                n_periods=periods,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    else:
        cf = project_pool(pool, assumptions, n_periods=periods)

    if fmt is OutputFormat.parquet:
        if output is None:
            raise typer.BadParameter("parquet output needs --output FILE", param_hint="--output")
        cf.to_parquet(output, index=False)
        return
    if fmt is OutputFormat.csv:
        text = cf.to_csv(index=False)
    elif fmt is OutputFormat.json:
        doc = {
            "assumptions": {
                "prepay": str(assumptions.prepay),
                "default": str(assumptions.default),
                "severity": assumptions.severity,
                "recovery_lag": assumptions.recovery_lag,
                "advance": assumptions.advance,
            },
            "pool": summary,
            "cash_flows": json.loads(cf.to_json(orient="records", double_precision=15)),
        }
        text = json.dumps(doc, indent=2) + "\n"
    else:
        src = str(tape) if tape is not None else "rep line"
        title = (
            f"{src}: {summary['loans']:,} loan(s), balance {summary['balance']:,.2f}, "
            f"WAC {summary['wac']:.3%}, WAM {summary['wam']}, WALA {summary['wala']}\n"
            f"{assumptions}"
        )
        stats = _stats(cf, float(summary["balance"]))
        if output is None:
            console.print(_render_table(cf, title, stats, console.width))
            return
        with output.open("w", encoding="utf-8") as fh:
            Console(file=fh, width=160).print(_render_table(cf, title, stats, 160))
        return
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")

"""``trancheflow collateral analyze``: price/yield table of a projected pool.

The pool is a loan tape (``--tape FILE``) or one rep line (``--balance``,
``--gross-rate``, ``--net-rate``, ``--term``, ``--wam``, ``--wala``); speeds
are in market notation (``--prepay "PSA 150" --default "SDA 100"``). Give
exactly one of ``--price`` (percent of current face, clean) or ``--yield``
(percent; bond-equivalent unless ``--yield-type mortgage``).

Rates on the command line are **percent** (``--net-rate 6.5``, ``--yield
6.5``), as desks quote them; the library takes decimals.

``--delay-days`` is the *actual* payment delay (BMA Standard Formulas E.2):
14 Ginnie Mae I, 19 Ginnie Mae II, 24 Fannie Mae (the default), 44 Freddie
Mac non-Gold. The projection's first period is the accrual month containing
``--settle`` (default: settlement on the first of the month, no accrued).
``--shock 0.2`` adds effective duration/convexity with speeds x1.2 when
yields fall ``--shift-bp`` basis points and x0.8 when they rise.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from trancheflow.cli._options import check_rep_line, rate_percent, severity_percent
from trancheflow.cli.collateral import app

if TYPE_CHECKING:  # imported where used, so `trancheflow collateral --help` stays fast
    from trancheflow.analytics.measures import YieldMeasures
    from trancheflow.analytics.pool import Pool

console = Console()

#: The default --delay-days: analytics.conventions.DEFAULT_PAYMENT_DELAY_DAYS (a test
#: checks they agree; importing it here would load the analytics stack for --help).
DEFAULT_DELAY_DAYS = 24


class ReportFormat(StrEnum):
    table = "table"
    json = "json"


class YieldBasis(StrEnum):
    bey = "bey"
    mortgage = "mortgage"


def _date(text: str | None, hint: str) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=hint) from None


def _pool(
    tape: Path | None,
    balance: float | None,
    gross_rate: float | None,
    net_rate: float | None,
    term: int | None,
    wam: int | None,
    wala: int,
) -> Pool:
    from trancheflow.collateral import RepLine
    from trancheflow.tape import read_tape

    rep = {"--balance": balance, "--gross-rate": gross_rate, "--net-rate": net_rate, "--term": term}
    given = [k for k, v in rep.items() if v is not None]
    if tape is not None:
        if given:
            raise typer.BadParameter(
                f"give --tape or a rep line, not both (also got {', '.join(given)})",
                param_hint="--tape",
            )
        return read_tape(tape)
    missing = [k for k, v in rep.items() if v is None]
    if missing:
        raise typer.BadParameter(
            f"a rep line needs {', '.join(missing)} (or give --tape FILE)",
            param_hint=missing[0],
        )
    assert balance is not None and gross_rate is not None and net_rate is not None
    assert term is not None
    return RepLine(
        balance=balance,
        gross_rate=rate_percent(gross_rate, "--gross-rate"),
        net_rate=rate_percent(net_rate, "--net-rate"),
        term=term,
        wam=check_rep_line(term, wam, wala),
        wala=wala,
    )


def _table(m: YieldMeasures, title: str) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    rows: list[tuple[str, float | None, str, str]] = [
        ("price (clean)", m.price, "{:.6f}", "% of face"),
        ("accrued", m.accrued, "{:.6f}", "% of face"),
        ("full price", m.full_price, "{:.6f}", "% of face"),
        ("yield (BEY)", 100 * m.yield_bey, "{:.5f}", "%"),
        ("mortgage yield", 100 * m.yield_mortgage, "{:.5f}", "%"),
        ("WAL", m.wal, "{:.5f}", "years"),
        ("Macaulay duration", m.macaulay, "{:.5f}", "years"),
        ("modified duration", m.modified, "{:.5f}", "years"),
        ("convexity", m.convexity, "{:.4f}", "years²"),
        ("effective duration", m.effective_duration, "{:.5f}", "years"),
        ("effective convexity", m.effective_convexity, "{:.4f}", "years²"),
    ]
    for name, value, fmt, unit in rows:
        if value is not None:
            table.add_row(name, fmt.format(value), unit)
    return table


@app.command("analyze")
def analyze(
    tape: Path | None = typer.Option(
        None, "--tape", exists=True, dir_okay=False, help="Loan tape (CSV or Parquet)."
    ),
    balance: float | None = typer.Option(None, "--balance", help="Rep line current balance."),
    gross_rate: float | None = typer.Option(None, "--gross-rate", help="Rep line WAC, percent."),
    net_rate: float | None = typer.Option(None, "--net-rate", help="Rep line net rate, percent."),
    term: int | None = typer.Option(None, "--term", help="Rep line original term, months."),
    wam: int | None = typer.Option(
        None, "--wam", help="Rep line WAM, months (default: term - wala)."
    ),
    wala: int = typer.Option(0, "--wala", help="Rep line WALA, months."),
    prepay: str = typer.Option("PSA 100", "--prepay", help="Prepayment speed, e.g. 'PSA 150'."),
    default: str = typer.Option("CDR 0", "--default", help="Default speed, e.g. 'SDA 100'."),
    severity: float = typer.Option(0.0, "--severity", help="Loss severity, percent (35)."),
    recovery_lag: int = typer.Option(0, "--recovery-lag", help="Months to liquidation."),
    advance: bool = typer.Option(True, "--advance/--no-advance", help="Servicer advancing."),
    price: str | None = typer.Option(
        None, "--price", help="Price, % of current face (101.5 or 32nds: 101-16)."
    ),
    price_type: str = typer.Option(
        "clean", "--price-type", help="clean (excluding accrued to --settle) or full."
    ),
    yield_pct: float | None = typer.Option(None, "--yield", help="Yield in percent (6.5)."),
    yield_type: YieldBasis = typer.Option(
        YieldBasis.bey, "--yield-type", help="Basis of --yield: bond-equivalent or mortgage."
    ),
    settle: str | None = typer.Option(None, "--settle", help="Settlement date YYYY-MM-DD."),
    delay_days: int = typer.Option(
        DEFAULT_DELAY_DAYS,
        "--delay-days",
        help="Actual payment delay: 14 GNMA I, 19 GNMA II, 24 FNMA.",
    ),
    shock: float | None = typer.Option(
        None, "--shock", help="Relative prepay-speed shock for effective duration (0.2)."
    ),
    shift_bp: float = typer.Option(25.0, "--shift-bp", help="Yield shift for effective measures."),
    n_periods: int | None = typer.Option(None, "--n-periods", help="Projection months."),
    fmt: ReportFormat = typer.Option(ReportFormat.table, "--format", help="table or json."),
    output: Path | None = typer.Option(None, "--output", help="Write the table/JSON here."),
) -> None:
    """Price/yield, WAL, durations and convexity of a projected pool (BMA Standard Formulas)."""
    from trancheflow.analytics.pool import pool_measures
    from trancheflow.analytics.price_quote import parse_price, parse_price_type
    from trancheflow.cli._tables import output_to
    from trancheflow.collateral import Assumptions

    output_to(output, console)
    if (price is None) == (yield_pct is None):
        raise typer.BadParameter("give exactly one of --price or --yield", param_hint="--price")
    pool = _pool(tape, balance, gross_rate, net_rate, term, wam, wala)
    assumptions = Assumptions(
        prepay,
        default,
        severity=severity_percent(severity),
        recovery_lag=recovery_lag,
        advance=advance,
    )
    settle_date = _date(settle, "--settle")
    measures = pool_measures(
        pool,
        assumptions,
        price=None if price is None else parse_price(price, "--price"),
        price_type=parse_price_type(price_type),
        yield_=None if yield_pct is None else yield_pct / 100.0,
        yield_type=yield_type.value,
        settle=settle_date,
        delay_days=delay_days,
        n_periods=n_periods,
        speed_shock=shock,
        yield_shift=shift_bp / 10_000.0,
    )
    if fmt == ReportFormat.json:
        out = {
            "assumptions": str(assumptions),
            "settle": None if settle_date is None else settle_date.isoformat(),
            "delay_days": delay_days,
            "speed_shock": shock,
            "shift_bp": shift_bp if shock is not None else None,
            **measures.as_dict(),
        }
        typer.echo(json.dumps(out, indent=2))
        return
    title = f"{assumptions} · delay {delay_days}d · settle {settle or 'first of month'}"
    console.print(_table(measures, title))

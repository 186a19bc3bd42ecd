"""``trancheflow deal``: commands over :mod:`trancheflow.deal`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="deal spec and waterfall commands", no_args_is_help=True)
console = Console()

SpecArg = Annotated[Path, typer.Argument(help="deal spec YAML file")]


@app.command()
def validate(
    spec: SpecArg,
    onchain: Annotated[
        bool, typer.Option("--onchain", help="also require the on-chain subset")
    ] = False,
) -> None:
    """Validate a deal spec with every check ``deal run`` makes (collateral read, sizes)."""
    from trancheflow.deal.onchain import spec_hash
    from trancheflow.deal.run import check_deal
    from trancheflow.deal.spec import load_spec
    from trancheflow.units import format_money

    s = load_spec(spec, onchain=onchain)
    _, params, units = check_deal(s)
    debt = s.debt_tranches
    console.print(
        f"[green]ok[/] {s.deal}: {len(debt)} tranches + residual {s.residual.name}, "
        f"principal {s.rule}, {len(s.fees)} fee(s), {len(s.triggers)} trigger(s); "
        f"collateral {format_money(units, params.decimals)} {s.currency.symbol}, tranches "
        f"{format_money(sum(params.tranche_balances), params.decimals)}; "
        f"payment delay {s.delay_days} days",
        highlight=False,
    )
    if onchain:
        console.print(f"spec hash 0x{spec_hash(s).hex()}", soft_wrap=True)


def _overrides(
    prepay: str | None, default: str | None, severity: float | None, lag: int | None
) -> dict[str, object] | None:
    """Assumption overrides; ``severity`` is typed in percent and stored as a decimal."""
    from trancheflow.cli._options import severity_percent

    o: dict[str, object] = {
        k: v
        for k, v in (
            ("prepay", prepay),
            ("default", default),
            ("severity", None if severity is None else severity_percent(severity)),
            ("recovery_lag", lag),
        )
        if v is not None
    }
    return o or None


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


PriceOpt = Annotated[
    str,
    typer.Option(
        "--price",
        help="price(s), % of face: 100, 101-16, 101-16+ or A=101-16,B=98 (others at par)",
    ),
]
PriceTypeOpt = Annotated[
    str,
    typer.Option(
        "--price-type",
        help="clean or full; settlement is the accrual start of period 1, so accrued is 0",
    ),
]
DelayOpt = Annotated[
    int | None,
    typer.Option(
        "--delay-days",
        help="actual payment delay, days (default: the spec's payment_delay_days, else 24)",
    ),
]
SeverityOpt = Annotated[
    float | None, typer.Option("--severity", help="loss severity, percent (40 = 40%)")
]
FormatOpt = Annotated[str, typer.Option("--format", help="table, csv or json")]
OutputOpt = Annotated[Path | None, typer.Option("--output", help="write to this file")]


def _convention(spec_delay: int, delay: int, price_type: str) -> str:
    src = "spec" if delay == spec_delay else "--delay-days"
    return (
        f"yields: bond-equivalent, 30/360, payment delay {delay} days ({src}), "
        f"{price_type} prices, settlement at the accrual start of period 1"
    )


def summary_rows(table: Any) -> list[dict[str, Any]]:
    """Rows of :func:`~trancheflow.deal.tables.tranche_analytics` for :func:`emit`."""
    rows = []
    for _, r in table.iterrows():
        win = (
            None
            if r["first_principal"] is None
            else f"{r['first_principal']}-{r['last_principal']}"
        )
        rows.append({**r.to_dict(), "window": win})
    return rows


SUMMARY_COLUMNS = (
    ("tranche", "tranche", "text"),
    ("balance", "balance", "money"),
    ("price", "price", "price"),
    ("yield", "yield (%)", "percent"),
    ("wal", "WAL (years)", "years"),
    ("mod_duration", "modified duration", "years"),
    ("window", "principal window (periods)", "text"),
    ("writedown", "writedown", "money"),
    ("interest_shortfall", "interest shortfall", "money"),
    ("interest_forgiven", "forgiven interest", "money"),
)


@app.command()
def run(
    spec: SpecArg,
    prepay: Annotated[str | None, typer.Option(help="e.g. 'PSA 165'")] = None,
    default: Annotated[str | None, typer.Option(help="e.g. 'SDA 100'")] = None,
    severity: SeverityOpt = None,
    recovery_lag: Annotated[int | None, typer.Option(help="months to liquidation")] = None,
    mode: Annotated[str, typer.Option(help="float or exact")] = "float",
    price: PriceOpt = "100",
    price_type: PriceTypeOpt = "clean",
    delay_days: DelayOpt = None,
    format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    report: Annotated[
        str | None,
        typer.Option(
            "--report",
            help="summary (per tranche) or periods (per period and tranche); default: "
            "summary for a table, periods for csv/json",
        ),
    ] = None,
    output: OutputOpt = None,
    fund_assets: Annotated[
        float | None,
        typer.Option(help="insurance fund assets at closing (currency); modelled each period"),
    ] = None,
) -> None:
    """Run the deal's collateral and waterfall; print the tranche summary or the period report."""
    from trancheflow.analytics.conventions import payment_delay_days
    from trancheflow.analytics.price_quote import parse_price_type, parse_prices
    from trancheflow.cli._options import check_output
    from trancheflow.cli._tables import Column, check_format, emit
    from trancheflow.deal.report import deal_report, to_json, tranche_report
    from trancheflow.deal.run import run_deal
    from trancheflow.deal.spec import load_spec
    from trancheflow.deal.tables import tranche_analytics
    from trancheflow.errors import SpecError

    fmt = check_format(format)
    check_output(output)
    ptype = parse_price_type(price_type)
    kind = report or ("summary" if fmt == "table" else "periods")
    if kind not in ("summary", "periods"):
        raise SpecError(f"--report {report!r}: must be summary or periods")
    if kind == "periods" and fmt == "table":
        raise SpecError("--report periods is written as csv or json: add --format csv")
    s = load_spec(spec)
    prices = parse_prices(price, names=[t.name for t in s.debt_tranches], where="--price")
    delay = s.delay_days if delay_days is None else payment_delay_days(delay_days, "--delay-days")
    overrides = _overrides(prepay, default, severity, recovery_lag)
    result = run_deal(
        s,
        assumptions=overrides,
        mode=mode,  # type: ignore[arg-type]
        fund_assets=fund_assets,
    )
    if kind == "periods" and fmt == "json":
        _emit(to_json(result), output)
        return
    if kind == "periods":
        _emit(tranche_report(result).to_csv(index=False), output)
        return
    summary = tranche_analytics(result, price=prices, delay_days=delay, price_type=ptype)
    columns = [Column(k, label, how) for k, label, how in SUMMARY_COLUMNS]  # type: ignore[arg-type]
    if fmt != "table":
        emit(summary_rows(summary), columns, fmt, output)
        return
    d = deal_report(result)
    breached = [c[8:] for c in d.columns if c.startswith("trigger_") and d[c].any()]
    cur = s.currency.symbol
    notes = [
        _convention(s.delay_days, delay, ptype),
        f"periods {len(d)}; residual {d['residual'].sum():,.2f} {cur}; final reserve "
        f"{d['reserve_balance'].iloc[-1]:,.2f} {cur}; triggers breached: "
        + (", ".join(breached) or "none"),
    ]
    fees = {c[4:-5]: d[c].sum() for c in d.columns if c.startswith("fee_") and c.endswith("_paid")}
    if fees:
        notes.append("fees paid: " + ", ".join(f"{k} {v:,.2f} {cur}" for k, v in fees.items()))
    if s.insurance is not None:
        line = (
            f"insurance: premium paid {d['insurance_premium'].sum():,.2f}; "
            f"cover received {d['insurance_cover'].sum():,.2f}"
        )
        if "insurance_fund_assets" in d:
            line += f"; fund assets at the end {d['insurance_fund_assets'].iloc[-1]:,.2f}"
        elif fund_assets is None:
            line += " (no fund assets given: --fund-assets to model the cover)"
        notes.append(line)
    emit(
        summary_rows(summary),
        columns,
        "table",
        output,
        title=f"{s.deal} ({mode})",
        notes=notes,
    )


@app.command("yield-table")
def yield_table_cmd(
    spec: SpecArg,
    prepay: Annotated[str, typer.Option(help="speeds, e.g. 'PSA 100,165,300'")] = "PSA 100,165,300",
    default: Annotated[str, typer.Option(help="default speeds, e.g. 'SDA 0,100'")] = "SDA 0",
    price: PriceOpt = "100",
    price_type: PriceTypeOpt = "clean",
    delay_days: DelayOpt = None,
    severity: SeverityOpt = None,
    format: FormatOpt = "table",
    output: OutputOpt = None,
    chart: Annotated[
        Path | None, typer.Option(help="PNG/HTML chart of balances (base scenario)")
    ] = None,
) -> None:
    """Yield table: prepayment x default scenarios down, tranches across."""
    from trancheflow.analytics.conventions import payment_delay_days
    from trancheflow.analytics.price_quote import parse_price_type, parse_prices
    from trancheflow.cli._options import check_output, severity_percent
    from trancheflow.cli._tables import check_format, render
    from trancheflow.cli._tables import console as wide_console
    from trancheflow.deal.run import run_deal
    from trancheflow.deal.spec import load_spec
    from trancheflow.deal.tables import balance_chart, expand_speeds, yield_table, yield_table_rich

    fmt = check_format(format)
    check_output(output)
    check_output(chart, "--chart")
    ptype = parse_price_type(price_type)
    prepays, defaults = expand_speeds(prepay), expand_speeds(default)
    sev = None if severity is None else severity_percent(severity)
    s = load_spec(spec)
    prices = parse_prices(price, names=[t.name for t in s.debt_tranches], where="--price")
    delay = s.delay_days if delay_days is None else payment_delay_days(delay_days, "--delay-days")
    table = yield_table(
        s, prepays, defaults, price=prices, severity=sev, delay_days=delay, price_type=ptype
    )
    if fmt == "table":
        title = f"{s.deal} at price {price}"
        rich_table = yield_table_rich(table, title=title)
        note = _convention(s.delay_days, delay, ptype)
        if output is None:
            con = wide_console()
            con.print(rich_table)
            con.print(note, highlight=False)
        else:
            with output.open("w", encoding="utf-8") as fh:
                con = wide_console(fh)
                con.print(rich_table)
                con.print(note, highlight=False)
            console.print(f"wrote {output}")
    else:
        rows = [{str(k): v for k, v in r.items()} for r in table.to_dict(orient="records")]
        _emit(render(rows, [], fmt), output)
    if chart is not None:
        balance_chart(run_deal(s), chart)
        console.print(f"wrote {chart}")


@app.command("size-insurance")
def size_insurance(
    spec: SpecArg,
    target: Annotated[float, typer.Option(help="largest acceptable P(junior loss > 0)")] = 0.01,
    scenarios: Annotated[int, typer.Option(help="number of credit scenarios")] = 500,
    seed: Annotated[int, typer.Option(help="seed of the scenario draw")] = 0,
    tranche: Annotated[
        str | None, typer.Option(help="tranche protected (default the most junior)")
    ] = None,
    cdr_sigma: Annotated[float, typer.Option(help="log-sd of the default multiplier")] = 0.75,
    severity_sigma: Annotated[float, typer.Option(help="log-sd of the severity")] = 0.25,
    format: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    """Size the first-loss insurance fund: the smallest fund keeping P(loss) <= target."""
    from trancheflow.analytics.insurance import size_insurance_fund
    from trancheflow.cli._options import check_seed
    from trancheflow.cli._tables import check_format, output_to, render
    from trancheflow.deal.spec import load_spec

    fmt = check_format(format)
    check_seed(seed)
    output_to(output, console)

    s = load_spec(spec)
    with console.status(f"running {scenarios} scenarios..."):
        r = size_insurance_fund(
            s,
            target_probability=target,
            n_scenarios=scenarios,
            seed=seed,
            tranche=tranche,
            cdr_sigma=cdr_sigma,
            severity_sigma=severity_sigma,
        )
    cur = s.currency.symbol
    ins = s.insurance
    if fmt != "table":
        raw = {
            "tranche": r.tranche,
            "target_probability": r.target_probability,
            "fund_size": r.fund_size,
            "fund_size_tolerance": r.fund_size_tolerance,
            "loss_probability": r.loss_probability,
            "loss_probability_without": r.loss_probability_without,
            "expected_premium": r.expected_premium,
            "expected_cover": r.expected_cover,
            "scenarios": scenarios,
            "seed": seed,
            "iterations": r.iterations,
        }
        typer.echo(render([raw], [], fmt), nl=False)
        return
    t = Table(title=f"{s.deal}: insurance fund for tranche {r.tranche}")
    t.add_column("measure")
    t.add_column("value", justify="right")
    rows = [
        ("target P(loss > 0)", f"{r.target_probability:.4f}"),
        ("fund size", f"{r.fund_size:,.2f} {cur}"),
        ("  bracket width", f"{r.fund_size_tolerance:,.2f} {cur}"),
        ("P(loss > 0) with fund", f"{r.loss_probability:.4f}"),
        ("P(loss > 0) without fund", f"{r.loss_probability_without:.4f}"),
        ("expected premium income", f"{r.expected_premium:,.2f} {cur}"),
        ("expected cover paid", f"{r.expected_cover:,.2f} {cur}"),
        (
            "premium rate / cap per period",
            "none"
            if ins is None
            else f"{ins.premium_rate:g} / "
            + ("none" if not ins.cap_per_period else f"{ins.cap_per_period:,.0f}"),
        ),
        ("scenarios / seed / bisection steps", f"{scenarios} / {seed} / {r.iterations}"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)
    dist = r.loss_distribution()
    d = Table(title=f"loss of {r.tranche} over the life ({cur})")
    d.add_column("measure")
    for case in dist["case"]:
        d.add_column(case, justify="right")
    for c in dist.columns[1:]:
        fmt = "{:.4f}" if c == "p_loss" else "{:,.0f}"
        d.add_row(c, *(fmt.format(v) for v in dist[c]))
    console.print(d)

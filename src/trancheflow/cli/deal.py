"""``trancheflow deal``: commands over :mod:`trancheflow.deal`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    """Validate a deal spec; list every problem with its key path."""
    from trancheflow.deal.onchain import spec_hash
    from trancheflow.deal.spec import load_spec

    s = load_spec(spec, onchain=onchain)
    debt = s.debt_tranches
    console.print(
        f"[green]ok[/] {s.deal}: {len(debt)} tranches + residual {s.residual.name}, "
        f"principal {s.rule}, {len(s.fees)} fee(s), {len(s.triggers)} trigger(s)"
    )
    if onchain:
        console.print(f"spec hash 0x{spec_hash(s).hex()}", soft_wrap=True)


def _overrides(
    prepay: str | None, default: str | None, severity: float | None, lag: int | None
) -> dict[str, object] | None:
    o: dict[str, object] = {
        k: v
        for k, v in (
            ("prepay", prepay),
            ("default", default),
            ("severity", severity),
            ("recovery_lag", lag),
        )
        if v is not None
    }
    return o or None


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


@app.command()
def run(
    spec: SpecArg,
    prepay: Annotated[str | None, typer.Option(help="e.g. 'PSA 165'")] = None,
    default: Annotated[str | None, typer.Option(help="e.g. 'SDA 100'")] = None,
    severity: Annotated[float | None, typer.Option(help="loss severity, decimal")] = None,
    recovery_lag: Annotated[int | None, typer.Option(help="months to liquidation")] = None,
    mode: Annotated[str, typer.Option(help="float or exact")] = "float",
    format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    output: Annotated[Path | None, typer.Option(help="write to this file")] = None,
    fund_assets: Annotated[
        float | None,
        typer.Option(help="insurance fund assets at closing (currency); modelled each period"),
    ] = None,
) -> None:
    """Run the deal's collateral and waterfall; print or write the period report."""
    from trancheflow.deal.report import deal_report, to_json, tranche_report
    from trancheflow.deal.run import run_deal
    from trancheflow.deal.spec import load_spec
    from trancheflow.deal.tables import tranche_analytics
    from trancheflow.errors import SpecError

    if format not in ("table", "csv", "json"):
        raise SpecError(f"--format {format!r} must be table, csv or json")
    s = load_spec(spec)
    result = run_deal(
        s,
        assumptions=_overrides(prepay, default, severity, recovery_lag),
        mode=mode,  # type: ignore[arg-type]
        fund_assets=fund_assets,
    )
    if format == "json":
        _emit(to_json(result), output)
        return
    if format == "csv":
        _emit(tranche_report(result).to_csv(index=False), output)
        return
    summary = tranche_analytics(result)
    t = Table(title=f"{s.deal} ({mode})")
    for c in ("tranche", "balance", "yield %", "WAL", "mod dur", "window", "writedown"):
        t.add_column(c, justify="left" if c == "tranche" else "right")
    for _, r in summary.iterrows():
        win = (
            "-" if r["first_principal"] is None else f"{r['first_principal']}-{r['last_principal']}"
        )
        t.add_row(
            r["tranche"],
            f"{r['balance']:,.0f}",
            f"{100 * r['yield']:.3f}",
            f"{r['wal']:.2f}",
            f"{r['mod_duration']:.2f}",
            win,
            f"{r['writedown']:,.0f}",
        )
    d = deal_report(result)
    breached = [c[8:] for c in d.columns if c.startswith("trigger_") and d[c].any()]
    console.print(t)
    console.print(
        f"periods {len(d)}; residual {d['residual'].sum():,.2f}; "
        f"final reserve {d['reserve_balance'].iloc[-1]:,.2f}; triggers breached: {breached}"
    )
    fees = {c[4:-5]: d[c].sum() for c in d.columns if c.startswith("fee_") and c.endswith("_paid")}
    if fees:
        console.print("fees paid: " + ", ".join(f"{k} {v:,.2f}" for k, v in fees.items()))
    if s.insurance is not None:
        line = (
            f"insurance: premium paid {d['insurance_premium'].sum():,.2f}; "
            f"cover received {d['insurance_cover'].sum():,.2f}"
        )
        if "insurance_fund_assets" in d:
            line += f"; fund assets at the end {d['insurance_fund_assets'].iloc[-1]:,.2f}"
        elif fund_assets is None:
            line += " (no fund assets given: --fund-assets to model the cover)"
        console.print(line)
    if output is not None:
        tranche_report(result).to_csv(output, index=False)
        console.print(f"wrote {output}")


@app.command("yield-table")
def yield_table_cmd(
    spec: SpecArg,
    prepay: Annotated[str, typer.Option(help="speeds, e.g. 'PSA 100,165,300'")] = "PSA 100,165,300",
    default: Annotated[str, typer.Option(help="default speeds, e.g. 'SDA 0,100'")] = "SDA 0",
    price: Annotated[float, typer.Option(help="clean price, percent of face")] = 100.0,
    severity: Annotated[float | None, typer.Option(help="loss severity, decimal")] = None,
    format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    output: Annotated[Path | None, typer.Option(help="write csv/json here")] = None,
    chart: Annotated[
        Path | None, typer.Option(help="PNG/HTML chart of balances (base scenario)")
    ] = None,
) -> None:
    """Yield table: prepayment x default scenarios down, tranches across."""
    from trancheflow.deal.run import run_deal
    from trancheflow.deal.spec import load_spec
    from trancheflow.deal.tables import balance_chart, expand_speeds, yield_table, yield_table_rich
    from trancheflow.errors import SpecError

    if format not in ("table", "csv", "json"):
        raise SpecError(f"--format {format!r} must be table, csv or json")
    s = load_spec(spec)
    table = yield_table(
        s, expand_speeds(prepay), expand_speeds(default), price=price, severity=severity
    )
    if format == "table":
        console.print(yield_table_rich(table, title=f"{s.deal} at price {price:g}"))
        if output is not None:
            table.to_csv(output, index=False)
            console.print(f"wrote {output}")
    elif format == "csv":
        _emit(table.to_csv(index=False), output)
    else:
        _emit(table.to_json(orient="records", indent=1), output)
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
) -> None:
    """Size the first-loss insurance fund: the smallest fund keeping P(loss) <= target."""
    from trancheflow.analytics.insurance import size_insurance_fund
    from trancheflow.deal.spec import load_spec

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

"""``trancheflow price``: Monte Carlo OAS, Z-spread and effective risk of a pool or a deal.

What is valued: a deal spec (``SPEC``, every tranche), a loan tape (``--tape``)
or one rep line (``--balance --gross-rate --net-rate --term [--wam --wala]``,
rates in **percent** as desks quote them). Prepayments follow the rate-driven
model (``--model FILE``, default parameters otherwise) unless ``--prepay``
gives a constant speed. Rates: Hull-White fitted to ``--curve`` (a
``tenor,rate[,kind]`` CSV), ``--hw-a``/``--hw-sigma`` as decimals.

Prices are percent of face (a tranche's closing balance), decimals or 32nds:
``--price 101-16`` for every instrument, or ``--price A=100.5,B=98-08+`` per
tranche (:mod:`trancheflow.analytics.price_quote`). ``--price-type clean|full``
says which; settlement is the accrual start of period 1, so accrued interest is
0 and the two agree. Spreads are printed in basis points; ``--oas`` takes basis points.
Settlement is on the accrual start of period 1; ``--delay-days`` is the actual
payment delay. Work runs on all local cores (``--workers``) or a Dask
cluster (``--scheduler tcp://host:8786``); a progress bar (stderr) shows
paths done.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trancheflow.cli._tables import output_to

if TYPE_CHECKING:  # the numeric stack is imported where used: `price --help` stays fast
    from trancheflow.analytics.montecarlo import MonteCarloSettings, Security
    from trancheflow.collateral.prepay_model import RefiPrepayModel
    from trancheflow.rates import ZeroCurve

app = typer.Typer(
    help="Monte Carlo OAS, Z-spread and effective duration of a pool or every tranche of a deal.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


# ------------------------------------------------------------------ options
SPEC_ARG = typer.Argument(None, help="Deal spec (YAML); omit for a --tape or rep-line pool.")
TAPE = typer.Option(None, "--tape", exists=True, dir_okay=False, help="Loan tape (CSV/Parquet).")
BALANCE = typer.Option(None, "--balance", help="Rep line current balance.")
GROSS = typer.Option(None, "--gross-rate", help="Rep line WAC, percent.")
NET = typer.Option(None, "--net-rate", help="Rep line net rate, percent.")
TERM = typer.Option(None, "--term", help="Rep line original term, months.")
WAM = typer.Option(None, "--wam", help="Rep line WAM, months (default: term - wala).")
WALA = typer.Option(0, "--wala", help="Rep line WALA, months.")
CURVE = typer.Option(..., "--curve", exists=True, dir_okay=False, help="Zero/par curve CSV.")
MODEL = typer.Option(
    None,
    "--model",
    "--prepay-model",
    help=(
        "Prepay model YAML (see examples/models/prepay_default.yaml), or the name of a "
        "trained hazard model (`trancheflow model list`; needs loan-level collateral)."
    ),
)
RATE_MODEL = typer.Option(
    "hw", "--rate-model", help="Short-rate model: hw (Hull-White), cir (CIR++)."
)
SOBOL = typer.Option(False, "--sobol/--no-sobol", help="Scrambled Sobol' normals for the paths.")
PREPAY = typer.Option(None, "--prepay", help="Constant speed instead of the model ('PSA 150').")
DEFAULT = typer.Option(None, "--default", help="Default speed ('SDA 100'); pools: CDR 0.")
SEVERITY = typer.Option(35.0, "--severity", help="Loss severity, percent (pools).")
LAG = typer.Option(12, "--recovery-lag", help="Months to liquidation (pools).")
PATHS = typer.Option(1000, "--paths", help="Rate paths (even: antithetic pairs).")
SEED = typer.Option(1, "--seed", help="Random seed (same seed = same numbers).")
HW_A = typer.Option(0.05, "--hw-a", help="Hull-White mean reversion, per year.")
HW_SIGMA = typer.Option(0.01, "--hw-sigma", help="Hull-White normal volatility (0.01 = 100bp).")
DELAY = typer.Option(
    None,
    "--delay-days",
    help="Actual payment delay, days (default: the spec's payment_delay_days, else 24 FNMA).",
)
START = typer.Option(1, "--start-month", help="Calendar month of period 1 (seasonality).")
SCHEDULER = typer.Option(None, "--scheduler", help="Dask scheduler, tcp://host:port.")
WORKERS = typer.Option(None, "--workers", help="Local worker processes (default: all cores).")
FORMAT = typer.Option(OutputFormat.table, "--format", help="table, json or csv.")
PRICE_TYPE = typer.Option(
    "full",
    "--price-type",
    help="clean or full; settlement is the accrual start, so accrued is 0 and both agree.",
)
PRICE_HELP = "Price(s), % of face: 101.5, 101-16, 101-16+ or A=101-16,B=98."
OUTPUT = typer.Option(None, "--output", help="Write the table/CSV/JSON to this file.")


def _prices(text: str | None, price_type: str = "full") -> float | dict[str, float] | None:
    """``--price``: one price or ``A=101-16,B=98`` (decimals or 32nds), as full prices.

    Settlement is the accrual start of period 1, so accrued interest is 0 and a
    clean price equals the full price; ``--price-type`` is checked and stated.
    """
    from trancheflow.analytics.price_quote import parse_price_type, parse_prices

    parse_price_type(price_type)
    if text is None:
        return None
    return parse_prices(text, where="--price")


def _delay(spec: Path | None, delay_days: int | None) -> int:
    """The one yield convention: ``--delay-days``, else the spec's, else the default."""
    from trancheflow.analytics.conventions import payment_delay_days

    if delay_days is None and spec is not None:
        from trancheflow.deal import load_spec

        return load_spec(spec).delay_days
    return payment_delay_days(delay_days, "--delay-days")


def _rep_line(
    balance: float | None,
    gross: float | None,
    net: float | None,
    term: int | None,
    wam: int | None,
    wala: int,
) -> dict[str, Any]:
    """The rep-line options as :func:`_security` takes them."""
    return {"balance": balance, "gross": gross, "net": net, "term": term, "wam": wam, "wala": wala}


def _price_or_oas(price: str | None, oas_bp: float | None) -> None:
    """Exactly one of ``--price`` / ``--oas`` must be given."""
    if (price is None) == (oas_bp is None):
        raise typer.BadParameter("give exactly one of --price or --oas", param_hint="--price")


def _security(
    spec: Path | None,
    tape: Path | None,
    rep: dict[str, Any],
    model_file: Path | None,
    prepay: str | None,
    default: str | None,
    severity: float,
    lag: int,
    start_month: int,
) -> Security:
    from trancheflow.analytics.montecarlo import deal_security, pool_security
    from trancheflow.collateral import Assumptions
    from trancheflow.collateral.prepay_model import RefiPrepayModel, load_prepay_model

    if model_file is not None and prepay is None and not Path(model_file).is_file():
        from trancheflow.cli.price_ml import _ml_security

        return _ml_security(spec, tape, rep, str(model_file), severity, start_month)
    model: RefiPrepayModel | None = (
        None
        if prepay is not None
        else load_prepay_model(model_file)
        if model_file
        else RefiPrepayModel()
    )
    if spec is not None:
        from trancheflow.deal import load_spec

        if tape is not None or any(v is not None for k, v in rep.items() if k != "wala"):
            raise typer.BadParameter("give a SPEC or a pool (--tape / rep line), not both")
        deal = load_spec(spec)
        a = None
        if prepay is not None or default is not None:
            s = deal.assumptions
            a = Assumptions(
                prepay or s.prepay,
                default or s.default,
                severity=s.severity,
                recovery_lag=s.recovery_lag,
                advance=s.advance,
            )
        return deal_security(deal, model, assumptions=a, start_month_of_year=start_month)
    from trancheflow.cli.analyze import _pool

    pool = _pool(
        tape, rep["balance"], rep["gross"], rep["net"], rep["term"], rep["wam"], rep["wala"]
    )
    from trancheflow.cli._options import severity_percent

    a = Assumptions(
        prepay or "CPR 0",
        default or "CDR 0",
        severity=severity_percent(severity),
        recovery_lag=lag,
    )
    return pool_security(pool, a, model, start_month_of_year=start_month)


def _inline(sec: Security, settings: MonteCarloSettings) -> MonteCarloSettings:
    """A trained model's kernel runs its paths on threads: no local process pool."""
    from dataclasses import replace

    if sec.model is None or not hasattr(sec.model, "project_paths") or settings.scheduler:
        return settings
    return replace(settings, workers=1, chunks=1)


def _settings(
    paths: int,
    seed: int,
    hw_a: float,
    hw_sigma: float,
    delay: int,
    scheduler: str | None,
    workers: int | None,
    rate_model: str = "hw",
    sobol: bool = False,
) -> MonteCarloSettings:
    from trancheflow.analytics.montecarlo import MonteCarloSettings
    from trancheflow.cli._options import check_scheduler, check_seed

    check_seed(seed)
    check_scheduler(scheduler)
    return MonteCarloSettings(
        n_paths=paths,
        seed=seed,
        mean_reversion=hw_a,
        volatility=hw_sigma,
        delay_days=delay,
        scheduler=scheduler,
        workers=workers,
        rate_model=rate_model,
        sobol=sobol,
    )


def _model_statement(sec: Security, settings: MonteCarloSettings) -> str:
    """The prepayment and rate models behind a risk table, with their parameters."""
    prepay = (
        f"Prepay model: {sec.model.describe()}"
        if sec.model is not None
        else f"Prepay: constant {sec.assumptions.prepay} (no rate-driven model)"
    )
    return f"{prepay}\nRates: {settings.describe()}"


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not show:
        yield None
        return
    with Progress(
        TextColumn("[bold]paths"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("paths", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _bp(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else 1e4 * x


def _cell(v: Any, fmt: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return v if isinstance(v, str) else format(v, fmt)


def _emit(
    rows: list[dict[str, Any]],
    columns: Mapping[str, tuple[str, str]],
    fmt: OutputFormat,
    title: str,
) -> None:
    """Rows as JSON, CSV or a rich table (``columns``: key -> (label, number format))."""
    if fmt == OutputFormat.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if fmt == OutputFormat.csv:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        typer.echo(buf.getvalue(), nl=False)
        return
    table = Table(title=title, header_style="bold")
    for key, (label, _) in columns.items():
        table.add_column(label, justify="left" if key == "instrument" else "right")
    for r in rows:
        table.add_row(*(_cell(r.get(key), f) for key, (_, f) in columns.items()))
    console.print(table)


def _curve(path: Path) -> ZeroCurve:
    """The ``--curve`` file; a file that is not UTF-8 text is named in the error."""
    from trancheflow.errors import CurveError
    from trancheflow.rates import read_curve_csv

    try:
        return read_curve_csv(path)
    except UnicodeDecodeError:
        raise CurveError(
            f"--curve {path}: not UTF-8 text (compressed or binary?); give a tenor,rate[,kind] CSV"
        ) from None


# ------------------------------------------------------------------ commands
@app.command("oas")
def oas_command(
    spec: Path | None = SPEC_ARG,
    tape: Path | None = TAPE,
    balance: float | None = BALANCE,
    gross_rate: float | None = GROSS,
    net_rate: float | None = NET,
    term: int | None = TERM,
    wam: int | None = WAM,
    wala: int = WALA,
    curve: Path = CURVE,
    price: str | None = typer.Option(None, "--price", help=PRICE_HELP),
    oas_bp: float | None = typer.Option(None, "--oas", help="OAS in bp instead of a price."),
    model: Path | None = MODEL,
    prepay: str | None = PREPAY,
    default: str | None = DEFAULT,
    severity: float = SEVERITY,
    recovery_lag: int = LAG,
    paths: int = PATHS,
    seed: int = SEED,
    hw_a: float = HW_A,
    hw_sigma: float = HW_SIGMA,
    delay_days: int | None = DELAY,
    start_month: int = START,
    scheduler: str | None = SCHEDULER,
    workers: int | None = WORKERS,
    fmt: OutputFormat = FORMAT,
    price_type: str = PRICE_TYPE,
    rate_model: str = RATE_MODEL,
    sobol: bool = SOBOL,
    output: Path | None = OUTPUT,
) -> None:
    """OAS at a price (or price at an OAS), Monte Carlo error, Z-spread and option cost."""
    from trancheflow.analytics.oas import oas_analysis

    output_to(output, console)
    _price_or_oas(price, oas_bp)
    rep = _rep_line(balance, gross_rate, net_rate, term, wam, wala)
    sec = _security(spec, tape, rep, model, prepay, default, severity, recovery_lag, start_month)
    delay_days = _delay(spec, delay_days)
    settings = _settings(
        paths, seed, hw_a, hw_sigma, delay_days, scheduler, workers, rate_model, sobol
    )
    settings = _inline(sec, settings)
    with _progress(fmt == OutputFormat.table) as cb:
        results = oas_analysis(
            sec,
            _curve(curve),
            settings,
            price=_prices(price, price_type),
            oas=None if oas_bp is None else oas_bp / 1e4,
            progress=cb,
        )
    rows = [
        {
            "instrument": r.name,
            "face": None if math.isnan(r.face) else r.face,
            "price": None if math.isnan(r.price) else r.price,
            "price_se": None if math.isnan(r.price_se) else r.price_se,
            "pv": r.pv,
            "pv_se": r.pv_se,
            "oas_bp": _bp(r.oas),
            "oas_se_bp": _bp(r.oas_se),
            "zspread_bp": _bp(r.zspread),
            "option_cost_bp": _bp(r.option_cost),
            "paths": r.n_paths,
        }
        for r in results
    ]
    columns = {
        "instrument": ("instrument", ""),
        "price": ("price", ".4f"),
        "price_se": ("± SE", ".4f"),
        "oas_bp": ("OAS bp", ".1f"),
        "oas_se_bp": ("± bp", ".1f"),
        "zspread_bp": ("Z bp", ".1f"),
        "option_cost_bp": ("opt. cost bp", ".1f"),
        "pv": ("PV", ",.0f"),
    }
    _emit(
        rows,
        columns,
        fmt,
        f"Monte Carlo OAS · {paths} paths · seed {seed} · HW a={hw_a} σ={hw_sigma}",
    )
    if fmt == OutputFormat.table:
        console.print(_model_statement(sec, settings), highlight=False)


@app.command("z-spread")
def zspread_command(
    spec: Path | None = SPEC_ARG,
    tape: Path | None = TAPE,
    balance: float | None = BALANCE,
    gross_rate: float | None = GROSS,
    net_rate: float | None = NET,
    term: int | None = TERM,
    wam: int | None = WAM,
    wala: int = WALA,
    curve: Path = CURVE,
    price: str = typer.Option(..., "--price", help=PRICE_HELP),
    model: Path | None = MODEL,
    prepay: str | None = PREPAY,
    default: str | None = DEFAULT,
    severity: float = SEVERITY,
    recovery_lag: int = LAG,
    hw_a: float = HW_A,
    delay_days: int | None = DELAY,
    start_month: int = START,
    fmt: OutputFormat = FORMAT,
    price_type: str = PRICE_TYPE,
    output: Path | None = OUTPUT,
) -> None:
    """Z-spread of the zero-volatility (forward-curve) cash flows at a price."""
    from trancheflow.analytics.montecarlo import simulate_values
    from trancheflow.analytics.zspread import zspread_from_price

    output_to(output, console)
    rep = _rep_line(balance, gross_rate, net_rate, term, wam, wala)
    sec = _security(spec, tape, rep, model, prepay, default, severity, recovery_lag, start_month)
    zc = _curve(curve)
    delay_days = _delay(spec, delay_days)
    settings = _settings(2, 1, hw_a, 0.0, delay_days, None, 1).zero_volatility()
    values = simulate_values(sec, zc, settings)
    target = _prices(price, price_type)
    if isinstance(target, dict):
        from trancheflow.analytics.price_quote import check_prices

        check_prices(target, values.names, "--price")
    rows = []
    for k, name in enumerate(values.names):
        face = float(values.faces[k])
        p = target.get(name) if isinstance(target, dict) else target
        z = (
            zspread_from_price(
                values.mean_cash_flow[:, k], zc, p, balance=face, delay_days=delay_days
            )
            if p is not None and math.isfinite(face)
            else math.nan
        )
        rows.append({"instrument": name, "price": p, "zspread_bp": _bp(z)})
    columns = {
        "instrument": ("instrument", ""),
        "price": ("price", ".4f"),
        "zspread_bp": ("Z bp", ".2f"),
    }
    _emit(rows, columns, fmt, "Z-spread (zero-volatility cash flows)")


@app.command("risk")
def risk_command(
    spec: Path | None = SPEC_ARG,
    tape: Path | None = TAPE,
    balance: float | None = BALANCE,
    gross_rate: float | None = GROSS,
    net_rate: float | None = NET,
    term: int | None = TERM,
    wam: int | None = WAM,
    wala: int = WALA,
    curve: Path = CURVE,
    price: str | None = typer.Option(None, "--price", help=PRICE_HELP),
    oas_bp: float | None = typer.Option(None, "--oas", help="OAS in bp instead of a price."),
    shock: float = typer.Option(25.0, "--shock", help="Curve shift / key-rate bump, bp."),
    key_rates: bool = typer.Option(True, "--key-rates/--no-key-rates", help="Key-rate durations."),
    model: Path | None = MODEL,
    prepay: str | None = PREPAY,
    default: str | None = DEFAULT,
    severity: float = SEVERITY,
    recovery_lag: int = LAG,
    paths: int = PATHS,
    seed: int = SEED,
    hw_a: float = HW_A,
    hw_sigma: float = HW_SIGMA,
    delay_days: int | None = DELAY,
    start_month: int = START,
    scheduler: str | None = SCHEDULER,
    workers: int | None = WORKERS,
    fmt: OutputFormat = FORMAT,
    price_type: str = PRICE_TYPE,
    rate_model: str = RATE_MODEL,
    sobol: bool = SOBOL,
    output: Path | None = OUTPUT,
) -> None:
    """Effective duration and convexity (and key-rate durations) at a constant OAS."""
    from trancheflow.analytics.mc_risk import effective_risk
    from trancheflow.rates import KEY_RATE_TENORS

    output_to(output, console)
    _price_or_oas(price, oas_bp)
    rep = _rep_line(balance, gross_rate, net_rate, term, wam, wala)
    sec = _security(spec, tape, rep, model, prepay, default, severity, recovery_lag, start_month)
    delay_days = _delay(spec, delay_days)
    settings = _settings(
        paths, seed, hw_a, hw_sigma, delay_days, scheduler, workers, rate_model, sobol
    )
    settings = _inline(sec, settings)
    with _progress(fmt == OutputFormat.table) as cb:
        results = effective_risk(
            sec,
            _curve(curve),
            settings,
            price=_prices(price, price_type),
            oas=None if oas_bp is None else oas_bp / 1e4,
            shock_bp=shock,
            key_rate_tenors=KEY_RATE_TENORS if key_rates else None,
            progress=cb,
        )
    rows = []
    for r in results:
        d = r.as_dict()
        row: dict[str, Any] = {
            "instrument": r.name,
            "oas_bp": _bp(r.oas),
            "price": d["price"],
            "price_se": d["price_se"],
            "effective_duration": d["effective_duration"],
            "effective_convexity": d["effective_convexity"],
        }
        for tenor, v in r.key_rate_durations.items():
            row[f"krd_{tenor:g}y"] = v
        rows.append(row)
    columns = {
        "instrument": ("instrument", ""),
        "oas_bp": ("OAS bp", ".1f"),
        "price": ("price", ".4f"),
        "price_se": ("± SE", ".4f"),
        "effective_duration": ("eff. duration", ".3f"),
        "effective_convexity": ("eff. convexity", ".2f"),
    }
    title = f"Effective risk · ±{shock:g}bp · {paths} paths · seed {seed}"
    if fmt != OutputFormat.table or not key_rates:
        _emit(rows, columns, fmt, title)
        if fmt == OutputFormat.table:
            console.print(_model_statement(sec, settings), highlight=False)
        return
    _emit(rows, columns, fmt, title)
    console.print(_model_statement(sec, settings), highlight=False)
    krd = Table(title="Key-rate durations", header_style="bold")
    krd.add_column("tenor")
    for r in results:
        krd.add_column(r.name, justify="right")
    for t in KEY_RATE_TENORS:
        krd.add_row(
            f"{t:g}y" if t >= 1 else f"{round(12 * t)}m",
            *(_cell(r.key_rate_durations.get(float(t)), ".3f") for r in results),
        )
    console.print(krd)


# registers `price yield-table` (a trained model as the behaviour) on `app`
import trancheflow.cli.price_ml  # noqa: E402, F401

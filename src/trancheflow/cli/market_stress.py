"""``trancheflow market stress``: liquidation cascades of a pledged tranche (issue 11).

Runs :func:`trancheflow.market.stress.run_stress` (model in that module's
docstring) and prints a summary by pool depth and leverage, or one row per
scenario (``--by scenario``; ``--paths`` adds each scenario's monthly prices
to JSON). ``--chart FILE.png`` draws the price bands, liquidations and LP
loss against depth. Parameters are illustrative, not calibrated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._options import check_output, check_seed
from ._tables import Column, emit

if TYPE_CHECKING:
    from trancheflow.market.stress import StressConfig


def _floats(text: str, option: str) -> tuple[float, ...]:
    from trancheflow.errors import MarketError

    try:
        vals = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise MarketError(f"{option} {text!r}: need comma-separated numbers") from None
    if not vals:
        raise MarketError(f"{option} {text!r}: need at least one number")
    return vals


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("[bold]months"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("months", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


SUMMARY = [
    Column("depth", "pool depth (%)", "percent"),
    Column("leverage", "mean LTV (%)", "percent"),
    Column("scenarios", "scenarios", "count"),
    Column("liquidating_share", "with liquidations (%)", "percent"),
    Column("liquidated_mean", "liquidated value, mean", "money"),
    Column("liquidated_face_mean", "liquidated face, mean", "money"),
    Column("liquidated_p95", "liquidated, p95", "money"),
    Column("cascade_depth_max", "max rounds", "count"),
    Column("pool_price_min", "min pool price", "price"),
    Column("model_price_min", "min model price", "price"),
    Column("bad_debt_mean", "bad debt, mean", "money"),
    Column("unsold_share", "pool out of cash (%)", "percent"),
    Column("stalled_share", "stalled (%)", "percent"),
    Column("liquidator_pnl_mean", "liquidator P&L, mean", "money"),
    Column("lp_loss_pct_mean", "LP loss, mean (% pool)", "number", 2),
    Column("lp_loss_pct_p95", "LP loss, p95 (% pool)", "number", 2),
]
SCENARIO = [
    Column("scenario", "scenario", "count"),
    Column("cdr", "CDR (%)", "number", 2),
    Column("depth", "pool depth (%)", "percent"),
    Column("leverage", "mean LTV (%)", "percent"),
    Column("liquidated", "liquidated value", "money"),
    Column("liquidated_face", "liquidated face", "money"),
    Column("cascade_depth", "rounds", "count"),
    Column("pool_price_min", "min pool price", "price"),
    Column("model_price_end", "model price, end", "price"),
    Column("bad_debt", "bad debt", "money"),
    Column("lp_loss_pct", "LP loss (% pool)", "number", 2),
]


_OPTIONS = {
    "n_scenarios": "--scenarios",
    "n_months": "--months",
    "cdr_max": "--cdr-max",
    "ltv_max": "--ltv-max",
    "close_factor": "--close-factor",
    "mark_weight": "--mark-weight",
    "arb_speed": "--arb-speed",
    "fee_bps": "--fee-bps",
}


def _option_names(message: str) -> str:
    """A StressConfig message with its field named as the CLI option."""
    field, sep, rest = message.partition("=")
    if sep and field.isidentifier():
        return f"{_OPTIONS.get(field, '--' + field.replace('_', '-'))} {rest}"
    return message


def _config(**kw: object) -> StressConfig:
    from trancheflow.market.stress import StressConfig

    return StressConfig(**kw)  # type: ignore[arg-type]


def stress(
    spec: Annotated[Path, typer.Option("--spec", help="deal spec (YAML)")],
    tranche: Annotated[
        str | None, typer.Option("--tranche", help="debt tranche (default the most junior)")
    ] = None,
    scenarios: Annotated[int, typer.Option("--scenarios", help="scenarios drawn")] = 1_000,
    months: Annotated[int, typer.Option("--months", help="months simulated")] = 36,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    cdr_max: Annotated[
        float, typer.Option("--cdr-max", help="largest shock, CDR %% (uniform 0..max)")
    ] = 20.0,
    levels: Annotated[int, typer.Option("--levels", help="shock grid points")] = 41,
    depths: Annotated[
        str, typer.Option("--depths", help="pool sizes, fractions of face")
    ] = "0.02,0.05,0.10",
    leverages: Annotated[
        str, typer.Option("--leverages", help="mean LTVs at closing")
    ] = "0.40,0.55,0.70",
    pledged: Annotated[float, typer.Option("--pledged", help="face fraction pledged")] = 0.25,
    ltv_max: Annotated[float, typer.Option("--ltv-max", help="borrow limit (LTV)")] = 0.75,
    threshold: Annotated[float, typer.Option("--threshold", help="liquidation LTV")] = 0.80,
    bonus: Annotated[float, typer.Option("--bonus", help="liquidation bonus")] = 0.05,
    close_factor: Annotated[
        float, typer.Option("--close-factor", help="debt share repaid per liquidation")
    ] = 0.5,
    mark_weight: Annotated[
        float, typer.Option("--mark-weight", help="mark = w*pool spot + (1-w)*model")
    ] = 1.0,
    arb_speed: Annotated[
        float, typer.Option("--arb-speed", help="monthly arbitrage toward the model, 0..1")
    ] = 1.0,
    liquidator: Annotated[
        str, typer.Option("--liquidator", help="always, or profitable (stops at break-even)")
    ] = "always",
    amp: Annotated[int, typer.Option("--amp", help="pool concentration")] = 20,
    fee_bps: Annotated[int, typer.Option("--fee-bps", help="pool fee, bp")] = 10,
    by: Annotated[str, typer.Option("--by", help="summary or scenario")] = "summary",
    paths: Annotated[bool, typer.Option("--paths", help="monthly prices per scenario")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    output: Annotated[Path | None, typer.Option("--output", help="write here")] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="PNG chart")] = None,
) -> None:
    """Credit shock -> model price -> liquidations sold into the pool -> cascades."""
    from trancheflow.deal.spec import load_spec
    from trancheflow.errors import MarketError
    from trancheflow.market.stress import run_stress
    from trancheflow.market.stress_report import scenario_rows, stress_chart, summary_rows

    check_seed(seed)
    check_output(output)
    check_output(chart, "--chart")
    if by not in ("summary", "scenario"):
        raise MarketError(f"--by {by!r}: must be summary or scenario")
    if chart is not None and chart.suffix.lower() != ".png":
        raise MarketError(f"--chart {chart}: must end in .png")
    try:
        cfg = _config(
            n_scenarios=scenarios,
            n_months=months,
            seed=seed,
            tranche=tranche,
            cdr_max=cdr_max,
            levels=levels,
            depths=_floats(depths, "--depths"),
            leverages=_floats(leverages, "--leverages"),
            pledged=pledged,
            ltv_max=ltv_max,
            threshold=threshold,
            bonus=bonus,
            close_factor=close_factor,
            mark_weight=mark_weight,
            arb_speed=arb_speed,
            amp=amp,
            fee_bps=fee_bps,
            liquidator=liquidator,
        )
    except MarketError as exc:
        raise MarketError(_option_names(str(exc))) from None
    deal = load_spec(spec)
    with _progress(fmt == "table") as cb:
        r = run_stress(deal, cfg, progress=cb)
    if chart is not None:
        stress_chart(r, chart)
    notes = [
        f"tranche {r.model.tranche}, face {r.model.face:,.0f}; prices per 100 of current face;"
        f" model discounts at {100 * r.model.discount_yield:.3f}%",
        f"mark = {mark_weight:g} x pool spot + {1 - mark_weight:g} x model; illustrative"
        " parameters (no debt interest, no top-ups); LP loss vs holding the seeded assets;"
        f" liquidator: {liquidator}",
    ]
    if by == "summary":
        emit(summary_rows(r), SUMMARY, fmt, output, "market stress: by depth and leverage", notes)
    else:
        rows = scenario_rows(r, paths=paths and fmt == "json")
        emit(rows, SCENARIO, fmt, output, "market stress: scenarios", notes)

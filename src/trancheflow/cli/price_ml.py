"""``trancheflow price`` with a trained hazard model as the collateral behaviour.

``price oas|risk --model NAME`` (a name in the model registry instead of a
prepay-model file) and ``price yield-table --model NAME``: the model's
loan-level projection runs through the Monte Carlo seam
(:class:`trancheflow.models.tranche_pricing.MLBehaviour`). Importing
:mod:`trancheflow.cli.price` imports this module, which registers
``yield-table`` on its ``app``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from trancheflow.cli._tables import output_to
from trancheflow.cli.price import (
    FORMAT,
    OUTPUT,
    PRICE_HELP,
    PRICE_TYPE,
    START,
    TAPE,
    OutputFormat,
    _emit,
    _prices,
    app,
    console,
)

if TYPE_CHECKING:
    from trancheflow.analytics.montecarlo import Security

__all__ = ["yield_table_command"]


def _load_ml(name: str) -> Any:
    """The trained model ``name``; unknown: a ModelError listing the saved models (exit 2)."""
    from trancheflow.errors import ModelError
    from trancheflow.models.registry import list_models, load_model, models_dir

    try:
        return load_model(name)
    except ModelError as exc:
        known = ", ".join(m["name"] for m in list_models()) or "none"
        raise ModelError(
            f"--model {name!r} is neither a prepay-model file nor a trained model in "
            f"{models_dir()} (saved models: {known}); {exc}"
        ) from None


def _ml_deal_pool(spec: Path, tape: Path | None) -> tuple[Any, Any]:
    """The deal spec and its loans (``--tape``, else the spec's tape)."""
    import pandas as pd

    from trancheflow.deal import load_spec
    from trancheflow.deal.run import collateral_pool
    from trancheflow.tape import read_tape

    deal = load_spec(spec)
    pool = read_tape(tape) if tape is not None else collateral_pool(deal)
    if not isinstance(pool, pd.DataFrame):
        raise typer.BadParameter(
            f"{spec}: the collateral is rep lines; a trained model needs the loans "
            "(give --tape FILE with the SPEC)",
            param_hint="--tape",
        )
    return deal, pool


def _ml_security(
    spec: Path | None,
    tape: Path | None,
    rep: dict[str, Any],
    name: str,
    severity: float,
    start_month: int,
) -> Security:
    """A deal's tranches (SPEC, its tape or ``--tape``) or a tape pool under a trained model."""
    from trancheflow.analytics.montecarlo import pool_security
    from trancheflow.cli._options import severity_percent
    from trancheflow.models.tranche_pricing import MLBehaviour, compiled, ml_deal_security
    from trancheflow.tape import read_tape

    hm = _load_ml(name)
    if any(v is not None for k, v in rep.items() if k != "wala"):
        raise typer.BadParameter(
            "a trained model needs loan-level collateral (--tape or a SPEC with a tape), "
            "not a rep line",
            param_hint="--model",
        )
    cm = compiled(hm)
    if spec is not None:
        deal, pool = _ml_deal_pool(spec, tape)
        beh = MLBehaviour(cm, pool, severity=deal.assumptions.severity)
        return ml_deal_security(deal, pool, beh, start_month_of_year=start_month)
    if tape is None:
        raise typer.BadParameter("a trained model needs --tape FILE or a SPEC", param_hint="--tape")
    pool = read_tape(tape)
    beh = MLBehaviour(cm, pool, severity=severity_percent(severity))
    return pool_security(pool, None, beh, start_month_of_year=start_month)


@app.command("yield-table")
def yield_table_command(
    spec: Path = typer.Argument(..., exists=True, dir_okay=False, help="Deal spec (YAML)."),
    model: str = typer.Option(..., "--model", help="Trained hazard model (`model list`)."),
    tape: Path | None = TAPE,
    rates: str = typer.Option(
        "5,6,7,8", "--mortgage-rates", help="Flat market mortgage rates, percent, comma separated."
    ),
    price: str = typer.Option("100", "--price", help=PRICE_HELP),
    price_type: str = PRICE_TYPE,
    hpa: float = typer.Option(0.0, "--hpa", help="House-price appreciation, percent a year."),
    credit: str = typer.Option("loss", "--credit", help="90+ days: loss (severity) or buyout."),
    start_month: int = START,
    fmt: OutputFormat = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Yield table of every tranche with a trained model as the behaviour (not PSA/SDA).

    Each row is a market mortgage rate held flat; the model projects every
    loan (prepay, default, cure) and the waterfall splits the cash.
    """
    from trancheflow.deal.tables import ml_yield_table, yield_table_rich

    output_to(output, console)
    try:
        mr = [float(x) / 100.0 for x in rates.split(",") if x.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"{rates!r}: give percent numbers separated by commas", param_hint="--mortgage-rates"
        ) from None
    if credit not in ("loss", "buyout"):
        raise typer.BadParameter(f"{credit!r}: give loss or buyout", param_hint="--credit")
    hm = _load_ml(model)
    deal, pool = _ml_deal_pool(spec, tape)
    px = _prices(price, price_type)
    table = ml_yield_table(
        deal,
        pool,
        hm,
        mr,
        price=100.0 if px is None else px,
        credit=credit,
        hpa=hpa / 100.0,
        start_month_of_year=start_month,
        price_type=price_type,  # type: ignore[arg-type]
    )
    if fmt == OutputFormat.table:
        console.print(yield_table_rich(table, title=f"{deal.deal} · model {model!r} yield table"))
        console.print(
            f"{len(pool):,} loans; credit: 90+ days "
            + (
                f"liquidated at {deal.assumptions.severity:.0%} severity"
                if credit == "loss"
                else "bought out at par"
            ),
            highlight=False,
        )
        return
    rows = [
        {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in table.to_dict(orient="records")
    ]
    _emit(rows, {}, fmt, "")

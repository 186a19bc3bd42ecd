"""``trancheflow model price``: each tranche's value under a trained hazard model.

Registered on ``trancheflow model`` (:mod:`trancheflow.cli.model`); the work
is :func:`trancheflow.models.tranche_pricing.value_tranches`.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def price(
    spec: Path = typer.Argument(..., exists=True, dir_okay=False, help="deal spec (YAML)"),
    model: str = typer.Option(..., "--model", help="saved model name (`model list`)"),
    tape: Path | None = typer.Option(
        None, "--tape", exists=True, dir_okay=False, help="the loans (default: the spec's tape)"
    ),
    oas_bp: float = typer.Option(0.0, "--oas", help="OAS in bp for every tranche"),
    price_text: str | None = typer.Option(
        None, "--price", help="solve the OAS at these prices: 99.5 or A=100.25,B=97-16"
    ),
    paths: int = typer.Option(64, "--paths", help="Hull-White paths (antithetic when even)"),
    seed: int = typer.Option(0, "--seed"),
    curve: Path | None = typer.Option(
        None, "--curve", exists=True, dir_okay=False, help="zero curve CSV (default flat 4%)"
    ),
    hpa: float = typer.Option(0.0, "--hpa", help="house-price appreciation, percent a year"),
    credit: str = typer.Option("loss", "--credit", help="90+ days: loss (severity) or buyout"),
    deterministic: bool = typer.Option(
        False, "--deterministic", help="one path on the forward curve (no volatility)"
    ),
    duration: bool = typer.Option(False, "--duration", help="also effective duration (±25bp)"),
    models_dir: Path | None = typer.Option(None, "--models-dir", help="models directory"),
) -> None:
    """Value of every debt tranche at an OAS (or OAS at a price), the model driving the pool."""
    import pandas as pd

    from trancheflow.analytics.price_quote import parse_prices
    from trancheflow.deal import load_spec
    from trancheflow.deal.run import collateral_pool
    from trancheflow.models.registry import load_model
    from trancheflow.models.tranche_pricing import DEFAULT_CURVE, value_tranches
    from trancheflow.rates import read_curve_csv
    from trancheflow.tape import read_tape

    if credit not in ("loss", "buyout"):
        raise typer.BadParameter(f"{credit!r}: give loss or buyout", param_hint="--credit")
    hm = load_model(model, directory=models_dir)
    deal = load_spec(spec)
    pool = read_tape(tape) if tape is not None else collateral_pool(deal)
    if not isinstance(pool, pd.DataFrame):
        raise typer.BadParameter(
            f"{spec}: the collateral is rep lines; the model needs the loans (give --tape FILE)",
            param_hint="--tape",
        )
    prices = None
    if price_text is not None:
        p = parse_prices(price_text, where="--price")
        names = [t.name for t in deal.debt_tranches]
        prices = dict(p) if isinstance(p, dict) else dict.fromkeys(names, float(p))
    zc = read_curve_csv(curve) if curve is not None else DEFAULT_CURVE
    with console.status(f"valuing {len(pool):,} loans on {paths} paths"):
        df = value_tranches(
            deal,
            pool,
            hm,
            oas_bp=oas_bp,
            prices=prices,
            paths=paths,
            seed=seed,
            curve=zc,
            hpa=hpa / 100.0,
            credit=credit,
            deterministic=deterministic,
            eff_duration=duration,
        )
    table = Table(title=f"{deal.deal} · model {model!r} · {1 if deterministic else paths} paths")
    cols = [
        ("tranche", "", "tranche"),
        ("balance", ",.0f", "balance"),
        ("value", ".4f", "value /100"),
        ("value_se", ".4f", "± SE"),
        ("oas_bp", ".1f", "OAS bp"),
        ("wal", ".2f", "WAL y"),
        ("writedown", ".3f", "writedown %"),
    ]
    if duration:
        cols.append(("eff_duration", ".3f", "eff. dur."))
    for _, _, label in cols:
        table.add_column(label, justify="left" if label == "tranche" else "right")
    for r in df.to_dict(orient="records"):
        cells = []
        for key, fmt, _ in cols:
            v = r[key]
            cells.append(
                "-"
                if isinstance(v, float) and math.isnan(v)
                else (str(v) if not fmt else format(v, fmt))
            )
        table.add_row(*cells)
    console.print(table)
    src = "flat 4% (illustrative)" if curve is None else str(curve)
    console.print(
        f"{len(pool):,} loans; curve {src}; credit: 90+ days "
        + (
            f"liquidated at {deal.assumptions.severity:.0%} severity"
            if credit == "loss"
            else "bought out at par"
        ),
        highlight=False,
    )

"""``trancheflow market``: a tranche's TrancheMarket pool (issue 11).

Every command names the pool with ``--pool ADDRESS`` and needs a node
(``--rpc-url``). Amounts are in the settlement currency (``1,000.50``) for cash
and in token units of ORIGINAL face (same decimals) for tranche tokens; prices
are per 100 of CURRENT face. ``status`` shows depth, spot price and TWAP, and,
given ``--spec/--tranche/--curve``, the model's fair value by Monte Carlo OAS
beside them (rich/cheap = pool minus model, in points).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ._chainopts import DirOpt, KeyOpt, RpcOpt, amount_units, client, units_text

app = typer.Typer(help="tranche pools: quote, swap, add, remove, status", no_args_is_help=True)
console = Console()

PoolOpt = Annotated[str, typer.Option("--pool", help="TrancheMarket address")]
SideArg = Annotated[str, typer.Argument(help="buy (cash in, tokens out) or sell (tokens in)")]
AmountArg = Annotated[str, typer.Argument(help="input amount: cash for buy, tokens for sell")]
DECIMALS = 6


def _backend(rpc_url: str | None, deployments: Path, key_env: str) -> Any:
    """The chain backend the commands talk to (tests replace this)."""
    return client(rpc_url, deployments, key_env).backend


def _market(rpc_url: str | None, deployments: Path, key_env: str, pool: str) -> Any:
    from trancheflow.market.client import MarketClient

    return MarketClient(_backend(rpc_url, deployments, key_env), pool)


def side_by_side(s: Any, fair: float | None) -> dict[str, Any]:
    """The figures ``status`` shows: depth on both sides (settlement units), pool spot,
    TWAP, model fair value and rich/cheap (bp, > 0 = the pool is rich)."""
    ask = int(s.current_face * s.spot_per_100 / 100)
    out: dict[str, Any] = {
        "pool": s.pool,
        "spot_per_100": s.spot_per_100,
        "twap_per_100": s.twap_per_100,
        "accrued_per_100": s.accrued_per_100,
        "depth_bid_units": s.cash,
        "depth_ask_units": ask,
        "tokens": s.tokens,
        "current_face_units": s.current_face,
        "factor": s.factor,
        "shares": s.shares,
        "fee_bps": s.fee_bps,
        "amp": s.amp,
        "pending_distribution_units": s.pending_distribution,
        "fair_per_100": fair,
        "rich_cheap_bp": None,
        "twap_vs_fair_bp": None,
    }
    if fair:
        out["rich_cheap_bp"] = (s.spot_per_100 - fair) / fair * 1e4
        out["twap_vs_fair_bp"] = (s.twap_per_100 - fair) / fair * 1e4
    return out


def _rc(bp: float | None) -> str:
    from trancheflow.market.view import rich_cheap_color, rich_cheap_text

    if bp is None:
        return "-"
    return f"[{rich_cheap_color(bp)}]{rich_cheap_text(bp)}[/]"


@app.command()
def status(
    pool: PoolOpt,
    spec: Annotated[Path | None, typer.Option("--spec", help="deal spec for the model")] = None,
    tranche: Annotated[str | None, typer.Option("--tranche", help="tranche name")] = None,
    curve: Annotated[Path | None, typer.Option("--curve", help="zero curve CSV")] = None,
    oas_bp: Annotated[float, typer.Option("--oas", help="model OAS in bp")] = 100.0,
    paths: Annotated[int, typer.Option("--paths", help="Monte Carlo paths")] = 200,
    fair: Annotated[
        float | None,
        typer.Option("--fair", help="a fair value per 100 you already have (instead of the model)"),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Depth, price per 100 of current face, TWAP and the model's fair value side by side,
    with rich/cheap (given --spec/--tranche/--curve, or --fair)."""
    import json

    from trancheflow.errors import MarketError

    if fmt not in ("table", "json"):
        raise MarketError(f"--format {fmt!r}: expected table or json")
    given = [x is not None for x in (spec, tranche, curve)]
    if fair is not None and any(given):
        raise MarketError("give either --fair or --spec/--tranche/--curve, not both")
    if any(given) and not all(given):
        raise MarketError("fair value needs all of --spec, --tranche and --curve")
    if fair is not None and not (0 < fair < 1_000):
        raise MarketError(f"--fair {fair}: a price per 100 of current face must be in (0, 1000)")
    m = _market(rpc_url, deployments, key_env, pool)
    s = m.status()
    model = None
    if spec is not None and tranche is not None and curve is not None:
        from trancheflow.market.fair import fair_value

        with console.status("pricing the tranche (Monte Carlo OAS)"):
            model = fair_value(spec, tranche, curve, oas_bp=oas_bp, paths=paths)
        fair = model.price
    fig = side_by_side(s, fair)
    if model is not None:
        fig |= {"model_se": model.price_se, "model_oas_bp": model.oas_bp, "paths": model.paths}
    if fmt == "json":
        console.print_json(json.dumps(fig))
        return
    side = Table(title=f"TrancheMarket {pool}: pool against model (per 100 of current face)")
    for col in ("bid depth", "ask depth", "pool spot", "TWAP", "fair value", "rich / cheap"):
        side.add_column(col, justify="right")
    side.add_row(
        units_text(s.cash, DECIMALS),
        units_text(fig["depth_ask_units"], DECIMALS),
        f"{s.spot_per_100:.4f}",
        f"{s.twap_per_100:.4f}",
        "-" if fair is None else f"{fair:.4f}",
        _rc(fig["rich_cheap_bp"]),
    )
    console.print(side)
    table = Table(title="pool state")
    table.add_column("item")
    table.add_column("value", justify="right")
    table.add_row("tranche tokens", units_text(s.tokens, DECIMALS))
    table.add_row("current face", units_text(s.current_face, DECIMALS))
    table.add_row("cash", units_text(s.cash, DECIMALS))
    table.add_row("factor", f"{s.factor:.6f}")
    table.add_row("LP shares", units_text(s.shares, DECIMALS))
    table.add_row("fee / amp", f"{s.fee_bps} bp / {s.amp}")
    table.add_row("spot price (per 100 current face, clean)", f"{s.spot_per_100:.4f}")
    table.add_row("accrued interest (per 100)", f"{s.accrued_per_100:.4f}")
    table.add_row("distributions waiting", units_text(s.pending_distribution, DECIMALS))
    if model is not None:
        table.add_row(
            f"model price @ OAS {model.oas_bp:g} bp",
            f"{model.price:.4f} ± {model.price_se:.4f} ({model.paths} paths)",
        )
    if fig["twap_vs_fair_bp"] is not None:
        table.add_row("TWAP vs fair value", _rc(fig["twap_vs_fair_bp"]))
    console.print(table)
    if model is not None:
        console.print(
            "model: the spec's tranche priced from its cut-off, per 100 of face; "
            "the pool: clean price per 100 of current face",
            highlight=False,
        )


@app.command()
def quote(
    side: SideArg,
    amount: AmountArg,
    pool: PoolOpt,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Exact output of a swap at the pool's current state (after its pending sync)."""
    m = _market(rpc_url, deployments, key_env, pool)
    units = amount_units(amount, DECIMALS, "amount")
    out = m.quote(side, units)
    what = "tokens" if side == "buy" else "cash"
    console.print(f"{side} {amount}: {units_text(out, DECIMALS)} {what} out", highlight=False)


@app.command()
def swap(
    side: SideArg,
    amount: AmountArg,
    pool: PoolOpt,
    slippage_bp: Annotated[int, typer.Option("--slippage-bp", help="min-out below the quote")] = 50,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Swap with a minimum output (quote less --slippage-bp) and a 10-minute deadline."""
    m = _market(rpc_url, deployments, key_env, pool)
    units = amount_units(amount, DECIMALS, "amount")
    out = m.swap(side, units, slippage_bps=slippage_bp)
    console.print(f"{side} {amount}: got {units_text(out, DECIMALS)}", highlight=False)


@app.command()
def add(
    pool: PoolOpt,
    tokens: Annotated[str, typer.Option("--tokens", help="most tranche tokens to deposit")],
    cash: Annotated[str, typer.Option("--cash", help="most cash to deposit")],
    shares: Annotated[
        str, typer.Option("--shares", help="LP shares wanted (not when seeding)")
    ] = "0",
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Add liquidity in the pool's proportions (an empty pool is seeded with exactly both)."""
    m = _market(rpc_url, deployments, key_env, pool)
    m.add(
        amount_units(shares, DECIMALS, "--shares"),
        amount_units(tokens, DECIMALS, "--tokens"),
        amount_units(cash, DECIMALS, "--cash"),
    )
    console.print("liquidity added", highlight=False)


@app.command()
def remove(
    pool: PoolOpt,
    shares: Annotated[str, typer.Option("--shares", help="LP shares to burn")],
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Remove liquidity pro rata (accrued LP distributions stay claimable)."""
    m = _market(rpc_url, deployments, key_env, pool)
    m.remove(amount_units(shares, DECIMALS, "--shares"))
    console.print("liquidity removed", highlight=False)


from .market_stress import stress as _stress  # noqa: E402  (issue 11 stress, H12)

app.command("stress")(_stress)

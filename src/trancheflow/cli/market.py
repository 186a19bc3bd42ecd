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


@app.command()
def status(
    pool: PoolOpt,
    spec: Annotated[Path | None, typer.Option("--spec", help="deal spec for the model")] = None,
    tranche: Annotated[str | None, typer.Option("--tranche", help="tranche name")] = None,
    curve: Annotated[Path | None, typer.Option("--curve", help="zero curve CSV")] = None,
    oas_bp: Annotated[float, typer.Option("--oas", help="model OAS in bp")] = 100.0,
    paths: Annotated[int, typer.Option("--paths", help="Monte Carlo paths")] = 200,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Depth, price per 100 of current face, TWAP and (optionally) the model's fair value."""
    from trancheflow.errors import MarketError

    model = None
    given = [x is not None for x in (spec, tranche, curve)]
    if any(given) and not all(given):
        raise MarketError("fair value needs all of --spec, --tranche and --curve")
    m = _market(rpc_url, deployments, key_env, pool)
    s = m.status()
    if spec is not None and tranche is not None and curve is not None:
        from trancheflow.market.fair import fair_value

        with console.status("pricing the tranche (Monte Carlo OAS)"):
            model = fair_value(spec, tranche, curve, oas_bp=oas_bp, paths=paths)
    table = Table(title=f"TrancheMarket {pool}")
    table.add_column("item")
    table.add_column("value", justify="right")
    table.add_row("tranche tokens", units_text(s.tokens, DECIMALS))
    table.add_row("current face", units_text(s.current_face, DECIMALS))
    table.add_row("cash", units_text(s.cash, DECIMALS))
    table.add_row("factor", f"{s.factor:.6f}")
    table.add_row("LP shares", units_text(s.shares, DECIMALS))
    table.add_row("fee / amp", f"{s.fee_bps} bp / {s.amp}")
    table.add_row("spot price (per 100 current face)", f"{s.spot_per_100:.4f}")
    table.add_row("TWAP", f"{s.twap_per_100:.4f}")
    table.add_row("distributions waiting", units_text(s.pending_distribution, DECIMALS))
    if model is not None:
        table.add_row(
            f"model price @ OAS {model.oas_bp:g} bp",
            f"{model.price:.4f} ± {model.price_se:.4f} ({model.paths} paths)",
        )
        table.add_row("pool - model (points)", f"{s.spot_per_100 - model.price:+.4f}")
    console.print(table)
    if model is not None:
        console.print(
            "model: the spec's tranche priced from its cut-off, per 100 of face; "
            "the pool: per 100 of current face",
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

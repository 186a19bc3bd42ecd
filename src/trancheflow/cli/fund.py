"""``trancheflow insurance``: operate a deal's first-loss insurance fund.

The fund is found from the deal (``Deal.insurance_fund()``) unless
``--fund`` names it. Amounts are in the settlement currency (``1,000.50``)
or, for shares, in share units as printed by ``status``. Every command
checks the deployment against ``--spec``/``--tape`` when given (exit 2 on a
mismatch) and sends from the account of ``--key-env``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from trancheflow.errors import ChainError

from ._chainopts import (
    DirOpt,
    KeyOpt,
    RpcOpt,
    SpecOpt,
    TapeOpt,
    amount_units,
    client,
    load_deal,
    units_text,
)

app = typer.Typer(help="insurance fund: deposit, request, redeem, status", no_args_is_help=True)
console = Console()

DealArg = Annotated[str, typer.Argument(help="deal name, as recorded at deployment")]
FundOpt = Annotated[
    str | None, typer.Option("--fund", help="fund address (default: the deal's insurance fund)")
]
_ZERO = "0x" + "00" * 20


def _fund(
    deal: str, fund: str | None, spec: Path | None, tape: Path | None, rpc: str | None,
    deployments: Path, key_env: str,
) -> tuple[Any, Any, str]:  # fmt: skip
    c = client(rpc, deployments, key_env)
    h, _, _ = load_deal(c, deal, spec, tape)
    addr = fund or str(c.backend.call("Deal", h.address, "insurance_fund"))
    if addr.lower() == _ZERO:
        raise ChainError(f"deal {deal} has no insurance fund (pass --fund ADDRESS)")
    return c, h, addr


@app.command()
def status(
    deal: DealArg,
    fund: FundOpt = None,
    holder: Annotated[str | None, typer.Option("--holder", help="default: the sender")] = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Fund assets, shares, cover room and a holder's position and pending request."""
    c, h, addr = _fund(deal, fund, spec, tape, rpc_url, deployments, key_env)
    dec = h.record.decimals
    who = holder or c.accounts[0]

    def v(fn: str, *args: Any) -> Any:
        return c.backend.call("InsuranceFund", addr, fn, list(args))

    shares = int(v("balanceOf", who))
    req = v("requests", who)
    table = Table(title=f"insurance fund {addr}")
    table.add_column("item")
    table.add_column("value", justify="right")
    table.add_row("total assets", units_text(int(v("totalAssets")), dec))
    table.add_row("total shares", f"{int(v('totalSupply')):,}")
    table.add_row("cover room this period", units_text(int(v("cover_room")), dec))
    table.add_row("cap per period", units_text(int(v("cap_per_period")), dec))
    table.add_row("withdrawals blocked", str(bool(v("withdrawals_blocked"))))
    table.add_row(f"{who} shares", f"{shares:,}")
    table.add_row(f"{who} shares worth", units_text(int(v("convertToAssets", shares)), dec))
    table.add_row(f"{who} redeemable now", f"{int(v('maxRedeem', who)):,}")
    r_shares, unlock = int(req[0]), int(req[1])
    table.add_row(
        f"{who} request",
        f"{r_shares:,} shares, redeemable from {unlock}" if r_shares else "none",
    )
    console.print(table)


@app.command()
def deposit(
    deal: DealArg,
    amount: Annotated[str, typer.Option("--amount", help="settlement amount to deposit")],
    fund: FundOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Deposit settlement tokens for fund shares (approves the fund if needed)."""
    c, h, addr = _fund(deal, fund, spec, tape, rpc_url, deployments, key_env)
    units = amount_units(amount, h.record.decimals, "--amount")
    me = c.accounts[0]
    token = h.record.settlement
    if int(c.backend.call("MockUSDC", token, "allowance", [me, addr])) < units:
        c.backend.transact("MockUSDC", token, "approve", [addr, units])
    before = int(c.backend.call("InsuranceFund", addr, "balanceOf", [me]))
    c.backend.transact("InsuranceFund", addr, "deposit", [units, me])
    got = int(c.backend.call("InsuranceFund", addr, "balanceOf", [me])) - before
    console.print(f"deposited {units_text(units, h.record.decimals)} for {got:,} shares")


@app.command()
def request(
    deal: DealArg,
    shares: Annotated[int, typer.Option("--shares", help="shares to redeem after the cooldown")],
    fund: FundOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Request a redemption (starts the cooldown)."""
    c, _, addr = _fund(deal, fund, spec, tape, rpc_url, deployments, key_env)
    if shares <= 0:
        raise ChainError(f"--shares {shares} must be positive")
    tx = c.backend.transact("InsuranceFund", addr, "request_redeem", [shares])
    cooldown = int(c.backend.call("InsuranceFund", addr, "COOLDOWN"))
    console.print(
        f"redemption of {shares:,} shares requested in block {tx.block_number}; "
        f"redeemable after {cooldown} s"
    )


@app.command()
def redeem(
    deal: DealArg,
    shares: Annotated[
        int | None, typer.Option("--shares", help="shares (default: all redeemable now)")
    ] = None,
    fund: FundOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Redeem matured requested shares for settlement tokens."""
    c, h, addr = _fund(deal, fund, spec, tape, rpc_url, deployments, key_env)
    me = c.accounts[0]
    n = int(c.backend.call("InsuranceFund", addr, "maxRedeem", [me])) if shares is None else shares
    if n <= 0:
        raise ChainError(f"{me} has no matured redemption request on fund {addr}")
    before = c.token_balance(h.record.settlement, me)
    c.backend.transact("InsuranceFund", addr, "redeem", [n, me, me])
    paid = c.token_balance(h.record.settlement, me) - before
    console.print(f"redeemed {n:,} shares for {units_text(paid, h.record.decimals)}")

"""``trancheflow chain``: deploy and operate on-chain deals, thin over the chain client.

Without ``--rpc-url`` (or ``TRANCHEFLOW_RPC_URL``) ``deploy`` runs on the
embedded titanoboa chain, which lives only for the process: a dry run that
shows the addresses and checks the spec deploys. With a URL, the signing key
comes only from ``TRANCHEFLOW_PRIVATE_KEY`` and deployments are recorded in
``deployments/<chain_id>.json``; the other commands find the deal there by
name. Given ``--spec`` (and ``--tape``), every command first checks the
deployment record against them and the chain (chain id, token addresses, spec
hash, tape root) and refuses a mismatch with exit status 2.

``report`` builds its numbers from the collateral model: SIMULATION/DEMO
only. A servicer reports actual collections with ``trancheflow servicer
report --remittance FILE``.
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
    amount_units,
    client,
    keys_from_env,
    load_deal,
    units_text,
)

app = typer.Typer(help="on-chain deals: deploy, status, reports, claims", no_args_is_help=True)
console = Console()

SpecOpt = Annotated[
    Path | None,
    typer.Option("--spec", help="the deal's spec YAML: checked against the deployment"),
]
TapeOpt = Annotated[Path | None, typer.Option("--tape", help="loan tape (default: spec's)")]
DealArg = Annotated[str, typer.Argument(help="deal name, as recorded at deployment")]


def _client(rpc_url: str | None, deployments: Path, key_env: str, *, need_node: bool) -> Any:
    return client(rpc_url, deployments, key_env, need_node=need_node)


def _units(x: int, decimals: int) -> str:
    return f"{x / 10**decimals:,.{min(decimals, 2)}f}"


def _date(ts: int) -> str:
    """Unix seconds as a UTC date-time."""
    import datetime as dt

    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


@app.command()
def deploy(
    spec: Annotated[Path, typer.Argument(help="deal spec YAML file")],
    tape: Annotated[
        Path | None, typer.Option("--tape", help="loan tape (default: the spec's)")
    ] = None,
    rpc_url: RpcOpt = None,
    signer: Annotated[
        list[str] | None,
        typer.Option("--signer", help="oracle signer address (repeat); default: the sender"),
    ] = None,
    quorum: Annotated[int, typer.Option("--quorum", min=1, help="signatures a report needs")] = 1,
    dispute_window: Annotated[
        int,
        typer.Option("--dispute-window", min=0, help="seconds before a report may be finalized"),
    ] = 86_400,
    settlement: Annotated[
        str | None,
        typer.Option("--settlement", help="settlement token address (default: a fresh MockUSDC)"),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="record name (default: spec deal)")
    ] = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Deploy a deal (settlement mock unless given, token blueprint, deal, tokens) and close it."""
    for addr in [*(signer or []), *([settlement] if settlement else [])]:
        if not (len(addr) == 42 and addr[:2] in ("0x", "0X") and _is_hex(addr[2:])):
            raise typer.BadParameter(
                f"{addr!r} is not an address (0x and 40 hex digits)",
                param_hint="--signer" if addr != settlement else "--settlement",
            )
    client = _client(rpc_url, deployments, key_env, need_node=False)
    signers = list(signer or [client.accounts[0]])
    deal = client.deploy_deal(
        spec,
        tape,
        signers=signers,
        quorum=quorum,
        dispute_window=dispute_window,
        settlement=settlement,
        name=name,
    )
    rec = deal.record
    table = Table(title=f"{rec.name} on {client.backend.description}")
    table.add_column("contract")
    table.add_column("address")
    table.add_row("deal", rec.deal)
    for t in rec.tokens:
        table.add_row(f"tranche {t.tranche} ({t.symbol})", t.address)
    table.add_row("settlement", rec.settlement)
    table.add_row("token blueprint", rec.blueprint)
    console.print(table)
    console.print(
        f"block {rec.block}, spec hash {rec.spec_hash}, tape root {rec.tape_root}", soft_wrap=True
    )
    path = client.deployments.path(client.chain_id)
    if rpc_url is None:
        console.print(
            "[yellow]embedded chain: this deployment lives only for this process[/] "
            "(pass --rpc-url to deploy to a node)"
        )
    else:
        console.print(f"recorded in {path}")


@app.command()
def status(
    deal: DealArg,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Periods, pool balance, reserve, pending report and each tranche's balance and factor."""
    client = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(client, deal, spec, tape)
    dec = h.record.decimals
    pending, at, cash, _ = h.pending_report()
    console.print(
        f"{h.record.name} at {h.address}: period {h.period()}, pool "
        f"{_units(h.pool_balance(), dec)}, reserve {_units(h.reserve(), dec)}"
        + (f", report pending since {_date(at)} with cash {_units(cash, dec)}" if pending else ""),
        soft_wrap=True,
    )
    table = Table()
    for col in ("tranche", "balance", "factor"):
        table.add_column(col, justify="left" if col == "tranche" else "right")
    for i, (name, bal) in enumerate(h.tranche_balances().items()):
        table.add_row(name, _units(bal, dec), f"{h.factor(i) / 10**18:.8f}")
    console.print(table)


@app.command()
def report(
    deal: DealArg,
    period: Annotated[int, typer.Option("--period", help="period to report (next open one)")],
    spec: Annotated[Path, typer.Option("--spec", help="the deal's spec YAML")],
    tape: Annotated[Path | None, typer.Option("--tape", help="loan tape (default: spec's)")] = None,
    signer_keys_env: Annotated[
        str,
        typer.Option("--signer-keys-env", help="env var with comma-separated signer keys"),
    ] = "TRANCHEFLOW_SIGNER_KEYS",
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """SIMULATION/DEMO: submit period N's report projected by the model (not actual data).

    A servicer reports actual collections with ``trancheflow servicer report``.
    """
    from trancheflow.chain.reports import sign_report
    from trancheflow.chain.servicer import ServicerFeed

    client = _client(rpc_url, deployments, key_env, need_node=True)
    h, s, pool = load_deal(client, deal, spec, tape)
    keys = keys_from_env(signer_keys_env)
    feed = ServicerFeed(s, pool)
    r = feed.report(period)
    tx = h.submit_report(r, sign_report(r, keys, client.chain_id, h.address))
    console.print(
        f"period {period} report submitted in block {tx.block_number} ({tx.tx_hash}): cash "
        f"{_units(r.cash, h.record.decimals)}, losses {_units(r.losses, h.record.decimals)}, "
        f"60+ {_units(r.delinquent_60_plus, h.record.decimals)}",
        soft_wrap=True,
    )


@app.command()
def finalize(
    deal: DealArg,
    period: Annotated[int, typer.Option("--period", help="the pending period")],
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Finalize period N after its dispute window (runs the on-chain waterfall)."""
    client = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(client, deal, spec, tape)
    tx = h.finalize(period)
    console.print(
        f"period {period} finalized in block {tx.block_number}; pool "
        f"{_units(h.pool_balance(), h.record.decimals)}"
    )


@app.command()
def claim(
    deal: DealArg,
    tranche: Annotated[str, typer.Option("--tranche", help="tranche name")],
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Claim what the sending account is owed on a tranche."""
    client = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(client, deal, spec, tape)
    paid = h.claim(tranche)
    console.print(
        f"{client.accounts[0]} claimed {_units(paid, h.record.decimals)} ({paid} units) "
        f"on tranche {tranche}",
        soft_wrap=True,
    )


# ------------------------------------------------------------------ operators
AmountOpt = Annotated[str, typer.Option("--amount", help="amount in currency (1,000.50)")]


@app.command()
def fund(
    deal: DealArg,
    amount: AmountOpt,
    to: Annotated[
        str | None, typer.Option("--to", help="receiver (default: the sending account)")
    ] = None,
    mint: Annotated[
        bool,
        typer.Option("--mint", help="mint a MockUSDC settlement token (development chains only)"),
    ] = False,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Fund an account (the servicer) with the settlement token: transfer, or mint a mock."""
    c = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(c, deal, spec, tape)
    units = amount_units(amount, h.record.decimals, "--amount")
    receiver = to or c.accounts[0]
    token = h.record.settlement
    if mint:
        c.mint_mock(token, receiver, units)
        how = "minted (MockUSDC)"
    else:
        c.backend.transact("MockUSDC", token, "transfer", [receiver, units])
        how = f"transferred from {c.accounts[0]}"
    console.print(
        f"{units_text(units, h.record.decimals)} {how} to {receiver}; balance "
        f"{units_text(c.token_balance(token, receiver), h.record.decimals)}",
        soft_wrap=True,
    )


@app.command()
def approve(
    deal: DealArg,
    amount: Annotated[
        str | None, typer.Option("--amount", help="allowance (default: unlimited)")
    ] = None,
    spender: Annotated[
        str | None, typer.Option("--spender", help="spender (default: the deal)")
    ] = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Approve the deal (or ``--spender``) to pull the settlement token from the sender."""
    c = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(c, deal, spec, tape)
    units = 2**256 - 1 if amount is None else amount_units(amount, h.record.decimals, "--amount")
    target = spender or h.address
    c.backend.transact("MockUSDC", h.record.settlement, "approve", [target, units])
    console.print(
        f"{c.accounts[0]} approved {target} for "
        f"{'unlimited' if amount is None else units_text(units, h.record.decimals)}",
        soft_wrap=True,
    )


@app.command()
def veto(
    deal: DealArg,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Veto the pending report (a signer or the guardian, inside the dispute window)."""
    c = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(c, deal, spec, tape)
    tx = h.veto()
    console.print(f"pending report vetoed in block {tx.block_number}; its cash went back")


@app.command("claim-fee")
def claim_fee(
    deal: DealArg,
    fee: Annotated[int, typer.Option("--fee", help="fee number, spec order from 0")] = 0,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Pay fee N what it is owed (to its recipient; anyone may trigger it)."""
    c = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(c, deal, spec, tape)
    tx = h.claim_fee(fee)
    paid = sum(
        int(a["amount"]) for n, a in (c.decoder.decode(log) for log in tx.logs) if n == "FeeClaimed"
    )
    console.print(f"fee {fee}: {units_text(paid, h.record.decimals)} paid ({paid} units)")


@app.command("claim-residual")
def claim_residual(
    deal: DealArg,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Pay the residual holder what it is owed (anyone may trigger it)."""
    c = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(c, deal, spec, tape)
    tx = h.claim_residual()
    paid = sum(
        int(a["amount"])
        for n, a in (c.decoder.decode(log) for log in tx.logs)
        if n == "ResidualClaimed"
    )
    console.print(f"residual: {units_text(paid, h.record.decimals)} paid ({paid} units)")


@app.command()
def transfer(
    deal: DealArg,
    tranche: Annotated[str, typer.Option("--tranche", help="tranche name")],
    to: Annotated[str, typer.Option("--to", help="receiver address")],
    amount: AmountOpt,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Transfer tranche tokens (face amount) from the sending account."""
    c = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(c, deal, spec, tape)
    units = amount_units(amount, h.record.decimals, "--amount")
    tx = h.transfer(tranche, c.accounts[0], to, units)
    console.print(
        f"{units_text(units, h.record.decimals)} of tranche {tranche} sent to {to} in block "
        f"{tx.block_number}",
        soft_wrap=True,
    )


@app.command()
def sell(
    deal: DealArg,
    tranche: Annotated[str, typer.Option("--tranche", help="tranche name")],
    amount: AmountOpt,
    price: Annotated[str, typer.Option("--price", help="price as a decimal of face (1 = par)")],
    hours: Annotated[float, typer.Option("--hours", help="sale window from now", min=0)] = 24.0,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Open a fixed-price subscription sale of tranche tokens held by the sender."""
    from trancheflow.chain.subscription import open_subscription

    c = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(c, deal, spec, tape)
    units = amount_units(amount, h.record.decimals, "--amount")
    now = c.timestamp()
    sale = open_subscription(
        h, tranche, amount=units, price=price, start=now, end=now + int(hours * 3600)
    )
    console.print(f"sale of {units_text(units, h.record.decimals)} {tranche} at {sale.address}")


@app.command()
def buy(
    deal: DealArg,
    sale: Annotated[str, typer.Option("--sale", help="subscription sale address")],
    tranche: Annotated[str, typer.Option("--tranche", help="tranche on sale")],
    amount: AmountOpt,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Buy tranche tokens from a subscription sale (approves the cost)."""
    from trancheflow.chain.subscription import SubscriptionSale

    c = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(c, deal, spec, tape)
    units = amount_units(amount, h.record.decimals, "--amount")
    cost = SubscriptionSale(h, sale, tranche).buy(units, c.accounts[0])
    console.print(
        f"bought {units_text(units, h.record.decimals)} {tranche} for "
        f"{units_text(cost, h.record.decimals)}"
    )


@app.command("time")
def chain_time(
    advance: Annotated[
        int, typer.Option("--advance", help="seconds to move a local node's clock", min=0)
    ] = 0,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Print the chain's time; ``--advance`` moves a local node's clock (anvil, hardhat)."""
    import datetime as dt

    c = _client(rpc_url, deployments, key_env, need_node=True)
    if advance:
        c.advance_time(advance)
    t = c.timestamp()
    console.print(
        f"chain {c.chain_id} time {t} "
        f"({dt.datetime.fromtimestamp(t, dt.UTC):%Y-%m-%d %H:%M:%S} UTC)"
    )


@app.command()
def wait(
    deal: DealArg,
    advance: Annotated[
        bool, typer.Option("--advance", help="move a local node's clock instead of sleeping")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds to wait at most")] = 3600,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Wait until the pending report's dispute window closes (so it can be finalized)."""
    import time

    c = _client(rpc_url, deployments, key_env, need_node=True)
    h, _, _ = load_deal(c, deal, None, None)
    pending, at, _, _ = h.pending_report()
    if not pending:
        raise ChainError(f"deal {deal}: no report pending (period {h.period()} finalized)")
    window = int(c.backend.call("Deal", h.address, "DISPUTE_WINDOW"))
    due = at + window
    if advance:
        gap = due - c.timestamp()
        if gap > 0:
            c.advance_time(gap)
    else:
        stop = time.monotonic() + timeout
        while c.timestamp() < due:
            if time.monotonic() > stop:
                raise ChainError(f"deal {deal}: dispute window still open after {timeout:.0f} s")
            time.sleep(min(5.0, max(0.5, due - c.timestamp())))
    console.print(
        f"deal {deal}: dispute window closed at {_date(due)}; period {h.period() + 1} can be "
        "finalized"
    )

"""``trancheflow chain``: deploy and operate on-chain deals, thin over the chain client.

Without ``--rpc-url`` (or ``TRANCHEFLOW_RPC_URL``) ``deploy`` runs on the
embedded titanoboa chain, which lives only for the process: a dry run that
shows the addresses and checks the spec deploys. With a URL, the signing key
comes only from ``TRANCHEFLOW_PRIVATE_KEY`` and deployments are recorded in
``deployments/<chain_id>.json``; ``status``, ``report``, ``finalize`` and
``claim`` find the deal there by name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from trancheflow.errors import ChainError

app = typer.Typer(help="on-chain deals: deploy, status, reports, claims", no_args_is_help=True)
console = Console()

RpcOpt = Annotated[
    str | None,
    typer.Option(
        "--rpc-url", envvar="TRANCHEFLOW_RPC_URL", help="JSON-RPC node (default: embedded)"
    ),
]
DirOpt = Annotated[
    Path, typer.Option("--deployments", help="folder of <chain_id>.json deployment records")
]
KeyOpt = Annotated[
    str,
    typer.Option("--key-env", help="environment variable holding the sending key"),
]
DealArg = Annotated[str, typer.Argument(help="deal name, as recorded at deployment")]


def _client(rpc_url: str | None, deployments: Path, key_env: str, *, need_node: bool) -> Any:
    from trancheflow.chain.client import DealClient

    if rpc_url is None:
        if need_node:
            raise ChainError(
                "this command needs a node: pass --rpc-url or set TRANCHEFLOW_RPC_URL "
                "(an embedded deployment lives only inside the process that made it)"
            )
        return DealClient.embedded()
    return DealClient.connect(rpc_url, private_key_env=key_env, deployments_dir=deployments)


def _units(x: int, decimals: int) -> str:
    return f"{x / 10**decimals:,.{min(decimals, 2)}f}"


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
    quorum: Annotated[int, typer.Option("--quorum", help="signatures a report needs")] = 1,
    dispute_window: Annotated[
        int, typer.Option("--dispute-window", help="seconds before a report may be finalized")
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
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Periods, pool balance, reserve, pending report and each tranche's balance and factor."""
    client = _client(rpc_url, deployments, key_env, need_node=True)
    h = client.load_deployment(deal)
    dec = h.record.decimals
    pending, at, cash, _ = h.pending_report()
    console.print(
        f"{h.record.name} at {h.address}: period {h.period()}, pool "
        f"{_units(h.pool_balance(), dec)}, reserve {_units(h.reserve(), dec)}"
        + (f", report pending since {at} with cash {_units(cash, dec)}" if pending else ""),
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
    """Build period N's servicer report from the collateral engine, sign and submit it."""
    from trancheflow.chain.reports import sign_report
    from trancheflow.chain.servicer import ServicerFeed
    from trancheflow.deal.spec import load_spec

    client = _client(rpc_url, deployments, key_env, need_node=True)
    h = client.load_deployment(deal)
    keys = [k.strip() for k in os.environ.get(signer_keys_env, "").split(",") if k.strip()]
    if not keys:
        raise ChainError(
            f"environment variable {signer_keys_env} is not set: it holds the oracle "
            "signers' keys, comma-separated (keys are read only from the environment)"
        )
    s = load_spec(spec, onchain=True)
    feed = ServicerFeed(s, None if tape is None else _read_tape(tape))
    r = feed.report(period)
    tx = h.submit_report(r, sign_report(r, keys, client.chain_id, h.address))
    console.print(
        f"period {period} report submitted in block {tx.block_number} ({tx.tx_hash}): cash "
        f"{_units(r.cash, h.record.decimals)}, losses {_units(r.losses, h.record.decimals)}, "
        f"60+ {_units(r.delinquent_60_plus, h.record.decimals)}",
        soft_wrap=True,
    )


def _read_tape(path: Path) -> Any:
    from trancheflow.tape.io import read_tape

    return read_tape(path)


@app.command()
def finalize(
    deal: DealArg,
    period: Annotated[int, typer.Option("--period", help="the pending period")],
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Finalize period N after its dispute window (runs the on-chain waterfall)."""
    client = _client(rpc_url, deployments, key_env, need_node=True)
    h = client.load_deployment(deal)
    tx = h.finalize(period)
    console.print(
        f"period {period} finalized in block {tx.block_number}; pool "
        f"{_units(h.pool_balance(), h.record.decimals)}"
    )


@app.command()
def claim(
    deal: DealArg,
    tranche: Annotated[str, typer.Option("--tranche", help="tranche name")],
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Claim what the sending account is owed on a tranche."""
    client = _client(rpc_url, deployments, key_env, need_node=True)
    h = client.load_deployment(deal)
    paid = h.claim(tranche)
    console.print(
        f"{client.accounts[0]} claimed {_units(paid, h.record.decimals)} ({paid} units) "
        f"on tranche {tranche}",
        soft_wrap=True,
    )

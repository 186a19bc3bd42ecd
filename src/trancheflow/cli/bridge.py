"""``trancheflow bridge``: the Hyperlane agents (validator, relayer) and an embedded demo.

``validator`` signs the checkpoints of one origin chain's merkle-tree hook
into its SQLite file; ``relayer`` reads an origin's dispatches, gathers the
validators' checkpoints (their SQLite files, opened read-only) and calls
``process`` on the destination's Mailbox. Both resume from their state file
after a restart. ``send``/``return``/``claim`` move tranche tokens between
the hub's TrancheGateway and a spoke's SpokeTranche and claim on the spoke.
``demo`` (logic in :mod:`trancheflow.bridge.demo`) runs a hub and two spokes
in process: reports, cash and tranche tokens; 2-of-3 validators with
development keys derived from fixed labels (never use them for value).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from trancheflow.errors import BridgeError

app = typer.Typer(help="bridge: Hyperlane validator and relayer agents", no_args_is_help=True)
console = Console()

Interval = Annotated[float, typer.Option(help="seconds between steps")]
Steps = Annotated[int, typer.Option(help="steps to run (0: until interrupted)")]


def _key(env: str) -> bytes:
    raw = os.environ.get(env, "").strip()
    if not raw:
        raise BridgeError(f"validator key: environment variable {env} is not set")
    try:
        key = bytes.fromhex(raw.removeprefix("0x"))
    except ValueError:
        raise BridgeError(f"validator key in {env}: not hex") from None
    if len(key) != 32:
        raise BridgeError(f"validator key in {env}: {len(key)} bytes, expected 32")
    return key


def _loop(step: object, steps: int, interval: float) -> None:
    n = 0
    while steps == 0 or n < steps:
        step()  # type: ignore[operator]
        n += 1
        if steps == 0 or n < steps:
            time.sleep(interval)


@app.command()
def validator(
    rpc_url: Annotated[str, typer.Option("--rpc-url", help="origin chain JSON-RPC URL")],
    mailbox: Annotated[str, typer.Option(help="origin Mailbox address")],
    db: Annotated[Path, typer.Option(help="SQLite state file (its checkpoints are published)")],
    key_env: Annotated[str, typer.Option(help="env var with the validator key")] = (
        "TRANCHEFLOW_VALIDATOR_KEY"
    ),
    gas_key_env: Annotated[str, typer.Option(help="env var with a key for RPC reads")] = (
        "TRANCHEFLOW_PRIVATE_KEY"
    ),
    confirmations: Annotated[int, typer.Option(help="blocks to wait before signing")] = 1,
    steps: Steps = 1,
    interval: Interval = 2.0,
) -> None:
    """Sign every new checkpoint of the origin's merkle-tree hook."""
    from trancheflow.bridge.rpc import RpcChain, core_at
    from trancheflow.bridge.validator import Validator

    key = _key(key_env)  # before any network call: a missing key is the first error
    chain = RpcChain(rpc_url, gas_key_env)
    v = Validator(chain, core_at(chain, mailbox), key, db, confirmations=confirmations)

    def step() -> None:
        n = v.step()
        console.print(
            f"validator {v.address}: signed {n}, leaves {v.tree.count}, block {v.last_block}"
        )

    _loop(step, steps, interval)


@app.command()
def relayer(
    origin_rpc: Annotated[str, typer.Option("--origin-rpc", help="origin JSON-RPC URL")],
    origin_mailbox: Annotated[str, typer.Option(help="origin Mailbox address")],
    dest_rpc: Annotated[str, typer.Option("--dest-rpc", help="destination JSON-RPC URL")],
    dest_mailbox: Annotated[str, typer.Option(help="destination Mailbox address")],
    checkpoints: Annotated[
        list[Path], typer.Option("--checkpoints", help="a validator's SQLite file (repeat)")
    ],
    db: Annotated[Path, typer.Option(help="relayer SQLite state file")],
    key_env: Annotated[str, typer.Option(help="env var with the key paying for process")] = (
        "TRANCHEFLOW_PRIVATE_KEY"
    ),
    steps: Steps = 1,
    interval: Interval = 2.0,
) -> None:
    """Deliver the origin's dispatched messages to the destination."""
    from trancheflow.bridge.relayer import Relayer
    from trancheflow.bridge.rpc import RpcChain, core_at
    from trancheflow.bridge.validator import CheckpointStore

    origin, dest = RpcChain(origin_rpc, key_env), RpcChain(dest_rpc, key_env)
    ocore, dcore = core_at(origin, origin_mailbox), core_at(dest, dest_mailbox)
    stores = [CheckpointStore(p, ocore.domain, ocore.merkle_tree_hook) for p in checkpoints]
    r = Relayer(origin, ocore, {dcore.domain: (dest, dcore)}, stores, db)

    def step() -> None:
        done = r.step()
        waiting = [d for d in r.deliveries() if d.status == "pending"]
        console.print(f"relayer: delivered {len(done)}, pending {len(waiting)}")
        for d in waiting:
            console.print(f"  nonce {d.nonce}: {d.last_error}")

    _loop(step, steps, interval)


@app.command()
def demo(
    periods: Annotated[int, typer.Option(help="hub periods to run (a spoke misses period 2)")] = 3,
) -> None:
    """A hub and two spokes in process: reports, cash and tranche tokens over Hyperlane."""
    from trancheflow.bridge.demo import run_demo

    out = run_demo(periods, console)
    if not out.ok:
        console.print("[red]a check failed (see NO above)[/red]")
        raise typer.Exit(1)


def _token_chain(rpc_url: str, key_env: str, source: str, address: str) -> object:
    from trancheflow.bridge.routes import CONTRACTS
    from trancheflow.bridge.rpc import RpcChain
    from trancheflow.bridge.tokens import attach_vyper

    chain = RpcChain(rpc_url, key_env)
    attach_vyper(chain, CONTRACTS / source, address)
    return chain


Rpc = Annotated[str, typer.Option("--rpc-url", help="JSON-RPC URL of the chain")]
KeyEnv = Annotated[str, typer.Option(help="env var with the sender's key")]
Amount = Annotated[int, typer.Option(help="token units (original face)", min=1)]


@app.command()
def send(
    rpc_url: Rpc,
    gateway: Annotated[str, typer.Option(help="hub TrancheGateway address")],
    token: Annotated[str, typer.Option(help="hub TrancheToken address")],
    spoke_domain: Annotated[int, typer.Option(help="the spoke's Hyperlane domain")],
    to: Annotated[str, typer.Option(help="holder on the spoke")],
    amount: Amount,
    key_env: KeyEnv = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Lock tranche tokens on the hub and mint them on a spoke (accrued distributions
    stay claimable on the hub)."""
    from trancheflow.bridge.routes import CONTRACTS
    from trancheflow.bridge.tokens import attach_vyper

    chain = _token_chain(rpc_url, key_env, "TrancheGateway.vy", gateway)
    attach_vyper(chain, CONTRACTS.parent / "TrancheToken.vy", token)
    c = chain  # type: Any
    c.transact(token, "approve", [gateway, amount])
    tx = c.transact(gateway, "send", [spoke_domain, to, amount])
    console.print(f"sent {amount:,} to {to} on domain {spoke_domain}: block {tx.block_number}")


@app.command("return")
def return_(
    rpc_url: Rpc,
    spoke_token: Annotated[str, typer.Option(help="SpokeTranche address")],
    to: Annotated[str, typer.Option(help="receiver on the hub")],
    amount: Amount,
    key_env: KeyEnv = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Burn spoke tranche tokens; the hub gateway releases them on delivery."""
    c: Any = _token_chain(rpc_url, key_env, "SpokeTranche.vy", spoke_token)
    tx = c.transact(spoke_token, "send_home", [to, amount])
    console.print(f"returning {amount:,} to {to} on the hub: block {tx.block_number}")


@app.command()
def claim(
    rpc_url: Rpc,
    spoke_token: Annotated[str, typer.Option(help="SpokeTranche address")],
    key_env: KeyEnv = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Claim accrued distributions on a spoke (paid in the warp route's synthetic token)."""
    c: Any = _token_chain(rpc_url, key_env, "SpokeTranche.vy", spoke_token)
    tx = c.transact(spoke_token, "claim", [])
    console.print(f"claimed on the spoke: block {tx.block_number}")

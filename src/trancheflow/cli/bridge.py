"""``trancheflow bridge``: the Hyperlane agents (validator, relayer) and an embedded demo.

``validator`` signs the checkpoints of one origin chain's merkle-tree hook
into its SQLite file; ``relayer`` reads an origin's dispatches, gathers the
validators' checkpoints (their SQLite files, opened read-only) and calls
``process`` on the destination's Mailbox. Both resume from their state file
after a restart. ``demo`` deploys Hyperlane's published contracts on two
in-process chains and relays spoke -> hub messages with a 2-of-3 validator
set (development keys derived from fixed labels: never use them for value).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

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
    messages: Annotated[int, typer.Option(help="spoke -> hub messages to relay")] = 3,
) -> None:
    """Two in-process chains, Hyperlane's published contracts, 2-of-3 validators."""
    from eth_account import Account
    from eth_hash.auto import keccak

    from trancheflow.bridge.chain import EmbeddedChain, deploy_core
    from trancheflow.bridge.message import address_to_bytes32
    from trancheflow.bridge.relayer import Relayer
    from trancheflow.bridge.validator import Validator

    if not 1 <= messages <= 100:
        raise BridgeError(f"--messages={messages}: must be in 1..100")
    keys = [bytes(keccak(f"trancheflow demo validator {i}".encode())) for i in range(3)]
    addrs = [Account.from_key(k).address for k in keys]
    hub, spoke = EmbeddedChain(71001), EmbeddedChain(71002)
    hub_core, spoke_core = deploy_core(hub, addrs, 2), deploy_core(spoke, addrs, 2)
    recipient = hub.deploy("TestRecipient")
    with tempfile.TemporaryDirectory(prefix="tf-bridge-") as tmp:
        vals = [Validator(spoke, spoke_core, k, Path(tmp) / f"v{i}.db") for i, k in enumerate(keys)]
        relay = Relayer(
            spoke,
            spoke_core,
            {hub.domain: (hub, hub_core)},
            [v.store() for v in vals],
            Path(tmp) / "relayer.db",
        )
        for i in range(messages):
            body = f"spoke report {i + 1}".encode()
            spoke.transact(
                spoke_core.mailbox, "dispatch", [hub.domain, address_to_bytes32(recipient), body]
            )
        for v in vals[:2]:  # the third validator is down: 2 of 3 is quorum
            v.step()
        relay.step()
        table = Table(
            title="spoke 71002 -> hub 71001 (Hyperlane @hyperlane-xyz/core 12.1.0 bytecode)"
        )
        for col in ("nonce", "status", "process gas", "message id"):
            table.add_column(col)
        for d in relay.deliveries():
            table.add_row(str(d.nonce), d.status, str(d.gas_used), "0x" + d.id.hex()[:16] + "…")
        console.print(table)
        console.print(f"hub recipient last body: {bytes(hub.call(recipient, 'lastData')).decode()}")

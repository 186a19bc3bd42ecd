"""``trancheflow bridge``: the Hyperlane agents (validator, relayer) and an embedded demo.

``validator`` signs the checkpoints of one origin chain's merkle-tree hook
into its SQLite file; ``relayer`` reads an origin's dispatches, gathers the
validators' checkpoints (their SQLite files, opened read-only) and calls
``process`` on the destination's Mailbox. Both resume from their state file
after a restart. ``demo`` deploys Hyperlane's published contracts on a hub
and two spokes in process, sends the spokes' sub-pool reports through their
outboxes to the hub inbox (one spoke misses a deadline), prints the summed
period reports beside the Python mirror, and moves cash over the warp route;
2-of-3 validators with development keys derived from fixed labels (never use
them for value).
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
    periods: Annotated[int, typer.Option(help="hub periods to run (a spoke misses period 2)")] = 3,
) -> None:
    """A hub and two spokes in process: reports and cash over Hyperlane's published contracts."""
    from eth_account import Account
    from eth_hash.auto import keccak

    from trancheflow.bridge.aggregate import HubLedger
    from trancheflow.bridge.chain import EmbeddedChain, deploy_core
    from trancheflow.bridge.message import address_to_bytes32
    from trancheflow.bridge.relayer import Relayer
    from trancheflow.bridge.routes import (
        CONTRACTS,
        deal_id,
        deploy_inbox,
        deploy_outbox,
        open_deal,
        summed_report,
    )
    from trancheflow.bridge.validator import Validator
    from trancheflow.bridge.warp import deploy_warp_route
    from trancheflow.chain.reports import ServicerReport
    from trancheflow.units import format_money

    if not 1 <= periods <= 24:
        raise BridgeError(f"--periods={periods}: must be in 1..24")
    month = 30 * 86400
    keys = [bytes(keccak(f"trancheflow demo validator {i}".encode())) for i in range(3)]
    addrs = [Account.from_key(k).address for k in keys]
    hub = EmbeddedChain(71001)
    spokes = {d: EmbeddedChain(d) for d in (71002, 71003)}
    hub_core = deploy_core(hub, addrs, 2)
    cores = {d: deploy_core(c, addrs, 2) for d, c in spokes.items()}
    inbox, deal = deploy_inbox(hub, hub_core), deal_id("demo two-spoke deal")
    servicer = {d: c.accounts[1] for d, c in spokes.items()}
    routes = {
        d: deploy_outbox(c, cores[d], hub.domain, inbox, deal, servicer[d])
        for d, c in spokes.items()
    }
    open_deal(hub, inbox, deal, list(routes.values()), hub.backend.timestamp() + month, month)
    usdc = hub.deploy_vyper(CONTRACTS.parent / "mocks" / "MockUSDC.vy")
    warp = deploy_warp_route(hub, hub_core, usdc, spokes[71002], cores[71002])
    ledger = HubLedger(list(spokes))
    table = Table(title="hub 71001: summed spoke reports (USDC; DEVELOPMENT keys)")
    for col in (
        "period",
        "interest",
        "principal",
        "60+ delinquent",
        "delinquent spokes",
        "= mirror",
    ):
        table.add_column(col)
    with tempfile.TemporaryDirectory(prefix="tf-bridge-") as tmp:
        vals = {
            d: [
                Validator(c, cores[d], k, Path(tmp) / f"v{d}-{i}.db")
                for i, k in enumerate(keys[:2])
            ]
            for d, c in spokes.items()
        }  # the third validator is down: 2 of 3 is quorum
        relays = {
            d: Relayer(
                c,
                cores[d],
                {hub.domain: (hub, hub_core)},
                [v.store() for v in vals[d]],
                Path(tmp) / f"r{d}.db",
            )
            for d, c in spokes.items()
        }
        owed: dict[int, list[tuple[ServicerReport, int]]] = {d: [] for d in spokes}
        for t in range(1, periods + 1):
            for k, d in enumerate(spokes):
                rep = ServicerReport(
                    t,
                    (5 + k) * 10**9,
                    2 * 10**10,
                    10**9,
                    0,
                    0,
                    dq60_balance=10**9,
                    loans_root=bytes(keccak(f"{d}/{t}".encode())),
                )
                owed[d].append((rep, (3 - k) * 10**12))
                if t == 2 and k == 1:
                    continue  # spoke 71003 misses period 2's deadline
                for r, bal in owed[d]:
                    spokes[d].transact(
                        routes[d].outbox, "send_report", [r.as_tuple(), bal], sender=servicer[d]
                    )
                    ledger.receive(d, r, bal)
                owed[d] = []
            for d in spokes:
                for v in vals[d]:
                    v.step()
                relays[d].step()
            hub.backend.advance_time(month)
            hub.transact(inbox, "close_period", [deal])
            got, want = summed_report(hub, inbox, deal, t), ledger.close()
            table.add_row(
                str(t),
                format_money(got.interest, 6),
                format_money(got.scheduled_principal + got.prepayments, 6),
                format_money(got.delinquent_60_plus, 6),
                ",".join(map(str, ledger.delinquent[t])) or "-",
                "yes" if got == want else "NO",
            )
        console.print(table)
        # cash: collateral locked on the hub backs synthetic cash on spoke 71002 and comes back
        who, spoke = hub.accounts[1], spokes[71002]
        hub.transact(usdc, "mint", [who, 10**12])
        hub.transact(usdc, "approve", [warp.hub_router, 10**12], sender=who)
        hub.transact(
            warp.hub_router,
            "transferRemote",
            [spoke.domain, address_to_bytes32(who), 10**12],
            sender=who,
        )
        hv = [Validator(hub, hub_core, k, Path(tmp) / f"h{i}.db") for i, k in enumerate(keys[:2])]
        for v in hv:
            v.step()
        Relayer(
            hub,
            hub_core,
            {spoke.domain: (spoke, cores[spoke.domain])},
            [v.store() for v in hv],
            Path(tmp) / "rh.db",
        ).step()
        spoke.transact(
            warp.spoke_router,
            "transferRemote",
            [hub.domain, address_to_bytes32(who), 4 * 10**11],
            sender=who,
        )
        for v in vals[spoke.domain]:
            v.step()
        relays[spoke.domain].step()
        locked = hub.call(usdc, "balanceOf", [warp.hub_router])
        supply = spoke.call(warp.spoke_router, "totalSupply")
        console.print(
            f"warp route: hub collateral locked {format_money(locked, 6)} USDC = spoke synthetic "
            f"supply {format_money(supply, 6)}; "
            f"messages delivered: {sum(len(r.deliveries()) for r in relays.values())} spoke->hub"
        )

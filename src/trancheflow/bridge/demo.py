"""The embedded two-chain demo behind ``trancheflow bridge demo``.

A hub (71001) and two spokes (71002, 71003) in process, Hyperlane's published
contracts on each, 2-of-3 validators with DEVELOPMENT keys derived from fixed
labels (never use them for value), Python validators and relayers:

1. :func:`run_reports`: the spokes' sub-pool reports through their outboxes to
   the hub inbox (spoke 71003 misses period 2), the summed report beside the
   Python mirror; cash over the warp route and back.
2. :func:`run_tokens`: a deal (``examples/deals/example.yaml``) on the hub;
   tranche A moves to spoke 71002 (settled first on the hub), earns there
   through the index messages and the warp route's cash, a holder claims on
   the spoke, returns part of it while a period's message is in flight; each
   period prints the conservation check (Σ tranche supply across chains).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_hash.auto import keccak
from rich.console import Console
from rich.table import Table

from trancheflow.bridge.chain import EmbeddedChain, HyperlaneCore, deploy_core
from trancheflow.errors import BridgeError
from trancheflow.units import format_money

__all__ = ["DemoResult", "measure_token_gas", "run_demo", "run_reports", "run_tokens"]

HUB, SPOKE_A, SPOKE_B = 71001, 71002, 71003
MONTH = 30 * 86400
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "deals" / "example.yaml"
_SIGNERS = [0x5EED0001, 0x5EED0002, 0x5EED0003]


@dataclass
class DemoResult:
    """What the demo checked (all must hold for exit code 0)."""

    reports_match: list[bool] = field(default_factory=list)
    messages_delivered: int = 0
    conserved: list[bool] = field(default_factory=list)
    spoke_claims_exact: list[bool] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every period matched the mirror, conserved supply and paid exactly."""
        return all(self.reports_match + self.conserved + self.spoke_claims_exact)


@dataclass
class _Net:
    keys: list[bytes]
    hub: EmbeddedChain
    spokes: dict[int, EmbeddedChain]
    hub_core: HyperlaneCore
    cores: dict[int, HyperlaneCore]


def _net() -> _Net:
    keys = [bytes(keccak(f"trancheflow demo validator {i}".encode())) for i in range(3)]
    addrs = [Account.from_key(k).address for k in keys]
    hub = EmbeddedChain(HUB)
    spokes = {d: EmbeddedChain(d) for d in (SPOKE_A, SPOKE_B)}
    return _Net(
        keys,
        hub,
        spokes,
        deploy_core(hub, addrs, 2),
        {d: deploy_core(c, addrs, 2) for d, c in spokes.items()},
    )


def run_reports(net: _Net, periods: int, tmp: Path, console: Console, out: DemoResult) -> None:
    """Spoke reports to the hub inbox, then cash over the warp route and back."""
    from trancheflow.bridge.aggregate import HubLedger
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

    hub, spokes, keys = net.hub, net.spokes, net.keys
    inbox, deal = deploy_inbox(hub, net.hub_core), deal_id("demo two-spoke deal")
    servicer = {d: c.accounts[1] for d, c in spokes.items()}
    routes = {
        d: deploy_outbox(c, net.cores[d], hub.domain, inbox, deal, servicer[d])
        for d, c in spokes.items()
    }
    open_deal(hub, inbox, deal, list(routes.values()), hub.backend.timestamp() + MONTH, MONTH)
    usdc = hub.deploy_vyper(CONTRACTS.parent / "mocks" / "MockUSDC.vy")
    warp = deploy_warp_route(hub, net.hub_core, usdc, spokes[SPOKE_A], net.cores[SPOKE_A])
    ledger = HubLedger(list(spokes))
    table = Table(title="hub 71001: summed spoke reports (USDC; DEVELOPMENT keys)")
    for col in ("period", "interest", "principal", "60+ delinquent", "delinquent spokes"):
        table.add_column(col, justify="right")
    table.add_column("= mirror")
    vals = {
        d: [Validator(c, net.cores[d], k, tmp / f"v{d}-{i}.db") for i, k in enumerate(keys[:2])]
        for d, c in spokes.items()
    }  # the third validator is down: 2 of 3 is quorum
    relays = {
        d: Relayer(
            c,
            net.cores[d],
            {hub.domain: (hub, net.hub_core)},
            [v.store() for v in vals[d]],
            tmp / f"r{d}.db",
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
        hub.backend.advance_time(MONTH)
        hub.transact(inbox, "close_period", [deal])
        got, want = summed_report(hub, inbox, deal, t), ledger.close()
        out.reports_match.append(got == want)
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
    who, spoke = hub.accounts[1], spokes[SPOKE_A]
    hub.transact(usdc, "mint", [who, 10**12])
    hub.transact(usdc, "approve", [warp.hub_router, 10**12], sender=who)
    hub.transact(
        warp.hub_router,
        "transferRemote",
        [spoke.domain, address_to_bytes32(who), 10**12],
        sender=who,
    )
    hv = [Validator(hub, net.hub_core, k, tmp / f"h{i}.db") for i, k in enumerate(keys[:2])]
    for v in hv:
        v.step()
    Relayer(
        hub,
        net.hub_core,
        {spoke.domain: (spoke, net.cores[spoke.domain])},
        [v.store() for v in hv],
        tmp / "rh.db",
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
    out.messages_delivered = sum(len(r.deliveries()) for r in relays.values())
    for relay in relays.values():
        relay.close()
    console.print(
        f"warp route: hub collateral locked {format_money(locked, 6)} USDC = spoke synthetic "
        f"supply {format_money(supply, 6)}; "
        f"messages delivered: {out.messages_delivered} spoke->hub"
    )


@dataclass
class _TokenWorld:
    route: Any
    lanes: Any
    deal: Any
    issuer: str
    alice: str
    period: Callable[[int], None]


def _token_world(net: _Net, tmp: Path) -> _TokenWorld:
    """A deal (examples/deals/example.yaml) on the hub and tranche A's route to spoke 71002."""
    from trancheflow.bridge import tokens as tk
    from trancheflow.chain.client import DealClient
    from trancheflow.chain.deployments import DeploymentStore
    from trancheflow.chain.reports import sign_report, signer_addresses
    from trancheflow.chain.servicer import ServicerFeed
    from trancheflow.deal.spec import load_spec

    hub, spoke = net.hub, net.spokes[SPOKE_A]
    client = DealClient(hub.backend, DeploymentStore(None))
    spec = load_spec(EXAMPLE, onchain=True)
    feed = ServicerFeed(spec)
    window = 3_600
    deal = client.deploy_deal(
        spec, signers=signer_addresses(_SIGNERS), quorum=2, dispute_window=window
    )
    issuer, alice = client.accounts[0], client.accounts[1]
    client.mint_mock(deal.record.settlement, issuer, 10**15)  # the servicer's collections
    route = tk.deploy_token_route(
        hub, net.hub_core, deal.token(0), deal.record.settlement, spoke, net.cores[SPOKE_A],
        name="Tranche A (spoke 71002)", symbol="sA",
    )  # fmt: skip
    lanes = tk.Lanes(hub, net.hub_core, spoke, net.cores[SPOKE_A], net.keys, tmp)

    def period(t: int) -> None:
        rep = feed.report(t)
        deal.submit_report(rep, sign_report(rep, _SIGNERS[1:], client.chain_id, deal.address))
        client.advance_time(window)
        deal.finalize(t)

    return _TokenWorld(route, lanes, deal, issuer, alice, period)


def measure_token_gas(amount: int = 10**11) -> dict[str, int]:
    """Whole-transaction gas of a tranche-token round trip on the embedded chains
    (for ``bench/bridge.py``): a warm route, after one distribution.

    Returns ``send`` (hub ``TrancheGateway.send``), ``deliver`` (spoke
    ``Mailbox.process`` of the mint), ``return`` (spoke ``send_home``) and
    ``release`` (hub ``Mailbox.process`` into the gateway), plus ``sync`` (hub,
    index + cash over the warp route) and ``deliver_index`` (spoke ``process``).
    """
    from trancheflow.bridge import tokens as tk

    net = _net()
    with tempfile.TemporaryDirectory(prefix="tf-token-gas-") as tmp:
        w = _token_world(net, Path(tmp))
        w.period(1)
        w.deal.transfer(0, w.issuer, w.alice, 10 * amount)
        tk.measure_token_leg(w.lanes, w.route, w.alice, amount)  # first use: cold slots
        tk.send_to_spoke(net.hub, w.route, w.alice, w.alice, amount)
        w.lanes.step()
        w.period(2)
        sync = tk.sync(net.hub, w.route).gas_used
        w.lanes.step()
        deliver_index = tk._last_gas(w.lanes.down)
        gas = tk.measure_token_leg(w.lanes, w.route, w.alice, amount)
        w.lanes.close()
    return {**gas, "sync": sync, "deliver_index": deliver_index}


def run_tokens(net: _Net, tmp: Path, console: Console, out: DemoResult) -> None:
    """Tranche A of a deal on the hub to spoke 71002 and back, claims on the spoke."""
    from trancheflow.bridge import tokens as tk

    hub, spoke = net.hub, net.spokes[SPOKE_A]
    w = _token_world(net, tmp / "tok")
    route, lanes, deal, issuer, alice, period = (
        w.route, w.lanes, w.deal, w.issuer, w.alice, w.period,
    )  # fmt: skip
    tranche = deal.tranche_names[0]

    supply = int(hub.call(route.hub_token, "totalSupply"))
    table = Table(
        title=f"tranche {tranche} (supply {format_money(supply, 6, 0)}): hub 71001 <-> "
        "spoke 71002, tokens; DEVELOPMENT keys"
    )
    for col in ("period", "step", "hub free", "locked", "spoke", "in flight"):
        table.add_column(col, justify="right")
    table.add_column("Σ = supply")

    def row(t: int, step: str) -> None:
        c = tk.conservation(hub, net.hub_core, spoke, net.cores[SPOKE_A], route)
        out.conserved.append(c.ok)
        table.add_row(
            str(t), step, *(format_money(x, 6, 0) for x in
            (c.hub_free, c.locked, c.spoke_supply, c.minting + c.returning)),
            "yes" if c.ok else "NO",
        )  # fmt: skip

    scale = 10**27
    period(1)
    deal.transfer(0, issuer, alice, 10**12)
    period(2)
    owed = deal.claimable(0, alice)
    tk.send_to_spoke(hub, route, alice, alice, 6 * 10**11)
    row(2, "send 600k")
    lanes.step()
    row(2, "relayed")
    paid_hub = deal.claim(0, alice)
    i0 = int(hub.call(route.hub_token, "index"))
    lines = [
        f"alice's distributions settled on the hub before the tokens left: "
        f"{format_money(owed, 6)} USDC, claimed there: {format_money(paid_hub, 6)}"
    ]
    period(3)
    tk.sync(hub, route)
    lanes.step()
    row(3, "sync + relay")
    i1 = int(hub.call(route.hub_token, "index"))
    want = 6 * 10**11 * (i1 - i0) // scale
    paid = tk.claim_on_spoke(spoke, route, alice)
    out.spoke_claims_exact.append(paid == want)
    lines.append(
        f"alice claims on spoke 71002: {format_money(paid, 6)} USDC (synthetic) = "
        f"hub rule floor(tokens x Δindex): {format_money(want, 6)} "
        f"{'yes' if paid == want else 'NO'}"
    )
    tk.send_home(spoke, route, alice, alice, 2 * 10**11)
    row(4, "return 200k")
    period(4)
    tk.sync(hub, route)  # crosses the return in flight
    row(4, "sync (crossing)")
    lanes.step(3)
    row(4, "relayed")
    i2 = int(hub.call(route.hub_token, "index"))
    want = 4 * 10**11 * (i2 - i1) // scale + 2 * 10**11 * (i2 - i1) // scale
    got = int(spoke.call(route.spoke_token, "claimable", [alice]))
    out.spoke_claims_exact.append(got == want)
    lines.append(
        f"period 4 on the spoke (400,000 held + 200,000 in flight home, credited there): "
        f"{format_money(got, 6)} USDC = {format_money(want, 6)} "
        f"{'yes' if got == want else 'NO'}; "
        f"alice holds {format_money(deal.balances(alice)[tranche], 6, 0)} A on the hub"
    )
    lanes.close()
    console.print(table)
    for line in lines:
        console.print(line)


def run_demo(periods: int, console: Console) -> DemoResult:
    """Both parts of the demo; the checks' outcome."""
    if not 1 <= periods <= 24:
        raise BridgeError(f"--periods={periods}: must be in 1..24")
    net = _net()
    out = DemoResult()
    with tempfile.TemporaryDirectory(prefix="tf-bridge-") as tmp:
        (Path(tmp) / "tok").mkdir()
        run_reports(net, periods, Path(tmp), console, out)
        run_tokens(net, Path(tmp), console, out)
    return out

"""Soak: a hub deal fed by two spokes on three anvil nodes (chain ids 31337 hub,
31338 spoke A, 31339 spoke B), the agents as separate ``trancheflow bridge``
processes.

Deployed over JSON-RPC: Hyperlane's published contracts on each node (the hub's
default ISM a ``DomainRoutingIsm`` with each spoke's own 2-of-3 validator set),
H1's Deal with the ``HubReportOracle`` blueprint bound to a ``HubInbox``, one
settlement-token warp route per spoke (collateral on the hub, synthetic on the
spoke) into a per-spoke ``InboundLimiter`` releasing to the deal's oracle.
Agents: two ``trancheflow bridge validator`` processes per spoke and one
``trancheflow bridge relayer`` process per spoke (spoke -> hub), polling.

Each period both spokes send their sub-pool report and bridge their
collections (spoke B misses period 3: it is reported delinquent, its report
and cash count in period 4); the test waits for every dispatched message to
be processed on the hub, releases the limiters, closes the inbox period,
pushes the summed report (no oracle signer key), finalizes and compares the
deal with the exact waterfall on the Python mirror's summed inputs, to the
unit. Mid-life: spoke A's relayer and one of its validators are SIGKILLed and
restarted (from their SQLite files); later spoke A's node is stopped and
started from its state file (``--state``) and its agents restarted.

Checked every period: every dispatched message processed exactly once on the
hub (``ProcessId`` logs), Σ settlement token conserved (the hub token's supply
is what the issuer minted; each route's locked collateral equals its spoke's
synthetic supply). At the end: the indexer follows the hub deal and the audit
(``ops.audit``) of the index passes from the hub's events. Tranche tokens do
not cross chains in this soak (see ``tests/unit/bridge/test_tokens*.py``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from trancheflow.bridge.aggregate import HubLedger
from trancheflow.bridge.chain import deploy_core, event_topic
from trancheflow.bridge.hub import HUB_ORACLE, bind_hub_deal, deploy_limiter, push_report
from trancheflow.bridge.message import address_to_bytes32
from trancheflow.bridge.relayer import Relayer
from trancheflow.bridge.routes import CONTRACTS, deal_id, deploy_inbox, deploy_outbox, open_deal
from trancheflow.bridge.routes import summed_report as inbox_sum
from trancheflow.bridge.rpc import RpcChain
from trancheflow.bridge.tokens import (
    attach_vyper,
    conservation,
    deploy_token_route,
    send_home,
    send_to_spoke,
)
from trancheflow.bridge.validator import Validator
from trancheflow.bridge.warp import deploy_warp_route
from trancheflow.chain.client import DealClient
from trancheflow.chain.reports import ServicerReport, signer_addresses
from trancheflow.chain.servicer import ServicerFeed
from trancheflow.deal.exact import ExactWaterfall
from trancheflow.deal.onchain import onchain_params
from trancheflow.deal.spec import load_spec
from trancheflow.ops.audit import audit_db
from trancheflow.ops.db import connect, register_deal, upgrade
from trancheflow.ops.indexer import Indexer

from . import anvil as anvil_mod
from .anvil import AnvilNode, anvil_binary
from .conftest import missing

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "deals" / "example.yaml"
SIGNER_KEYS = [0x5EED0001, 0x5EED0002, 0x5EED0003]
WINDOW, PERIOD = 3_600, 30 * 86_400
HUB, A, B = 31337, 31338, 31339
MISS = {(3, B)}
KILL_AGENTS_AT, RESTART_NODE_AT = 2, 4
TOKENS_OUT_AT, TOKENS_HOME_AT = 2, 5  # tranche A to spoke A, and part of it back
TRANCHEFLOW = str(Path(sys.executable).parent / "trancheflow")


class Agent:
    """One ``trancheflow bridge ...`` process (polling until killed)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logdir: Path) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.log = logdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [TRANCHEFLOW, "bridge", *self.argv, "--steps", "0", "--interval", "0.3"],
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no chance to tidy up (SQLite keeps what it committed)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def tail(self) -> str:
        rc = None if self.proc is None else self.proc.poll()
        text = self.log.read_text(errors="replace")[-700:] if self.log.exists() else ""
        return f"(starts {self.starts}, exit code {rc})\n{text}"


@pytest.fixture
def nodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[int, AnvilNode]]:
    binary = anvil_binary()
    if binary is None:
        missing("anvil not found; run 'make test' to install it from npm")
    with tempfile.TemporaryDirectory(prefix="tf-bridge-soak-") as tmp:
        out: dict[int, AnvilNode] = {}
        try:
            for cid in (HUB, A, B):
                (Path(tmp) / str(cid)).mkdir()
                monkeypatch.setattr(anvil_mod, "CHAIN_ID", cid)  # start() reads it
                out[cid] = AnvilNode(binary, Path(tmp) / str(cid))
                out[cid].start()
            yield out
        finally:
            for node in out.values():
                node.stop()


def _split(r: ServicerReport, d: int) -> ServicerReport:
    vals = {}
    for name in ServicerReport.__dataclass_fields__:
        if name in ("period", "loans_root"):
            continue
        v = getattr(r, name)
        vals[name] = v * 3 // 5 if d == A else v - v * 3 // 5
    return ServicerReport(
        period=r.period, loans_root=bytes([d % 256]) * 31 + bytes([r.period]), **vals
    )


@pytest.mark.parametrize("periods", [6, pytest.param(18, marks=pytest.mark.slow, id="18-periods")])
def test_hub_deal_soak_over_three_anvil_nodes(
    nodes: dict[int, AnvilNode], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, periods: int
) -> None:
    started = time.monotonic()
    dev = nodes[HUB].keys  # same dev mnemonic on every node (never real keys)
    monkeypatch.setenv("TRANCHEFLOW_PRIVATE_KEY", dev[0])
    val_keys = {A: dev[2:5], B: dev[5:8]}  # spoke validators (sign only, no gas)
    hub_val_keys = [bytes.fromhex(k[2:]) for k in dev[8:10]]
    vaddr = {d: [Account.from_key(k).address for k in ks] for d, ks in val_keys.items()}
    hub_vaddr = [Account.from_key(k).address for k in hub_val_keys]
    hub = RpcChain(nodes[HUB].url)
    spokes = {d: RpcChain(nodes[d].url) for d in (A, B)}
    assert (hub.domain, spokes[A].domain, spokes[B].domain) == (HUB, A, B)
    hub_core = deploy_core(hub, origins={d: (vaddr[d], 2) for d in (A, B)})
    cores = {d: deploy_core(c, hub_vaddr, 2) for d, c in spokes.items()}

    # the hub deal
    spec = load_spec(EXAMPLE, onchain=True)
    feed = ServicerFeed(spec)
    client = DealClient.connect(nodes[HUB].url, chain_id=HUB, deployments_dir=tmp_path / "dep")
    deal = client.deploy_deal(
        spec,
        signers=signer_addresses(SIGNER_KEYS),
        quorum=2,
        dispute_window=WINDOW,
        oracle_contract=HUB_ORACLE,
    )
    usdc, oracle = deal.record.settlement, deal.oracle
    params = onchain_params(spec, feed.pool_balance_units)
    wf = ExactWaterfall(params.to_waterfall_params())
    state = wf.initial_state(feed.pool_balance_units)
    inbox = deploy_inbox(hub, hub_core)  # type: ignore[arg-type]
    did = deal_id("anvil soak hub deal")
    outbox = {
        d: deploy_outbox(c, cores[d], HUB, inbox, did, c.accounts[0])  # type: ignore[arg-type]
        for d, c in spokes.items()
    }
    open_deal(hub, inbox, did, list(outbox.values()), client.timestamp() + PERIOD, PERIOD)  # type: ignore[arg-type]
    warp = {d: deploy_warp_route(hub, hub_core, usdc, c, cores[d]) for d, c in spokes.items()}  # type: ignore[arg-type]
    cap = feed.report(1).cash // 3
    lim = {d: deploy_limiter(hub, usdc, oracle, cap, cap // PERIOD) for d in (A, B)}
    bind_hub_deal(client.backend, deal.address, oracle, inbox, did)

    # the spokes' float: issuer USDC locked on the hub, synthetic minted on each spoke
    minted = 10**15
    client.mint_mock(usdc, client.accounts[0], minted)
    seed = sum(feed.report(t).cash for t in range(1, periods + 1))
    for d in (A, B):
        client.backend.transact(
            "MockUSDC", usdc, "approve", [warp[d].hub_router, seed], sender=None
        )
        hub.transact(
            warp[d].hub_router,
            "transferRemote",
            [d, address_to_bytes32(spokes[d].accounts[0]), seed],
        )
    hvals = [
        Validator(hub, hub_core, k, tmp_path / f"hv{i}.db", confirmations=0)
        for i, k in enumerate(hub_val_keys)
    ]
    for v in hvals:
        v.step()
    seeder = Relayer(
        hub,
        hub_core,
        {d: (c, cores[d]) for d, c in spokes.items()},
        [v.store() for v in hvals],
        tmp_path / "rhub.db",
    )
    assert len(seeder.step()) == 2

    # tranche A's token route to spoke A (H5's TrancheGateway / SpokeTranche)
    troute = deploy_token_route(
        hub, hub_core, deal.token(0), usdc, spokes[A], cores[A], warp=warp[A]
    )  # type: ignore[arg-type]
    holder = client.accounts[0]  # the issuer holds every tranche at closing
    spoke_holder = spokes[A].accounts[0]

    # the agents, as processes
    logs = tmp_path / "logs"
    logs.mkdir()
    agents: dict[str, Agent] = {}
    for d in (A, B):
        url = nodes[d].url
        for i in (0, 1):
            agents[f"v{d}-{i}"] = Agent(
                f"v{d}-{i}",
                ["validator", "--rpc-url", url, "--mailbox", cores[d].mailbox,
                 "--db", str(tmp_path / f"v{d}-{i}.db"), "--confirmations", "0"],
                {"TRANCHEFLOW_VALIDATOR_KEY": val_keys[d][i], "TRANCHEFLOW_PRIVATE_KEY": dev[0]},
                logs,
            )  # fmt: skip
        agents[f"r{d}"] = Agent(
            f"r{d}",
            ["relayer", "--origin-rpc", url, "--origin-mailbox", cores[d].mailbox,
             "--dest-rpc", nodes[HUB].url, "--dest-mailbox", hub_core.mailbox,
             "--checkpoints", str(tmp_path / f"v{d}-0.db"),
             "--checkpoints", str(tmp_path / f"v{d}-1.db"),
             "--db", str(tmp_path / f"r{d}.db")],
            {"TRANCHEFLOW_PRIVATE_KEY": dev[1 if d == A else 9]},
            logs,
        )  # fmt: skip
    for ag in agents.values():
        ag.start()

    dispatch_topic = event_topic("Mailbox", "DispatchId")
    process_topic = event_topic("Mailbox", "ProcessId")
    hub.attach("Mailbox", hub_core.mailbox)
    sent: list[bytes] = []

    def send(d: int, r: ServicerReport, bal: int) -> None:
        c = spokes[d]
        txs = [c.transact(outbox[d].outbox, "send_report", [r.as_tuple(), bal])]
        if r.cash:
            to = address_to_bytes32(lim[d])
            txs.append(c.transact(warp[d].spoke_router, "transferRemote", [HUB, to, r.cash]))
        for tx in txs:
            sent.extend(
                lg.topics[1] for lg in tx.logs if lg.topics and lg.topics[0] == dispatch_topic
            )

    def wait_delivered(t: int) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if all(hub.call(hub_core.mailbox, "delivered", [m]) for m in sent):
                return
            time.sleep(0.3)
        raise AssertionError(
            f"period {t}: {sum(not hub.call(hub_core.mailbox, 'delivered', [m]) for m in sent)} "
            f"messages undelivered; heads {[c.latest_block() for c in spokes.values()]}\n"
            + "\n".join(f"--- {n}\n{a.tail()}" for n, a in agents.items())
        )

    def processed() -> list[bytes]:
        return [
            lg.topics[1]
            for lg in hub.logs(0, hub.latest_block(), [hub_core.mailbox])
            if lg.topics and lg.topics[0] == process_topic
        ]

    def conserved() -> None:
        for v in hvals:  # hub -> spoke messages (token mints, cash legs) delivered first
            v.step()
        seeder.step()
        assert int(client.backend.call("MockUSDC", usdc, "totalSupply", [])) == minted
        for d in (A, B):
            locked = int(client.backend.call("MockUSDC", usdc, "balanceOf", [warp[d].hub_router]))
            assert locked == int(spokes[d].call(warp[d].spoke_router, "totalSupply"))

    ledger = HubLedger([A, B])
    supplies: list[tuple[int, int, int]] = []
    owed: dict[int, list[tuple[ServicerReport, int]]] = {A: [], B: []}
    pool = feed.pool_balance_units
    try:
        for t in range(1, periods + 1):
            if t == RESTART_NODE_AT:
                for n in (f"v{A}-0", f"v{A}-1", f"r{A}"):
                    agents[n].kill()
                monkeypatch.setattr(anvil_mod, "CHAIN_ID", A)
                nodes[A].restart()  # stopped, then started from its --state file
                spokes[A] = RpcChain(nodes[A].url)
                spokes[A].attach("HypERC20", warp[A].spoke_router)
                spokes[A].attach_vyper(
                    Path(__file__).resolve().parents[2]
                    / "src/trancheflow/chain/contracts/bridge/SpokeOutbox.vy",
                    outbox[A].outbox,
                )
                attach_vyper(spokes[A], CONTRACTS / "SpokeTranche.vy", troute.spoke_token)
                spokes[A].attach("Mailbox", cores[A].mailbox)
                seeder.destinations[A] = (spokes[A], cores[A])
                for n in (f"v{A}-0", f"v{A}-1", f"r{A}"):
                    agents[n].start()
            full = feed.report(t)
            pool -= full.scheduled_principal + full.prepayments + full.losses
            for d in (A, B):
                bal = pool * 3 // 5 if d == A else pool - pool * 3 // 5
                owed[d].append((_split(full, d), bal))
                if (t, d) in MISS:
                    continue
                for rr, bb in owed[d]:
                    send(d, rr, bb)
                    ledger.receive(d, rr, bb)
                owed[d] = []
            if t == TOKENS_OUT_AT:
                send_to_spoke(hub, troute, holder, spoke_holder, 1_000 * 10**6)  # type: ignore[arg-type]
            if t == TOKENS_HOME_AT:
                tx = send_home(spokes[A], troute, spoke_holder, holder, 400 * 10**6)  # type: ignore[arg-type]
                sent.extend(
                    lg.topics[1] for lg in tx.logs if lg.topics and lg.topics[0] == dispatch_topic
                )
            for v in hvals:  # hub -> spoke leg (in process)
                v.step()
            seeder.step()
            if t == KILL_AGENTS_AT:  # killed mid-life, messages in flight
                agents[f"r{A}"].kill()
                agents[f"v{A}-0"].kill()
                time.sleep(0.5)
                agents[f"r{A}"].start()
                agents[f"v{A}-0"].start()
            wait_delivered(t)
            ids = processed()
            assert len(ids) == len(set(ids)) == len(sent)  # exactly once
            conserved()
            tc = conservation(hub, hub_core, spokes[A], cores[A], troute)  # type: ignore[arg-type]
            assert tc.ok, (t, tc)
            supplies.append((tc.hub_free, tc.locked, tc.spoke_supply))
            for d in (A, B):
                hub.transact(lim[d], "release")
            client.advance_time(PERIOD)
            hub.transact(inbox, "close_period", [did])
            summed = inbox_sum(hub, inbox, did, t)  # type: ignore[arg-type]
            assert summed == ledger.close(), f"period {t}"
            need = summed.cash
            while int(client.backend.call("MockUSDC", usdc, "balanceOf", [oracle])) < need:
                client.advance_time(PERIOD // 3)
                for d in (A, B):
                    hub.transact(lim[d], "release")
            push_report(client.backend, oracle, t)
            client.advance_time(WINDOW)
            deal.finalize(t)
            res = wf.run_period(state, ledger.period_input(t))
            state = res.state
            assert list(deal.tranche_balances().values()) == [
                x.ending_balance for x in res.tranches
            ], f"period {t}"
            assert deal.pool_balance() == res.pool_ending and deal.reserve() == res.reserve_balance
            conserved()
    finally:
        for ag in agents.values():
            ag.kill()
    assert ledger.delinquent[3] == [B]
    # Σ tranche A supply across chains: 1,000 out at period 2, 400 back at period 5
    assert supplies[TOKENS_OUT_AT - 1][1:] == (1_000 * 10**6, 1_000 * 10**6)
    assert supplies[-1][1:] == (600 * 10**6, 600 * 10**6)
    assert all(sum(x[:2]) == sum(supplies[0][:2]) for x in supplies)
    assert all(d.status == "delivered" for d in seeder.deliveries())
    assert agents[f"r{A}"].starts == 3 and agents[f"v{A}-0"].starts == 3

    # the index of the hub deal and its audit
    db = connect(f"sqlite:///{tmp_path / 'index.db'}")
    upgrade(db)
    rec = deal.record
    register_deal(
        db,
        spec,
        chain_id=HUB,
        address=rec.deal,
        tokens=[tk.address for tk in rec.tokens],
        start_block=rec.block,
        pool_balance=rec.extras["pool_balance"],
        contracts=dict(rec.contracts),
    )
    Indexer(db, client.event_source()).run_once()
    result = audit_db(db, spec.deal, spec, tape_root=rec.tape_root)
    assert result.ok, result.summary
    assert result.through_period == periods
    elapsed = time.monotonic() - started
    down = len(seeder.deliveries())
    print(
        f"bridge soak: {periods} periods, {len(sent)} spoke->hub and {down} hub->spoke "
        f"messages each processed once, {elapsed:.0f} s"
    )

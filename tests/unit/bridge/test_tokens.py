"""Tranche tokens hub <-> spoke over Hyperlane (published Mailbox, multisig ISM
and warp route; Python validators and relayers) with H1's Deal and
TrancheToken on the hub and the project's Compliance on the spoke.

One world per module (a deal takes seconds to deploy); the tests run in file
order as one deal's life and each checks conservation (from the Mailboxes'
dispatch logs) where it ends. Expected distributions are computed from the
hub TrancheToken's own index with the published rule
``floor(tokens * Δindex / 1e27)``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trancheflow.bridge import tokens as tk
from trancheflow.bridge.chain import EmbeddedChain, HyperlaneCore, deploy_core
from trancheflow.bridge.message import address_to_bytes32
from trancheflow.bridge.relayer import build_metadata
from trancheflow.bridge.routes import CONTRACTS
from trancheflow.chain.client import DealClient
from trancheflow.chain.deployments import DeploymentStore
from trancheflow.chain.reports import sign_report
from trancheflow.errors import BridgeError

from ..chain.client.scenario import SIGNER_KEYS, WINDOW, Scenario
from .conftest import key

HUB, SPOKE = 73001, 73002
S = 10**27
US, ACCREDITED = 840, 1


@dataclass
class World:
    hub: EmbeddedChain
    spoke: EmbeddedChain
    hub_core: HyperlaneCore
    spoke_core: HyperlaneCore
    s: Scenario
    route: tk.TokenRoute
    lanes: tk.Lanes
    compliance: str
    hub_compliance: str
    t: int = 0

    @property
    def alice(self) -> str:
        return self.s.alice

    @property
    def bob(self) -> str:
        return self.s.bob

    def period(self, *, sync: bool = True) -> None:
        """One hub period (report, attest, finalize); then sync the spoke."""
        self.t += 1
        c = self.s.client
        rep = self.s.feed.report(self.t)
        self.s.deal.submit_report(
            rep, sign_report(rep, SIGNER_KEYS[1:], c.chain_id, self.s.deal.address)
        )
        c.advance_time(WINDOW)
        self.s.deal.finalize(self.t)
        if sync:
            tk.sync(self.hub, self.route)

    def index(self) -> int:
        return int(self.hub.call(self.route.hub_token, "index"))

    def spoke_claimable(self, who: str) -> int:
        return int(self.spoke.call(self.route.spoke_token, "claimable", [who]))

    def conserved(self) -> tk.Conservation:
        c = tk.conservation(self.hub, self.hub_core, self.spoke, self.spoke_core, self.route)
        assert c.ok, c
        return c


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("tokens")
    keys = [key(f"tok{i}") for i in range(3)]
    addrs = [Account.from_key(k).address for k in keys]
    hub, spoke = EmbeddedChain(HUB), EmbeddedChain(SPOKE)
    hub_core, spoke_core = deploy_core(hub, addrs, 2), deploy_core(spoke, addrs, 2)
    s = Scenario(DealClient(hub.backend, DeploymentStore(None)))
    comp_src = CONTRACTS.parent / "compliance" / "Compliance.vy"
    owner = spoke.accounts[0]
    compliance = spoke.deploy_vyper(comp_src, [owner, tk.ZERO])
    route = tk.deploy_token_route(
        hub, hub_core, s.deal.token(0), s.deal.record.settlement, spoke, spoke_core,
        compliance=compliance,
    )  # fmt: skip
    # the same rules for the spoke token on the spoke and, for comparison, on a hub instance
    hub_compliance = hub.deploy_vyper(comp_src, [hub.accounts[0], tk.ZERO])
    for chain, comp, tok in (
        (spoke, compliance, route.spoke_token),
        (hub, hub_compliance, route.hub_token),
    ):
        chain.transact(comp, "set_rules", [tok, ACCREDITED, 0, 0, 0])
        chain.transact(comp, "set_jurisdiction", [tok, US, True])
        for who in (s.issuer, s.alice, s.bob):
            chain.transact(comp, "register", [who, US, ACCREDITED, 2**40])
    lanes = tk.Lanes(hub, hub_core, spoke, spoke_core, keys, tmp)
    world = World(hub, spoke, hub_core, spoke_core, s, route, lanes, compliance, hub_compliance)
    world.period()
    s.deal.transfer(0, s.issuer, s.alice, 10**12)
    s.deal.transfer(0, s.issuer, s.bob, 10**12)
    world.period()
    yield world
    lanes.close()


def test_send_settles_before_leaving_and_conserves(w: World) -> None:
    owed = w.s.deal.claimable(0, w.alice)
    assert owed > 0
    w.s.deal.claim(0, w.bob)  # bob, the hub twin, starts from the same index
    tk.send_to_spoke(w.hub, w.route, w.alice, w.alice, 10**12)
    assert w.s.deal.claimable(0, w.alice) == owed  # settled on the hub, not carried away
    c = w.conserved()
    assert c.minting == 10**12 and c.spoke_supply == 0
    assert w.lanes.step() >= 1
    c = w.conserved()
    assert (c.locked, c.spoke_supply, c.minting) == (10**12, 10**12, 0)
    assert w.spoke_claimable(w.alice) == 0  # nothing from before the send follows the tokens
    assert w.s.deal.claim(0, w.alice) == owed


def test_spoke_claims_equal_what_the_hub_pays(w: World) -> None:
    i0 = w.index()
    for _ in range(2):
        w.period()
        w.lanes.step()
        w.conserved()
    i1 = w.index()
    assert i1 > i0
    want = 10**12 * (i1 - i0) // S
    assert w.spoke_claimable(w.alice) == w.s.deal.claimable(0, w.bob) == want
    assert tk.claim_on_spoke(w.spoke, w.route, w.alice) == want
    assert w.s.deal.claim(0, w.bob) == want
    # the spoke token holds at least what its holders can still claim
    cash = int(w.spoke.call(w.route.warp.spoke_router, "balanceOf", [w.route.spoke_token]))
    assert cash >= w.spoke_claimable(w.alice) == 0


def test_return_and_crossing_return_lose_nothing(w: World) -> None:
    # a plain return: released on the hub, earns there from then on
    tk.send_home(w.spoke, w.route, w.alice, w.alice, 10**11)
    assert w.conserved().returning == 10**11
    w.lanes.step()
    c = w.conserved()
    assert (c.locked, c.spoke_supply, c.returning) == (9 * 10**11, 9 * 10**11, 0)
    assert w.s.deal.balances(w.alice)[w.s.deal.tranche_names[0]] == 10**11
    # a return that crosses a period's index message in flight
    i0 = w.index()
    tk.send_home(w.spoke, w.route, w.alice, w.alice, 3 * 10**11)
    w.period()  # hub distributes and syncs: its cash counts the 3e11 still locked
    i1 = w.index()
    w.lanes.step(3)
    assert w.lanes.pending() == 0
    c = w.conserved()
    assert (c.locked, c.spoke_supply) == (6 * 10**11, 6 * 10**11)
    d = i1 - i0
    # alice: 6e11 stayed on the spoke, 3e11 crossed; each floored as the hub floors
    assert w.spoke_claimable(w.alice) == 6 * 10**11 * d // S + 3 * 10**11 * d // S
    assert w.s.deal.claimable(0, w.alice) == 10**11 * d // S  # the plain return, on the hub
    assert tk.claim_on_spoke(w.spoke, w.route, w.alice) > 0


def test_compliance_refused_on_spoke_with_the_same_code(w: World) -> None:
    carol = w.hub.accounts[5]
    code = int(w.spoke.call(w.route.spoke_token, "detectTransferRestriction", [w.alice, carol, 1]))
    hub_code = int(w.hub.call(w.hub_compliance, "detect", [w.route.hub_token, w.alice, carol, 1]))
    assert code == hub_code == 4  # RECEIVER_NOT_REGISTERED
    msg = w.spoke.call(w.route.spoke_token, "messageForTransferRestriction", [code])
    with pytest.raises(BridgeError, match=msg):
        w.spoke.transact(w.route.spoke_token, "transfer", [carol, 1], sender=w.alice)
    # a mint to a refused spoke receiver goes back to the hub sender
    before = w.s.deal.balances(w.bob)[w.s.deal.tranche_names[0]]
    tk.send_to_spoke(w.hub, w.route, w.bob, carol, 10**10)
    w.lanes.step(3)
    assert int(w.spoke.call(w.route.spoke_token, "balanceOf", [carol])) == 0
    assert w.s.deal.balances(w.bob)[w.s.deal.tranche_names[0]] == before
    w.conserved()


def test_return_refused_on_the_hub_comes_back_with_its_distributions(w: World) -> None:
    held = int(w.spoke.call(w.route.spoke_token, "balanceOf", [w.alice]))
    before, i0 = w.spoke_claimable(w.alice), w.index()
    b = 10**10
    # the deal itself can never hold tranche tokens (RECEIVER_CANNOT_HOLD on the hub)
    tk.send_home(w.spoke, w.route, w.alice, w.s.deal.address, b)
    w.period()  # crosses the return in flight
    w.lanes.step(3)
    d = w.index() - i0
    assert int(w.spoke.call(w.route.spoke_token, "balanceOf", [w.alice])) == held
    assert w.spoke_claimable(w.alice) == before + (held - b) * d // S + b * d // S
    w.conserved()


def _forge(origin: EmbeddedChain, core: HyperlaneCore, dest: int, to: str, body: bytes) -> None:
    origin.transact(core.mailbox, "dispatch", [dest, address_to_bytes32(to), body])


def test_forged_unknown_and_replayed_messages_refused(w: World) -> None:
    mallory = w.hub.accounts[6]
    mint = abi_encode(
        ["(uint256,uint256,uint256,address,uint256,address,address,uint256)"],
        [(99, 0, 0, mallory, 10**12, mallory, mallory, 10**12)],
    )
    release = abi_encode(
        ["(address,uint256,uint256,uint256,address)"], [(mallory, 10**11, 0, 999, mallory)]
    )
    # the right route address, the wrong sender (an EOA dispatching on the real Mailbox)
    _forge(w.hub, w.hub_core, SPOKE, w.route.spoke_token, mint)
    _forge(w.spoke, w.spoke_core, HUB, w.route.gateway, release)
    w.lanes.step()
    errors = [d.last_error or "" for r in (w.lanes.down, w.lanes.up) for d in r.deliveries()]
    assert any("spoke: unknown sender" in e for e in errors)
    assert any("gateway: unknown sender" in e for e in errors)
    with pytest.raises(BridgeError, match="only mailbox"):
        w.spoke.transact(
            w.route.spoke_token, "handle", [HUB, address_to_bytes32(w.route.gateway), mint]
        )
    with pytest.raises(BridgeError, match="only mailbox"):
        w.hub.transact(
            w.route.gateway, "handle", [SPOKE, address_to_bytes32(w.route.spoke_token), release]
        )
    # replay: a delivered mint processed again by the Mailbox is refused
    db = sqlite3.connect(str(w.lanes.folder / f"r-hub-{SPOKE}.db"))
    mid, raw = db.execute(
        "SELECT id, message FROM messages WHERE status='delivered' ORDER BY nonce LIMIT 1"
    ).fetchone()
    db.close()
    assert w.spoke.call(w.spoke_core.mailbox, "delivered", [bytes(mid)])
    with pytest.raises(BridgeError, match="delivered"):
        w.spoke.transact(w.spoke_core.mailbox, "process", [b"", bytes(raw)])
    assert int(w.spoke.call(w.route.spoke_token, "balanceOf", [mallory])) == 0
    w.conserved()


def test_paused_route_queues_then_delivers(w: World) -> None:
    w.spoke.transact(w.route.spoke_token, "pause_inbound", [True])
    tk.send_to_spoke(w.hub, w.route, w.bob, w.bob, 10**10)
    w.lanes.step()
    assert any("route paused" in (d.last_error or "") for d in w.lanes.down.deliveries())
    assert w.conserved().minting == 10**10
    w.spoke.transact(w.route.spoke_token, "pause_inbound", [False])
    w.lanes.step()
    c = w.conserved()
    assert c.minting == 0 and int(w.spoke.call(w.route.spoke_token, "balanceOf", [w.bob])) == 10**10


def test_out_of_order_mint_refused_then_delivered_in_order(w: World) -> None:
    before = int(w.spoke.call(w.route.spoke_token, "balanceOf", [w.bob]))
    tk.send_to_spoke(w.hub, w.route, w.bob, w.bob, 10**8)
    tk.send_to_spoke(w.hub, w.route, w.bob, w.bob, 2 * 10**8)
    for v in w.lanes.hub_vals:
        v.step()
    w.lanes.down.scan()
    db = sqlite3.connect(str(w.lanes.folder / f"r-hub-{SPOKE}.db"))
    mid, leaf, raw = db.execute(
        "SELECT id, leaf, message FROM messages WHERE status='pending' ORDER BY nonce DESC LIMIT 1"
    ).fetchone()
    db.close()
    cps = [cp for v in w.lanes.hub_vals if (cp := v.store().get(leaf)) is not None]
    meta = build_metadata(bytes(mid), cps, list(w.spoke_core.validators), 2)
    assert meta is not None
    with pytest.raises(BridgeError, match="out of order"):  # the later message, delivered first
        w.spoke.transact(w.spoke_core.mailbox, "process", [meta, bytes(raw)])
    w.lanes.step()
    assert int(w.spoke.call(w.route.spoke_token, "balanceOf", [w.bob])) == before + 3 * 10**8
    w.conserved()


def test_return_queues_while_the_deal_pauses_transfers(w: World) -> None:
    deal = w.s.deal.address
    tk.attach_vyper(w.hub, CONTRACTS.parent / "Deal.vy", deal)
    w.hub.transact(deal, "pause", [2])  # PAUSE_TRANSFERS
    before = w.s.deal.balances(w.bob)[w.s.deal.tranche_names[0]]
    tk.send_home(w.spoke, w.route, w.bob, w.bob, 10**8)
    w.lanes.step()
    assert any("hub transfers paused" in (d.last_error or "") for d in w.lanes.up.deliveries())
    assert w.conserved().returning == 10**8
    w.hub.transact(deal, "unpause", [2])
    w.lanes.step()
    assert w.conserved().returning == 0
    assert w.s.deal.balances(w.bob)[w.s.deal.tranche_names[0]] == before + 10**8


def test_exactly_once_under_relayer_restart(w: World) -> None:
    supply = int(w.spoke.call(w.route.spoke_token, "totalSupply"))
    tk.send_to_spoke(w.hub, w.route, w.bob, w.bob, 10**9)
    tk.send_to_spoke(w.hub, w.route, w.bob, w.bob, 2 * 10**9)
    w.lanes.step()
    # a crash after `process` but before the bookkeeping: the state file says pending
    db = sqlite3.connect(str(w.lanes.folder / f"r-hub-{SPOKE}.db"))
    with db:
        db.execute("UPDATE messages SET status='pending' WHERE status='delivered'")
    db.close()
    w.lanes.close()
    w.lanes.open()  # restarted agents, same state files
    w.lanes.step()
    assert w.lanes.pending() == 2  # the two forged messages stay refused, nothing else
    assert int(w.spoke.call(w.route.spoke_token, "totalSupply")) == supply + 3 * 10**9
    w.conserved()


def test_token_leg_gas_is_measured(w: World) -> None:
    gas = tk.measure_token_leg(w.lanes, w.route, w.bob, 10**9)
    assert set(gas) == {"send", "deliver", "return", "release"}
    assert all(21_000 < g < 2_000_000 for g in gas.values()), gas
    w.conserved()


@st.composite
def _ops(draw: st.DrawFn) -> list[tuple[str, int]]:
    kinds = st.sampled_from(["send", "return", "period", "down", "up", "both"])
    return draw(st.lists(st.tuples(kinds, st.integers(1, 5 * 10**9)), min_size=3, max_size=7))


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=_ops())
def test_conservation_and_solvency_over_random_sequences(
    w: World, ops: list[tuple[str, int]]
) -> None:
    """Random sends, returns, hub periods and one-way relays (so index messages
    cross returns in flight): supply is conserved after every step, and once
    everything is relayed the spoke token holds at least what its holders can claim."""
    holders = (w.alice, w.bob)
    for k, (op, amount) in enumerate(ops):
        who = holders[k % 2]
        if op == "send":
            free = w.s.deal.balances(who)[w.s.deal.tranche_names[0]]
            if free >= amount:
                tk.send_to_spoke(w.hub, w.route, who, who, amount)
        elif op == "return":
            held = int(w.spoke.call(w.route.spoke_token, "balanceOf", [who]))
            if held >= amount:
                tk.send_home(w.spoke, w.route, who, who, amount)
        elif op == "period":
            w.period()
        else:
            for v in (*w.lanes.hub_vals, *w.lanes.spoke_vals):
                v.step()
            if op in ("down", "both"):
                w.lanes.down.step()
            if op in ("up", "both"):
                w.lanes.up.step()
        w.conserved()
    w.lanes.step(3)
    c = w.conserved()
    assert c.minting == c.returning == 0
    cash = int(w.spoke.call(w.route.warp.spoke_router, "balanceOf", [w.route.spoke_token]))
    assert cash >= sum(w.spoke_claimable(h) for h in holders)

"""The settlement token over Hyperlane's published warp route (HypERC20Collateral
on the hub, HypERC20 on the spoke), relayed by the Python agents: both legs
arrive and the hub's locked collateral equals the spoke's synthetic supply."""

from __future__ import annotations

import pytest

from trancheflow.bridge.message import address_to_bytes32
from trancheflow.bridge.relayer import Relayer
from trancheflow.bridge.routes import CONTRACTS
from trancheflow.bridge.validator import Validator
from trancheflow.bridge.warp import deploy_warp_route
from trancheflow.errors import BridgeError

from .conftest import HUB, SPOKE, Net


def test_cash_round_trip_conserves_supply(net: Net) -> None:
    usdc = net.hub.deploy_vyper(CONTRACTS.parent / "mocks" / "MockUSDC.vy")
    w = deploy_warp_route(net.hub, net.hub_core, usdc, net.spoke, net.spoke_core)
    alice = net.hub.accounts[1]
    net.hub.transact(usdc, "mint", [alice, 10**9])
    net.hub.transact(usdc, "approve", [w.hub_router, 10**9], sender=alice)
    net.hub.transact(
        w.hub_router, "transferRemote", [SPOKE, address_to_bytes32(alice), 4 * 10**8], sender=alice
    )
    hub_vals = [
        Validator(net.hub, net.hub_core, k, net.tmp / f"h{i}.db")
        for i, k in enumerate(net.keys[:2])
    ]
    to_spoke = Relayer(
        net.hub,
        net.hub_core,
        {SPOKE: (net.spoke, net.spoke_core)},
        [v.store() for v in hub_vals],
        net.tmp / "rh.db",
    )
    for v in hub_vals:
        v.step()
    assert len(to_spoke.step()) == 1
    assert net.spoke.call(w.spoke_router, "balanceOf", [alice]) == 4 * 10**8
    net.spoke.transact(
        w.spoke_router, "transferRemote", [HUB, address_to_bytes32(alice), 10**8], sender=alice
    )
    spoke_vals = net.validators([0, 1])
    to_hub = Relayer(
        net.spoke,
        net.spoke_core,
        {HUB: (net.hub, net.hub_core)},
        [v.store() for v in spoke_vals],
        net.tmp / "rs.db",
    )
    for v in spoke_vals:
        v.step()
    assert len(to_hub.step()) == 1
    locked = net.hub.call(usdc, "balanceOf", [w.hub_router])
    assert locked == net.spoke.call(w.spoke_router, "totalSupply") == 3 * 10**8
    assert net.hub.call(usdc, "balanceOf", [alice]) == 7 * 10**8


def test_unenrolled_sender_cannot_release_collateral(net: Net) -> None:
    """A message to the collateral router from a sender that is not its enrolled
    spoke router is refused by the published router even with a valid quorum."""
    usdc = net.hub.deploy_vyper(CONTRACTS.parent / "mocks" / "MockUSDC.vy")
    w = deploy_warp_route(net.hub, net.hub_core, usdc, net.spoke, net.spoke_core)
    body = address_to_bytes32(net.spoke.accounts[2]) + (10**6).to_bytes(32, "big")
    # an EOA on the spoke dispatches a token message straight to the hub router
    net.spoke.transact(
        net.spoke_core.mailbox, "dispatch", [HUB, address_to_bytes32(w.hub_router), body]
    )
    vals = net.validators([0, 1])
    for v in vals:
        v.step()
    r = Relayer(
        net.spoke,
        net.spoke_core,
        {HUB: (net.hub, net.hub_core)},
        [v.store() for v in vals],
        net.tmp / "r.db",
    )
    assert r.step() == []
    (d,) = r.deliveries()
    assert d.status == "pending" and d.attempts == 1 and "reverted" in (d.last_error or "")
    assert net.hub.call(usdc, "balanceOf", [w.hub_router]) == 0
    with pytest.raises(BridgeError):
        net.hub.transact(w.hub_router, "handle", [SPOKE, address_to_bytes32(w.spoke_router), body])


def test_inbound_rate_limit_queues_excess_and_pause_keeps_it(net: Net) -> None:
    """Spoke cash arrives at the spoke's InboundLimiter: a token bucket releases at
    most its level to the deal, the excess waits (never dropped), a pause holds it."""
    usdc = net.hub.deploy_vyper(CONTRACTS.parent / "mocks" / "MockUSDC.vy")
    w = deploy_warp_route(net.hub, net.hub_core, usdc, net.spoke, net.spoke_core)
    deal = net.hub.accounts[5]
    cap, rate = 10**8, 1000  # 100 units of 6-decimal cash at once, 0.001/s refill
    lim = net.hub.deploy_vyper(CONTRACTS / "InboundLimiter.vy", [usdc, deal, cap, rate])
    alice = net.hub.accounts[1]
    # collateral on the hub, synthetic on the spoke (hub -> spoke leg)
    net.hub.transact(usdc, "mint", [alice, 10**9])
    net.hub.transact(usdc, "approve", [w.hub_router, 10**9], sender=alice)
    net.hub.transact(
        w.hub_router, "transferRemote", [SPOKE, address_to_bytes32(alice), 10**9], sender=alice
    )
    hv = [
        Validator(net.hub, net.hub_core, k, net.tmp / f"h{i}.db")
        for i, k in enumerate(net.keys[:2])
    ]
    for v in hv:
        v.step()
    Relayer(
        net.hub,
        net.hub_core,
        {SPOKE: (net.spoke, net.spoke_core)},
        [v.store() for v in hv],
        net.tmp / "rh.db",
    ).step()
    # the spoke sends 3.5 buckets of cash to its limiter on the hub
    sent = 35 * 10**7
    net.spoke.transact(
        w.spoke_router, "transferRemote", [HUB, address_to_bytes32(lim), sent], sender=alice
    )
    sv = net.validators([0, 1])
    for v in sv:
        v.step()
    assert (
        len(
            Relayer(
                net.spoke,
                net.spoke_core,
                {HUB: (net.hub, net.hub_core)},
                [v.store() for v in sv],
                net.tmp / "rs.db",
            ).step()
        )
        == 1
    )
    net.hub.transact(lim, "release")
    assert net.hub.call(usdc, "balanceOf", [deal]) == cap
    assert net.hub.call(lim, "queued") == sent - cap
    net.hub.transact(lim, "release")  # one second later: only the refill passes
    assert net.hub.call(usdc, "balanceOf", [deal]) == cap + rate
    net.hub.transact(lim, "set_paused", [True])
    net.hub.backend.advance_time(10**6)
    with pytest.raises(BridgeError, match="limiter: paused"):
        net.hub.transact(lim, "release")
    assert net.hub.call(lim, "queued") == sent - cap - rate  # held, not dropped
    net.hub.transact(lim, "set_paused", [False])
    while net.hub.call(lim, "queued") > 0:
        net.hub.backend.advance_time(10**5)
        net.hub.transact(lim, "release")
    assert net.hub.call(usdc, "balanceOf", [deal]) == sent == net.hub.call(lim, "released_total")
    with pytest.raises(BridgeError, match="limiter: only owner"):
        net.hub.transact(lim, "set_paused", [True], sender=alice)

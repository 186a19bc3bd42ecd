"""The settlement token's warp route: Hyperlane's published HypERC20Collateral
on the hub (locks the real token) and HypERC20 on a spoke (mints and burns a
synthetic 1:1), both on the chains' Mailboxes and default multisig ISMs.

Per-spoke inbound rate limit: the spoke sends its cash to its own
``InboundLimiter`` (``chain/contracts/bridge/InboundLimiter.vy``) on the hub,
a token bucket that forwards to the deal and queues the excess; pausing it
holds the queue. A failed delivery stays pending in the relayer and is retried.
"""

from __future__ import annotations

from dataclasses import dataclass

from trancheflow.bridge.chain import EmbeddedChain, HyperlaneCore
from trancheflow.bridge.message import address_to_bytes32

__all__ = ["WarpRoute", "deploy_warp_route"]


@dataclass(frozen=True)
class WarpRoute:
    """The two ends of one token route."""

    hub_domain: int
    hub_router: str
    spoke_domain: int
    spoke_router: str


def deploy_warp_route(
    hub: EmbeddedChain,
    hub_core: HyperlaneCore,
    token: str,
    spoke: EmbeddedChain,
    spoke_core: HyperlaneCore,
    *,
    decimals: int = 6,
    name: str = "Settlement (spoke synthetic)",
    symbol: str = "sUSD",
) -> WarpRoute:
    """Deploy and enroll a collateral (hub) / synthetic (spoke) router pair."""
    coll = hub.deploy("HypERC20Collateral", [token, 1, 1, hub_core.mailbox])
    hub.transact(coll, "initialize", [hub_core.default_hook, hub_core.ism, hub.accounts[0]])
    syn = spoke.deploy("HypERC20", [decimals, 1, 1, spoke_core.mailbox])
    spoke.transact(
        syn, "initialize",
        [0, name, symbol, spoke_core.default_hook, spoke_core.ism, spoke.accounts[0]],
    )  # fmt: skip
    hub.transact(coll, "enrollRemoteRouter", [spoke.domain, address_to_bytes32(syn)])
    spoke.transact(syn, "enrollRemoteRouter", [hub.domain, address_to_bytes32(coll)])
    return WarpRoute(hub.domain, coll, spoke.domain, syn)

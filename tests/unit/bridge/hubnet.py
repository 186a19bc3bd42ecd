"""A hub deal fed by two spokes, all on embedded chains, end to end.

Hub: Hyperlane core whose default ISM is the published ``DomainRoutingIsm``
(spoke A's and spoke B's own 2-of-3 validator sets), H1's Deal deployed with
the ``HubReportOracle`` blueprint and bound to a ``HubInbox``, one warp route
per spoke (``HypERC20Collateral`` locking the deal's settlement token on the
hub, ``HypERC20`` synthetic on the spoke) and one ``InboundLimiter`` per spoke
releasing to the deal's oracle. Spokes: core whose ISM trusts the hub's own
validator set (hub -> spoke token leg), a ``SpokeOutbox`` and a servicer that
holds synthetic cash bridged from the hub at the start.
"""

from __future__ import annotations

from pathlib import Path

from eth_account import Account

from trancheflow.bridge.chain import EmbeddedChain, deploy_core
from trancheflow.bridge.hub import HUB_ORACLE, bind_hub_deal, deploy_limiter, release_all
from trancheflow.bridge.message import address_to_bytes32
from trancheflow.bridge.relayer import Relayer
from trancheflow.bridge.routes import deal_id, deploy_inbox, deploy_outbox, open_deal
from trancheflow.bridge.validator import Validator
from trancheflow.bridge.warp import deploy_warp_route
from trancheflow.chain.client import DealClient
from trancheflow.chain.deployments import DeploymentStore
from trancheflow.chain.reports import ServicerReport, signer_addresses
from trancheflow.chain.servicer import ServicerFeed
from trancheflow.deal.exact import ExactWaterfall
from trancheflow.deal.onchain import onchain_params
from trancheflow.deal.spec import load_spec

from ..chain.client.scenario import EXAMPLE, SIGNER_KEYS, WINDOW
from .conftest import key

HUB, SPOKE_A, SPOKE_B = 73001, 73002, 73003
SPOKES = (SPOKE_A, SPOKE_B)
PERIOD = 30 * 86400


class HubNet:
    """The two-spoke hub deal; ``seed`` is each spoke servicer's synthetic float."""

    def __init__(self, tmp: Path, seed: int, capacity: int) -> None:
        self.tmp = tmp
        self.keys = {d: [key(f"net-{d}-{i}") for i in range(3)] for d in (HUB, *SPOKES)}
        addrs = {d: [Account.from_key(k).address for k in ks] for d, ks in self.keys.items()}
        self.hub = EmbeddedChain(HUB)
        self.spokes = {d: EmbeddedChain(d) for d in SPOKES}
        self.hub_core = deploy_core(self.hub, origins={d: (addrs[d], 2) for d in SPOKES})
        self.cores = {d: deploy_core(c, addrs[HUB], 2) for d, c in self.spokes.items()}
        # the deal (H1's Deal.vy) with the hub oracle blueprint
        self.client = DealClient(self.hub.backend, DeploymentStore(None))
        self.spec = load_spec(EXAMPLE, onchain=True)
        self.feed = ServicerFeed(self.spec)
        self.issuer = self.client.accounts[0]
        self.deal = self.client.deploy_deal(
            self.spec,
            signers=signer_addresses(SIGNER_KEYS),
            quorum=2,
            dispute_window=WINDOW,
            oracle_contract=HUB_ORACLE,
        )
        self.usdc = self.deal.record.settlement
        self.oracle = self.deal.oracle
        params = onchain_params(self.spec, self.feed.pool_balance_units)
        self.wf = ExactWaterfall(params.to_waterfall_params())
        self.state = self.wf.initial_state(self.feed.pool_balance_units)
        # routes: inbox, outboxes, warp routes, limiters
        self.inbox = deploy_inbox(self.hub, self.hub_core)
        self.deal_id = deal_id("two-spoke hub deal")
        self.servicer = {d: c.accounts[1] for d, c in self.spokes.items()}
        self.routes = {
            d: deploy_outbox(c, self.cores[d], HUB, self.inbox, self.deal_id, self.servicer[d])
            for d, c in self.spokes.items()
        }
        open_deal(
            self.hub,
            self.inbox,
            self.deal_id,
            list(self.routes.values()),
            self.hub.backend.timestamp() + PERIOD,
            PERIOD,
        )
        self.warp = {
            d: deploy_warp_route(self.hub, self.hub_core, self.usdc, c, self.cores[d])
            for d, c in self.spokes.items()
        }
        self.limiters = {
            d: deploy_limiter(self.hub, self.usdc, self.oracle, capacity, capacity // PERIOD)
            for d in SPOKES
        }
        bind_hub_deal(self.hub.backend, self.deal.address, self.oracle, self.inbox, self.deal_id)
        # agents: two of three validators per origin, one relayer per direction
        self.vals = {
            d: [
                Validator(c, self.cores[d] if d != HUB else self.hub_core, k, tmp / f"v{d}-{i}.db")
                for i, k in enumerate(self.keys[d][:2])
            ]
            for d, c in ((HUB, self.hub), *self.spokes.items())
        }
        self.to_hub = {
            d: Relayer(
                c,
                self.cores[d],
                {HUB: (self.hub, self.hub_core)},
                [v.store() for v in self.vals[d]],
                tmp / f"r{d}.db",
            )
            for d, c in self.spokes.items()
        }
        self.from_hub = Relayer(
            self.hub,
            self.hub_core,
            {d: (c, self.cores[d]) for d, c in self.spokes.items()},
            [v.store() for v in self.vals[HUB]],
            tmp / "rhub.db",
        )
        # the spokes' cash float: the issuer's USDC locked on the hub, minted on each spoke
        self.minted = 10**9 * 10**6
        self.client.mint_mock(self.usdc, self.issuer, self.minted)
        for d in SPOKES:
            self.client.backend.transact(
                "MockUSDC", self.usdc, "approve", [self.warp[d].hub_router, seed]
            )
            self.hub.transact(
                self.warp[d].hub_router,
                "transferRemote",
                [d, address_to_bytes32(self.servicer[d]), seed],
            )
        self.relay()
        for d in SPOKES:
            assert self.synthetic(d, self.servicer[d]) == seed

    # ----------------------------------------------------------------- views
    def synthetic(self, d: int, who: str) -> int:
        return int(self.spokes[d].call(self.warp[d].spoke_router, "balanceOf", [who]))

    def usdc_of(self, who: str) -> int:
        return int(self.client.backend.call("MockUSDC", self.usdc, "balanceOf", [who]))

    def conserved(self) -> None:
        """Σ settlement token across chains: every unit the issuer minted is on
        the hub (anywhere) and each route's locked collateral equals its spoke's
        synthetic supply (no message in flight)."""
        supply = int(self.client.backend.call("MockUSDC", self.usdc, "totalSupply", []))
        assert supply == self.minted
        for d in SPOKES:
            locked = self.usdc_of(self.warp[d].hub_router)
            assert locked == int(self.spokes[d].call(self.warp[d].spoke_router, "totalSupply"))

    # ----------------------------------------------------------------- verbs
    def send(self, d: int, report: ServicerReport, balance: int) -> None:
        """The spoke's servicer sends its report and bridges its collections to its limiter."""
        c, me = self.spokes[d], self.servicer[d]
        c.transact(self.routes[d].outbox, "send_report", [report.as_tuple(), balance], sender=me)
        if report.cash:
            c.transact(
                self.warp[d].spoke_router,
                "transferRemote",
                [HUB, address_to_bytes32(self.limiters[d]), report.cash],
                sender=me,
            )

    def relay(self) -> list[bytes]:
        for vs in self.vals.values():
            for v in vs:
                v.step()
        out = [m for r in self.to_hub.values() for m in r.step()]
        return out + self.from_hub.step()

    def release(self) -> int:
        return release_all(self.hub, list(self.limiters.values()))

    def close(self) -> None:
        self.hub.backend.advance_time(PERIOD)
        self.hub.transact(self.inbox, "close_period", [self.deal_id])

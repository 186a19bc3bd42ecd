"""Bridge gas and latency of a hub deal fed by a spoke, on two in-process chains
(titanoboa), Hyperlane's published contracts (@hyperlane-xyz/core 12.1.0),
2-of-3 validators (development keys derived from fixed labels).

    .venv/bin/python bench/bridge.py --reports 5

The hub: Mailbox whose default ISM is the published ``DomainRoutingIsm`` routing
the spoke's domain to its own ``StaticMessageIdMultisigIsm``; H1's Deal
(``examples/deals/example.yaml``) deployed with the ``HubReportOracle``
blueprint and bound to a ``HubInbox``; the settlement token's warp route
(``HypERC20Collateral`` on the hub, ``HypERC20`` on the spoke) into the
spoke's ``InboundLimiter``. Each period the spoke sends the deal's whole report
and bridges its cash; the hub releases, closes the inbox period, pushes the
summed report (hub-reporter path) and finalizes.

Whole-transaction gas (21,000 base + calldata + execution - refund, from cold
state: ``trancheflow.chain.gas``), means over ``--reports`` periods after the
first:

* ``report_delivery_gas``: ``Mailbox.process`` on the hub delivering one spoke
  sub-pool report into ``HubInbox`` (routing ISM + 2 signature checks);
  ``report_send_gas``: ``SpokeOutbox.send_report`` on the spoke;
* ``cash_leg_gas``: ``Mailbox.process`` of one settlement-token transfer spoke
  -> hub (collateral released into the limiter); ``cash_send_gas``: the
  spoke's ``transferRemote``;
* ``release_gas``, ``push_gas``, ``finalize_gas``: ``InboundLimiter.release``,
  ``HubReportOracle.push_report`` (the deal stages the summed report and pulls
  its cash), ``Deal.finalize``;
* ``token_leg_gas``: a tranche token's transfer leg (H5's
  ``bridge.tokens.measure_token_leg``: TrancheGateway lock on the hub, mint on
  the spoke, burn on the spoke, release on the hub), the mean of its two
  delivery legs (``process`` of the mint on the spoke and of the release on
  the hub); ``token_send_gas``/``token_return_gas`` the two sending sides.
  When that module is absent, ``token_leg_gas`` is the cash leg;
* ``latency_blocks``: blocks the destination chain mines per delivered message
  once the validators have signed (the relayer's ``process``);
  ``e2e_hub_blocks``: hub blocks from the period's first delivery to the
  summed report staged on the deal (deliveries, release, close, push), in this
  single-process loop where every transaction is its own block. On real nodes
  add the validators' confirmation depth and the agents' polling.

Last line: ``report_delivery_gas=<n> token_leg_gas=<n>`` preceded by the others.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_hash.auto import keccak

from trancheflow.bridge.chain import EmbeddedChain, deploy_core
from trancheflow.bridge.hub import HUB_ORACLE, bind_hub_deal, deploy_limiter
from trancheflow.bridge.message import address_to_bytes32
from trancheflow.bridge.relayer import Relayer
from trancheflow.bridge.routes import CONTRACTS, deal_id, deploy_inbox, deploy_outbox, open_deal
from trancheflow.bridge.validator import Validator
from trancheflow.bridge.warp import deploy_warp_route
from trancheflow.chain.client import DealClient
from trancheflow.chain.compile import contract_path
from trancheflow.chain.deployments import DeploymentStore
from trancheflow.chain.reports import signer_addresses
from trancheflow.chain.servicer import ServicerFeed
from trancheflow.deal.spec import load_spec

PERIOD, WINDOW = 30 * 86400, 3_600
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "deals" / "example.yaml"


def _mean(xs: list[int]) -> int:
    return round(statistics.mean(xs[1:] if len(xs) > 1 else xs))


def _tranche_leg(hub: Any, hc: Any, spoke: Any, sc: Any, keys: list[bytes], deal: Any, warp: Any,
                 tmp: Path) -> dict[str, int] | None:  # fmt: skip
    """H5's tranche-token round trip, when ``trancheflow.bridge.tokens`` is present."""
    try:
        from trancheflow.bridge.tokens import Lanes, deploy_token_route, measure_token_leg
    except ImportError:
        return None
    route = deploy_token_route(hub, hc, deal.token(0), deal.record.settlement, spoke, sc, warp=warp)
    (tmp / "lanes").mkdir()
    lanes = Lanes(hub, hc, spoke, sc, keys, tmp / "lanes")
    holder = hub.accounts[0]  # the issuer holds every tranche at closing
    return measure_token_leg(lanes, route, holder, 10**6 * 1_000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=5, help="periods to measure (>= 2)")
    n = max(2, ap.parse_args().reports)
    keys = [bytes(keccak(f"bench validator {i}".encode())) for i in range(3)]
    addrs = [Account.from_key(k).address for k in keys]
    hub, spoke = EmbeddedChain(73001), EmbeddedChain(73002)
    hc = deploy_core(hub, origins={spoke.domain: (addrs, 2)})
    sc = deploy_core(spoke, addrs, 2)
    client = DealClient(hub.backend, DeploymentStore(None))
    spec = load_spec(EXAMPLE, onchain=True)
    feed = ServicerFeed(spec)
    deal = client.deploy_deal(
        spec,
        signers=signer_addresses([0x5EED0001, 0x5EED0002, 0x5EED0003]),
        quorum=2,
        dispute_window=WINDOW,
        oracle_contract=HUB_ORACLE,
    )
    usdc, oracle = deal.record.settlement, deal.oracle
    inbox = deploy_inbox(hub, hc)
    did = deal_id("bench deal")
    servicer = spoke.accounts[1]
    route = deploy_outbox(spoke, sc, hub.domain, inbox, did, servicer)
    open_deal(hub, inbox, did, [route], hub.backend.timestamp() + PERIOD, PERIOD)
    warp = deploy_warp_route(hub, hc, usdc, spoke, sc)
    limiter = deploy_limiter(hub, usdc, oracle, 10**18, 10**12)
    bind_hub_deal(hub.backend, deal.address, oracle, inbox, did)
    hub.attach_vyper(CONTRACTS / "HubReportOracle.vy", oracle)  # whole-transaction gas
    hub.attach_vyper(contract_path("Deal"), deal.address)
    float_ = sum(feed.report(t).cash for t in range(1, n + 1))
    client.mint_mock(usdc, hub.accounts[0], float_ + 10**9)  # + the token gateway's dust reserve
    gas: dict[str, list[int]] = {}

    def note(key: str, value: int) -> None:
        gas.setdefault(key, []).append(int(value))

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        hv = [Validator(hub, hc, k, tmp / f"h{i}.db") for i, k in enumerate(keys[:2])]
        sv = [Validator(spoke, sc, k, tmp / f"s{i}.db") for i, k in enumerate(keys[:2])]
        to_spoke = Relayer(
            hub, hc, {spoke.domain: (spoke, sc)}, [v.store() for v in hv], tmp / "a.db"
        )
        to_hub = Relayer(spoke, sc, {hub.domain: (hub, hc)}, [v.store() for v in sv], tmp / "b.db")
        # the spoke servicer's synthetic float: hub -> spoke leg
        hub.backend.transact("MockUSDC", usdc, "approve", [warp.hub_router, float_])
        hub.transact(
            warp.hub_router, "transferRemote", [spoke.domain, address_to_bytes32(servicer), float_]
        )
        for v in hv:
            v.step()
        to_spoke.step()
        latency, e2e = [], []
        for p in range(1, n + 1):
            r = feed.report(p)
            sent = spoke.transact(
                route.outbox, "send_report", [r.as_tuple(), 10**11], sender=servicer
            )
            note("report_send", sent.gas_used)
            to = address_to_bytes32(limiter)
            paid = spoke.transact(
                warp.spoke_router, "transferRemote", [hub.domain, to, r.cash], sender=servicer
            )
            note("cash_send", paid.gas_used)
            for v in sv:
                v.step()
            first = hub.latest_block()
            done = to_hub.step()
            latency.append((hub.latest_block() - first) / max(1, len(done)))
            note("release", hub.transact(limiter, "release").gas_used)
            hub.backend.advance_time(PERIOD)
            hub.transact(inbox, "close_period", [did])
            note("push", hub.transact(oracle, "push_report", [p]).gas_used)
            e2e.append(hub.latest_block() - first)
            client.advance_time(WINDOW)
            pi = (p, r.interest, r.scheduled_principal, r.prepayments, r.recoveries, r.losses,
                  r.delinquent_60_plus)  # fmt: skip
            note("finalize", hub.transact(deal.address, "finalize", [pi]).gas_used)
        ds = to_hub.deliveries()
        assert all(d.status == "delivered" for d in ds) and deal.period() == n
        reports = [d.gas_used or 0 for d in ds if d.nonce % 2 == 0]
        cash = [d.gas_used or 0 for d in ds if d.nonce % 2 == 1]
        leg = _tranche_leg(hub, hc, spoke, sc, keys, deal, warp, tmp)
    print(f"report deliveries: {reports}")
    print(f"cash legs: {cash}")
    rd, cl = _mean(reports), _mean(cash)
    figures = {
        "report_send_gas": _mean(gas["report_send"]),
        "cash_send_gas": _mean(gas["cash_send"]),
        "cash_leg_gas": cl,
        "release_gas": _mean(gas["release"]),
        "push_gas": _mean(gas["push"]),
        "finalize_gas": _mean(gas["finalize"]),
        "latency_blocks": max(latency),
        "e2e_hub_blocks": max(e2e),
        "periods": n,
    }
    if leg is not None:
        print(f"tranche token round trip: {leg}")
        figures["token_send_gas"] = leg["send"]
        figures["token_return_gas"] = leg["return"]
        tl = round((leg["deliver"] + leg["release"]) / 2)
    else:
        print("tranche token leg: trancheflow.bridge.tokens absent; token_leg_gas = cash leg")
        tl = cl
    print(" ".join(f"{k}={v:g}" for k, v in figures.items()))
    print(f"report_delivery_gas={rd} token_leg_gas={tl}")


if __name__ == "__main__":
    main()

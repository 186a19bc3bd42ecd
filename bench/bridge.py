"""Bridge gas and latency on two in-process chains (titanoboa), Hyperlane's
published contracts (@hyperlane-xyz/core 12.1.0), 2-of-3 validators.

    .venv/bin/python bench/bridge.py --reports 5

Measures whole-transaction gas (21,000 base + calldata + execution - refund,
from cold state: ``trancheflow.chain.gas``) of:

* ``report_delivery_gas``: ``Mailbox.process`` on the hub delivering one spoke
  sub-pool report into ``HubInbox`` (ISM verification of 2 signatures
  included), the mean over ``--reports`` periods after the first;
* ``report_send_gas``: ``SpokeOutbox.send_report`` on the spoke (dispatch +
  merkle-tree insert);
* ``token_leg_gas``: ``Mailbox.process`` delivering one warp-route transfer
  spoke -> hub (HypERC20 burn on the spoke, HypERC20Collateral release on the
  hub), mean over the same count; ``token_send_gas``: the spoke-side
  ``transferRemote``;
* ``latency_blocks``: hub blocks per delivered message between the
  validators' signing and delivery in this single-process loop (1: the
  relayer's process transaction); on a
  real pair of nodes latency is the validators' confirmation depth plus the
  relayer's polling, which this figure does not model.

Last line: ``report_delivery_gas=<n> token_leg_gas=<n>`` preceded by the others.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from eth_account import Account
from eth_hash.auto import keccak

from trancheflow.bridge.chain import EmbeddedChain, deploy_core
from trancheflow.bridge.message import address_to_bytes32
from trancheflow.bridge.relayer import Relayer
from trancheflow.bridge.routes import CONTRACTS, deal_id, deploy_inbox, deploy_outbox, open_deal
from trancheflow.bridge.validator import Validator
from trancheflow.bridge.warp import deploy_warp_route
from trancheflow.chain.reports import ServicerReport

PERIOD = 30 * 86400


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=5, help="periods to measure (>= 2)")
    n = max(2, ap.parse_args().reports)
    keys = [bytes(keccak(f"bench validator {i}".encode())) for i in range(3)]
    addrs = [Account.from_key(k).address for k in keys]
    hub, spoke = EmbeddedChain(73001), EmbeddedChain(73002)
    hc, sc = deploy_core(hub, addrs, 2), deploy_core(spoke, addrs, 2)
    inbox = deploy_inbox(hub, hc)
    deal = deal_id("bench deal")
    servicer = spoke.accounts[1]
    route = deploy_outbox(spoke, sc, hub.domain, inbox, deal, servicer)
    open_deal(hub, inbox, deal, [route], hub.backend.timestamp() + PERIOD, PERIOD)
    usdc = hub.deploy_vyper(CONTRACTS.parent / "mocks" / "MockUSDC.vy")
    warp = deploy_warp_route(hub, hc, usdc, spoke, sc)
    with tempfile.TemporaryDirectory() as tmp:
        hv = [Validator(hub, hc, k, Path(tmp) / f"h{i}.db") for i, k in enumerate(keys[:2])]
        sv = [Validator(spoke, sc, k, Path(tmp) / f"s{i}.db") for i, k in enumerate(keys[:2])]
        to_spoke = Relayer(
            hub, hc, {spoke.domain: (spoke, sc)}, [v.store() for v in hv], Path(tmp) / "a.db"
        )
        to_hub = Relayer(
            spoke, sc, {hub.domain: (hub, hc)}, [v.store() for v in sv], Path(tmp) / "b.db"
        )
        # fund the spoke servicer with synthetic cash: hub -> spoke leg
        hub.transact(usdc, "mint", [servicer, 10**12])
        hub.transact(usdc, "approve", [warp.hub_router, 10**12], sender=servicer)
        hub.transact(
            warp.hub_router,
            "transferRemote",
            [spoke.domain, address_to_bytes32(servicer), 10**12],
            sender=servicer,
        )
        for v in hv:
            v.step()
        to_spoke.step()
        send, sendtok, latency = [], [], []
        for p in range(1, n + 1):
            r = ServicerReport(
                p,
                10**8 + p,
                5 * 10**8,
                10**7,
                0,
                0,
                dq60_balance=10**6,
                loans_root=bytes(keccak(b"root%d" % p)),
            )
            send.append(
                spoke.transact(
                    route.outbox, "send_report", [r.as_tuple(), 10**11], sender=servicer
                ).gas_used
            )
            sendtok.append(
                spoke.transact(
                    warp.spoke_router,
                    "transferRemote",
                    [hub.domain, address_to_bytes32(servicer), r.cash],
                    sender=servicer,
                ).gas_used
            )
            for v in sv:
                v.step()
            before = hub.latest_block()
            done = to_hub.step()
            latency.append((hub.latest_block() - before) / max(1, len(done)))
            hub.backend.advance_time(PERIOD)
            hub.transact(inbox, "close_period", [deal])
        ds = to_hub.deliveries()
        reports = [d.gas_used or 0 for d in ds if d.nonce % 2 == 0][1:]
        tokens = [d.gas_used or 0 for d in ds if d.nonce % 2 == 1][1:]
        assert all(d.status == "delivered" for d in ds)
    print(f"report deliveries: {reports}")
    print(f"token legs: {tokens}")
    rd, tl = round(statistics.mean(reports)), round(statistics.mean(tokens))
    print(
        f"report_send_gas={round(statistics.mean(send[1:]))} "
        f"token_send_gas={round(statistics.mean(sendtok[1:]))} "
        f"latency_blocks={max(latency):g} periods={n}"
    )
    print(f"report_delivery_gas={rd} token_leg_gas={tl}")


if __name__ == "__main__":
    main()

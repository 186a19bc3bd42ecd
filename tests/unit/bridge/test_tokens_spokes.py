"""One TrancheGateway serving two spokes of a tranche: each spoke's holders are
paid the hub rule over the intervals between that spoke's index messages (the
spokes synced at different times, amounts chosen so floors differ), the
gateway bridges no more than the token paid it, and supply is conserved on
both routes."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account

from trancheflow.bridge import tokens as tk
from trancheflow.bridge.chain import EmbeddedChain, deploy_core
from trancheflow.chain.client import DealClient
from trancheflow.chain.deployments import DeploymentStore
from trancheflow.chain.reports import sign_report

from ..chain.client.scenario import SIGNER_KEYS, WINDOW, Scenario
from .conftest import key

S = 10**27


@pytest.mark.slow
def test_two_spokes_on_one_gateway(tmp_path: Path) -> None:
    keys = [key(f"sp{i}") for i in range(3)]
    addrs = [Account.from_key(k).address for k in keys]
    hub = EmbeddedChain(74001)
    spokes = {d: EmbeddedChain(d) for d in (74002, 74003)}
    hub_core = deploy_core(hub, addrs, 2)
    cores = {d: deploy_core(c, addrs, 2) for d, c in spokes.items()}
    s = Scenario(DealClient(hub.backend, DeploymentStore(None)))
    tok, cash = s.deal.token(0), s.deal.record.settlement
    a, b = 74002, 74003
    ra = tk.deploy_token_route(hub, hub_core, tok, cash, spokes[a], cores[a])
    rb = tk.deploy_token_route(hub, hub_core, tok, cash, spokes[b], cores[b], gateway=ra.gateway)
    routes = {a: ra, b: rb}
    lanes = {d: tk.Lanes(hub, hub_core, c, cores[d], keys, tmp_path) for d, c in spokes.items()}

    def period(t: int) -> None:
        rep = s.feed.report(t)
        s.deal.submit_report(
            rep, sign_report(rep, SIGNER_KEYS[1:], s.client.chain_id, s.deal.address)
        )
        s.client.advance_time(WINDOW)
        s.deal.finalize(t)

    period(1)
    amounts = {a: 3 * 10**11 + 7, b: 5 * 10**11 + 3}
    tk.send_to_spoke(hub, ra, s.issuer, s.alice, amounts[a])
    tk.send_to_spoke(hub, rb, s.issuer, s.bob, amounts[b])
    for ln in lanes.values():
        ln.step()
    idx = [int(hub.call(tok, "index"))]
    synced = {a: [idx[0]], b: [idx[0]]}
    for t in range(2, 7):
        period(t)
        idx.append(int(hub.call(tok, "index")))
        tk.sync(hub, ra)
        synced[a].append(idx[-1])
        if t % 2 == 1:  # spoke b only every other period
            tk.sync(hub, rb)
            synced[b].append(idx[-1])
        for ln in lanes.values():
            ln.step()
    holder = {a: s.alice, b: s.bob}
    for d, r in routes.items():
        # the holder never settled in between: one floor, as a hub holder is paid
        want = amounts[d] * (synced[d][-1] - synced[d][0]) // S
        got = int(spokes[d].call(r.spoke_token, "claimable", [holder[d]]))
        assert got == want > 0
        spoke_cash = int(spokes[d].call(r.warp.spoke_router, "balanceOf", [r.spoke_token]))
        assert spoke_cash >= got
        assert tk.claim_on_spoke(spokes[d], r, holder[d]) == want
        c = tk.conservation(hub, hub_core, spokes[d], cores[d], r)
        assert c.locked == c.spoke_supply == amounts[d] and c.ok
    # everything due was bridged; the gateway's dust reserve was enough
    assert all(int(hub.call(ra.gateway, "owed", [d])) == 0 for d in routes)
    assert int(hub.call(tok, "claimable", [ra.gateway])) == 0
    for ln in lanes.values():
        ln.close()

"""Parity: a two-spoke deal on the embedded backend. Each period the collateral
engine's report (tests/unit/chain/client/scenario.py) is split between two
spokes, sent through SpokeOutbox -> Hyperlane (published Mailbox and ISM,
Python validators and relayer) -> HubInbox; the hub's summed report is attested
by the deal's oracle signers and finalized on H1's Deal. After every period the
deal equals, to the unit, the exact waterfall run on the summed inputs
(HubLedger), including a period where one spoke misses the deadline.

Cash here is deposited by the issuer account as in the single-chain scenario;
the warp route carrying it is tested on its own (test_warp.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from trancheflow.bridge.aggregate import HubLedger
from trancheflow.bridge.routes import summed_report
from trancheflow.chain.client import DealClient
from trancheflow.chain.deployments import DeploymentStore
from trancheflow.chain.reports import ServicerReport, sign_report

from ..chain.client.scenario import SIGNER_KEYS, WINDOW, Scenario
from .test_report_routes import SPOKE_A, SPOKE_B, Net

PERIODS = 6
MISS = {(3, SPOKE_B), (5, SPOKE_A)}  # (period, spoke) pairs that miss the deadline


def _split(r: ServicerReport, share_num: int, domain: int) -> ServicerReport:
    """The spoke's part of each amount (share_num / 5 for A, the rest for B)."""
    out = {}
    for f in dataclasses.fields(r):
        v = getattr(r, f.name)
        if f.name in ("period", "loans_root"):
            continue
        a = v * share_num // 5
        out[f.name] = a if domain == SPOKE_A else v - a
    root = bytes([domain % 256]) * 31 + bytes([r.period % 256])
    return ServicerReport(period=r.period, loans_root=root, **out)


@pytest.mark.parametrize(
    "periods", [PERIODS, pytest.param(60, marks=pytest.mark.slow, id="60-periods")]
)
def test_two_spoke_deal_equals_exact_waterfall_on_summed_reports(
    tmp_path: Path, periods: int
) -> None:
    net = Net(tmp_path)
    client = DealClient(net.hub.backend, DeploymentStore(None))
    s = Scenario(client)
    ledger = HubLedger([SPOKE_A, SPOKE_B])
    owed: dict[int, list[tuple[ServicerReport, int]]] = {SPOKE_A: [], SPOKE_B: []}
    for t in range(1, periods + 1):
        full = s.feed.report(t)
        for d in (SPOKE_A, SPOKE_B):
            part = _split(full, 3, d)
            balance = s.state.pool_balance * (3 if d == SPOKE_A else 2) // 5
            owed[d].append((part, balance))
            if (t, d) in MISS:
                continue
            for rr, bal in owed[d]:
                net.send(d, rr, bal)
                ledger.receive(d, rr, bal)
            owed[d] = []
        net.relay()
        net.close()
        summed = summed_report(net.hub, net.inbox, net.deal, t)
        assert summed == ledger.close()
        if t < 3:  # before any miss the hub's sum is the single-chain report
            assert dataclasses.replace(summed, loans_root=full.loans_root) == full
        sigs = sign_report(summed, SIGNER_KEYS[1:], client.chain_id, s.deal.address)
        s.deal.submit_report(summed, sigs)
        client.advance_time(WINDOW)
        s.deal.finalize(t)
        res = s.wf.run_period(s.state, ledger.period_input(t))
        s.state = res.state
        where = f"period {t}"
        assert list(s.deal.tranche_balances().values()) == [
            x.ending_balance for x in res.tranches
        ], where
        assert s.deal.pool_balance() == res.pool_ending, where
        assert s.deal.reserve() == res.reserve_balance, where
    assert ledger.delinquent[3] == [SPOKE_B] and ledger.delinquent[5] == [SPOKE_A]

"""Parity: a two-spoke hub deal on the embedded backend, cash and reports both
over Hyperlane. Each period the collateral engine's report is split between
two spokes; each spoke's servicer sends its sub-pool report (SpokeOutbox ->
Mailbox -> per-origin ISM -> HubInbox) and bridges its collections over the
settlement token's warp route (synthetic burned on the spoke, collateral
released on the hub) into its InboundLimiter; the token bucket releases to the
deal's HubReportOracle, queueing the excess until it refills. After the inbox
closes the period, anyone pushes the summed report (the hub-reporter path: no
oracle signer key), the deal pulls exactly its cash, and once finalized the
deal equals, to the unit, the exact waterfall run on HubLedger's summed inputs,
including periods where one spoke misses the deadline (its report and cash
count in the next period). Σ settlement token across chains is conserved
every period."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from trancheflow.bridge.aggregate import HubLedger
from trancheflow.bridge.hub import push_report
from trancheflow.bridge.routes import summed_report
from trancheflow.chain.reports import ServicerReport, signer_addresses
from trancheflow.errors import ChainError

from ..chain.client.scenario import SIGNER_KEYS, WINDOW
from .hubnet import SPOKE_A, SPOKE_B, SPOKES, HubNet

PERIODS = 6
MISS = {(3, SPOKE_B), (5, SPOKE_A)}  # (period, spoke) pairs that miss the deadline


def _split(r: ServicerReport, domain: int) -> ServicerReport:
    """The spoke's part of each amount (3/5 for A, the rest for B)."""
    out = {}
    for f in dataclasses.fields(r):
        if f.name in ("period", "loans_root"):
            continue
        v = getattr(r, f.name)
        a = v * 3 // 5
        out[f.name] = a if domain == SPOKE_A else v - a
    root = bytes([domain % 256]) * 31 + bytes([r.period % 256])
    return ServicerReport(period=r.period, loans_root=root, **out)


@pytest.mark.parametrize(
    "periods", [PERIODS, pytest.param(60, marks=pytest.mark.slow, id="60-periods")]
)
def test_two_spoke_deal_equals_exact_waterfall_on_summed_reports(
    tmp_path: Path, periods: int
) -> None:
    probe = ServicerFeedProbe()
    # bucket: 2/3 of spoke A's first-period cash at once, refilled once per period
    net = HubNet(tmp_path, seed=probe.total_cash(periods), capacity=probe.first_cash * 2 // 5)
    feed = net.feed
    ledger = HubLedger(list(SPOKES))
    owed: dict[int, list[tuple[ServicerReport, int]]] = {SPOKE_A: [], SPOKE_B: []}
    waited = 0
    be = net.client.backend
    with pytest.raises(ChainError, match="period not closed in the inbox"):
        push_report(be, net.oracle, 1)
    with pytest.raises(ChainError, match="only deal owner"):
        be.transact(
            "HubReportOracle", net.oracle, "bind_inbox", [net.inbox, net.deal_id],
            sender=be.accounts[3],
        )  # fmt: skip
    with pytest.raises(ChainError, match="inbox already bound"):
        be.transact("HubReportOracle", net.oracle, "bind_inbox", [be.accounts[3], net.deal_id])
    pool = feed.pool_balance_units
    for t in range(1, periods + 1):
        full = feed.report(t)
        pool -= full.scheduled_principal + full.prepayments + full.losses
        for d in SPOKES:
            part = _split(full, d)
            balance = pool * 3 // 5 if d == SPOKE_A else pool - pool * 3 // 5
            owed[d].append((part, balance))
            if (t, d) in MISS:
                continue
            for rr, bal in owed[d]:
                net.send(d, rr, bal)
                ledger.receive(d, rr, bal)
            owed[d] = []
        net.relay()
        assert all(x.status == "delivered" for r in net.to_hub.values() for x in r.deliveries())
        net.release()
        net.close()
        summed = summed_report(net.hub, net.inbox, net.deal_id, t)
        assert summed == ledger.close()
        if t < 3:  # before any miss the hub's sum is the single-chain report
            assert dataclasses.replace(summed, loans_root=full.loans_root) == full
        net.conserved()
        # the deal waits for queued cash rather than take part of it
        while net.usdc_of(net.oracle) < summed.cash:
            with pytest.raises(ChainError, match="bridged cash not yet released"):
                push_report(net.client.backend, net.oracle, t)
            waited += 1
            net.hub.backend.advance_time(86400 * 10)
            net.release()
        before = net.usdc_of(net.deal.address)
        push_report(net.client.backend, net.oracle, t, sender=net.client.accounts[7])
        assert net.usdc_of(net.deal.address) - before == summed.cash
        if t == 1:  # a pushed report is disputed like any other: a signer vetoes, the owner rules
            net.deal.veto(sender=signer_addresses(SIGNER_KEYS)[0])
            net.deal.uphold_report()
        net.client.advance_time(WINDOW)
        net.deal.finalize(t)
        res = net.wf.run_period(net.state, ledger.period_input(t))
        net.state = res.state
        where = f"period {t}"
        assert list(net.deal.tranche_balances().values()) == [
            x.ending_balance for x in res.tranches
        ], where
        assert net.deal.pool_balance() == res.pool_ending, where
        assert net.deal.reserve() == res.reserve_balance, where
        net.conserved()
    assert ledger.delinquent[3] == [SPOKE_B] and ledger.delinquent[5] == [SPOKE_A]
    assert waited > 0  # the rate limit held some cash back at least once
    # a period is pushed once: the deal refuses a second stage of it
    with pytest.raises(ChainError):
        push_report(net.client.backend, net.oracle, periods)


class ServicerFeedProbe:
    """Cash figures of the example deal's feed, to size the float and the bucket."""

    def __init__(self) -> None:
        from trancheflow.chain.servicer import ServicerFeed
        from trancheflow.deal.spec import load_spec

        from ..chain.client.scenario import EXAMPLE

        self.feed = ServicerFeed(load_spec(EXAMPLE, onchain=True))
        self.first_cash = self.feed.report(1).cash

    def total_cash(self, periods: int) -> int:
        return sum(self.feed.report(t).cash for t in range(1, periods + 1))

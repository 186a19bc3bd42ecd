"""Spoke -> hub sub-pool reports over the published Mailbox/ISM, the Python
validators and relayer, into HubInbox.vy; the hub's summed report equals the
Python mirror (HubLedger) period by period, and bad reports are refused."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from eth_account import Account
from eth_hash.auto import keccak

from trancheflow.bridge.aggregate import HubLedger
from trancheflow.bridge.chain import EmbeddedChain, deploy_core
from trancheflow.bridge.relayer import Relayer
from trancheflow.bridge.routes import (
    deal_id,
    deploy_inbox,
    deploy_outbox,
    open_deal,
    summed_report,
)
from trancheflow.bridge.validator import Validator
from trancheflow.chain.reports import ServicerReport
from trancheflow.deal.exact import ExactWaterfall
from trancheflow.errors import BridgeError

from .conftest import key

HUB, SPOKE_A, SPOKE_B = 72001, 72002, 72003
PERIOD = 30 * 86400


class Net:
    """A hub and two spokes; each spoke has its own 2-of-3 validator set (the hub's
    routing ISM keeps them apart) and relayer."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.hub = EmbeddedChain(HUB)
        self.spokes = {d: EmbeddedChain(d) for d in (SPOKE_A, SPOKE_B)}
        self.keys = {d: [key(f"{d}-{i}") for i in range(3)] for d in self.spokes}
        # the hub's default ISM routes each spoke to its own 2-of-3 set (DomainRoutingIsm)
        addrs = {d: [Account.from_key(k).address for k in ks] for d, ks in self.keys.items()}
        self.hub_core = deploy_core(self.hub, origins={d: (a, 2) for d, a in addrs.items()})
        self.cores = {d: deploy_core(c, addrs[d], 2) for d, c in self.spokes.items()}
        self.inbox = deploy_inbox(self.hub, self.hub_core)
        self.deal = deal_id("two-spoke test deal")
        self.servicer = {d: c.accounts[1] for d, c in self.spokes.items()}
        self.routes = {
            d: deploy_outbox(c, self.cores[d], HUB, self.inbox, self.deal, self.servicer[d])
            for d, c in self.spokes.items()
        }
        start = self.hub.backend.timestamp()
        open_deal(
            self.hub, self.inbox, self.deal, list(self.routes.values()), start + PERIOD, PERIOD
        )
        self.vals = {
            d: [
                Validator(c, self.cores[d], k, tmp / f"v{d}-{i}.db")
                for i, k in enumerate(self.keys[d][:2])
            ]
            for d, c in self.spokes.items()
        }
        self.relayers = {
            d: Relayer(
                c,
                self.cores[d],
                {HUB: (self.hub, self.hub_core)},
                [v.store() for v in self.vals[d]],
                tmp / f"r{d}.db",
            )
            for d, c in self.spokes.items()
        }

    def send(self, domain: int, report: ServicerReport, balance: int) -> None:
        self.spokes[domain].transact(
            self.routes[domain].outbox,
            "send_report",
            [report.as_tuple(), balance],
            sender=self.servicer[domain],
        )

    def relay(self) -> list[bytes]:
        for d in self.spokes:
            for v in self.vals[d]:
                v.step()
        return [m for d in self.spokes for m in self.relayers[d].step()]

    def close(self) -> None:
        self.hub.backend.advance_time(PERIOD)
        self.hub.transact(self.inbox, "close_period", [self.deal])


def _report(rng: random.Random, period: int, domain: int) -> ServicerReport:
    return ServicerReport(
        period=period,
        interest=rng.randrange(0, 10**9),
        scheduled_principal=rng.randrange(0, 10**9),
        prepayments=rng.randrange(0, 10**8),
        recoveries=rng.randrange(0, 10**6),
        losses=rng.randrange(0, 10**6),
        dq60_balance=rng.randrange(0, 10**7),
        dq90_balance=rng.randrange(0, 10**7),
        loans_root=bytes(keccak(f"{domain}/{period}".encode())),
    )


@pytest.fixture
def net(tmp_path: Path) -> Net:
    return Net(tmp_path)


def test_hub_sum_equals_python_mirror_with_missed_deadlines(net: Net) -> None:
    rng = random.Random(20221)
    ledger = HubLedger([SPOKE_A, SPOKE_B])
    owed: dict[int, list[tuple[ServicerReport, int]]] = {SPOKE_A: [], SPOKE_B: []}
    sent_cash = 0
    balance = {SPOKE_A: 10**12, SPOKE_B: 6 * 10**11}
    for period in range(1, 7):
        for d in (SPOKE_A, SPOKE_B):
            r = _report(rng, period, d)
            balance[d] -= r.scheduled_principal + r.prepayments + r.losses
            owed[d].append((r, balance[d]))
            sent_cash += r.cash
            if rng.random() < 0.3 and period < 6:
                continue  # this spoke misses the deadline; it sends with the next period
            for rr, bal in owed[d]:
                net.send(d, rr, bal)
                ledger.receive(d, rr, bal)
            owed[d] = []
        net.relay()
        stuck = [
            d for r in net.relayers.values() for d in r.deliveries() if d.status != "delivered"
        ]
        assert stuck == []
        net.close()
        expected = ledger.close()
        assert summed_report(net.hub, net.inbox, net.deal, period) == expected
    # no cash dropped: every spoke cash unit is in exactly one hub period
    assert sum(ledger.closed[p].cash for p in ledger.closed) == sent_cash
    assert any(ledger.delinquent[p] for p in ledger.closed)  # the seed exercises a miss


def test_exact_waterfall_runs_on_the_summed_inputs() -> None:
    """The period inputs the hub would submit run through the exact waterfall and conserve cash."""
    from trancheflow.deal.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parents[3] / "examples" / "deals" / "example.yaml")
    wf = ExactWaterfall(spec)
    ledger = HubLedger([SPOKE_A, SPOKE_B])
    rng = random.Random(7)
    state = wf.initial_state()
    for period in range(1, 4):
        for d in (SPOKE_A, SPOKE_B):
            r = _report(rng, period, d)
            small = ServicerReport(
                period,
                r.interest // 10**4,
                r.scheduled_principal // 10**4,
                0,
                0,
                0,
                loans_root=r.loans_root,
            )
            ledger.receive(d, small, 0)
        ledger.close()
        res = wf.run_period(state, ledger.period_input(period))
        assert res.cash_in == res.cash_out
        state = res.state


def test_failed_delivery_is_retried_without_loss(net: Net) -> None:
    """A report for period 2 while period 1 is open reverts in the inbox; the
    relayer keeps it pending and delivers it once period 2 opens."""
    net.send(SPOKE_A, _report(random.Random(1), 2, SPOKE_A), 5)
    assert net.relay() == []
    (d,) = net.relayers[SPOKE_A].deliveries()
    assert (
        d.status == "pending" and d.attempts == 1 and "inbox: wrong period" in (d.last_error or "")
    )
    net.close()
    assert len(net.relay()) == 1
    assert net.hub.call(net.inbox, "received", [net.deal, 2, SPOKE_A])


def test_bad_reports_never_count(net: Net) -> None:
    """Unknown sender, wrong deal, future period, period reported twice: each
    delivery reverts in the inbox and stays pending with its reason; only the
    one good report counts."""
    rng = random.Random(3)
    good = _report(rng, 1, SPOKE_A)
    spoke, core, servicer = net.spokes[SPOKE_A], net.cores[SPOKE_A], net.servicer[SPOKE_A]
    rogue = deploy_outbox(spoke, core, HUB, net.inbox, net.deal, servicer)  # never allowlisted
    other = deploy_outbox(spoke, core, HUB, net.inbox, deal_id("other deal"), servicer)
    spoke.transact(rogue.outbox, "send_report", [good.as_tuple(), 1], sender=servicer)
    spoke.transact(other.outbox, "send_report", [good.as_tuple(), 1], sender=servicer)
    net.send(SPOKE_A, _report(rng, 3, SPOKE_A), 1)
    net.send(SPOKE_A, good, 1)
    net.send(SPOKE_A, _report(rng, 1, SPOKE_A), 1)
    assert len(net.relay()) == 1
    reasons = [(d.status, d.last_error or "") for d in net.relayers[SPOKE_A].deliveries()]
    expected = [
        "inbox: unknown sender",
        "inbox: unknown sender",
        "inbox: wrong period",
        None,
        "inbox: period already reported",
    ]
    for (status, err), want in zip(reasons, expected, strict=True):
        if want is None:
            assert status == "delivered"
        else:
            assert status == "pending" and want in err
    assert summed_report(net.hub, net.inbox, net.deal, 1).interest == good.interest


def test_outbox_and_inbox_guards(net: Net) -> None:
    zero = ServicerReport(1, 1, 0, 0, 0, 0)
    with pytest.raises(BridgeError, match="outbox: zero loans root"):
        net.send(SPOKE_A, zero, 1)
    with pytest.raises(BridgeError, match="outbox: only servicer"):
        net.spokes[SPOKE_A].transact(
            net.routes[SPOKE_A].outbox,
            "send_report",
            [_report(random.Random(0), 1, SPOKE_A).as_tuple(), 1],
        )
    with pytest.raises(
        BridgeError, match="inbox: only mailbox"
    ):  # handle called directly, not via process
        net.hub.transact(net.inbox, "handle", [SPOKE_A, b"\x00" * 32, b"\x00" * 608])
    with pytest.raises(BridgeError, match="inbox: before deadline"):
        net.hub.transact(net.inbox, "close_period", [net.deal])
    led = HubLedger([SPOKE_A])
    for bad, msg in (
        (zero, "zero loans root"),
        (_report(random.Random(0), 2, SPOKE_A), "wrong period"),
    ):
        with pytest.raises(BridgeError, match=msg):
            led.receive(SPOKE_A, bad, 0)
    with pytest.raises(BridgeError, match="not an allowlisted spoke"):
        led.receive(SPOKE_B, _report(random.Random(0), 1, SPOKE_B), 0)

"""The scenario both backends run: a deal's first months from the collateral engine.

:func:`run_scenario` deploys ``examples/deals/example.yaml`` through a
:class:`~trancheflow.chain.client.DealClient`, then for each period builds the
servicer report with :class:`~trancheflow.chain.servicer.ServicerFeed`, has two
of three oracle signers attest it, submits, moves time past the dispute
window and finalizes; holders transfer and claim along the way. After every
period it compares the chain, to the unit, with an independent run of
:class:`~trancheflow.deal.exact.ExactWaterfall` fed the report's inputs and
with :class:`~trancheflow.chain.mirror.DealLedgerMirror` (holder index and
claims): tranche balances, factors, pool balance, reserve, residual owed, the
``PeriodFinalized`` event's arrays, every holder's claimable amount and every
claim's payout. It returns a backend-independent transcript so two backends
can be compared with each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trancheflow.chain.client import DealClient, DealHandle
from trancheflow.chain.mirror import DealLedgerMirror
from trancheflow.chain.reports import ServicerReport, sign_report, signer_addresses
from trancheflow.chain.servicer import ServicerFeed
from trancheflow.deal.exact import ExactWaterfall, PeriodInput
from trancheflow.deal.onchain import onchain_params
from trancheflow.deal.spec import load_spec

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "deals" / "example.yaml"
SIGNER_KEYS = [0x5EED0001, 0x5EED0002, 0x5EED0003]
WINDOW = 3_600


@dataclass
class Transcript:
    """What happened, in numbers only (no addresses, blocks or hashes)."""

    finalized: list[dict[str, Any]] = field(default_factory=list)
    claims: list[tuple[int, str, int]] = field(default_factory=list)
    claimables: list[dict[str, int]] = field(default_factory=list)
    factors: list[list[int]] = field(default_factory=list)


def _input(report: ServicerReport) -> PeriodInput:
    _, i, sp, pp, rec, loss, d60 = report.period_input()
    return PeriodInput(i, sp, pp, rec, loss, d60)


def _numbers(args: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(args).items() if isinstance(v, int | list)}


class Scenario:
    """A deal on ``client`` run beside the exact waterfall and the holder mirror."""

    def __init__(self, client: DealClient, spec_path: Path = EXAMPLE) -> None:
        self.client = client
        self.spec = load_spec(spec_path, onchain=True)
        self.feed = ServicerFeed(self.spec)
        acc = client.accounts
        self.issuer, self.alice, self.bob = acc[0], acc[1], acc[2]
        self.deal: DealHandle = client.deploy_deal(
            self.spec,
            signers=signer_addresses(SIGNER_KEYS),
            quorum=2,
            dispute_window=WINDOW,
        )
        self.client.mint_mock(self.deal.record.settlement, self.issuer, 10**9 * 10**6)
        params = onchain_params(self.spec, self.feed.pool_balance_units)
        self.faces = list(params.tranche_balances)
        self.wf = ExactWaterfall(params.to_waterfall_params())
        self.state = self.wf.initial_state(self.feed.pool_balance_units)
        self.ledger = DealLedgerMirror(self.faces, len(params.fee_rates))
        self.ledger.close("issuer")
        self.names = {self.issuer: "issuer", self.alice: "alice", self.bob: "bob"}
        self.out = Transcript()

    def period(self, t: int) -> None:
        """Report, attest, wait out the dispute window, finalize; compare everything."""
        d, where = self.deal, f"period {t} on {self.client.backend.description}"
        report = self.feed.report(t)
        sigs = sign_report(report, SIGNER_KEYS[1:], self.client.chain_id, d.address)
        d.submit_report(report, sigs)
        self.client.advance_time(WINDOW)
        tx = d.finalize(t)
        res = self.wf.run_period(self.state, _input(report))
        self.state = res.state
        self.ledger.apply(res)
        fin = [e for e in d.events(tx.block_number, tx.block_number) if e.name == "PeriodFinalized"]
        assert len(fin) == 1, where
        ev = fin[0].args
        assert ev["period"] == t == d.period(), where
        assert ev["interest_paid"] == [x.interest_paid for x in res.tranches], where
        assert ev["principal_paid"] == [x.principal_paid for x in res.tranches], where
        assert ev["writedown"] == [x.writedown for x in res.tranches], where
        assert ev["balance"] == [x.ending_balance for x in res.tranches], where
        assert ev["fees_paid"] == [f.paid for f in res.fees], where
        assert ev["residual"] == res.residual, where
        assert ev["pool_balance"] == res.pool_ending == d.pool_balance(), where
        assert ev["reserve"] == res.reserve_balance == d.reserve(), where
        balances = d.tranche_balances()
        assert list(balances.values()) == [x.ending_balance for x in res.tranches], where
        factors = [d.factor(i) for i in range(len(self.faces))]
        assert factors == [
            x.ending_balance * 10**18 // f for x, f in zip(res.tranches, self.faces, strict=True)
        ], where
        snapshot = {}
        for i in range(len(self.faces)):
            for addr, who in self.names.items():
                got = d.claimable(i, addr)
                assert got == self.ledger.tranches[i].claimable(who), (where, i, who)
                snapshot[f"{i}:{who}"] = got
        self.out.finalized.append(_numbers(ev))
        self.out.claimables.append(snapshot)
        self.out.factors.append(factors)

    def transfer(self, i: int, sender: str, receiver: str, amount: int) -> None:
        self.deal.transfer(i, sender, receiver, amount)
        self.ledger.tranches[i].transfer(self.names[sender], self.names[receiver], amount)

    def claim(self, i: int, holder: str) -> int:
        before = self.deal.settlement_balance(holder)
        paid = self.deal.claim(i, holder)
        assert paid == self.ledger.tranches[i].claim(self.names[holder])
        assert self.deal.settlement_balance(holder) - before == paid
        self.out.claims.append((i, self.names[holder], paid))
        return paid

    def holdings_match(self) -> None:
        for i in range(len(self.faces)):
            for addr, who in self.names.items():
                assert self.deal.balances(addr)[self.deal.tranche_names[i]] == (
                    self.ledger.tranches[i].balances.get(who, 0)
                )


def run_scenario(client: DealClient, periods: int = 12) -> tuple[Scenario, Transcript]:
    """Run the standard script for ``periods`` months on ``client``."""
    s = Scenario(client)
    unit = 10**6
    for t in range(1, periods + 1):
        s.period(t)
        if t == 1:
            s.transfer(0, s.issuer, s.alice, 5_000_000 * unit + 7)
            s.transfer(1, s.issuer, s.bob, 1_234_567 * unit + 1)
        if t == 3:
            s.claim(0, s.alice)
            s.transfer(0, s.alice, s.bob, 1_000_003 * unit)
        if t % 4 == 0:
            for i in range(len(s.faces)):
                s.claim(i, s.issuer)
        if t == 7:
            s.transfer(2, s.issuer, s.alice, 999_999)
    for holder in (s.alice, s.bob):
        for i in range(len(s.faces)):
            s.claim(i, holder)
    s.holdings_match()
    return s, s.out

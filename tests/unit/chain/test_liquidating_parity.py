"""A liquidating deal's life vs the exact waterfall, to the unit, with the REAL
``Liquidation`` contract (issue 10, "Done means": parity over a 360-period
life of a liquidating deal).

The deal is ``examples/deals/example.yaml`` driven by the collateral engine
(PSA 165, SDA 400, severity 45%), settled in a USDC-style token with a
blocklist. Each period's report commits a loan-level root of a small
synthetic book of delinquent notes (plus one leaf naming the period, so no
two roots are equal). After a period finalizes, a note due for liquidation
is valued (a fresh appraisal signed by two valuers), marked under the deal's
latest finalized root and sold to an admitted buyer:

- ``now``: bought at once at the start price (the house value); a house worth
  more than the note exercises the cap, the excess held as borrower surplus;
- ``decay``: bought a day into the auction, at a lower price;
- ``late``: bought at once, but the liquidation contract is blocklisted by the
  settlement token during the next finalize, so the deal's take fails
  (``IntegrationFailed``, step 3) and the proceeds arrive a period later;
- ``window``: bought during the next period's dispute window, after the
  report was submitted (the submission bound did not see it).

``ParityRun`` computes the proceeds applied (held + carried, up to the pool
room) independently of the contract and compares every period: interest,
principal, writedown, balances, shortfalls, fees, reserve, residual, trigger
bits, pool, cumulative loss, auction proceeds and carry, every holder's
claimable amount. The collateral engine does not know the notes were sold,
so each report is clamped to what the deal's pool can still take (losses
first, then prepayments, scheduled principal, recoveries): the submission
bound ``principal + losses + proceeds held <= pool`` must hold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import boa
import pytest

from trancheflow.chain.compile import load_partial
from trancheflow.chain.deploy import DealConfig, deploy_deal
from trancheflow.chain.liquidation import (
    LiquidationSetup,
    deploy_liquidation,
    loan_id,
    status_leaf,
)
from trancheflow.chain.merkle import merkle_proof, merkle_root
from trancheflow.chain.reports import signer_addresses
from trancheflow.deal.exact import PeriodInput
from trancheflow.deal.onchain import onchain_params

from .conftest import SIGNER_KEYS, UNIT, WINDOW, ParityRun, World, make_roles
from .test_waterfall_parity import EXAMPLE, _example_inputs

VALUER_KEYS = (0x7A1E11, 0x7A1E12, 0x7A1E13)


@dataclass(frozen=True)
class Note:
    """A synthetic delinquent note: balance and house value (units), the
    period (of a 360-period life) after which it is sold, and how."""

    name: str
    balance: int
    house: int
    sold_after: int
    mode: str  # now | decay | late | window


NOTES = (
    Note("N1", 3_000_000 * UNIT, 4_200_000 * UNIT, 6, "now"),  # cap: surplus 1.2M
    Note("N2", 2_500_000 * UNIT, 1_600_000 * UNIT, 30, "late"),  # below balance
    Note("N3", 4_000_000 * UNIT, 5_000_000 * UNIT, 75, "late"),  # cap + late
    Note("N4", 1_800_000 * UNIT, 1_500_000 * UNIT, 120, "decay"),
    Note("N5", 2_200_000 * UNIT, 2_900_000 * UNIT, 170, "window"),  # cap, in the window
    Note("N6", 3_500_000 * UNIT, 2_000_000 * UNIT, 240, "now"),
    Note("N7", 5_000_000 * UNIT, 6_500_000 * UNIT, 300, "late"),
    Note("N8", 6_000_000 * UNIT, 7_000_000 * UNIT, 340, "window"),  # beyond the late pool room
)


class LiquidatingLife:
    """The deal, its liquidation contract, the buyer and the book of notes."""

    def __init__(self, months: int) -> None:
        spec, self.inputs, units = _example_inputs("SDA 400", EXAMPLE, months)
        p = onchain_params(spec, units)
        roles = make_roles()
        cfg = DealConfig.from_onchain(
            p,
            signers=tuple(signer_addresses(SIGNER_KEYS)),
            servicer=roles["servicer"],
            quorum=2,
            fee_recipients=[roles["fee"]],
            guardian=roles["guardian"],
            residual_holder=roles["residual"],
            dispute_window=WINDOW,
        )
        self.token = load_partial("BlocklistToken").deploy()
        d = deploy_deal(cfg, settlement=self.token, issuer=roles["issuer"], owner=roles["owner"])
        self.w = World(d, roles, cfg)
        self.surplus_to = str(boa.env.generate_address("remittance"))
        self.setup: LiquidationSetup = deploy_liquidation(
            d.deal,
            self.token,
            valuer_keys=VALUER_KEYS,
            quorum=2,
            owner=roles["owner"],
            surplus_recipient=self.surplus_to,
        )
        self.liq = self.setup.liquidation
        with boa.env.prank(roles["owner"]):
            d.deal.set_liquidation(self.liq.address)
        self.w.config = replace(cfg, liquidation=str(self.liq.address))
        self.buyer = str(boa.env.generate_address("buyer"))
        self.setup.admit(self.buyer)
        self.token.mint(self.buyer, 10**15 * UNIT)
        with boa.env.prank(self.buyer):
            self.token.approve(self.liq.address, 2**256 - 1)
        self.run = ParityRun(self.w, liquidation=self.liq)
        # sale periods scaled to the life's length, at least period 2
        self.notes = [
            replace(n, sold_after=max(2, n.sold_after * months // 360))
            for n in NOTES
            if n.sold_after * months // 360 < months - 1
        ]
        self.sold: dict[str, int] = {}  # note -> deal's share
        self.surplus: dict[str, int] = {}
        self.late_periods: list[int] = []
        self.max_carried = 0

    # ---------------------------------------------------------------- loan book
    def leaves(self, t: int) -> list[bytes]:
        """The loan-level leaves of period ``t``: unsold notes, 95 days delinquent
        from two periods before their sale, and one leaf naming the period."""
        out = [status_leaf(loan_id(f"period-{t}"), t, 0)]
        for n in self.notes:
            if n.name not in self.sold:
                out.append(status_leaf(loan_id(n.name), n.balance, self.days(n, t)))
        return out

    @staticmethod
    def days(n: Note, t: int) -> int:
        return 95 if t >= n.sold_after - 2 else 0

    def clamp(self, inp: PeriodInput) -> PeriodInput:
        """The report the deal can accept: outflow + proceeds held <= pool."""
        deal = self.w.deal
        held = int(deal.auction_proceeds_carried()) + int(self.liq.recoveries_held())
        cap = max(0, int(deal.pool_balance()) - held)
        parts = {
            k: getattr(inp, k)
            for k in ("losses", "prepayments", "scheduled_principal", "recoveries")
        }
        over = sum(parts.values()) - cap
        for k in parts:
            cut = min(max(over, 0), parts[k])
            parts[k] -= cut
            over -= cut
        return replace(inp, **parts)

    # ---------------------------------------------------------------- auctions
    def mark(self, n: Note, t: int) -> None:
        lid = loan_id(n.name)
        leaves = self.leaves(t)
        i = leaves.index(status_leaf(lid, n.balance, self.days(n, t)))
        root = merkle_root(leaves)
        assert bytes(self.w.deal.latest_loan_root()) == root
        self.setup.value(lid, n.house)
        # adversary: the previous period's root (same loan, same data) is refused
        old = self.leaves(t - 1)
        j = old.index(status_leaf(lid, n.balance, self.days(n, t - 1)))
        with boa.reverts("liquidation: not the latest finalized loan root"):
            self.setup.mark(
                lid, n.balance, self.days(n, t - 1), merkle_proof(old, j), merkle_root(old)
            )
        self.setup.mark(lid, n.balance, self.days(n, t), merkle_proof(leaves, i), root)

    def bid(self, n: Note) -> None:
        lid = loan_id(n.name)
        expected = int(self.liq.price(lid))
        price = self.setup.sell(lid, self.buyer)
        assert price == expected
        a = self.liq.auctions(lid)
        share = min(price, n.balance)
        assert (a.proceeds, a.proceeds - a.surplus) == (price, share)
        self.sold[n.name] = share
        self.surplus[n.name] = price - share

    def period(self, t: int, inp: PeriodInput) -> None:
        run, w = self.run, self.w
        window = [n for n in self.notes if n.mode == "window" and n.sold_after == t - 1]
        late = any(n.mode == "late" and n.sold_after == t - 1 for n in self.notes)
        inp = self.clamp(inp)
        if window:
            orig = w.submit

            def submit_then_bid(report: Any, sigs: Any = None, sender: Any = None) -> None:
                orig(report, sigs, sender)
                for n in window:
                    self.bid(n)

            w.submit = submit_then_bid
        if late:
            self.token.blocklist(self.liq.address, True)
        try:
            root = merkle_root(self.leaves(t))
            held = int(self.liq.recoveries_held())
            run.period(inp, loans_root=root, refused=frozenset({"proceeds"} if late else ()))
        finally:
            if window:
                del w.submit
            if late:
                self.token.blocklist(self.liq.address, False)
        if late:
            assert held > 0 and int(self.liq.recoveries_held()) == held, f"period {t}"
            failed = [e for e in run.last_logs if type(e).__name__ == "IntegrationFailed"]
            assert [int(e.step) for e in failed] == [3], f"period {t}"
            self.late_periods.append(t)
        else:
            assert int(self.liq.recoveries_held()) == 0, f"period {t}"
        for n in self.notes:
            if n.sold_after == t:
                self.mark(n, t)
                if n.mode == "decay":
                    boa.env.time_travel(seconds=86_400)
                if n.mode != "window":
                    self.bid(n)
        self.max_carried = max(self.max_carried, int(w.deal.auction_proceeds_carried()))
        # the liquidation holds exactly what it owes: proceeds not taken + surplus
        assert self.token.balanceOf(self.liq.address) == int(self.liq.recoveries_held()) + int(
            self.liq.surplus_held()
        )


def _liquidating_life(months: int) -> LiquidatingLife:
    life = LiquidatingLife(months)
    run, w = life.run, life.w
    alice, bob = w.roles["alice"], w.roles["bob"]
    for t, inp in enumerate(life.inputs, 1):
        life.period(t, inp)
        if t % 29 == 1:
            run.transfer(t % 3 % len(w.tokens), w.issuer, alice, 1_000_003 * t)
        if t % 41 == 7:
            run.transfer(t % 3 % len(w.tokens), alice, bob, 333_333)
            run.claim(t % 3 % len(w.tokens), alice)
        if t % 12 == 0:
            run.check_solvency()
    for i in range(len(w.tokens)):
        for h in (w.issuer, alice, bob):
            run.claim(i, h)
    run.check_solvency()
    # every note was sold and its deal share reached the waterfall (applied or carried)
    assert set(life.sold) == {n.name for n in life.notes}
    applied = sum(int(e.auction_proceeds) for e in run.events)
    assert applied + int(w.deal.auction_proceeds_carried()) == sum(life.sold.values())
    # borrower surplus: held per loan, pulled only by the remittance account
    assert int(life.liq.surplus_held()) == sum(life.surplus.values())
    for name, s in life.surplus.items():
        if s:
            with boa.env.prank(life.surplus_to):
                assert life.liq.claim_surplus(loan_id(name)) == s
    assert life.token.balanceOf(life.surplus_to) == sum(life.surplus.values())
    assert int(life.liq.surplus_held()) == 0 and life.token.balanceOf(life.liq.address) == 0
    return life


def test_liquidating_life_48_periods_matches_exact() -> None:
    """Bounded default of the 360-period life below (same deal, same checks)."""
    life = _liquidating_life(48)
    assert life.w.deal.period() == 48
    assert sum(1 for s in life.surplus.values() if s) >= 1  # the cap was exercised
    assert life.late_periods  # proceeds arrived a period late
    assert any(n.mode == "window" for n in life.notes)


@pytest.mark.slow
def test_liquidating_full_life_360_periods_matches_exact() -> None:
    life = _liquidating_life(360)
    assert life.w.deal.period() == 360
    assert len(life.notes) == len(NOTES)
    assert sum(1 for s in life.surplus.values() if s) == 5  # N1, N3, N5, N7, N8 capped
    assert len(life.late_periods) == 3
    assert life.max_carried > 0  # N8 (6M, sold late in the life) exceeded the pool room

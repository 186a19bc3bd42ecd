"""Pure-Python mirror of the on-chain holder index and claims.

:class:`TrancheIndexMirror` repeats ``TrancheToken``'s integer formulas
(docs/waterfall.md, "Distribution to holders"): one cumulative index per
tranche at ``INDEX_SCALE = 10**27`` recomputed from the cumulative cash
credited (``index = floor(credited * INDEX_SCALE / face)``, so the part not
yet covered is carried and never counted twice), and per-holder
``(index_at_last_settlement, owed)`` records settled on every transfer and
claim. :class:`DealLedgerMirror` applies exact-mode period
results to one index per tranche plus fee and residual balances, so parity and
stateful tests can compare every claimable amount with the contracts to the
unit.

Examples
--------
>>> t = TrancheIndexMirror(face=3)
>>> t.mint("issuer")
>>> t.transfer("issuer", "alice", 1)
>>> t.distribute(10)          # floor(10 * 1e27 / 3) covers 9 units: carry 1
>>> t.carry, t.claimable("issuer"), t.claimable("alice")
(1, 6, 3)
>>> t.claim("alice"), t.claimable("alice")
(3, 0)
>>> t.distribute(2)           # credited 12 = exactly 4 per token
>>> t.carry, t.claimable("issuer"), t.claimable("alice")  # alice's 2/3 unit is dust
(0, 8, 0)
>>> t.dust()
1
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from trancheflow.errors import ChainError

__all__ = ["INDEX_SCALE", "DealLedgerMirror", "TrancheIndexMirror"]

#: Fixed-point scale of the holder index.
INDEX_SCALE = 10**27
_MAX128 = 2**128 - 1


@dataclass
class TrancheIndexMirror:
    """The holder index of one tranche token.

    Parameters
    ----------
    face : int
        Original face in units == the token supply after closing (> 0).
    """

    face: int
    index: int = 0
    credited: int = 0
    balances: dict[Hashable, int] = field(default_factory=dict)
    accounts: dict[Hashable, tuple[int, int]] = field(default_factory=dict)
    paid: int = 0
    distributed: int = 0

    def __post_init__(self) -> None:
        if self.face <= 0:
            raise ChainError(f"tranche face {self.face} must be positive")

    def mint(self, holder: Hashable) -> None:
        """Mint the whole face to ``holder`` (closing)."""
        if sum(self.balances.values()):
            raise ChainError("tranche already minted")
        self._settle(holder)
        self.balances[holder] = self.face

    @property
    def carry(self) -> int:
        """Cash credited but not yet covered by the index."""
        return self.credited - self.index * self.face // INDEX_SCALE

    def distribute(self, cash: int) -> None:
        """Credit ``cash``; the index is recomputed from the cumulative cash (rounded down)."""
        if cash < 0:
            raise ChainError(f"distribution {cash} must be non-negative")
        self.credited += cash
        self.index = self.credited * INDEX_SCALE // self.face
        if self.index > _MAX128 or self.credited > _MAX128:
            raise ChainError("tranche index exceeds 128 bits (the contract would revert)")
        self.distributed += cash

    def _settle(self, holder: Hashable) -> None:
        last, owed = self.accounts.get(holder, (0, 0))
        if last == self.index:
            return
        owed += self.balances.get(holder, 0) * (self.index - last) // INDEX_SCALE
        self.accounts[holder] = (self.index, owed)

    def transfer(self, sender: Hashable, receiver: Hashable, amount: int) -> None:
        """Move ``amount`` tokens, settling both sides first."""
        if self.balances.get(sender, 0) < amount:
            raise ChainError(f"{sender!r} holds {self.balances.get(sender, 0)} < {amount} tokens")
        self._settle(sender)
        self._settle(receiver)
        self.balances[sender] = self.balances.get(sender, 0) - amount
        self.balances[receiver] = self.balances.get(receiver, 0) + amount

    def claimable(self, holder: Hashable) -> int:
        """``owed + floor(tokens * (index - last) / INDEX_SCALE)``."""
        last, owed = self.accounts.get(holder, (0, 0))
        return owed + self.balances.get(holder, 0) * (self.index - last) // INDEX_SCALE

    def claim(self, holder: Hashable) -> int:
        """Pay ``holder`` everything owed; returns the amount."""
        self._settle(holder)
        last, owed = self.accounts.get(holder, (self.index, 0))
        self.accounts[holder] = (last, 0)
        self.paid += owed
        return owed

    def total_claimable(self) -> int:
        """Sum of every holder's claimable amount."""
        holders = set(self.balances) | set(self.accounts)
        return sum(self.claimable(h) for h in holders)

    def unclaimed(self) -> int:
        """Cash credited to the tranche and not yet paid (claimable + carry + dust)."""
        return self.distributed - self.paid

    def dust(self) -> int:
        """Units neither claimable nor carried (rounding left in the deal)."""
        return self.unclaimed() - self.carry - self.total_claimable()


@dataclass
class DealLedgerMirror:
    """What the deal owes after each period: tranche indexes, fees, residual, reserve.

    Parameters
    ----------
    faces : sequence of int
        Original face of each tranche (senior first).
    n_fees : int
        Number of fees.
    """

    faces: Sequence[int]
    n_fees: int = 0
    tranches: list[TrancheIndexMirror] = field(init=False)
    fee_owed: list[int] = field(init=False)
    residual_owed: int = 0
    reserve: int = 0
    pending_cash: int = 0
    #: Auction proceeds taken at finalize but beyond their period's pool room
    #: (docs/waterfall.md, "Liquidation (auction) proceeds"), held by the deal.
    proceeds_carried: int = 0
    #: Premium the fund refused (docs/waterfall.md, "Integration faults"),
    #: held by the deal until pushed.
    premium_owed: int = 0
    #: Cash of discarded reports, owed back to the servicer (claim_refund).
    refund_owed: int = 0

    def __post_init__(self) -> None:
        self.tranches = [TrancheIndexMirror(f) for f in self.faces]
        self.fee_owed = [0] * self.n_fees

    def close(self, issuer: Hashable) -> None:
        """Mint every tranche to ``issuer``."""
        for t in self.tranches:
            t.mint(issuer)

    def apply(self, result: Any) -> None:
        """Apply one exact-mode ``PeriodResult``."""
        for i, tf in enumerate(result.tranches):
            cash = tf.interest_paid + tf.principal_paid
            if cash:
                self.tranches[i].distribute(cash)
        for j, f in enumerate(result.fees):
            self.fee_owed[j] += f.paid
        self.residual_owed += result.residual
        self.reserve = result.reserve_balance
        self.premium_owed = result.state.premium_owed

    def owed_total(self) -> int:
        """Everything the deal must still be able to pay (incl. carries and dust)."""
        return (
            sum(t.unclaimed() for t in self.tranches)
            + sum(self.fee_owed)
            + self.residual_owed
            + self.reserve
            + self.pending_cash
            + self.proceeds_carried
            + self.premium_owed
            + self.refund_owed
        )

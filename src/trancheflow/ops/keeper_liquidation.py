"""The keeper's liquidation duty: mark the latest finalized period's defaulted loans.

With a :class:`LiquidationChain` (the deal's ``Liquidation`` contract) and a
per-loan status source, each keeper tick marks the loans of the latest
finalized period that are 90+ days delinquent or whose balance / attested
property value exceeds the contract's LTV threshold, with their Merkle proofs
under the period's loan-level root. The auction state is re-read right before
each ``mark`` (a loan marked by this or another keeper is skipped); each mark
raises a ``loan_marked`` alert. :class:`~trancheflow.ops.keeper.Keeper` runs it
when given ``liquidation=`` and ``loan_status=``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from trancheflow.errors import ChainError

__all__ = [
    "DELINQUENT_DAYS",
    "ContractLiquidationChain",
    "LiquidationChain",
    "LiquidationDuty",
    "LoanStatus",
    "MarkOutcome",
]

#: ``alert(kind, severity, message)``: how the duty raises the keeper's alerts.
AlertFn = Callable[[str, str, str], Any]


@dataclass(frozen=True)
class LoanStatus:
    """One loan of a finalized period as the servicer reported it, with the Merkle
    proof of ``status_leaf(loan_id, balance, days_delinquent)`` under ``root``
    (the one loan-level leaf, :func:`trancheflow.chain.merkle.loan_leaf`, so the
    root is the servicer's own ``loans_root``; build them from the period's
    remittance or books file with :func:`trancheflow.servicer.books.loan_statuses`)."""

    name: str
    loan_id: bytes
    balance: int
    days_delinquent: int
    proof: tuple[bytes, ...]
    root: bytes


@dataclass(frozen=True)
class MarkOutcome:
    """What the keeper did about one liquidatable loan: ``marked`` (this keeper),
    ``already_marked`` (on-chain state says so), ``no_value`` (no property value
    yet: the contract would revert), ``failed`` (the transaction reverted)."""

    name: str
    status: str
    tx_hash: str | None = None
    detail: str = ""


@runtime_checkable
class LiquidationChain(Protocol):
    """What the keeper's liquidation duty needs from a ``Liquidation`` contract."""

    def auction_status(self, loan_id: bytes) -> int:
        """``auctions(loan_id).status`` (0 = not marked)."""
        ...

    def collateral_value(self, loan_id: bytes) -> int:
        """The attested property value (0 = none)."""
        ...

    def ltv_threshold(self) -> int:
        """Balance / value above which a loan is marked, at ``RATE_SCALE`` = 1e9."""
        ...

    def mark(self, loan: LoanStatus) -> str:
        """Send ``mark``; returns the transaction hash. Raises
        :class:`~trancheflow.errors.ChainError` (with the revert reason) on failure."""
        ...


#: ``Liquidation.DELINQUENT_DAYS`` and ``RATE_SCALE``.
DELINQUENT_DAYS = 90
_RATE_SCALE = 10**9


class LiquidationDuty:
    """Marks liquidatable loans on a :class:`LiquidationChain`.

    Parameters
    ----------
    liquidation : LiquidationChain
        The deal's ``Liquidation`` contract.
    loan_status : callable
        ``loan_status(period)``: every loan of finalized ``period`` as the
        servicer reported it (:class:`LoanStatus`).
    """

    def __init__(
        self,
        liquidation: LiquidationChain,
        loan_status: Callable[[int], Sequence[LoanStatus]],
    ) -> None:
        self.liquidation = liquidation
        self.loan_status = loan_status

    def _liquidatable(self, loan: LoanStatus, value: int) -> bool:
        if loan.days_delinquent >= DELINQUENT_DAYS:
            return True
        threshold = self.liquidation.ltv_threshold() if self.liquidation else 0
        return value > 0 and loan.balance * _RATE_SCALE > threshold * value

    def mark_loans(self, period: int, alert: AlertFn) -> list[MarkOutcome]:
        """Mark the liquidatable loans of finalized ``period`` (0: none yet);
        ``alert(kind, severity, message)`` raises the keeper's alerts."""
        liq, source = self.liquidation, self.loan_status
        if period == 0:
            return []
        out = []
        for loan in source(period):
            if liq.auction_status(loan.loan_id) != 0:
                continue  # marked earlier (not an outcome of this tick)
            value = liq.collateral_value(loan.loan_id)
            if not self._liquidatable(loan, value):
                continue
            if value == 0:
                alert(
                    "liquidation_no_value",
                    "warning",
                    f"loan {loan.name} is {loan.days_delinquent} days delinquent in period "
                    f"{period} but has no attested property value; cannot mark it",
                )
                out.append(MarkOutcome(loan.name, "no_value"))
                continue
            # re-read right before acting: another keeper may have marked it
            if liq.auction_status(loan.loan_id) != 0:
                out.append(MarkOutcome(loan.name, "already_marked"))
                continue
            try:
                tx = liq.mark(loan)
            except ChainError as exc:
                if liq.auction_status(loan.loan_id) != 0 or "already marked" in str(exc):
                    out.append(MarkOutcome(loan.name, "already_marked", detail=str(exc)))
                    continue
                alert("mark_failed", "critical", f"mark of loan {loan.name} failed: {exc}")
                out.append(MarkOutcome(loan.name, "failed", detail=str(exc)))
                continue
            alert(
                "loan_marked",
                "warning",
                f"loan {loan.name} marked for liquidation from period {period}: "
                f"{loan.days_delinquent} days delinquent, balance {loan.balance}, "
                f"property value {value}",
            )
            out.append(MarkOutcome(loan.name, "marked", tx_hash=tx))
        return out


class ContractLiquidationChain:
    """A :class:`LiquidationChain` over a ``Liquidation`` contract object (titanoboa
    in process); every failure is re-raised as :class:`~trancheflow.errors.ChainError`.

    Parameters
    ----------
    contract : Any
        The deployed ``Liquidation`` (a titanoboa ``VyperContract``).
    sender : str, optional
        Account that sends ``mark``.
    """

    def __init__(self, contract: Any, *, sender: str | None = None) -> None:
        self.contract = contract
        self.sender = sender

    def auction_status(self, loan_id: bytes) -> int:
        """``auctions(loan_id).status``."""
        return int(self.contract.auctions(loan_id)[0])

    def collateral_value(self, loan_id: bytes) -> int:
        """``collateral_value(loan_id)``."""
        return int(self.contract.collateral_value(loan_id))

    def ltv_threshold(self) -> int:
        """``ltv_threshold()``."""
        return int(self.contract.ltv_threshold())

    def mark(self, loan: LoanStatus) -> str:
        """Send ``mark(loan_id, balance, days, proof, root)`` from ``sender``."""
        import boa

        args = (loan.loan_id, loan.balance, loan.days_delinquent, list(loan.proof), loan.root)
        try:
            if self.sender is None:
                self.contract.mark(*args)
            else:
                with boa.env.prank(self.sender):
                    self.contract.mark(*args)
        except Exception as exc:  # boa raises its own error types
            raise ChainError(f"Liquidation.mark({loan.name}): {exc}") from exc
        return f"boa-block-{int(boa.env.evm.patch.block_number)}"  # in process: no hash

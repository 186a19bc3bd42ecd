"""The keeper's view of a deal deployed through the chain client.

:class:`BackendKeeperChain` is the :class:`~trancheflow.ops.keeper.KeeperChain`
over a :class:`~trancheflow.chain.client.DealHandle` (embedded titanoboa or a
JSON-RPC node); :class:`PendingReport` and :func:`inputs_hash` describe the
deal's pending report and its ``PeriodInput`` commitment. Every governance
parameter the keeper needs (the dispute window) is read from the chain when
asked, never cached, so a change through governance applies from the next tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trancheflow.errors import ReportError

__all__ = ["BackendKeeperChain", "PendingReport", "inputs_hash"]


def inputs_hash(inputs: Sequence[int]) -> str:
    """``keccak(abi.encode(PeriodInput))`` as ``0x`` hex: the deal's commitment.

    >>> from trancheflow.chain.reports import ServicerReport, inputs_hash as report_hash
    >>> r = ServicerReport(period=1, interest=5, scheduled_principal=5, prepayments=0,
    ...                    recoveries=0, losses=0)
    >>> inputs_hash(r.period_input()) == "0x" + report_hash(r).hex()
    True
    """
    from eth_abi import encode
    from eth_hash.auto import keccak

    return "0x" + bytes(keccak(encode(["uint256"] * 7, [int(x) for x in inputs]))).hex()


@dataclass(frozen=True)
class PendingReport:
    """The deal's pending report: period, submission time, cash, input commitment."""

    period: int
    submitted_at: int
    cash: int
    inputs_hash: str


class BackendKeeperChain:
    """A :class:`KeeperChain` over a chain client's :class:`~trancheflow.chain.client.DealHandle`
    (embedded titanoboa or a JSON-RPC node).

    Parameters
    ----------
    handle : DealHandle
        The deployed deal.
    sender : str, optional
        Account that sends ``finalize`` (default: the client's first).
    """

    def __init__(self, handle: Any, *, sender: str | None = None) -> None:
        self.handle = handle
        self.backend = handle.client.backend
        self.sender = sender
        self._scanned = int(handle.record.block) - 1
        self._breaches: list[tuple[int, int, int]] = []

    @property
    def address(self) -> str:
        """The deal contract."""
        return str(self.handle.address)

    def now(self) -> int:
        """Timestamp of the newest block."""
        return int(self.backend.timestamp())

    def period(self) -> int:
        """The last finalized period."""
        return int(self.handle.period())

    def pending_report(self) -> PendingReport | None:
        """The pending report, with the period it is for."""
        flag, at, cash, h = self.handle.pending_report()
        if not flag:
            return None
        return PendingReport(self.period() + 1, int(at), int(cash), str(h).lower())

    def disputed(self) -> bool:
        """Whether the pending report is disputed (awaits governance)."""
        return bool(self.handle.disputed())

    def dispute_deadline(self) -> int | None:
        """Submission time + ``DISPUTE_WINDOW`` of the pending report.

        The window is read from the deal on every call (once per keeper tick),
        never cached: governance may change it (``set_dispute_window``), and
        each report carries the window in force when it was submitted."""
        p = self.pending_report()
        if p is None:
            return None
        return p.submitted_at + int(self.backend.call("Deal", self.address, "DISPUTE_WINDOW"))

    def report_inputs(self, period: int) -> tuple[int, ...]:
        """``PeriodInput`` of the pending ``ReportSubmitted`` for ``period``."""
        r = self.handle.submitted_report(period)
        d60 = r["dq60_balance"] + r["dq90_balance"] + r["foreclosure_balance"] + r["reo_balance"]
        fields = ("period", "interest", "scheduled_principal", "prepayments", "recoveries")
        return (*(int(r[f]) for f in fields), int(r["losses"]), int(d60))

    def finalize(self, period: int, inputs: Sequence[int]) -> str:
        """Send ``Deal.finalize(inputs)``."""
        if int(inputs[0]) != period:
            raise ReportError(f"inputs are for period {inputs[0]}, not {period}")
        tx = self.backend.transact(
            "Deal", self.address, "finalize", [tuple(int(x) for x in inputs)], sender=self.sender
        )
        return str(tx.tx_hash)

    def trigger_breaches(self) -> list[tuple[int, int, int]]:
        """Every ``TriggerBreached`` log so far (new blocks read incrementally)."""
        head = int(self.backend.latest_block())
        if head > self._scanned:
            for e in self.handle.event_source().events(self._scanned + 1, head, [self.address]):
                if e.name == "TriggerBreached":
                    self._breaches.append(
                        (int(e.args["trigger"]), int(e.args["period"]), e.block_number)
                    )
            self._scanned = head
        return list(self._breaches)

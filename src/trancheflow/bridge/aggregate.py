"""The hub's period report as the sum of its spokes' reports (Python mirror of HubInbox.vy).

The rule (docs/waterfall.md, "Hub and spokes"):

* a spoke's report for the open period counts in that period, every field;
* at the period's deadline a spoke without a report is *delinquent*: its last
  reported sub-pool balance is added to the period's 60+ delinquent balance
  (``dq60_balance``), never dropped silently;
* a delinquent spoke's late report counts in the hub period open when it
  arrives, cash and losses only (its delinquency buckets are stale);
* the summed ``loans_root`` chains the on-time spokes' roots in allowlist
  order, ``h = keccak256(h || root)`` from ``h = 0``.

:meth:`HubLedger.period_input` turns a closed period into the exact
waterfall's :class:`~trancheflow.deal.exact.PeriodInput`.

Examples
--------
>>> from trancheflow.chain.reports import ServicerReport
>>> led = HubLedger([1, 2])
>>> led.receive(1, ServicerReport(1, 10, 5, 0, 0, 0, loans_root=b"\\x01" * 32), 900)
>>> led.receive(2, ServicerReport(1, 7, 3, 1, 0, 0, loans_root=b"\\x02" * 32), 400)
>>> r = led.close(); (r.interest, r.scheduled_principal, r.prepayments, r.dq60_balance)
(17, 8, 1, 0)
>>> led.receive(1, ServicerReport(2, 9, 5, 0, 0, 0, loans_root=b"\\x01" * 32), 895)
>>> r = led.close(); (r.interest, r.dq60_balance, led.delinquent[2])  # spoke 2 missed period 2
(9, 400, [2])
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_hash.auto import keccak

from trancheflow.chain.reports import ServicerReport
from trancheflow.deal.exact import PeriodInput
from trancheflow.errors import BridgeError

__all__ = ["HubLedger"]

_CASH = ("interest", "scheduled_principal", "prepayments", "recoveries", "losses")
_BUCKETS = (
    "dq30_count", "dq30_balance", "dq60_count", "dq60_balance", "dq90_count", "dq90_balance",
    "foreclosure_count", "foreclosure_balance", "reo_count", "reo_balance",
)  # fmt: skip


class HubLedger:
    """One deal's spoke reports, period by period (mirror of ``HubInbox``).

    Parameters
    ----------
    spokes : sequence of int
        The spokes' origin domains, in allowlist order.
    """

    def __init__(self, spokes: Sequence[int]) -> None:
        if not spokes or len(set(spokes)) != len(spokes):
            raise BridgeError(f"spokes={list(spokes)}: need at least one, no repeats")
        self.spokes = list(spokes)
        self.open_period = 1
        self._totals: dict[int, dict[str, int]] = {}
        self._received: set[tuple[int, int]] = set()
        self._roots: dict[tuple[int, int], bytes] = {}
        self.delinquent: dict[int, list[int]] = {}
        self.last_balance: dict[int, int] = dict.fromkeys(spokes, 0)
        self.closed: dict[int, ServicerReport] = {}

    def _total(self, period: int) -> dict[str, int]:
        return self._totals.setdefault(period, dict.fromkeys(_CASH + _BUCKETS, 0))

    def receive(self, origin: int, report: ServicerReport, subpool_balance: int) -> None:
        """Accept one spoke report, as ``HubInbox.handle`` does.

        Raises
        ------
        BridgeError
            Unknown spoke, zero loans root, wrong period or a period reported twice.
        """
        p = report.period
        if origin not in self.spokes:
            raise BridgeError(f"spoke report from domain {origin}: not an allowlisted spoke")
        if not any(report.loans_root):
            raise BridgeError(f"spoke {origin} period {p}: zero loans root")
        if not 1 <= p <= self.open_period:
            raise BridgeError(f"spoke {origin} period {p}: wrong period (open: {self.open_period})")
        if (p, origin) in self._received:
            raise BridgeError(f"spoke {origin} period {p}: already reported")
        late = p < self.open_period
        if late and origin not in self.delinquent.get(p, []):
            raise BridgeError(f"spoke {origin} period {p}: wrong period (open: {self.open_period})")
        t = self._total(self.open_period)
        for name in _CASH if late else _CASH + _BUCKETS:
            t[name] += getattr(report, name)
        self._received.add((p, origin))
        self._roots[(p, origin)] = bytes(report.loans_root)
        self.last_balance[origin] = subpool_balance

    def close(self) -> ServicerReport:
        """Close the open period (``HubInbox.close_period``); its summed report."""
        p = self.open_period
        t = self._total(p)
        missing = [s for s in self.spokes if (p, s) not in self._received]
        for s in missing:
            t["dq60_balance"] += self.last_balance[s]
        self.delinquent[p] = missing
        acc = b"\x00" * 32
        for s in self.spokes:
            if (p, s) in self._roots and s not in missing:
                acc = bytes(keccak(acc + self._roots[(p, s)]))
        report = ServicerReport(period=p, loans_root=acc, **t)
        self.closed[p] = report
        self.open_period = p + 1
        return report

    def period_input(self, period: int) -> PeriodInput:
        """The exact waterfall's input for a closed hub period."""
        if period not in self.closed:
            raise BridgeError(f"hub period {period} is not closed")
        r = self.closed[period]
        return PeriodInput(
            interest=r.interest,
            scheduled_principal=r.scheduled_principal,
            prepayments=r.prepayments,
            recoveries=r.recoveries,
            losses=r.losses,
            delinquent_60_plus=r.delinquent_60_plus,
        )

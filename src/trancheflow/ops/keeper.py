"""The keeper: finalizes reports after their dispute window, flags late reports
and trigger breaches.

One :meth:`Keeper.run_once` tick, against a :class:`KeeperChain`:

1. **Finalize.** When a report is pending and its dispute deadline has
   passed, read the report's ``PeriodInput`` from its ``ReportSubmitted`` log,
   check it hashes to the commitment the deal stored (a report whose inputs
   do not match is never sent: it would revert, and it means the log read
   belongs to another deal or period) and call ``finalize``. The chain's
   state is re-read right before sending, so a restarted or second keeper
   never acts twice: a period already finalized is skipped, and a
   ``finalize`` that reverts because someone else finalized first is
   recognised (the period advanced) and logged, not retried. Other failures
   are retried with bounded exponential backoff (:class:`RetryPolicy`); when
   every attempt fails a ``finalize_failed`` alert is raised and the next
   tick tries again.
2. **Late reports.** With a :class:`ReportSchedule` (report ``N`` due at
   ``first_due + (N - 1) * cadence``), a period with no report ``grace``
   seconds after its due date raises a ``late_report`` alert.
3. **Triggers.** Each ``TriggerBreached`` log raises a ``trigger_breached``
   alert (same kind and text as the indexer's, so one table row per breach).

4. **Liquidation** (optional, with a :class:`LiquidationChain` and a
   per-loan status source; :mod:`trancheflow.ops.keeper_liquidation`): marks
   the latest finalized period's 90+ days delinquent or over-LTV loans on the
   ``Liquidation`` contract with their Merkle proofs, skipping loans already
   marked (state re-read before each ``mark``); each mark raises a
   ``loan_marked`` alert.

Alerts go to :attr:`Keeper.alerts`, the log, and, given a database, the
``alerts`` table, each in its own transaction and never twice with the same
kind and text.

Examples
--------
>>> from trancheflow.ops.keeper import FinalizeOutcome, Keeper, PendingReport
>>> class Chain:  # the smallest KeeperChain: one report pending since t=100
...     address = "0x" + "11" * 20
...     def __init__(self): self.t, self.done = 200, 0
...     def now(self): return self.t
...     def period(self): return self.done
...     def pending_report(self):
...         h = inputs_hash((1, 5, 5, 0, 0, 0, 0))
...         return None if self.done else PendingReport(1, 100, 10, h)
...     def dispute_deadline(self): return 160 if not self.done else None
...     def report_inputs(self, period): return (1, 5, 5, 0, 0, 0, 0)
...     def finalize(self, period, inputs): self.done = period; return "0xtx"
...     def trigger_breaches(self): return []
>>> k = Keeper(Chain(), sleep=lambda s: None)
>>> tick = k.run_once()
>>> [(o.period, o.status) for o in tick.outcomes]
[(1, 'finalized')]
>>> k.run_once().outcomes   # nothing pending: nothing to do
()
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL

from trancheflow.errors import ChainError
from trancheflow.ops.keeper_backend import BackendKeeperChain, PendingReport, inputs_hash
from trancheflow.ops.keeper_liquidation import (
    DELINQUENT_DAYS,
    ContractLiquidationChain,
    LiquidationChain,
    LiquidationDuty,
    LoanStatus,
    MarkOutcome,
)

__all__ = [
    "DELINQUENT_DAYS",
    "Alert",
    "BackendKeeperChain",
    "ContractLiquidationChain",
    "FinalizeOutcome",
    "Keeper",
    "KeeperChain",
    "KeeperTick",
    "LiquidationChain",
    "LoanStatus",
    "MarkOutcome",
    "PendingReport",
    "ReportSchedule",
    "RetryPolicy",
    "inputs_hash",
    "record_alert",
]

log = logging.getLogger(__name__)

#: Revert reasons of ``Deal.finalize`` that mean "nothing to do (any more)".
_GONE = ("no pending report",)
_TOO_EARLY = ("dispute window open",)
_DISPUTED = ("report disputed",)


@runtime_checkable
class KeeperChain(Protocol):
    """What the keeper needs from one deal on one chain."""

    @property
    def address(self) -> str:
        """The deal contract."""
        ...

    def now(self) -> int:
        """Chain time (timestamp of the newest block)."""
        ...

    def period(self) -> int:
        """The last finalized period."""
        ...

    def pending_report(self) -> PendingReport | None:
        """The pending report, or None."""
        ...

    def dispute_deadline(self) -> int | None:
        """When the pending report may be finalized (None: nothing pending)."""
        ...

    def report_inputs(self, period: int) -> tuple[int, ...]:
        """The ``PeriodInput`` of the newest not-vetoed ``ReportSubmitted`` for ``period``."""
        ...

    def finalize(self, period: int, inputs: Sequence[int]) -> str:
        """Send ``finalize(inputs)``; returns the transaction hash. Raises
        :class:`~trancheflow.errors.ChainError` (with the revert reason) on failure."""
        ...

    def trigger_breaches(self) -> list[tuple[int, int, int]]:
        """``(trigger, period, block)`` of every ``TriggerBreached`` log so far."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff: ``attempts`` tries, sleeping
    ``min(max_delay, base_delay * factor**k)`` after failure ``k``."""

    attempts: int = 4
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0

    def delays(self) -> list[float]:
        """Sleeps between attempts.

        >>> RetryPolicy(attempts=5, base_delay=1, max_delay=5).delays()
        [1.0, 2.0, 4.0, 5.0]
        """
        return [
            float(min(self.max_delay, self.base_delay * self.factor**k))
            for k in range(self.attempts - 1)
        ]


@dataclass(frozen=True)
class ReportSchedule:
    """When reports are due (chain timestamps, seconds).

    Report ``N`` is due at ``first_due + (N - 1) * cadence`` and late once
    ``grace`` more seconds have passed.
    """

    first_due: int
    cadence: int = 30 * 86_400
    grace: int = 5 * 86_400

    def due(self, period: int) -> int:
        """Due time of report ``period``.

        >>> ReportSchedule(first_due=1_000, cadence=100, grace=10).due(3)
        1200
        """
        return self.first_due + (period - 1) * self.cadence


@dataclass(frozen=True)
class Alert:
    """Something an operator should look at."""

    kind: str
    severity: str
    message: str
    block_number: int | None = None


@dataclass(frozen=True)
class FinalizeOutcome:
    """What the keeper did about one pending period.

    ``status``: ``finalized`` (this keeper's transaction), ``already_final``
    (someone else finalized first), ``waiting`` (dispute window still open),
    ``failed`` (every attempt failed), ``refused`` (inputs do not match the
    commitment), ``disputed`` (vetoed: waits for governance to uphold or
    discard it; nothing is sent).
    """

    period: int
    status: str
    attempts: int = 0
    tx_hash: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class KeeperTick:
    """One tick: finalize outcomes and the alerts raised."""

    outcomes: tuple[FinalizeOutcome, ...] = ()
    alerts: tuple[Alert, ...] = ()
    marks: tuple[MarkOutcome, ...] = ()


def record_alert(db: str | URL | Engine, deal_id: int, alert: Alert) -> bool:
    """Insert ``alert`` for deal ``deal_id`` unless one with the same kind and
    message exists; returns whether a row was written (one transaction)."""
    from trancheflow.ops.db import session
    from trancheflow.ops.models import Alert as AlertRow

    with session(db) as s:
        dup = s.scalar(
            select(AlertRow.id).where(
                AlertRow.deal_id == deal_id,
                AlertRow.kind == alert.kind,
                AlertRow.message == alert.message,
            )
        )
        if dup is not None:
            return False
        s.add(
            AlertRow(
                deal_id=deal_id,
                kind=alert.kind,
                severity=alert.severity,
                message=alert.message,
                block_number=alert.block_number,
            )
        )
        return True


def _span(seconds: int) -> str:
    """``2 days``, ``6 h``, ``90 s``.

    >>> _span(2 * 86_400), _span(6 * 3_600), _span(90)
    ('2 days', '6 h', '90 s')
    """
    if seconds >= 86_400 and seconds % 86_400 == 0:
        days = seconds // 86_400
        return f"{days} day{'s' if days > 1 else ''}"
    if seconds >= 3_600 and seconds % 3_600 == 0:
        return f"{seconds // 3_600} h"
    return f"{seconds} s"


def _when(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


class Keeper:
    """Watches one deal and acts on it.

    Parameters
    ----------
    chain : KeeperChain
        The deal on its chain.
    db : str, URL or Engine, optional
        Indexer database whose ``alerts`` table receives the alerts; the deal
        must be registered there at ``chain.address``.
    schedule : ReportSchedule, optional
        Enables late-report alerts.
    retry : RetryPolicy
        Backoff for failed ``finalize`` transactions.
    sleep : callable
        ``sleep(seconds)`` (tests inject a recorder).
    liquidation : LiquidationChain, optional
        Enables the liquidation duty, with ``loan_status``.
    loan_status : callable, optional
        ``loan_status(period)``: every loan of finalized ``period`` as the
        servicer reported it (:class:`LoanStatus`, proofs under the period's
        loan-level root). Each tick the keeper marks the loans of the latest
        finalized period that are 90+ days delinquent or whose balance /
        property value exceeds the contract's LTV threshold, re-reading the
        auction state right before each ``mark`` (a loan already marked, by
        this or another keeper, is skipped), and raises a ``loan_marked``
        alert per marked loan.

    Raises
    ------
    NotFoundError
        ``db`` is given and the deal at ``chain.address`` is not registered.
    """

    def __init__(
        self,
        chain: KeeperChain,
        *,
        db: str | URL | Engine | None = None,
        schedule: ReportSchedule | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        liquidation: LiquidationChain | None = None,
        loan_status: Callable[[int], Sequence[LoanStatus]] | None = None,
    ) -> None:
        self.chain = chain
        self.liquidation = liquidation
        self.loan_status = loan_status
        self.schedule = schedule
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.alerts: list[Alert] = []
        self._seen: set[tuple[str, str]] = set()
        self.db = None
        self.deal_id: int | None = None
        if db is not None:
            from trancheflow.ops.db import connect, find_deal, session
            from trancheflow.ops.events import normalize_address

            self.db = connect(db)
            with session(self.db) as s:
                self.deal_id = find_deal(s, normalize_address(chain.address)).id

    # ---------------------------------------------------------------- alerts
    def _alert(self, kind: str, severity: str, message: str, block: int | None = None) -> Alert:
        a = Alert(kind, severity, message, block)
        if (kind, message) in self._seen:
            return a
        self._seen.add((kind, message))
        written = True
        if self.db is not None and self.deal_id is not None:
            written = record_alert(self.db, self.deal_id, a)
        if written:
            self.alerts.append(a)
            level = logging.ERROR if severity == "critical" else logging.WARNING
            log.log(level, "deal %s: %s", self.chain.address, message)
        return a

    # ---------------------------------------------------------------- finalize
    def _finalize(self, pending: PendingReport) -> FinalizeOutcome:
        t = pending.period
        try:
            inputs = tuple(int(x) for x in self.chain.report_inputs(t))
        except ChainError as exc:
            return FinalizeOutcome(t, "failed", 0, detail=f"cannot read the report: {exc}")
        if len(inputs) != 7 or inputs[0] != t or inputs_hash(inputs) != pending.inputs_hash:
            msg = (
                f"report for period {t}: the ReportSubmitted inputs {inputs} do not hash to "
                f"the deal's commitment {pending.inputs_hash}; not finalizing (is the event "
                f"source following deal {self.chain.address}?)"
            )
            self._alert("report_mismatch", "critical", msg)
            return FinalizeOutcome(t, "refused", 0, detail=msg)
        delays = self.retry.delays()
        last = ""
        for attempt in range(1, self.retry.attempts + 1):
            # re-read right before acting: a second keeper may have finalized
            if self.chain.period() >= t:
                log.info("period %d already finalized by someone else", t)
                return FinalizeOutcome(t, "already_final", attempt - 1)
            try:
                tx = self.chain.finalize(t, inputs)
            except ChainError as exc:
                last = str(exc)
                if self.chain.period() >= t or any(g in last for g in _GONE):
                    log.info("finalize of period %d reverted: already finalized (%s)", t, last)
                    return FinalizeOutcome(t, "already_final", attempt, detail=last)
                if any(w in last for w in _TOO_EARLY):
                    return FinalizeOutcome(t, "waiting", attempt, detail=last)
                if any(w in last for w in _DISPUTED):
                    return self._disputed(t, last, attempt)
                log.warning("finalize of period %d failed (attempt %d): %s", t, attempt, last)
                if attempt <= len(delays):
                    self.sleep(delays[attempt - 1])
                continue
            log.info("finalized period %d in %s", t, tx)
            return FinalizeOutcome(t, "finalized", attempt, tx_hash=tx)
        self._alert(
            "finalize_failed",
            "critical",
            f"finalize of period {t} failed {self.retry.attempts} times; last error: {last}",
        )
        return FinalizeOutcome(t, "failed", self.retry.attempts, detail=last)

    def _disputed(self, period: int, detail: str, attempts: int = 0) -> FinalizeOutcome:
        """A disputed (vetoed) report waits for governance: no retries, one alert."""
        self._alert(
            "report_disputed",
            "warning",
            f"report for period {period} is disputed; governance must uphold or discard it "
            "before it can finalize",
        )
        return FinalizeOutcome(period, "disputed", attempts, detail=detail)

    # ---------------------------------------------------------------- checks
    def _check_late(self, pending: PendingReport | None) -> None:
        if self.schedule is None or pending is not None:
            return
        t = self.chain.period() + 1
        due = self.schedule.due(t)
        now = self.chain.now()
        if now > due + self.schedule.grace:
            # a stable text: the same lateness is one alert, whoever raises it and when
            self._alert(
                "late_report",
                "warning",
                f"no servicer report for period {t}: due {_when(due)}, late after a grace of "
                f"{_span(self.schedule.grace)}; ask the servicer to submit",
            )

    def _check_triggers(self) -> None:
        for k, period, block in self.chain.trigger_breaches():
            # the indexer writes the same kind and text, so the table holds one row
            msg = f"trigger {k} breached in period {period}"
            self._alert("trigger_breached", "critical", msg, block)

    # ---------------------------------------------------------------- liquidation
    def _mark_loans(self) -> list[MarkOutcome]:
        """The liquidation duty (:mod:`trancheflow.ops.keeper_liquidation`)."""
        if self.liquidation is None or self.loan_status is None:
            return []
        duty = LiquidationDuty(self.liquidation, self.loan_status)
        return duty.mark_loans(self.chain.period(), self._alert)

    # ---------------------------------------------------------------- loop
    def run_once(self) -> KeeperTick:
        """One tick: finalize what is due, then check lateness and triggers."""
        before = len(self.alerts)
        outcomes: list[FinalizeOutcome] = []
        pending = self.chain.pending_report()
        disputed = getattr(self.chain, "disputed", None)  # optional in KeeperChain
        if pending is not None and disputed is not None and disputed():
            outcomes.append(self._disputed(pending.period, "disputed: awaits governance"))
        elif pending is not None:
            deadline = self.chain.dispute_deadline()
            if deadline is not None and self.chain.now() >= deadline:
                outcomes.append(self._finalize(pending))
            else:
                until = "unknown" if deadline is None else _when(deadline)
                detail = f"dispute window open until {until}"
                outcomes.append(FinalizeOutcome(pending.period, "waiting", detail=detail))
            pending = self.chain.pending_report()
        self._check_late(pending)
        self._check_triggers()
        marks = tuple(self._mark_loans())
        return KeeperTick(tuple(outcomes), tuple(self.alerts[before:]), marks)

    def run(
        self,
        poll_interval: float = 15.0,
        stop_after: float | None = None,
        *,
        should_stop: Callable[[], bool] | None = None,
        on_tick: Callable[[KeeperTick], None] | None = None,
    ) -> list[KeeperTick]:
        """Tick every ``poll_interval`` seconds until ``stop_after`` seconds have
        passed or ``should_stop()``; returns the ticks that did something.

        A tick that cannot reach the node or the database is logged and the
        loop waits longer before the next one (``poll_interval`` doubled per
        consecutive failure, at most ``retry.max_delay`` more); it never exits
        on such an error. ``on_tick(tick)`` sees every tick (the CLI prints).
        """
        from trancheflow.errors import DatabaseError

        deadline = None if stop_after is None else time.monotonic() + stop_after
        ticks = []
        failures = 0
        while True:
            wait = poll_interval
            try:
                tick = self.run_once()
            except (ChainError, DatabaseError) as exc:
                failures += 1
                wait = poll_interval + min(self.retry.max_delay, poll_interval * 2**failures)
                log.warning("keeper tick failed (%d in a row): %s", failures, exc)
            else:
                failures = 0
                if on_tick is not None:
                    on_tick(tick)
                if tick.alerts or tick.marks or any(o.status != "waiting" for o in tick.outcomes):
                    ticks.append(tick)
            if should_stop is not None and should_stop():
                return ticks
            if deadline is not None and time.monotonic() + wait > deadline:
                return ticks
            self.sleep(wait)

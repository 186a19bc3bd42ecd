"""Keeper against a fake chain: dispute window, idempotence across restarts and
racing keepers, bounded backoff, refused inputs, late reports, trigger alerts.

:class:`FakeDeal` implements the ``Deal`` contract's finalize rules (pending
report, dispute window, input commitment) under a lock, with injectable
failures, so a keeper is tested without any chain.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trancheflow.errors import ChainError, NotFoundError
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.keeper import (
    Keeper,
    PendingReport,
    ReportSchedule,
    RetryPolicy,
    inputs_hash,
)
from trancheflow.ops.models import Alert as AlertRow

WINDOW = 3_600


class FakeDeal:
    """The finalize rules of Deal.vy, thread-safe, with injected failures."""

    def __init__(self, address: str = "0x" + "d1" * 20) -> None:
        self.address = address
        self.t = 1_000_000
        self.done = 0
        self.pending: tuple[int, tuple[int, ...]] | None = None
        self.submitted: dict[int, tuple[int, ...]] = {}
        self.finalized: list[int] = []  # periods, in the order they finalized
        self.sent = 0  # finalize transactions sent (including reverted ones)
        self.fail_next: list[Exception] = []
        self.breaches: list[tuple[int, int, int]] = []
        self.lock = threading.Lock()
        self.before_finalize = lambda: None

    # --- driving the deal
    def submit(self, inputs: Sequence[int] | None = None) -> tuple[int, ...]:
        t = self.done + 1
        inp = tuple(inputs) if inputs is not None else (t, 100 * t, 10, 5, 0, 0, 0)
        with self.lock:
            self.pending = (self.t, inp)
            self.submitted[t] = inp
        return inp

    # --- KeeperChain
    def now(self) -> int:
        return self.t

    def period(self) -> int:
        return self.done

    def pending_report(self) -> PendingReport | None:
        p = self.pending
        if p is None:
            return None
        return PendingReport(self.done + 1, p[0], sum(p[1][1:5]), inputs_hash(p[1]))

    def dispute_deadline(self) -> int | None:
        p = self.pending
        return None if p is None else p[0] + WINDOW

    def report_inputs(self, period: int) -> tuple[int, ...]:
        if period not in self.submitted:
            raise ChainError(f"no ReportSubmitted for period {period}")
        return self.submitted[period]

    def finalize(self, period: int, inputs: Sequence[int]) -> str:
        self.before_finalize()
        with self.lock:
            self.sent += 1
            if self.fail_next:
                raise self.fail_next.pop(0)
            if self.pending is None:
                raise ChainError("Deal.finalize reverted on fake: deal: no pending report")
            if self.t < self.pending[0] + WINDOW:
                raise ChainError("Deal.finalize reverted on fake: deal: dispute window open")
            if inputs_hash(inputs) != inputs_hash(self.pending[1]):
                raise ChainError(
                    "Deal.finalize reverted: deal: inputs differ from the pending report"
                )
            self.pending = None
            self.done += 1
            self.finalized.append(self.done)
            return f"0xtx{self.sent}"

    def trigger_breaches(self) -> list[tuple[int, int, int]]:
        return list(self.breaches)


class Sleeps(list[float]):
    def __call__(self, s: float) -> None:
        self.append(s)


def test_finalizes_only_after_the_dispute_window_and_only_once() -> None:
    chain = FakeDeal()
    k = Keeper(chain, sleep=Sleeps())
    assert k.run_once().outcomes == ()
    chain.submit()
    chain.t += WINDOW - 1
    tick = k.run_once()
    assert [(o.period, o.status) for o in tick.outcomes] == [(1, "waiting")]
    assert chain.sent == 0
    chain.t += 1
    assert [(o.period, o.status, o.attempts) for o in k.run_once().outcomes] == [
        (1, "finalized", 1)
    ]
    assert k.run_once().outcomes == ()
    # a restarted keeper (fresh object) has nothing to do either
    assert Keeper(chain).run_once().outcomes == ()
    assert chain.finalized == [1] and chain.sent == 1


def test_transient_failures_are_retried_with_bounded_backoff() -> None:
    chain = FakeDeal()
    sleeps = Sleeps()
    k = Keeper(chain, retry=RetryPolicy(attempts=4, base_delay=0.5, max_delay=1.5), sleep=sleeps)
    chain.submit()
    chain.t += WINDOW
    chain.fail_next = [ChainError("connection reset by peer"), ChainError("nonce too low")]
    (o,) = k.run_once().outcomes
    assert (o.status, o.attempts) == ("finalized", 3)
    assert sleeps == [0.5, 1.0]
    assert chain.finalized == [1]


def test_persistent_failure_alerts_once_and_the_next_tick_tries_again(db, new_sim) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    sim.register(db)
    chain = FakeDeal(sim.address)
    sleeps = Sleeps()
    k = Keeper(chain, db=db, retry=RetryPolicy(attempts=4, base_delay=1, max_delay=3), sleep=sleeps)
    chain.submit()
    chain.t += WINDOW
    chain.fail_next = [ChainError("gas price too low")] * 8
    (o,) = k.run_once().outcomes
    assert (o.status, o.attempts, o.detail) == ("failed", 4, "gas price too low")
    assert sleeps == [1, 2, 3]  # bounded: no sleep after the last attempt
    assert [a.kind for a in k.alerts] == ["finalize_failed"]
    k.run_once()  # fails again: the alert is not repeated
    assert chain.finalized == [] and len(k.alerts) == 1
    (o,) = k.run_once().outcomes  # the node recovered
    assert o.status == "finalized" and chain.finalized == [1]
    with Session(db) as s:
        rows = s.scalars(select(AlertRow)).all()
        assert [(r.kind, r.severity) for r in rows] == [("finalize_failed", "critical")]
        assert (
            "finalize of period 1 failed 4 times; last error: gas price too low" in rows[0].message
        )


def test_a_finalize_that_lost_the_race_is_recognised_not_retried() -> None:
    chain = FakeDeal()
    sleeps = Sleeps()
    a, b = Keeper(chain, sleep=sleeps), Keeper(chain, sleep=sleeps)
    chain.submit()
    chain.t += WINDOW
    # b finalizes after a checked the chain but before a's transaction lands
    hook = {"armed": True}

    def b_first() -> None:
        if hook["armed"]:
            hook["armed"] = False
            assert [o.status for o in b.run_once().outcomes] == ["finalized"]

    chain.before_finalize = b_first
    (o,) = a.run_once().outcomes
    assert (o.status, o.attempts) == ("already_final", 1)
    assert "no pending report" in o.detail
    assert chain.finalized == [1] and chain.sent == 2 and sleeps == []


def test_two_racing_keepers_finalize_each_period_exactly_once() -> None:
    chain = FakeDeal()
    periods = 12
    chain.before_finalize = lambda: time.sleep(0.002)  # widen the check-then-act window
    keepers = [Keeper(chain, sleep=lambda s: None) for _ in range(2)]
    stop = threading.Event()
    outcomes: list[list[str]] = [[], []]

    def loop(i: int) -> None:
        while not stop.is_set():
            outcomes[i].extend(o.status for o in keepers[i].run_once().outcomes)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    try:
        for t in range(1, periods + 1):
            chain.submit()
            with chain.lock:
                chain.t += WINDOW
            deadline = time.monotonic() + 10
            while chain.done < t and time.monotonic() < deadline:
                time.sleep(0.001)
    finally:
        stop.set()
        for th in threads:
            th.join(10)
    assert chain.finalized == list(range(1, periods + 1))
    done = outcomes[0].count("finalized") + outcomes[1].count("finalized")
    assert done == periods
    assert "failed" not in outcomes[0] + outcomes[1]


def test_inputs_that_do_not_match_the_commitment_are_never_sent(db, new_sim) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    sim.register(db)
    chain = FakeDeal(sim.address)
    chain.submit()
    chain.t += WINDOW
    chain.submitted[1] = (1, 999, 10, 5, 0, 0, 0)  # the log read is another deal's report
    k = Keeper(chain, db=db)
    (o,) = k.run_once().outcomes
    assert o.status == "refused" and chain.sent == 0
    assert "do not hash to the deal's commitment" in o.detail
    assert [a.kind for a in k.alerts] == ["report_mismatch"]


def test_late_reports_are_flagged_once_per_period_across_keepers(db, new_sim) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    sim.register(db)
    chain = FakeDeal(sim.address)
    sched = ReportSchedule(first_due=chain.t + 100, cadence=1_000, grace=50)
    k1 = Keeper(chain, db=db, schedule=sched)
    chain.t += 150
    assert k1.run_once().alerts == ()  # due + grace exactly: not late yet
    chain.t += 1
    (a,) = k1.run_once().alerts
    assert a.kind == "late_report" and "no servicer report for period 1" in a.message
    assert k1.run_once().alerts == ()
    k2 = Keeper(chain, db=db, schedule=sched)  # a second keeper: no second row
    assert k2.run_once().alerts == ()
    chain.submit()  # the report arrives: period 1 is no longer late...
    chain.t += WINDOW
    tick = k1.run_once()
    assert chain.finalized == [1]
    # ...but by now report 2 is overdue too (due + 1,000 s, grace 50 s)
    assert chain.t > sched.due(2) + sched.grace
    assert [a.message.split(":")[0] for a in tick.alerts] == ["no servicer report for period 2"]
    assert "late after a grace of 50 s" in tick.alerts[0].message
    assert k2.run_once().alerts == ()
    with Session(db) as s:
        n = s.scalar(
            select(func.count()).select_from(AlertRow).where(AlertRow.kind == "late_report")
        )
        assert n == 2


def test_trigger_alerts_are_one_row_per_breach_with_the_indexer(db, new_sim, play) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 30)
    sim.register(db)
    logs = sim.chain.events(0, sim.chain.latest_block(), [sim.address])
    breaches = [
        (int(e.args["trigger"]), int(e.args["period"]), e.block_number)
        for e in logs
        if e.name == "TriggerBreached"
    ]
    assert breaches  # the conftest deal breaches its loss trigger
    chain = FakeDeal(sim.address)
    chain.breaches = breaches
    k = Keeper(chain, db=db)  # the keeper first...
    assert [a.message for a in k.run_once().alerts] == [
        f"trigger {b[0]} breached in period {b[1]}" for b in breaches
    ]
    assert k.run_once().alerts == ()
    Keeper(chain, db=db).run_once()
    with Session(db) as s:
        n = s.scalar(
            select(func.count()).select_from(AlertRow).where(AlertRow.kind == "trigger_breached")
        )
        assert n == len(breaches)
    Indexer(db, sim.chain).run_once()  # ...then the indexer: it adds no second row
    with Session(db) as s:
        texts = s.scalars(select(AlertRow.message).where(AlertRow.kind == "trigger_breached"))
        assert sorted(texts) == sorted(
            f"trigger {b[0]} breached in period {b[1]}" for b in breaches
        )


def test_a_deal_missing_from_the_database_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError, match="is not registered in the index"):
        Keeper(FakeDeal("0x" + "ab" * 20), db=db)


def test_run_loop_survives_a_node_outage_and_stops_when_told() -> None:
    chain = FakeDeal()
    chain.submit()
    chain.t += WINDOW
    real = chain.pending_report
    down = {"ticks": 2}

    def flaky() -> PendingReport | None:
        if down["ticks"]:
            down["ticks"] -= 1
            raise ChainError("cannot reach a JSON-RPC node at http://127.0.0.1:8545")
        return real()

    chain.pending_report = flaky  # type: ignore[method-assign]
    sleeps = Sleeps()
    seen: list[object] = []
    ticks = Keeper(chain, retry=RetryPolicy(max_delay=4), sleep=sleeps).run(
        poll_interval=1, should_stop=lambda: len(sleeps) >= 4, on_tick=seen.append
    )
    assert [[o.status for o in t.outcomes] for t in ticks] == [["finalized"]]
    assert chain.finalized == [1] and len(seen) == 3
    assert sleeps == [3, 5, 1, 1]  # 1 + min(4, 1 * 2**k) after each failure, then 1


# ------------------------------------------------------------------ CLI
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--rpc-url", "http://127.0.0.1:9"], "127.0.0.1:9"),
        (["--first-due", "next tuesday"], "--first-due 'next tuesday' is not a date"),
        (
            ["--db", "sqlite:///nowhere/index.db"],
            "does not exist (nothing is created); pass the indexer's database",
        ),
    ],
)
def test_cli_bad_input_exits_2_with_the_input_named(extra, message, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from trancheflow.cli import app

    monkeypatch.setenv("TRANCHEFLOW_PRIVATE_KEY", "0x" + "01" * 32)
    args = {"--deal": "D", "--rpc-url": "http://127.0.0.1:9"}
    args.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    r = CliRunner().invoke(app, ["keeper", "--once", *[x for kv in args.items() for x in kv]])
    assert r.exit_code == 2, r.output
    assert message in " ".join(r.output.split())


def test_parse_when_reads_dates_and_unix_seconds() -> None:
    from trancheflow.cli.keeper import parse_when

    assert parse_when("2026-01-01") == 1_767_225_600  # date -u -d 2026-01-01 +%s
    assert parse_when("2026-01-01T01:00:00+01:00") == 1_767_225_600
    assert parse_when("2026-01-01T00:00:00Z") == 1_767_225_600

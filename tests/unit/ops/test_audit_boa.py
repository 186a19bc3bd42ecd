"""Audit of a real titanoboa deployment end to end: the chain client deploys the
example deal, the servicer feed reports (with loan-level Merkle roots), the
keeper finalizes, the indexer indexes, and the audit recomputes every period.

Also read straight from the chain (no database) with the contract's own
immutables (``SPEC_HASH``, ``TAPE_ROOT``, ``ORIGINAL_POOL_BALANCE``), and
tampered: a spec with another coupon, a wrong loan file.
"""

from __future__ import annotations

import pytest

pytest.importorskip("boa")

from trancheflow.ops.audit import (
    Difference,
    audit_db,
    audit_record,
    record_from_events,
    write_loan_file,
)
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.keeper import BackendKeeperChain, Keeper

from .test_keeper_boa import WINDOW, BoaDeal

PERIODS = 5


@pytest.fixture(scope="module")
def run() -> BoaDeal:
    w = BoaDeal()
    keeper = Keeper(BackendKeeperChain(w.deal), sleep=lambda s: None)
    for _ in range(PERIODS):
        w.submit()
        w.client.advance_time(WINDOW)
        assert [o.status for o in keeper.run_once().outcomes] == ["finalized"]
    return w


def _loans(w: BoaDeal, folder, period: int):  # type: ignore[no-untyped-def]
    name = "tape.csv" if period == 0 else f"period-{period}.csv"
    units = w.feed.loan_units(period)
    return write_loan_file(folder / name, zip(w.feed.loan_ids, units, strict=True))


def test_titanoboa_deal_audits_clean_from_the_index(run, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run.register(db)
    Indexer(db, run.client.event_source()).run_once()
    for t in range(PERIODS + 1):
        _loans(run, tmp_path, t)
    result = audit_db(
        db, run.spec.deal, run.spec, loans_dir=tmp_path, tape_root=run.deal.record.tape_root
    )
    assert result.ok, result.summary
    assert result.through_period == PERIODS
    checks = {c.name: c.ok for c in result.checks}
    assert checks["loans tape.csv"] and all(checks[f"loans period-{t}.csv"] for t in (1, 5))
    assert checks["trigger breaches"]  # the dq60 trigger breached in period 2, logged once
    # one loan's balance off by a unit: the period of that file is named
    units = run.feed.loan_units(4)
    units[0] -= 1
    write_loan_file(tmp_path / "period-4.csv", zip(run.feed.loan_ids, units, strict=True))
    bad = audit_db(db, run.spec.deal, run.spec, loans_dir=tmp_path, store=False)
    d = bad.first_difference
    assert isinstance(d, Difference) and (d.period, d.field) == (4, "Merkle root")


def test_titanoboa_deal_audits_from_events_with_the_contract_immutables(run) -> None:  # type: ignore[no-untyped-def]
    b, addr = run.client.backend, run.deal.address
    rec = record_from_events(
        run.client.event_source(),
        addr,
        [t.address for t in run.deal.record.tokens],
        from_block=run.deal.record.block,
        spec_hash=bytes(b.call("Deal", addr, "SPEC_HASH")),
        tape_root=bytes(b.call("Deal", addr, "TAPE_ROOT")),
        original_pool_balance=int(b.call("Deal", addr, "ORIGINAL_POOL_BALANCE")),
        parts=list(run.deal.record.contracts.values()),
    )
    result = audit_record(rec, run.spec)
    assert result.ok, result.summary
    assert all(c.ok for c in result.checks), [c for c in result.checks if not c.ok]
    # the token's own factor view agrees with the audited balance of the last period
    last = rec.periods[-1]
    for i in range(len(last.balance)):
        face = rec.supply[i]  # == original face (checked above)
        assert run.deal.factor(i) == last.balance[i] * 10**18 // face
    # a spec whose coupon differs from the deployed one
    a = run.spec.tranches[0].model_copy(update={"coupon": 0.0751})
    wrong = run.spec.model_copy(update={"tranches": [a, *run.spec.tranches[1:]]})
    bad = audit_record(rec, wrong)
    assert {c.name: c.ok for c in bad.checks}["spec_hash"] is False
    p1 = bad.periods[0].difference
    assert p1 is not None and (p1.period, p1.subject, p1.field) == (1, "tranche A", "interest_paid")
    face_a = 194_500_000 * 10**6
    assert (p1.chain, p1.spec) == (
        face_a * 75_000_000 // (12 * 10**9),
        face_a * 75_100_000 // (12 * 10**9),
    )

"""Audit of a simulated deal through the indexer: passes on the true chain, and
names the period / tranche / field of every kind of tampering.

The chain is :class:`SimulatedDeal` (the exact waterfall's integers as the
contract would log them). Expected differences are computed here by hand from
docs/waterfall.md (``mdiv``: ``floor(balance * coupon / (12 * 1e9))``), not by
the audit's own recomputation.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from trancheflow.chain.merkle import loan_leaf, merkle_root
from trancheflow.cli import app
from trancheflow.errors import NotFoundError, SpecError
from trancheflow.ops.audit import (
    Difference,
    audit_db,
    audit_record,
    record_from_db,
    record_from_events,
    write_loan_file,
)
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.models import AuditResult as AuditRow
from trancheflow.ops.models import Distribution, Report, Transfer
from trancheflow.ops.simulated import SimulatedDeal

from .conftest import SPEC

PERIODS = 30


@pytest.fixture
def indexed(db, new_sim, play):  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, PERIODS)
    sim.register(db)
    Indexer(db, sim.chain).run_once()
    return sim


def _spec_with(spec, **tranche_a):  # type: ignore[no-untyped-def]
    a = spec.tranches[0].model_copy(update=tranche_a)
    return spec.model_copy(update={"tranches": [a, *spec.tranches[1:]]})


def test_true_chain_passes_and_the_result_is_stored(db, indexed, spec) -> None:  # type: ignore[no-untyped-def]
    result = audit_db(db, "IDX-TEST-1", spec)
    assert result.ok, result.summary
    assert result.through_period == PERIODS
    assert [p.period for p in result.periods] == list(range(1, PERIODS + 1))
    # premium + cover, 2 deal values + 2 counts + 1 fee + 3 tranches x 5 + 4 deal values
    assert all(p.compared == 2 + 2 + 2 + 1 + 15 + 4 for p in result.periods)
    names = {c.name: c.ok for c in result.checks}
    assert names["spec_hash"] and names["pool_balance"] and names["trigger breaches"]
    assert all(names[f"token supply {t}"] for t in ("A", "M", "B"))
    with Session(db) as s:
        row = s.scalars(select(AuditRow)).one()
        assert row.ok and row.through_period == PERIODS and row.summary.startswith("PASS")
        assert row.details["periods"][0] == {
            "period": 1,
            "ok": True,
            "compared": 26,
            "difference": None,
        }


def test_db_and_event_source_give_the_same_audit(db, indexed, spec) -> None:  # type: ignore[no-untyped-def]
    from_db, _ = record_from_db(db, indexed.address)
    from_events = record_from_events(indexed.chain, indexed.address, indexed.tokens)
    assert from_db.periods == from_events.periods
    assert from_db.reports == from_events.reports
    assert from_db.supply == from_events.supply
    assert from_db.breaches == from_events.breaches
    assert audit_record(from_events, spec).periods == audit_record(from_db, spec).periods


def test_a_spec_whose_coupon_differs_fails_on_hash_and_payout(db, indexed, spec) -> None:  # type: ignore[no-untyped-def]
    wrong = _spec_with(spec, coupon=0.0501)
    result = audit_db(db, "IDX-TEST-1", wrong, store=False)
    assert not result.ok
    check = {c.name: c for c in result.checks}["spec_hash"]
    assert check.ok is False and "spec_hash: chain 0x" in check.message
    # every period differs, first on tranche A's interest (it is paid in full)
    p1 = result.periods[0]
    face = 70_000_000 * 10**6
    chain, want = face * 50_000_000 // (12 * 10**9), face * 50_100_000 // (12 * 10**9)
    assert p1.difference == Difference(1, "tranche A", "interest_paid", chain, want)
    assert str(p1.difference) == (
        f"period 1, tranche A interest_paid: chain {chain:,} vs spec {want:,} "
        f"(diff {chain - want:+,})"
    )
    assert chain - want == -583_333_334  # 70M x 0.01% / 12, floors taken separately
    assert result.summary.startswith("FAIL IDX-TEST-1: deal spec_hash")


def test_a_tampered_distribution_row_names_period_tranche_and_field(db, indexed, spec) -> None:  # type: ignore[no-untyped-def]
    true = indexed.periods[13].tranches[1].principal_paid
    with Session(db) as s:
        s.execute(
            update(Distribution)
            .where(Distribution.period == 14, Distribution.tranche_id == 1)
            .values(principal_paid=true + 1)
        )
        s.commit()
    result = audit_db(db, "IDX-TEST-1", spec)
    assert not result.ok
    assert str(result.first_difference) == (
        f"period 14, tranche M principal_paid: chain {true + 1:,} vs spec {true:,} (diff +1)"
    )
    # the recomputation runs from the reports, so only the tampered period differs
    assert [p.period for p in result.periods if not p.ok] == [14]
    with Session(db) as s:
        row = s.scalars(select(AuditRow)).one()
        assert not row.ok and "period 14, tranche M principal_paid" in row.summary
        assert row.details["first_difference"]["period"] == 14


def test_a_tampered_report_changes_the_recomputed_period(db, indexed, spec) -> None:  # type: ignore[no-untyped-def]
    # 7 more units of interest reported (and deposited): the spec pays them out
    # (to the residual, or the reserve), the chain's logged results did not
    with Session(db) as s:  # (amounts are decimal text on SQLite: change them in Python)
        r5 = s.scalars(select(Report).where(Report.period == 5, Report.status == "finalized")).one()
        r5.interest, r5.cash = r5.interest + 7, r5.cash + 7
        s.commit()
    result = audit_db(db, "IDX-TEST-1", spec, store=False)
    d = result.first_difference
    assert isinstance(d, Difference) and d.period == 5 and d.field in ("reserve", "residual")
    assert d.chain - d.spec == -7  # type: ignore[operator]
    # cash that does not add up is named before anything is recomputed
    with Session(db) as s:
        r6 = s.scalars(select(Report).where(Report.period == 6)).one()
        r6.cash += 1
        s.commit()
    d6 = audit_db(db, "IDX-TEST-1", spec, store=False).periods[5].difference
    assert d6 is not None and (d6.subject, d6.field, d6.chain - d6.spec) == (  # type: ignore[operator]
        "report",
        "cash deposited",
        1,
    )


def test_a_missing_period_and_a_missing_mint_are_named(db, indexed, spec) -> None:  # type: ignore[no-untyped-def]
    from trancheflow.ops.models import Period

    with Session(db) as s:
        s.execute(delete(Period).where(Period.period == 9))
        s.execute(
            delete(Transfer).where(Transfer.tranche_id == 2, Transfer.sender == "0x" + "00" * 20)
        )
        s.commit()
    result = audit_db(db, "IDX-TEST-1", spec, store=False)
    bad = [p for p in result.periods if not p.ok]
    assert bad[0].difference == Difference(10, "deal", "period number", 10, 9)
    supply = {c.name: c for c in result.checks}["token supply B"]
    assert supply.ok is False and supply.difference == Difference(
        None, "tranche B", "token supply B", 0, 8_000_000 * 10**6
    )


def test_vetoed_reports_are_not_the_ones_audited(spec) -> None:  # type: ignore[no-untyped-def]
    from trancheflow.ops.events import MemoryChain

    sim = SimulatedDeal(spec, MemoryChain())
    sim.deploy()
    sim.close()
    sim.finalize_next()
    # a wrong report for period 2 is vetoed, then the true one finalizes
    bad = sim._report(2) | {"interest": 1}
    sim.chain.mine(
        [
            (
                sim.address,
                "ReportSubmitted",
                {"period": 2, "digest": "0x01", "inputs_hash": "0x02", "cash": 0, "report": bad},
            )
        ]
    )
    sim.chain.mine(
        [(sim.address, "ReportVetoed", {"period": 2, "by": sim.guardian, "cash_returned": 0})]
    )
    sim.finalize_next()
    rec = record_from_events(sim.chain, sim.address, sim.tokens)
    assert rec.reports[2].interest == sim.inputs[1].interest != 1
    assert audit_record(rec, spec).ok


class LoanSim(SimulatedDeal):
    """A simulated deal whose reports carry real loan-level Merkle roots:
    the pool's ending balance split over 5 loans."""

    def loans(self, t: int) -> list[tuple[str, int]]:
        pool = self.pool_balance if t == 0 else self.periods[t - 1].pool_ending
        units = [pool // 5] * 4 + [pool - 4 * (pool // 5)]
        return [(f"L{k}", u) for k, u in enumerate(units)]

    def root(self, t: int) -> str:
        return "0x" + merkle_root([loan_leaf(i, u) for i, u in self.loans(t)]).hex()

    def _report(self, t: int) -> dict:  # type: ignore[type-arg]
        return super()._report(t) | {"loans_root": self.root(t)}


def test_loan_files_match_their_period_root_and_a_wrong_one_is_named(
    db, spec, play, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from trancheflow.ops.events import MemoryChain

    sim = LoanSim(spec, MemoryChain())
    play(sim, 4)
    sim.register(db)
    Indexer(db, sim.chain).run_once()
    for t in range(5):
        write_loan_file(tmp_path / ("tape.csv" if t == 0 else f"period-{t}.csv"), sim.loans(t))
    ok = audit_db(db, sim.address, spec, loans_dir=tmp_path, tape_root=sim.root(0))
    assert ok.ok, ok.summary
    assert sum(c.name.startswith("loans ") and c.ok is True for c in ok.checks) == 5
    wrong = sim.loans(3)
    wrong[2] = (wrong[2][0], wrong[2][1] - 1)
    write_loan_file(tmp_path / "period-3.csv", wrong)
    bad = audit_db(db, sim.address, spec, loans_dir=tmp_path, tape_root=sim.root(0))
    assert not bad.ok and all(p.ok for p in bad.periods)
    d = bad.first_difference
    assert isinstance(d, Difference) and d.period == 3 and d.field == "Merkle root"
    assert d.chain == sim.root(3) and d.spec != d.chain
    assert str(d).startswith("period 3, loan file period-3.csv Merkle root: chain 0x")
    # the tape file against a different tape root
    bad_tape = audit_db(db, sim.address, spec, loans_dir=tmp_path, tape_root="0x" + "00" * 32)
    assert {c.name: c.ok for c in bad_tape.checks}["loans tape.csv"] is False


def test_bad_inputs_raise_actionable_errors(db, indexed, spec, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError, match=r"deal 'NOPE' is not registered.*IDX-TEST-1"):
        audit_db(db, "NOPE", spec)
    with pytest.raises(SpecError, match="is not a folder"):
        audit_db(db, "IDX-TEST-1", spec, loans_dir=tmp_path / "absent")
    (tmp_path / "loans").mkdir()
    (tmp_path / "loans" / "period-1.csv").write_text("loan_id,balance_units\nL1,abc\n")
    with pytest.raises(SpecError, match=r"period-1.csv: row 1, balance_units 'abc'"):
        audit_db(db, "IDX-TEST-1", spec, loans_dir=tmp_path / "loans")
    with Session(db) as s:  # nothing was stored by the failed runs
        assert s.scalars(select(AuditRow)).all() == []


# ------------------------------------------------------------------ CLI
def _spec_file(tmp_path, **tranche_a):  # type: ignore[no-untyped-def]
    import yaml

    data = json.loads(json.dumps(SPEC))
    data["tranches"][0].update(tranche_a)
    p = tmp_path / "deal.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_cli_exit_codes_and_formats(db, indexed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = str(db.url)
    runner = CliRunner()
    spec = _spec_file(tmp_path)
    r = runner.invoke(app, ["audit", "--db", url, "--deal", "IDX-TEST-1", "--spec", str(spec)])
    assert r.exit_code == 0, r.output
    assert "PASS IDX-TEST-1: 30 period(s)" in r.output
    r = runner.invoke(
        app,
        ["audit", "--db", url, "--deal", indexed.address, "--spec", str(spec), "--format", "json"],
    )
    assert r.exit_code == 0 and json.loads(r.output)["through_period"] == PERIODS
    wrong = _spec_file(tmp_path, coupon=0.0501)
    r = runner.invoke(app, ["audit", "--db", url, "--deal", "IDX-TEST-1", "--spec", str(wrong)])
    assert r.exit_code == 1 and "FAIL IDX-TEST-1: deal spec_hash" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deal", "NOPE"], "deal 'NOPE' is not registered"),
        (["--spec", "missing.yaml"], "the deal spec does not exist"),
        (
            ["--db", "sqlite:///nowhere/index.db"],
            "does not exist (nothing is created); pass the indexer's database",
        ),
        (["--db", "mysql://x@y/z"], "backend 'mysql' is not supported"),
        (["--format", "xml"], "use table or json"),
    ],
)
def test_cli_bad_input_exits_2(db, indexed, tmp_path, args, message) -> None:  # type: ignore[no-untyped-def]
    base = {"--db": str(db.url), "--deal": "IDX-TEST-1", "--spec": str(_spec_file(tmp_path))}
    for k, v in zip(args[::2], args[1::2], strict=True):
        base[k] = str(tmp_path / v) if k == "--spec" else v
    argv = ["audit", *[x for kv in base.items() for x in kv]]
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 2, r.output
    assert message in " ".join(r.output.split())


def test_the_api_serves_the_stored_audit(db, indexed, spec) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from trancheflow.api import create_app

    with Session(db) as s:
        row = s.scalars(select(Distribution).where(Distribution.period == 3)).first()
        assert row is not None
        row.writedown += 5
        s.commit()
    result = audit_db(db, "IDX-TEST-1", spec)
    body = TestClient(create_app(db)).get("/api/deals/IDX-TEST-1/audit").json()
    assert (body["ok"], body["through_period"], body["summary"]) == (False, PERIODS, result.summary)
    first = body["details"]["first_difference"]
    assert (first["period"], first["field"], int(first["chain"]) - int(first["spec"])) == (
        3,
        "writedown",
        5,
    )

"""A period's loan root from a remittance file is the root ``Liquidation.mark`` proves.

The servicer's ``loans_root`` (built by :func:`build_report` from the
reconciled records) is finalized on the real deal; the real ``Liquidation``
contract then marks a 90+ day loan proven from that same root (through the
keeper's duty, with statuses read back from the remittance file and from the
books file) and refuses a current one. ``audit --loans-dir`` recomputes the
same root from the books file.
"""

from __future__ import annotations

from pathlib import Path

import boa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trancheflow.chain.liquidation import deploy_liquidation, loan_id, status_leaf
from trancheflow.chain.merkle import loan_leaf, merkle_proof, merkle_root, verify
from trancheflow.errors import ChainError, RemittanceError
from trancheflow.ops.audit_records import loan_file_root
from trancheflow.ops.keeper_liquidation import ContractLiquidationChain, LiquidationDuty
from trancheflow.servicer.books import book_from_remittance, loan_statuses, read_book, write_book
from trancheflow.servicer.read import read_remittance
from trancheflow.servicer.reconcile import LoanBook, reconcile
from trancheflow.servicer.report import build_report
from trancheflow.servicer.schema import DAYS_DELINQUENT, DAYS_RANGE, days_in_range

from ..chain.conftest import make_world

DEC = 6
UNIT = 10**DEC
TAPE = LoanBook(
    ("L1", "L2", "L3", "L4"), (200_000 * UNIT, 300_000 * UNIT, 100_000 * UNIT, 5 * UNIT)
)
HEADER = (
    "loan_id,period,beginning_balance,scheduled_principal,principal_collected,curtailment,"
    "payoff,interest_collected,liquidation_proceeds,realized_loss,ending_balance,"
    "delinquency_status,days_delinquent\n"
)
# L1 missed its payments (dpd90, days from the status), L2 pays, L3 120+ with its
# actual days, L4 pays off
ROWS = (
    "L1,1,200000,400,0,0,0,0,0,0,200000,dpd90,\n"
    "L2,1,300000,500,500,0,0,1250,0,0,299500,current,0\n"
    "L3,1,100000,200,0,0,0,0,0,0,100000,dpd120plus,150\n"
    "L4,1,5,0,0,0,5,0,0,0,0,paid_off,\n"
)


def _remittance(tmp_path: Path, rows: str = ROWS) -> Path:
    p = tmp_path / "remittance-001.csv"
    p.write_text(HEADER + rows)
    return p


def test_leaf_is_the_contract_status_leaf() -> None:
    lid = loan_id("L1")
    assert loan_leaf("L1", 7, 95) == status_leaf(lid, 7, 95)
    assert loan_leaf("L1", 7) == status_leaf(lid, 7, 0)  # the tape: 0 days
    for bad in ((-1, 0), (0, 2**256)):
        with pytest.raises(ChainError, match="must be uint256 values"):
            loan_leaf("L1", *bad)


def test_remittance_root_marks_a_90_plus_loan_on_the_real_contract(tmp_path: Path) -> None:
    path = _remittance(tmp_path)
    done = reconcile(read_remittance(path, DEC), TAPE, 1, str(path))
    assert done.book.days == (90, 0, 150, 0)
    report = build_report(done)
    # the same root three ways: report, remittance file, books file (and the audit's reader)
    assert book_from_remittance(path, TAPE, DEC).root() == report.loans_root
    books = tmp_path / "period-1.csv"
    write_book(done.book, books)
    assert read_book(books) == done.book
    assert loan_file_root(books) == report.loans_root

    w = make_world()
    w.run(loans_root=report.loans_root)
    assert bytes(w.deal.latest_loan_root()) == report.loans_root
    setup = deploy_liquidation(w.deal, w.usdc, valuer_keys=[0x51, 0x52], quorum=1)
    for name in ("L1", "L2", "L3"):  # LTV well under 100%: only delinquency can mark
        setup.value(loan_id(name), 1_000_000 * UNIT)
    statuses = loan_statuses(read_book(books))
    by_name = {s.name: s for s in statuses}
    l2 = by_name["L2"]
    with boa.reverts("liquidation: loan not liquidatable"):
        setup.mark(l2.loan_id, l2.balance, l2.days_delinquent, l2.proof, l2.root)
    # a forged days figure for the current loan does not prove under the root
    with boa.reverts():
        setup.mark(l2.loan_id, l2.balance, 120, l2.proof, l2.root)

    alerts: list[tuple[str, str, str]] = []
    duty = LiquidationDuty(ContractLiquidationChain(setup.liquidation), lambda p: statuses)
    out = duty.mark_loans(1, lambda *a: alerts.append(a))
    assert [(o.name, o.status) for o in out] == [("L1", "marked"), ("L3", "marked")]
    assert int(setup.liquidation.auctions(loan_id("L1"))[0]) == 1
    assert int(setup.liquidation.auctions(loan_id("L2"))[0]) == 0
    assert [a[0] for a in alerts] == ["loan_marked", "loan_marked"]


def test_days_column_must_agree_with_the_status(tmp_path: Path) -> None:
    bad = ROWS.replace("dpd120plus,150", "dpd120plus,95").replace("current,0", "current,-3")
    with pytest.raises(RemittanceError) as e:
        read_remittance(_remittance(tmp_path, bad), DEC)
    got = {(p.row, p.field, p.rule) for p in e.value.problems}
    assert (3, "days_delinquent", "must be 120 or more for status dpd120plus") in got
    assert (2, "days_delinquent", "must be a whole number from 0 to 36500") in got


def test_book_file_and_remittance_errors_name_the_input(tmp_path: Path) -> None:
    p = tmp_path / "b.csv"
    p.write_text("loan_id,balance_units,days_delinquent\nL1,10,x\n")
    with pytest.raises(ChainError, match=r"b.csv row 1: .* must be whole numbers"):
        read_book(p)
    extra = _remittance(tmp_path, ROWS + "L9,1,0,0,0,0,0,0,0,0,0,paid_off,\n")
    with pytest.raises(ChainError, match="row 5: loan 'L9' is not a loan of the tape"):
        book_from_remittance(extra, TAPE, DEC)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 10**12), st.integers(0, 400)), min_size=1, max_size=9),
    st.data(),
)
def test_every_leaf_proves_and_days_are_committed(
    rows: list[tuple[int, int]], data: st.DataObject
) -> None:
    book = LoanBook(
        tuple(f"L{i}" for i in range(len(rows))),
        tuple(b for b, _ in rows),
        tuple(d for _, d in rows),
    )
    leaves, root = book.leaves(), book.root()
    k = data.draw(st.integers(0, len(rows) - 1))
    assert verify(leaves[k], merkle_proof(leaves, k), root)
    name, bal, days = book.rows()[k]
    assert not verify(loan_leaf(name, bal, days + 1), merkle_proof(leaves, k), root)
    assert merkle_root(leaves) == root


def test_status_days_fall_in_their_own_range() -> None:
    assert all(days_in_range(s, d) for s, d in DAYS_DELINQUENT.items())
    assert set(DAYS_RANGE) == set(DAYS_DELINQUENT)


def test_a_later_period_without_the_previous_file_is_not_checked_on_chain(
    tmp_path: Path,
) -> None:
    from trancheflow.servicer.period import PreparedPeriod, check_previous_on_chain
    from trancheflow.servicer.reconcile import Reconciled

    class Deal:  # the deal's view check_previous_on_chain reads (period 1 finalized)
        def period(self) -> int:
            return 1

        def latest_loan_root(self) -> str:
            return "0x" + later.root().hex()

    path = _remittance(tmp_path)
    done = reconcile(read_remittance(path, DEC), TAPE, 1, str(path))
    later = done.book  # what the deal accepted for period 1 (L1 at 90 days)
    claimed = LoanBook(TAPE.loan_ids, done.book.balances, days_known=False)
    assert claimed.root() != later.root()  # same balances, the days differ
    nxt = Reconciled(2, "r2.csv", (), done.book)
    with pytest.raises(RemittanceError, match="period 2 needs --previous"):
        check_previous_on_chain(Deal(), PreparedPeriod(nxt, build_report(nxt), claimed, "x"))
    check_previous_on_chain(Deal(), PreparedPeriod(nxt, build_report(nxt), later, "prev"))

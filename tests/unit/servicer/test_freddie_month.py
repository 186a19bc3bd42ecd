"""Freddie Mac monthly performance lines as a period's remittance.

The round trip reads a performance file written by the tape package's
Freddie writer (``trancheflow.tape.freddie_write``, not this package): the
tape's own month reads back as a period with no movement. Hand-written lines
then cover a scheduled payment, a curtailment, a payoff, a liquidation and
the refused cases, each named by line and Freddie field.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from trancheflow.errors import RemittanceError
from trancheflow.servicer.freddie import read_freddie_month
from trancheflow.servicer.reconcile import LoanBook, reconcile
from trancheflow.servicer.report import build_report
from trancheflow.tape.freddie import PERFORMANCE_FIELDS

DEC = 6


def _line(**kw: str) -> str:
    cells = [""] * len(PERFORMANCE_FIELDS)
    for k, v in kw.items():
        cells[PERFORMANCE_FIELDS.index(k)] = v
    return "|".join(cells)


def _rec(lid: str, upb: str, status: str = "0", zb: str = "", rem: str = "300", **kw: str) -> str:
    return _line(
        loan_sequence_number=lid,
        monthly_reporting_period="202502",
        current_actual_upb=upb,
        current_loan_delinquency_status=status,
        loan_age="10",
        remaining_months_to_legal_maturity=rem,
        zero_balance_code=zb,
        current_interest_rate="6.0",
        **kw,
    )


BOOK = LoanBook(("F1", "F2", "F3", "F4"), (100_000_000_000, 50_000_000_000, 80_000_000_000, 1))


def test_writer_round_trip_is_a_quiet_month(tmp_path: Path) -> None:
    from trancheflow.tape.freddie_write import write_freddie
    from trancheflow.tape.generate import generate_tape
    from trancheflow.units import to_units

    tape = generate_tape(6, seed=2, freddie_compatible=True)
    o, p = tmp_path / "o.txt", tmp_path / "p.txt"
    write_freddie(tape, o, p)
    book = LoanBook(
        tuple(str(x) for x in tape["loan_id"]),
        tuple(to_units(x, DEC) for x in tape["current_balance"]),
    )
    recs = read_freddie_month(p, book, 1, DEC)
    done = reconcile(recs, book, 1, str(p))
    assert done.book == book
    r = build_report(done)
    assert r.scheduled_principal == r.prepayments == r.losses == 0
    assert r.interest > 0


def test_payment_curtailment_payoff_liquidation(tmp_path: Path) -> None:
    p = tmp_path / "svcg.txt"
    lines = [
        _rec("F1", "99900.00"),  # 100 of principal: within the level payment
        _rec("F2", "40000.00"),  # 10,000 down: scheduled part + curtailment
        _rec("F3", "0", zb="09", net_sale_proceeds="50000.00", mi_recoveries="1000.00"),
        _rec("F4", "0", zb="01"),
    ]
    p.write_text("\n".join(lines) + "\n")
    recs = {r.loan_id: r for r in read_freddie_month(p, BOOK, 3, DEC, servicing_fee=0.0025)}
    f1, f2, f3, f4 = (recs[k] for k in ("F1", "F2", "F3", "F4"))
    assert (f1.principal_collected, f1.curtailment) == (100_000_000, 0)
    # net interest: 100,000 x (6.00% - 0.25%) / 12 = 479.1666.. -> 479.166667 (half even, units)
    assert f1.interest_collected == int(
        (Decimal(100_000) * Decimal("5.75") / 1200 * 10**DEC).to_integral_value()
    )
    assert f2.principal_collected + f2.curtailment == 10_000_000_000 and f2.curtailment > 0
    assert f2.principal_collected == f2.scheduled_principal
    assert (f3.liquidation_proceeds, f3.realized_loss) == (51_000_000_000, 29_000_000_000)
    assert f3.delinquency_status == "liquidated" and f3.interest_collected == 0
    assert (f4.payoff, f4.ending_balance, f4.delinquency_status) == (1, 0, "paid_off")
    r = build_report(reconcile(list(recs.values()), BOOK, 3, str(p)))
    assert r.recoveries == 51_000_000_000 and r.losses == 29_000_000_000


def test_refused_lines_name_line_and_field(tmp_path: Path) -> None:
    p = tmp_path / "svcg.txt"
    lines = [
        _rec("F1", "99900.00", status="XX"),
        _rec("F2", "0"),  # masked balance
        _rec("F3", "abc"),
        _rec("F4", "0", zb="77"),
    ]
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(RemittanceError) as exc:
        read_freddie_month(p, BOOK, 3, DEC)
    got = [(q.row, q.field) for q in exc.value.problems]
    assert got == [
        (1, "current_loan_delinquency_status"),
        (2, "current_actual_upb"),
        (3, "current_actual_upb"),
        (4, "zero_balance_code"),
    ]


def test_a_rising_balance_fails_the_roll_forward(tmp_path: Path) -> None:
    p = tmp_path / "svcg.txt"
    p.write_text(_rec("F1", "100500.00", modification_flag="Y") + "\n")
    book = LoanBook(("F1",), (100_000_000_000,))
    recs = read_freddie_month(p, book, 2, DEC)
    assert recs[0].modification == "rate_and_term"
    with pytest.raises(RemittanceError) as exc:
        reconcile(recs, book, 2, str(p))
    (q,) = exc.value.problems
    assert (q.row, q.field) == (1, "ending_balance") and "off by 500000000 units" in q.rule


def test_several_months_need_a_month(tmp_path: Path) -> None:
    p = tmp_path / "svcg.txt"
    other = _rec("F1", "99800.00").replace("|202502|", "|202503|")
    p.write_text(_rec("F1", "99900.00") + "\n" + other + "\n")
    book = LoanBook(("F1",), (100_000_000_000,))
    with pytest.raises(RemittanceError, match="holds 2 months"):
        read_freddie_month(p, book, 1, DEC)
    (r,) = read_freddie_month(p, book, 1, DEC, month="202503")
    assert r.ending_balance == 99_800_000_000

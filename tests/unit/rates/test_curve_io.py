"""read_curve_csv: the shipped sample, tenor parsing, and every refusal rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from trancheflow.errors import CurveError
from trancheflow.rates import par_bond_price, parse_tenor, read_curve_csv

SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "curves" / "treasury_sample.csv"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "curve.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_sample_treasury_curve_reads_and_reprices() -> None:
    curve = read_curve_csv(SAMPLE)
    assert curve.tenors[0] == pytest.approx(1 / 12)
    assert curve.tenors[-1] == 30.0
    assert par_bond_price(curve, 10.0, 0.0420) == pytest.approx(1.0, abs=1e-10)
    assert curve.discount(0.25) * (1 + 0.0546 * 0.25) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "years"),
    [("1M", 1 / 12), ("3m", 0.25), ("2Y", 2.0), ("18M", 1.5), ("13W", 0.25), ("0.5", 0.5)],
)
def test_parse_tenor(text: str, years: float) -> None:
    expected = 13 * 7 / 365 if text == "13W" else years
    assert parse_tenor(text) == pytest.approx(expected)


def test_default_kind_auto_treats_short_tenors_as_bills(tmp_path: Path) -> None:
    curve = read_curve_csv(_write(tmp_path, "tenor,rate\n6M,0.05\n2Y,0.047\n"))
    assert curve.discount(0.5) == pytest.approx(1 / 1.025, rel=1e-14)
    assert par_bond_price(curve, 2.0, 0.047) == pytest.approx(1.0, abs=1e-12)


def test_zero_kind_and_year_tenors(tmp_path: Path) -> None:
    curve = read_curve_csv(_write(tmp_path, "Tenor,Rate,Kind\n0.5,0.03,zero\n2,0.035,zero\n"))
    assert curve.zero_rates.tolist() == [0.03, 0.035]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tenor,rate\n2Y,0.04\n1Y,0.03\n", "row 2, field 'tenor': value '1Y' must be greater"),
        ("tenor,rate\n1Y,0.04\n12M,0.03\n", "row 2, field 'tenor': value '12M' duplicates"),
        ("tenor,rate\n1Y,abc\n", "row 1, field 'rate': value 'abc' must be a finite number"),
        ("tenor,rate\nten,0.04\n", "row 1, field 'tenor': value 'ten' must be years"),
        ("tenor,rate\n-2Y,0.04\n", "row 1, field 'tenor': value '-2Y' must be years"),
        ("tenor,rate\n-2,0.04\n", "row 1, field 'tenor': value '-2' must be a positive"),
        ("tenor,rate\n0,0.04\n", "must be a positive maturity"),
        ("tenor,rate\n1Y,4.5\n", "row 1, field 'rate': value '4.5' must be a decimal"),
        ("tenor,rate\n1Y,-0.2\n", "must be a decimal in [-0.05, 0.5]"),
        ("tenor,rate\n1Y,nan\n", "field 'rate': value 'nan' must be a finite number"),
        ("tenor,rate,kind\n1Y,0.04,swap\n", "field 'kind': value 'swap' must be one of"),
        ("tenor,rate,kind\n1.25,0.04,par\n", "whole number of 1/2-year coupon periods"),
        ("tenor,yield\n1Y,0.04\n", "field 'rate': required column 'rate' is missing"),
        ("tenor,rate,source\n1Y,0.04,x\n", "unknown column 'source'"),
        ("tenor,rate\n1Y,0.04,extra\n", "row 1: has more cells than the header"),
        ("tenor,rate\n", "has a header but no data rows"),
        ("# only a comment\n", "file is empty"),
    ],
)
def test_bad_files_name_file_row_field_and_rule(tmp_path: Path, text: str, expected: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(CurveError) as info:
        read_curve_csv(p)
    message = str(info.value)
    assert str(p) in message
    assert expected in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    p = _write(tmp_path, "tenor,rate\n1Y,abc\n2Y,9\nzz,0.04\n")
    with pytest.raises(CurveError, match=r"3 problem\(s\)") as info:
        read_curve_csv(p)
    assert "row 1" in str(info.value) and "row 2" in str(info.value) and "row 3" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CurveError, match="cannot read curve file"):
        read_curve_csv(tmp_path / "nope.csv")


def test_arbitrageable_file_names_the_file(tmp_path: Path) -> None:
    p = _write(tmp_path, "tenor,rate\n1Y,0.0625\n20Y,0.0625\n30Y,0.09375\n")
    with pytest.raises(CurveError, match="cannot be matched") as info:
        read_curve_csv(p)
    assert str(p) in str(info.value)

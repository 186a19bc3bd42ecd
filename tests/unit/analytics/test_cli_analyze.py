"""``trancheflow collateral analyze`` through typer's CliRunner."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trancheflow.analytics.pool import pool_measures
from trancheflow.cli import app, main
from trancheflow.collateral import Assumptions
from trancheflow.tape import generate_tape, read_tape, write_tape

runner = CliRunner()

# BMA Standard Formulas G.1 example (page SF-50/51): GNMA I 9.0% (9.5% gross),
# 360 months, 150% PSA, 14-day actual delay.
GNMA = [
    "collateral", "analyze", "--balance", "1000000", "--gross-rate", "9.5", "--net-rate", "9.0",
    "--term", "360", "--prepay", "PSA 150", "--delay-days", "14",
]  # fmt: skip


def _plain(output: str) -> str:
    """Output with rich's box drawing and line wrapping removed."""
    return " ".join(output.replace("│", " ").split())


def _json(args: list[str]) -> dict[str, float | str | None]:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, float | str | None] = json.loads(result.output)
    return data


def test_gnma_example_from_price() -> None:
    out = _json([*GNMA, "--price", "100"])
    assert round(100 * float(out["yield_bey"]), 5) == 9.10675  # type: ignore[arg-type]
    assert round(100 * float(out["yield_mortgage"]), 5) == 8.93863  # type: ignore[arg-type]
    assert round(float(out["wal"]), 5) == 9.77844  # type: ignore[arg-type]
    assert round(float(out["modified"]), 5) == 5.48186  # type: ignore[arg-type]
    assert round(float(out["convexity"]), 4) == 54.4326  # type: ignore[arg-type]
    assert out["effective_duration"] is None


def test_gnma_seven_day_settlement_from_yield() -> None:
    """Page SF-52: at 9.10644% settling 7 days after issue the price is par, 100.1750 full."""
    out = _json([*GNMA, "--yield", "9.10644", "--settle", "1988-03-08"])
    assert round(float(out["price"]), 4) == 100.0  # type: ignore[arg-type]
    assert round(float(out["full_price"]), 4) == 100.1750  # type: ignore[arg-type]
    assert out["settle"] == "1988-03-08"


def test_clean_and_full_prices_both_ways() -> None:
    """Page SF-52 again: 100 clean and 100.1750 full (7 days accrued) are one yield; a
    32nds quote of the clean price (100-00) reads the same."""
    settle = ["--settle", "1988-03-08"]
    clean = _json([*GNMA, "--price", "100-00", *settle])
    full = _json([*GNMA, "--price", "100.1750", "--price-type", "full", *settle])
    assert round(100 * float(clean["yield_bey"]), 4) == 9.1064  # type: ignore[arg-type]
    assert float(full["yield_bey"]) == pytest.approx(float(clean["yield_bey"]), abs=2e-7)  # type: ignore[arg-type]
    assert float(full["price"]) == pytest.approx(100.0, abs=1e-3)  # type: ignore[arg-type]


def test_mortgage_yield_input_is_converted() -> None:
    by_bey = _json([*GNMA, "--price", "98.5"])
    mtg = 100 * float(by_bey["yield_mortgage"])  # type: ignore[arg-type]
    back = _json([*GNMA, "--yield", repr(mtg), "--yield-type", "mortgage"])
    assert float(back["price"]) == pytest.approx(98.5, abs=1e-9)  # type: ignore[arg-type]


def test_table_shows_effective_measures_with_a_shock() -> None:
    result = runner.invoke(app, [*GNMA, "--price", "100", "--shock", "0.2"])
    assert result.exit_code == 0, result.output
    for text in ("yield (BEY)", "9.10675", "9.77844", "effective duration", "effective convexity"):
        assert text in result.output
    data = _json([*GNMA, "--price", "100", "--shock", "0.2", "--shift-bp", "10"])
    eff, mod = float(data["effective_duration"]), float(data["modified"])  # type: ignore[arg-type]
    assert eff < mod
    assert float(data["effective_convexity"]) < 0  # type: ignore[arg-type]
    assert data["shift_bp"] == 10.0


def test_tape_input_matches_the_library(tmp_path: Path) -> None:
    path = tmp_path / "tape.csv"
    write_tape(generate_tape(25, seed=3, as_of=date(2024, 6, 1)), path)
    args = ["collateral", "analyze", "--tape", str(path), "--prepay", "PSA 200"]
    args += ["--default", "SDA 100", "--severity", "35", "--recovery-lag", "12"]
    args += ["--price", "101.5", "--settle", "2024-06-12"]
    out = _json(args)
    lib = pool_measures(
        read_tape(path),
        Assumptions("PSA 200", "SDA 100", severity=0.35, recovery_lag=12),
        price=101.5,
        settle=date(2024, 6, 12),
        delay_days=24,
    )
    assert out["delay_days"] == 24
    for key, value in lib.as_dict().items():
        if value is None:
            assert out[key] is None, key
        else:
            assert out[key] == pytest.approx(value, rel=1e-12), key


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--price", "100", "--yield", "6"], "exactly one of --price or --yield"),
        ([], "exactly one of --price or --yield"),
        (["--price", "100", "--settle", "1988-13-01"], "is not a date YYYY-MM-DD"),
    ],
)
def test_usage_errors_exit_2(extra: list[str], message: str) -> None:
    result = runner.invoke(app, [*GNMA, *extra])
    assert result.exit_code == 2
    assert message in _plain(result.output)


def test_rep_line_and_tape_inputs_are_checked(tmp_path: Path) -> None:
    partial = ["collateral", "analyze", "--balance", "100", "--price", "100"]
    result = runner.invoke(app, partial)
    assert result.exit_code == 2
    assert "a rep line needs --gross-rate, --net-rate, --term" in _plain(result.output)
    path = tmp_path / "tape.csv"
    write_tape(generate_tape(3, seed=1), path)
    result = runner.invoke(
        app, ["collateral", "analyze", "--tape", str(path), *GNMA[2:4], "--price", "100"]
    )
    assert result.exit_code == 2
    assert "not both" in _plain(result.output)


def test_library_errors_become_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["trancheflow", *GNMA, "--price", "1e25"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err
    assert "must be below 1000" in err and "Traceback" not in err

"""``trancheflow servicer check|simulate-remittance`` offline: bad files exit 2 naming
file, row, field and rule; good ones print the period's report."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from trancheflow.cli import main

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "examples" / "cli_life" / "deal.yaml"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    old = sys.argv
    sys.argv = ["trancheflow", *argv]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = old
    out = capsys.readouterr()
    return code, " ".join((out.out + out.err).split())


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trancheflow.deal.run import collateral_pool
    from trancheflow.deal.spec import load_spec
    from trancheflow.servicer.simulate import simulate_remittances, write_remittances

    out = tmp_path_factory.mktemp("r")
    pool = collateral_pool(load_spec(SPEC, onchain=True))
    write_remittances(simulate_remittances(pool, 3, seed=3), out)
    return out


def test_check_prints_the_report(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        ["servicer", "check", "--period", "2", "--remittance", str(files / "remittance-002.csv"),
         "--previous", str(files / "remittance-001.csv"), "--spec", str(SPEC)],
        capsys,
    )  # fmt: skip
    assert code == 0, out
    assert "period 2: 12 loans" in out and "reconciled against the previous remittance" in out


def test_check_rejects_a_file_from_another_period(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = files / "remittance-002.csv"
    code, out = run(
        ["servicer", "check", "--period", "1", "--remittance", str(f), "--spec", str(SPEC)],
        capsys,
    )
    assert code == 2, out
    assert "remittance rejected, nothing submitted" in out
    assert f"{f} row 1, field 'period': value 2 must be 1, the period being reported" in out
    assert "field 'beginning_balance'" in out


def test_check_rejects_unreadable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gz = tmp_path / "r.csv"
    gz.write_bytes(b"\x1f\x8b\x08\x00\xff\xfe")
    code, out = run(
        ["servicer", "check", "--period", "1", "--remittance", str(gz), "--spec", str(SPEC)],
        capsys,
    )
    assert code == 2 and "is not UTF-8 text" in out, out
    code, out = run(
        ["servicer", "check", "--period", "1", "--remittance", str(tmp_path / "none.csv"),
         "--spec", str(SPEC)],
        capsys,
    )  # fmt: skip
    assert code == 2 and "no such file" in out, out


def test_simulation_needs_a_tape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        ["servicer", "simulate-remittance", "--spec", str(ROOT / "examples/deals/example.yaml"),
         "--out", str(tmp_path)],
        capsys,
    )  # fmt: skip
    assert code == 2 and "rep lines, not a loan tape" in out, out

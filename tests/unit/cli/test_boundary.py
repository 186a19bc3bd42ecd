"""Every bad input gets exit 2 and one line naming the input and the rule (issue 15).

Each case is a reproduction from the issue. The commands run through the root
``trancheflow`` app (the error boundary), the way a user meets them.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trancheflow.cli import app
from trancheflow.cli._boundary import describe

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = str(ROOT / "examples/deals/example.yaml")
CURVE = ROOT / "examples/curves/treasury_sample.csv"
REP = ["--balance", "1000000", "--gross-rate", "7", "--net-rate", "6.5", "--term", "360"]
runner = CliRunner()


def _bad(args: list[str], *needles: str) -> str:
    res = runner.invoke(app, args)
    out = " ".join(res.output.split())
    assert res.exit_code == 2, (args, res.output, res.exception)
    assert "Traceback" not in res.output
    for n in needles:
        assert n in out, (args, out)
    return out


def test_severity_in_the_wrong_unit() -> None:
    _bad(["deal", "run", EXAMPLE, "--severity", "2"], "--severity 2", "percent")
    _bad(["deal", "run", EXAMPLE, "--severity", "0.4"], "--severity 0.4", "percent")
    _bad(["deal", "run", EXAMPLE, "--severity", "140"], "0..100")


def test_output_into_a_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "r.csv"
    _bad(["deal", "run", EXAMPLE, "--output", str(target)], "does not exist")
    assert not target.parent.exists()


@pytest.mark.parametrize(
    ("speeds", "needle"),
    [("", "at least one speed"), ("PSA 100,,300", "item 2 is empty"), ("PSA 1e9", "above")],
)
def test_yield_table_speeds(speeds: str, needle: str) -> None:
    _bad(["deal", "yield-table", EXAMPLE, "--prepay", speeds], needle)


def test_negative_seed() -> None:
    _bad(["price", "oas", *REP, "--curve", str(CURVE), "--price", "101", "--seed", "-1"], "seed")


def test_unreachable_scheduler() -> None:
    args = ["price", "oas", *REP, "--curve", str(CURVE), "--price", "101"]
    _bad([*args, "--scheduler", "tcp://127.0.0.1:1"], "--scheduler", "cannot connect")
    _bad([*args, "--scheduler", "http://x"], "tcp://host:port")


def test_gzip_and_non_utf8_curves(tmp_path: Path) -> None:
    gz = tmp_path / "curve.csv.gz"
    gz.write_bytes(gzip.compress(CURVE.read_bytes()))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("tenor,rate\n1,0.04\n2,0.045 \xe9\n".encode("latin-1"))
    for f in (gz, latin):
        _bad(["price", "z-spread", *REP, "--curve", str(f), "--price", "101"], str(f), "UTF-8")


def test_deeply_nested_and_duplicate_yaml(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("deal: " + "[" * 100_000 + "]" * 100_000 + "\n")
    _bad(["deal", "validate", str(deep)], "nested deeper")
    dup = tmp_path / "dup.yaml"
    dup.write_text(Path(EXAMPLE).read_text() + "deal: OTHER\n")
    _bad(["deal", "validate", str(dup)], "duplicate key 'deal'")


def test_chain_deploy_inputs() -> None:
    _bad(["chain", "deploy", EXAMPLE, "--signer", "0xZZ"], "0xZZ", "not an address")
    _bad(["chain", "deploy", EXAMPLE, "--dispute-window", "-5"], "--dispute-window")


def test_serve_refuses_missing_and_non_sqlite(tmp_path: Path) -> None:
    missing = tmp_path / "nodir" / "x.db"
    _bad(["serve", "--db", f"sqlite:///{missing}"], "does not exist")
    assert not missing.parent.exists()  # neither the file nor its folder is created
    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    _bad(["serve", "--db", f"sqlite:///{text}"], "not an SQLite database")


def test_rep_line_rules() -> None:
    base = ["collateral", "project", "--balance", "1000000", "--term", "360"]
    _bad([*base, "--gross-rate", "0.06"], "--gross-rate 0.06", "looks like a decimal")
    _bad([*base, "--gross-rate", "600"], "--gross-rate 600", "basis points")
    _bad([*base, "--gross-rate", "6", "--wam", "400"], "--wam 400", "1..360")
    _bad([*base, "--gross-rate", "6", "--wam", "350", "--wala", "20"], "above the original term")


@pytest.mark.parametrize(
    ("price", "needle"),
    [("0", "above 0"), ("-3", "above 0"), ("101-32", "00..31"), ("abc", "is not a price")],
)
def test_bad_prices(price: str, needle: str) -> None:
    _bad(["deal", "run", EXAMPLE, "--price", price], needle)


def test_unknown_tranche_in_a_price_map() -> None:
    _bad(["deal", "run", EXAMPLE, "--price", "A=101,NOPE=99"], "unknown tranche", "'NOPE'")
    z = ["price", "z-spread", EXAMPLE, "--curve", str(CURVE), "--price", "A=101,NOPE=99"]
    _bad(z, "unknown tranche", "'NOPE'")


def test_unexpected_errors_are_one_line_with_a_hint() -> None:
    code, message = describe(ZeroDivisionError("division by zero"))
    assert code == 1 and "bug" in message and "TRANCHEFLOW_DEBUG" in message

"""The main job runs a deal's life end to end and its audit passes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from trancheflow.cli import app
from trancheflow.ops.demo import run_demo
from trancheflow.ops.lifecycle import regime_speeds


def test_demo_runs_on_chain_life_and_audit_passes(tmp_path: Path) -> None:
    # the zk extra proves ~59 loans (minutes of CPU): tested in test_demo_zk.py
    result = run_demo(
        tmp_path, loans=300, seed=3, months=4, investors=3, extras=("market", "models")
    )
    assert result.report_path.is_file()
    page = result.report_path.read_text()
    assert "Audit" in page and page.count("data:image/png;base64,") == 4
    # 300 loans hold far less than the spec's $560M of tranches: they must be scaled to fit.
    assert any("scaled" in n for n in result.notes)
    assert result.audit_ok, result.audit_summary
    assert "4 period(s) match" in result.audit_summary
    onchain = result.onchain.set_index("tranche")
    assert list(onchain.index) == ["A1", "A2", "M", "B"]
    # Four months of principal have been paid: every factor moved below 1, and holders
    # claimed or can claim exactly what was paid to their tokens (issuer holds the rest).
    assert (onchain["factor"] < 1).all() and (onchain["factor"] > 0.9).all()
    owed = onchain["claimed_by_investors"] + onchain["claimable_by_investors"]
    assert (owed <= onchain["paid"] + 1e-6).all() and (owed > 0).all()
    # What investors did not buy stayed with the issuer, and the summary says so.
    assert ((onchain["held_by_issuer"] >= 0) & (onchain["held_by_issuer"] <= onchain["face"])).all()
    assert "held by issuer (face)" in page and "yield (%)" in page
    assert "payment delay 24 days" in page  # the demo spec's (default) delay, stated
    # Exact (integer units) and float modes run the same waterfall: cents at most.
    assert result.exact_vs_float_max_diff < 0.05
    assert (tmp_path / "trancheflow.db").is_file()


def test_demo_cli_prints_report_and_database(tmp_path: Path) -> None:
    out = tmp_path / "r"
    res = CliRunner().invoke(
        app,
        [
            *("demo", "--out", str(out), "--loans", "200", "--seed", "1", "--months", "2"),
            *("--without", "zk"),  # 59 proofs: tested in test_demo_zk.py
        ],
    )
    assert res.exit_code == 0, res.output
    assert "report:" in res.output and "audit:" in res.output and "PASS" in res.output
    assert "still held by the issuer:" in res.output
    assert (out / "report.html").is_file()


def test_demo_missing_spec_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    res = CliRunner().invoke(
        app, ["demo", "--out", str(tmp_path), "--loans", "50", "--spec", str(missing)]
    )
    assert res.exit_code != 0
    assert "nope.yaml" in str(res.exception) or "nope.yaml" in res.output


def test_regime_speeds_wander_around_the_base_speed() -> None:
    p, d = regime_speeds("PSA 150", "SDA 100", wala=40, months=240, seed=5)
    # Past the PSA ramp (age > 30) the base is 9% CPR; the multiplier averages 1.
    values = list(p.values)
    mean = sum(values) / len(values)
    assert 7.0 < mean < 11.0
    assert min(values) < 9.0 < max(values)
    # SDA 100 at ages 41..280 declines from 0.6% to 0.03% CDR: the draw follows it.
    assert d.values[0] > d.values[-1]
    assert regime_speeds("PSA 150", "SDA 100", wala=40, months=24, seed=5)[0].values == tuple(
        values[:24]
    )

"""``trancheflow deal size-insurance`` and the insurance lines of ``deal run``."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from trancheflow.analytics.insurance import size_insurance_fund
from trancheflow.cli.deal import app
from trancheflow.deal.spec import load_spec
from trancheflow.errors import AnalyticsError

INSURED = Path(__file__).resolve().parents[3] / "examples" / "deals" / "insured.yaml"
runner = CliRunner()


def test_size_insurance_prints_the_sized_fund():
    res = runner.invoke(
        app,
        ["size-insurance", str(INSURED), "--target", "0.05", "--scenarios", "60", "--seed", "2"],
        env={"COLUMNS": "120"},
    )
    assert res.exit_code == 0, res.output
    lib = size_insurance_fund(load_spec(INSURED), target_probability=0.05, n_scenarios=60, seed=2)
    size = re.search(r"fund size\s*│\s*([\d,.]+) USDC", res.output)
    assert size is not None and float(size.group(1).replace(",", "")) == round(lib.fund_size, 2)
    assert "without fund" in res.output and "p_loss" in res.output


def test_size_insurance_names_a_bad_target():
    res = runner.invoke(app, ["size-insurance", str(INSURED), "--target", "1.5"])
    assert res.exit_code != 0 and isinstance(res.exception, AnalyticsError)
    assert "target_probability 1.5" in str(res.exception)


def test_run_shows_fees_and_the_fund():
    res = runner.invoke(
        app,
        ["run", str(INSURED), "--mode", "exact", "--fund-assets", "3000000"],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    assert "fees paid: trustee" in res.output
    assert re.search(r"insurance: premium paid [\d,.]+; cover received [\d,.]+; fund", res.output)
    bare = runner.invoke(app, ["run", str(INSURED)], env={"COLUMNS": "200"})
    assert "--fund-assets" in bare.output

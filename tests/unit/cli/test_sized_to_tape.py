"""Issue 16's reproduction end to end on the CLI: a spec sized to the balance that
``tape validate`` prints for a 5,000-loan cent-valued tape is accepted."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import yaml
from typer.testing import CliRunner

from trancheflow.cli import app

runner = CliRunner()


def test_spec_sized_to_the_printed_tape_balance(tmp_path: Path) -> None:
    from trancheflow.tape.generate import generate_tape

    tape = generate_tape(5000, seed=11)
    cents = np.random.default_rng(11).integers(5_000_00, 700_000_00, size=5000)
    tape["current_balance"] = [float(f"{c // 100}.{c % 100:02d}") for c in cents]
    tape["original_balance"] = np.maximum(tape["original_balance"], tape["current_balance"] + 1)
    tape["property_value"] = np.maximum(tape["property_value"], tape["original_balance"] * 1.5)
    path = tmp_path / "cents.csv"
    tape.to_csv(path, index=False)

    shown = runner.invoke(app, ["tape", "validate", str(path)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    printed = re.search(r"current balance\s*│\s*([\d,]+\.\d\d)", shown.output)
    assert printed is not None, shown.output
    total = printed.group(1).replace(",", "")
    assert int(total.replace(".", "")) == int(cents.sum())  # the tape's exact cents

    def spec(balance: str) -> Path:
        doc = {
            "deal": "CENTS-1",
            "currency": {"symbol": "USDC", "decimals": 6},
            "collateral": {"tape": str(path)},
            "assumptions": {"prepay": "PSA 100", "default": "SDA 0"},
            "tranches": [
                {"name": "A", "balance": float(balance), "coupon": 0.04},
                {"name": "R", "residual": True},
            ],
        }
        out = tmp_path / f"deal-{balance}.yaml"
        out.write_text(yaml.safe_dump(doc))
        return out

    ok = runner.invoke(app, ["deal", "validate", str(spec(total))])
    assert ok.exit_code == 0, ok.output
    over = f"{(int(cents.sum()) + 1) / 100:.2f}"
    bad = runner.invoke(app, ["deal", "validate", str(spec(over))])
    assert bad.exit_code == 2 and "above the tape's current balance" in bad.output

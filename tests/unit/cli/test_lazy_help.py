"""``trancheflow --help`` imports no command module (so it answers at once)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from trancheflow.cli import COMMANDS, app

PROBE = """
import sys
from typer.testing import CliRunner
from trancheflow.cli import app
res = CliRunner().invoke(app, sys.argv[1:] + ["--help"])
assert res.exit_code == 0, res.output
heavy = [m for m in ("numpy", "pandas", "scipy", "numba", "boa", "sqlalchemy")
         if m in sys.modules]
print(",".join(heavy))
"""


@pytest.mark.parametrize("group", [[], ["deal"], ["collateral"], ["price"]])
def test_help_imports_nothing_heavy(group: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *group],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == ""


def test_analyze_default_delay_is_the_convention() -> None:
    from trancheflow.analytics.conventions import DEFAULT_PAYMENT_DELAY_DAYS
    from trancheflow.cli.analyze import DEFAULT_DELAY_DAYS

    assert DEFAULT_DELAY_DAYS == DEFAULT_PAYMENT_DELAY_DAYS


def test_root_help_lists_every_registered_command() -> None:
    res = CliRunner().invoke(app, ["--help"])
    for name in COMMANDS:
        assert name in res.output


def test_every_registered_command_loads() -> None:
    for name in COMMANDS:
        res = CliRunner().invoke(app, [name, "--help"])
        assert res.exit_code == 0, (name, res.output)

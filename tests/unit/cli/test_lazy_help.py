"""``trancheflow --help`` imports no command module (so it answers at once)."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from trancheflow.cli import COMMANDS, app

PROBE = """
import sys
from typer.testing import CliRunner
from trancheflow.cli import app
res = CliRunner().invoke(app, ["--help"])
assert res.exit_code == 0, res.output
heavy = [m for m in ("numpy", "pandas", "scipy", "boa", "sqlalchemy", "trancheflow.cli.deal")
         if m in sys.modules]
print(",".join(heavy))
"""


def test_root_help_imports_nothing_heavy() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""


def test_root_help_lists_every_registered_command() -> None:
    res = CliRunner().invoke(app, ["--help"])
    for name in COMMANDS:
        assert name in res.output


def test_every_registered_command_loads() -> None:
    for name in COMMANDS:
        res = CliRunner().invoke(app, [name, "--help"])
        assert res.exit_code == 0, (name, res.output)

"""``trancheflow collateral``: commands over :mod:`trancheflow.collateral`."""

from __future__ import annotations

import typer

app = typer.Typer(help="collateral commands", no_args_is_help=True)

"""``trancheflow deal``: commands over :mod:`trancheflow.deal`."""

from __future__ import annotations

import typer

app = typer.Typer(help="deal spec and waterfall commands", no_args_is_help=True)

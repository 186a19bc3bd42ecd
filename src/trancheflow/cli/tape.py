"""``trancheflow tape``: commands over :mod:`trancheflow.tape`."""

from __future__ import annotations

import typer

app = typer.Typer(help="tape commands", no_args_is_help=True)

"""The ``trancheflow`` command line: a thin typer layer over the library.

Each command group lives in its own module and registers a ``typer.Typer``
named ``app``; this module mounts them and turns library errors into a short
message and exit code 2.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from trancheflow.errors import TrancheflowError

from . import analyze as _analyze  # noqa: F401
from . import audit as _audit
from . import chain as _chain
from . import collateral as _collateral
from . import deal as _deal
from . import demo as _demo
from . import keeper as _keeper
from . import price as _price
from . import serve as _serve
from . import tape as _tape

app = typer.Typer(
    name="trancheflow",
    help="Tokenized MBS: loan tapes, collateral projection, waterfalls, pricing, on-chain deals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(_tape.app, name="tape")
app.add_typer(_collateral.app, name="collateral")
app.add_typer(_deal.app, name="deal")
app.add_typer(_chain.app, name="chain")
app.add_typer(_price.app, name="price")
app.add_typer(__import__(f"{__name__}.servicer", fromlist=["app"]).app, name="servicer")
app.add_typer(__import__(f"{__name__}.oracle", fromlist=["app"]).app, name="oracle")
app.add_typer(__import__(f"{__name__}.index", fromlist=["app"]).app, name="index")
app.command("demo")(_demo.demo)
app.command("serve")(_serve.serve)
app.command("audit")(_audit.audit)
app.command("keeper")(_keeper.keeper)

err_console = Console(stderr=True)


def main() -> None:
    """Entry point of the ``trancheflow`` script."""
    try:
        app()
    except TrancheflowError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(2)

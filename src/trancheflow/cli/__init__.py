"""The ``trancheflow`` command line: a thin typer layer over the library.

Each command (group) lives in its own module. :data:`COMMANDS` names them
without importing them: a module is imported the first time its command runs
(or its own ``--help`` is asked for), so ``trancheflow --help`` answers without
loading NumPy, pandas or the chain stack. To add a command group, add one line
to :data:`COMMANDS`: ``"name": ("trancheflow.cli.module:attr", "one-line help")``
where ``attr`` is a ``typer.Typer`` or a plain command function.

Every command runs inside one error boundary (:mod:`trancheflow.cli._boundary`):
bad input exits 2 with one line naming the input and the rule, never a
traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer import _click as click  # typer vendors click; its types, not the PyPI package's
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import Abort, Exit, TyperException

#: name -> ("module:attribute", one-line help). Help lines are shown by
#: ``trancheflow --help`` without importing the module.
COMMANDS: dict[str, tuple[str, str]] = {
    "tape": ("trancheflow.cli.tape:app", "Loan tapes: generate, validate, convert."),
    # collateral's app gets its `analyze` command registered by cli.analyze
    "collateral": ("trancheflow.cli.analyze:app", "Collateral: project a pool, yield tables."),
    "deal": ("trancheflow.cli.deal:app", "Deal specs: validate, run, yield tables, insurance."),
    "chain": ("trancheflow.cli.chain:app", "On-chain deals: deploy, status, reports, claims."),
    "price": ("trancheflow.cli.price:app", "Monte Carlo OAS, Z-spread and effective risk."),
    "servicer": ("trancheflow.cli.servicer:app", "Servicer: remittance files to reports."),
    "oracle": ("trancheflow.cli.oracle:app", "Oracle signers: attest a servicer's report."),
    "index": ("trancheflow.cli.index:app", "Indexer: register deployed deals, sync events."),
    "insurance": ("trancheflow.cli.fund:app", "Insurance fund: deposit, request, redeem, status."),
    "auction": ("trancheflow.cli.auction:app", "Loan auctions: appraise, mark, bid, settle."),
    "compliance": ("trancheflow.cli.compliance:app", "Identities, tranche rules, freeze, recover."),
    "gov": ("trancheflow.cli.gov:app", "Governance: Safe transactions, signatures, timelock."),
    "model": ("trancheflow.cli.model:app", "ML hazards: simulate, train, evaluate, explain."),
    "demo": ("trancheflow.cli.demo:demo", "Run a deal's life on the in-process chain."),
    "serve": ("trancheflow.cli.serve:serve", "Serve the JSON API and the dashboard."),
    "audit": ("trancheflow.cli.audit:audit", "Recompute every finalized period and compare."),
    "keeper": ("trancheflow.cli.keeper:keeper", "Finalize reports, flag late ones, alert."),
    "zk": ("trancheflow.cli.zk:app", "Zero-knowledge loan eligibility proofs."),
    "market": ("trancheflow.cli.market:app", "Tranche pools: quote, swap, add, remove, status."),
    "bridge": ("trancheflow.cli.bridge:app", "Cross-chain: Hyperlane validator, relayer, demo."),
}


def _load(name: str) -> click.Command:
    """Import the command ``name`` and return it as a click command."""
    target, _ = COMMANDS[name]
    module, _, attr = target.partition(":")
    obj = getattr(importlib.import_module(module), attr)
    if isinstance(obj, typer.Typer):
        cmd = typer.main.get_command(obj)
    else:
        one = typer.Typer(pretty_exceptions_enable=False)
        one.command(name)(obj)
        cmd = typer.main.get_command(one)
    cmd.name = name
    return cmd


class _Stub(TyperCommand):
    """What ``trancheflow --help`` lists for a command it has not imported."""

    def __init__(self, name: str, help_line: str) -> None:
        super().__init__(name, help=help_line, short_help=help_line)


class LazyGroup(TyperGroup):
    """The root group: imports a command module on first use and runs every
    command inside the error boundary."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        if self._listing:
            return _Stub(cmd_name, COMMANDS[cmd_name][1])
        self.commands[cmd_name] = _load(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def invoke(self, ctx: click.Context) -> Any:
        from trancheflow.cli._boundary import debug, describe

        try:
            return super().invoke(ctx)
        except (Exit, Abort, TyperException):
            raise
        except KeyboardInterrupt:
            _err("interrupted")
            ctx.exit(130)
        except BrokenPipeError:  # `trancheflow ... | head`: the reader left; nothing to say
            _quiet_stdout()
            ctx.exit(0)
        except Exception as exc:
            if debug():
                raise
            code, message = describe(exc)
            _err(message)
            ctx.exit(code)


def _quiet_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _err(message: str) -> None:
    from rich.console import Console

    Console(stderr=True, soft_wrap=True).print(
        f"[bold red]error:[/] {message}", highlight=False, markup=True
    )


app = typer.Typer(
    name="trancheflow",
    cls=LazyGroup,
    help="Tokenized MBS: loan tapes, collateral projection, waterfalls, pricing, on-chain deals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Tokenized MBS: loan tapes, collateral projection, waterfalls, pricing, on-chain deals."""


#: Console width when output is piped or redirected: tables are as wide as their content
#: instead of being squeezed (and truncated) to 80 columns.
PIPED_WIDTH = 1000


def _wide_when_piped() -> bool:
    """Let every rich console of the command (created after this) use :data:`PIPED_WIDTH`
    columns when standard output is not a terminal; help text keeps its width.
    Returns True when it set ``COLUMNS`` (so :func:`main` can take it back)."""
    import os

    if sys.stdout.isatty() or "COLUMNS" in os.environ or "--help" in sys.argv:
        return False
    os.environ["COLUMNS"] = str(PIPED_WIDTH)
    return True


def main() -> None:
    """Entry point of the ``trancheflow`` script."""
    import os

    widened = _wide_when_piped()
    try:
        _main()
    finally:
        if widened:
            os.environ.pop("COLUMNS", None)


def _main() -> None:
    try:
        app()
    except SystemExit:
        raise
    except BaseException as exc:  # the boundary missed it (raised outside a command)
        from trancheflow.cli._boundary import debug, describe

        if debug():
            raise
        code, message = describe(exc)
        _err(message)
        sys.exit(code)

"""``trancheflow index``: register a deployed deal in the indexer database and sync it.

``add`` checks the deployment record against the spec and tape (exit 2 on a
mismatch), migrates the database (creating a SQLite file's tables; the
folder must exist) and registers the deal from its deployment block, so
``keeper --db``, ``audit`` and ``serve`` can follow it. ``sync`` reads the
chain's logs up to the head (minus ``--confirmations``) into the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ._chainopts import DirOpt, KeyOpt, RpcOpt, TapeOpt, client, load_deal

app = typer.Typer(
    help="indexer: register deployed deals and sync their events", no_args_is_help=True
)
console = Console()

DbOpt = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="TRANCHEFLOW_DB_URL",
        help="indexer database: sqlite:///FILE or postgresql://user:pass@host/db",
    ),
]


@app.command()
def add(
    deal: Annotated[str, typer.Option("--deal", help="deal name, as recorded at deployment")],
    spec: Annotated[Path, typer.Option("--spec", help="the deal's spec YAML")],
    db: DbOpt,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Register a recorded deployment in the indexer database (after checking it)."""
    from trancheflow.ops.db import register_deployment, upgrade

    c = client(rpc_url, deployments, key_env)
    h, s, _ = load_deal(c, deal, spec, tape)
    upgrade(db)
    # every contract the record names (deal, tokens, report oracle...) is followed
    deal_id = register_deployment(db, s, h.record, tape_path=tape)
    console.print(
        f"deal {h.record.name} ({h.address}, chain {c.chain_id}) registered as #{deal_id} "
        f"from block {h.record.block}",
        soft_wrap=True,
    )


@app.command()
def sync(
    db: DbOpt,
    deal: Annotated[
        str | None, typer.Option("--deal", help="only this recorded deal (default: all registered)")
    ] = None,
    confirmations: Annotated[
        int, typer.Option("--confirmations", help="blocks to stay behind the head", min=0)
    ] = 0,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Index every registered deal's events up to the chain head."""
    from trancheflow.ops.indexer import Indexer

    c = client(rpc_url, deployments, key_env)
    addresses = None
    if deal is not None:
        h, _, _ = load_deal(c, deal, None, None)
        addresses = [h.address]
    ix = Indexer(db, c.event_source(), deal_addresses=addresses, confirmations=confirmations)
    n = ix.run_once()
    console.print(f"indexed {n} log(s) up to block {c.backend.latest_block() - confirmations}")
    for r in ix.reorgs:
        console.print(f"[yellow]re-org[/] handled: {r}")

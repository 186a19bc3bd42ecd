"""``trancheflow serve``: the HTTP API and dashboard over the indexer database."""

from __future__ import annotations

import typer
from rich.console import Console

from trancheflow.ops.db import DEFAULT_DB_URL, mask_url


def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
    db: str = typer.Option(
        DEFAULT_DB_URL,
        "--db",
        envvar="TRANCHEFLOW_DB_URL",
        help="indexer database: sqlite:///FILE or postgresql://user:pass@host/db "
        "(env TRANCHEFLOW_DB_URL keeps a password off the command line)",
    ),
    rpc_url: str | None = typer.Option(
        None, "--rpc-url", envvar="TRANCHEFLOW_RPC_URL", help="JSON-RPC node the indexer follows"
    ),
) -> None:
    """Serve the JSON API (/api, docs at /docs) and the per-deal dashboard (/deals/DEAL)."""
    import uvicorn

    from trancheflow.api import create_app
    from trancheflow.cli._options import check_db_exists

    check_db_exists(db)
    app = create_app(db, rpc_url=rpc_url)  # migrates; a bad URL fails here, clearly
    Console().print(
        f"serving [bold]{mask_url(db)}[/] at [bold]http://{host}:{port}/[/] "
        f"(API docs: http://{host}:{port}/docs)",
        highlight=False,
    )
    uvicorn.run(app, host=host, port=port, log_level="info")

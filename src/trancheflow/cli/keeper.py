"""``trancheflow keeper``: watch a deployed deal, finalize reports, raise alerts.

Exit codes: 0 done (``--once``: nothing failed), 1 a finalize failed or was
refused (``--once``), 2 bad input (unreachable node, unknown deal, missing
key, unregistered deal in the database).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from trancheflow.errors import ChainError, TrancheflowError

console = Console()
err_console = Console(stderr=True)


def parse_when(text: str) -> int:
    """A timestamp from ``2026-12-25``, ``2026-12-25T08:00:00+00:00`` (UTC when no
    zone is given) or unix seconds.

    >>> parse_when("1970-01-02"), parse_when("86400")
    (86400, 86400)
    """
    t = text.strip()
    if t.isdigit():
        return int(t)
    try:
        when = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise ChainError(
            f"--first-due {text!r} is not a date; use YYYY-MM-DD, an ISO date-time or unix seconds"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp())


def _print_tick(tick: object) -> None:
    from trancheflow.ops.keeper import KeeperTick

    assert isinstance(tick, KeeperTick)
    now = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
    for o in tick.outcomes:
        style = {"finalized": "green", "already_final": "cyan", "waiting": "dim"}.get(
            o.status, "bold red"
        )
        extra = f" tx {o.tx_hash}" if o.tx_hash else (f" ({o.detail})" if o.detail else "")
        console.print(f"{now} period {o.period}: [{style}]{o.status}[/]{extra}", highlight=False)
    for a in tick.alerts:
        style = "bold red" if a.severity == "critical" else "yellow"
        console.print(f"{now} [{style}]{a.severity}[/] {a.kind}: {a.message}", highlight=False)


def keeper(
    deal: Annotated[str, typer.Option("--deal", help="deal name in the deployment records")],
    rpc_url: Annotated[
        str, typer.Option("--rpc-url", envvar="TRANCHEFLOW_RPC_URL", help="JSON-RPC node URL")
    ],
    deployments: Annotated[
        Path, typer.Option("--deployments", help="folder of <chain_id>.json deployment records")
    ] = Path("deployments"),
    key_env: Annotated[
        str,
        typer.Option("--key-env", help="environment variable holding the sending key (hex)"),
    ] = "TRANCHEFLOW_PRIVATE_KEY",
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="TRANCHEFLOW_DB_URL",
            help="indexer database receiving alerts (the deal must be registered there)",
        ),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="one tick, then exit")] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="seconds between ticks")
    ] = 15.0,
    first_due: Annotated[
        str | None,
        typer.Option("--first-due", help="when report 1 is due (date); enables late alerts"),
    ] = None,
    cadence_days: Annotated[
        float, typer.Option("--cadence-days", min=0.0001, help="days between reports")
    ] = 30.0,
    grace_days: Annotated[
        float, typer.Option("--grace-days", min=0.0, help="days after the due date before alerting")
    ] = 5.0,
    attempts: Annotated[
        int, typer.Option("--attempts", min=1, help="tries per finalize (backoff between)")
    ] = 4,
    max_delay: Annotated[
        float, typer.Option("--max-delay", min=0.0, help="longest backoff sleep, seconds")
    ] = 30.0,
) -> None:
    """Finalize the deal's reports after their dispute window; flag late reports and
    trigger breaches. Safe to run twice: it re-reads the chain before every action."""
    from trancheflow.chain.client import DealClient
    from trancheflow.ops.keeper import BackendKeeperChain, Keeper, ReportSchedule, RetryPolicy

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        schedule = None
        if first_due is not None:
            schedule = ReportSchedule(
                first_due=parse_when(first_due),
                cadence=int(cadence_days * 86_400),
                grace=int(grace_days * 86_400),
            )
        if db is not None:
            from trancheflow.cli.audit import check_db_exists

            check_db_exists(db)
        client = DealClient.connect(rpc_url, private_key_env=key_env, deployments_dir=deployments)
        handle = client.load_deployment(deal)
        k = Keeper(
            BackendKeeperChain(handle),
            db=db,
            schedule=schedule,
            retry=RetryPolicy(attempts=attempts, max_delay=max_delay),
        )
    except TrancheflowError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    console.print(
        f"keeper on {handle.record.name} ({handle.address}) at {client.backend.description}"
        + ("" if db is None else ", alerts to the database"),
        highlight=False,
    )
    if once:
        tick = k.run_once()
        _print_tick(tick)
        bad = any(o.status in ("failed", "refused") for o in tick.outcomes)
        raise typer.Exit(1 if bad else 0)
    try:
        k.run(poll_interval=interval, on_tick=_print_tick)
    except KeyboardInterrupt:
        console.print("stopped")

"""``trancheflow zk``: prove a tape's loans eligible in zero knowledge, check the proofs.

``prove-tape`` commits the tape (Poseidon leaves salted from the issuer's
secret, a depth-20 tree) and proves every eligible loan with parallel snarkjs
worker processes; rerun after an interruption and finished proofs are kept.
``verify`` checks a folder's proofs with snarkjs against its commitment. The
circuit keys come from a DEVELOPMENT setup (see ``src/trancheflow/zk/README.md``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from trancheflow.errors import ZkError

app = typer.Typer(help="zk: loan eligibility proofs (Groth16, circom)", no_args_is_help=True)
console = Console()

from trancheflow.cli.zk_credential import app as _credential_app  # noqa: E402

app.add_typer(_credential_app, name="credential")


def _secret(env: str) -> int:
    raw = os.environ.get(env)
    if not raw:
        raise ZkError(f"issuer secret: environment variable {env} is not set (a field element)")
    try:
        value = int(raw, 0)
    except ValueError:
        raise ZkError(f"issuer secret in {env}: must be an integer (decimal or 0x hex)") from None
    return value


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


@app.command("prove-tape")
def prove_tape(
    tape: Annotated[Path, typer.Argument(help="loan tape (csv/parquet)")],
    out: Annotated[Path, typer.Option("--out", help="folder for commitment.json and proofs/")],
    min_fico: Annotated[int, typer.Option(help="lowest FICO allowed")] = 620,
    max_ltv: Annotated[float, typer.Option(help="highest LTV, decimal (0.95)")] = 0.95,
    max_dti: Annotated[float, typer.Option(help="highest DTI, decimal (0.45)")] = 0.45,
    max_balance: Annotated[float, typer.Option(help="highest current balance")] = 1_000_000.0,
    states: Annotated[
        str, typer.Option(help="allowed states, comma separated (default: all)")
    ] = "",
    workers: Annotated[int, typer.Option(help="parallel snarkjs processes (0: one per core)")] = 0,
    secret_env: Annotated[
        str, typer.Option(help="environment variable holding the issuer's salt secret")
    ] = "TRANCHEFLOW_ZK_SECRET",
    limit: Annotated[int, typer.Option(help="prove only the first N loans (0: all)")] = 0,
) -> None:
    """Commit TAPE and prove each eligible loan; existing proofs are skipped."""
    from trancheflow.tape.io import read_tape
    from trancheflow.zk.batch import commit_tape
    from trancheflow.zk.batch import prove_tape as run
    from trancheflow.zk.leaf import STATES, Criteria

    allowed = tuple(s.strip().upper() for s in states.split(",") if s.strip()) or STATES
    criteria = Criteria(
        min_fico=min_fico,
        max_ltv_bps=round(max_ltv * 10_000),
        max_dti_bps=round(max_dti * 10_000),
        max_balance_cents=round(max_balance * 100),
        states=allowed,
    )
    records = [{str(k): v for k, v in row.items()} for row in read_tape(tape).to_dict("records")]
    if limit:
        records = records[:limit]
    with console.status(f"committing {len(records)} loans (Poseidon tree, depth 20)"):
        commitment = commit_tape(records, _secret(secret_env))
    with _progress() as bar:
        task = bar.add_task("proving", total=len(records))
        result = run(
            commitment,
            criteria,
            out,
            workers=workers or None,
            on_done=lambda _p, _o: bar.advance(task),
        )
    console.print(
        f"root {hex(commitment.root)}: {len(result.proven)} proven, "
        f"{len(result.skipped)} already proven, {len(result.ineligible)} ineligible, "
        f"{len(result.failed)} failed of {len(records)} loans -> {out}"
    )
    for position, reason in sorted(result.failed.items())[:10]:
        console.print(f"  position {position} ({commitment.loan_ids[position]}): {reason}")
    if result.failed:
        raise typer.Exit(1)


@app.command("audit-k")
def audit_size(
    confidence: Annotated[float, typer.Option(help="chance of catching the share, (0, 1)")] = 0.95,
    share: Annotated[float, typer.Option(help="ineligible share to catch, (0, 1)")] = 0.05,
) -> None:
    """Draws a random audit needs: catch a pool with SHARE ineligible loans with CONFIDENCE."""
    from trancheflow.zk.audit import audit_k, pass_probability

    k = audit_k(confidence, share)
    console.print(
        f"k = {k} draws: a pool with {share:.1%} or more ineligible loans passes with "
        f"probability at most {pass_probability(k, share):.4f} (confidence {confidence:.1%})"
    )


@app.command("verify")
def verify(
    out: Annotated[Path, typer.Argument(help="folder written by prove-tape")],
) -> None:
    """Check every proof in OUT against its commitment; print N of M loans proven eligible."""
    import json

    from trancheflow.zk.batch import verify_folder

    count = len(list((out / "proofs").glob("*.json")))
    with _progress() as bar:
        task = bar.add_task("verifying", total=count)
        valid, loans, bad = verify_folder(out, on_done=lambda _p, _ok: bar.advance(task))
    root = json.loads((out / "commitment.json").read_text())["root"]
    console.print(f"{valid} of {loans} loans proven eligible (root {hex(int(root))})")
    if bad:
        console.print(f"[red]{len(bad)} invalid proof file(s)[/]: positions {bad[:20]}")
        raise typer.Exit(1)

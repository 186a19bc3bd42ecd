"""``trancheflow servicer``: report a period from the servicer's remittance file.

``report`` validates the file against the tape and the previous period
(:mod:`trancheflow.servicer`), aggregates it, builds the loan-level root,
checks the deployment against the spec and tape, and then either

* writes a proposal (``--propose FILE``) for the oracle signers to attest
  (``trancheflow oracle attest --proposal FILE``), or
* submits with the deposit, signed by the signature files it is given
  (``--signature``) and/or the keys in ``--signer-keys-env``.

A file that does not reconcile is rejected whole; nothing is submitted.
``simulate-remittance`` (SIMULATION ONLY) draws remittance files from the
model for rehearsals on a local node.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from trancheflow.errors import ChainError

from ._chainopts import (
    DealOpt,
    DirOpt,
    KeyOpt,
    RpcOpt,
    TapeOpt,
    client,
    keys_from_env,
    load_deal,
    read_json,
    units_text,
    write_json,
)

app = typer.Typer(
    help="servicer: monthly remittance files to the deal's on-chain report",
    no_args_is_help=True,
)
console = Console()

RemitOpt = Annotated[Path, typer.Option("--remittance", help="the period's remittance file")]
PrevOpt = Annotated[
    Path | None,
    typer.Option("--previous", help="the previous period's accepted remittance (per-loan check)"),
]
FmtOpt = Annotated[
    str | None, typer.Option("--format", help="csv, parquet or freddie (default: by suffix)")
]
MonthOpt = Annotated[str | None, typer.Option("--month", help="Freddie Mac reporting month YYYYMM")]
FeeOpt = Annotated[
    float, typer.Option("--servicing-fee", help="Freddie Mac files: annual servicing fee")
]


def prepare(
    h: Any,
    spec: Any,
    pool: Any,
    period: int,
    remittance: Path,
    previous: Path | None,
    fmt: str | None,
    month: str | None,
    servicing_fee: float,
) -> Any:
    """Reconcile the file and check its starting balances against the chain."""
    from trancheflow.servicer.period import check_previous_on_chain, prepare_period

    prepared = prepare_period(
        spec,
        pool,
        period,
        remittance,
        previous=previous,
        format=fmt,
        month=month,
        servicing_fee=servicing_fee,
    )
    check_previous_on_chain(h, prepared)
    return prepared


def print_report(r: Any, decimals: int, loans: int) -> None:
    """One summary line of a report."""
    console.print(
        f"period {r.period}: {loans} loans, cash {units_text(r.cash, decimals)} (interest "
        f"{units_text(r.interest, decimals)}, scheduled principal "
        f"{units_text(r.scheduled_principal, decimals)}, prepayments "
        f"{units_text(r.prepayments, decimals)}, recoveries "
        f"{units_text(r.recoveries, decimals)}), losses {units_text(r.losses, decimals)}, "
        f"60+ {units_text(r.delinquent_60_plus, decimals)} "
        f"({r.dq60_count + r.dq90_count + r.foreclosure_count + r.reo_count} loans), "
        f"loans root 0x{r.loans_root.hex()}",
        soft_wrap=True,
        highlight=False,
    )


def _signatures(files: list[Path], report: Any, chain_id: int, deal: str) -> list[bytes]:
    from trancheflow.chain.reports import recover_signer, report_digest

    digest = "0x" + report_digest(report, chain_id, deal).hex()
    out = []
    for f in files:
        data = read_json(f, "signature file")
        try:
            sig = bytes.fromhex(str(data["signature"]).removeprefix("0x"))
            signer = str(data["signer"])
        except (KeyError, ValueError, TypeError):
            raise ChainError(f"signature file {f}: needs 'signer' and hex 'signature'") from None
        if str(data.get("digest", "")).lower() != digest:
            raise ChainError(
                f"signature file {f} signs digest {data.get('digest')}; this report's is {digest} "
                "(another period, deal, chain or set of numbers)"
            )
        if recover_signer(report, sig, chain_id, deal).lower() != signer.lower():
            raise ChainError(f"signature file {f}: the signature is not {signer}'s")
        out.append((int(signer, 16), sig))
    return [s for _, s in sorted(out)]


@app.command()
def report(
    deal: DealOpt,
    period: Annotated[int, typer.Option("--period", help="period to report (the next open one)")],
    remittance: RemitOpt,
    spec: Annotated[Path, typer.Option("--spec", help="the deal's spec YAML")],
    tape: TapeOpt = None,
    previous: PrevOpt = None,
    fmt: FmtOpt = None,
    month: MonthOpt = None,
    servicing_fee: FeeOpt = 0.0025,
    propose: Annotated[
        Path | None,
        typer.Option("--propose", help="write the report for the signers here; submit nothing"),
    ] = None,
    signature: Annotated[
        list[Path] | None,
        typer.Option("--signature", help="a signer's signature file (repeat)"),
    ] = None,
    signer_keys_env: Annotated[
        str,
        typer.Option("--signer-keys-env", help="env var with comma-separated signer keys"),
    ] = "TRANCHEFLOW_SIGNER_KEYS",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="validate and print the report; submit nothing")
    ] = False,
    books: Annotated[
        Path | None,
        typer.Option(
            "--books",
            help="folder receiving tape.csv and period-N.csv loan balances (for audit --loans-dir)",
        ),
    ] = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Validate a remittance file, build the period's report and submit it with the deposit."""
    from trancheflow.chain.reports import report_digest, sign_report
    from trancheflow.servicer.report import report_to_json

    c = client(rpc_url, deployments, key_env)
    h, s, pool = load_deal(c, deal, spec, tape)
    prepared = prepare(h, s, pool, period, remittance, previous, fmt, month, servicing_fee)
    r = prepared.report
    dec = h.record.decimals
    print_report(r, dec, len(prepared.reconciled.records))
    if dry_run:
        console.print("dry run: nothing submitted")
        return
    if propose is not None:
        write_json(
            propose,
            {
                "deal": h.record.name,
                "address": h.address,
                "chain_id": c.chain_id,
                "period": period,
                "digest": "0x" + report_digest(r, c.chain_id, h.address).hex(),
                "report": report_to_json(r),
            },
        )
        console.print(f"proposal written to {propose}: have the oracle signers attest it")
        return
    sigs = _signatures(list(signature or []), r, c.chain_id, h.address)
    keys = keys_from_env(signer_keys_env, required=not sigs)
    if keys:
        from trancheflow.chain.reports import recover_signer

        mine = sign_report(r, keys, c.chain_id, h.address)
        have = {recover_signer(r, x, c.chain_id, h.address).lower(): x for x in sigs}
        for x in mine:
            have.setdefault(recover_signer(r, x, c.chain_id, h.address).lower(), x)
        sigs = [have[k] for k in sorted(have, key=lambda a: int(a, 16))]
    me = c.accounts[0]
    held = c.token_balance(h.record.settlement, me)
    if held < r.cash:
        raise ChainError(
            f"servicer {me} holds {units_text(held, dec)} of the settlement token; period "
            f"{period} deposits {units_text(r.cash, dec)} (fund it first: trancheflow chain fund)"
        )
    tx = h.submit_report(r, sigs)
    if books is not None:
        from trancheflow.servicer.period import write_book
        from trancheflow.servicer.reconcile import LoanBook

        books.mkdir(parents=True, exist_ok=True)
        if not (books / "tape.csv").exists():
            write_book(LoanBook.from_pool(s, pool), books / "tape.csv")
        write_book(prepared.reconciled.book, books / f"period-{period}.csv")
    console.print(
        f"period {period} report submitted with {len(sigs)} signature(s) and a deposit of "
        f"{units_text(r.cash, dec)} in block {tx.block_number} ({tx.tx_hash})",
        soft_wrap=True,
    )


@app.command()
def check(
    period: Annotated[int, typer.Option("--period", help="period the file reports")],
    remittance: RemitOpt,
    spec: Annotated[Path, typer.Option("--spec", help="the deal's spec YAML")],
    tape: TapeOpt = None,
    previous: PrevOpt = None,
    fmt: FmtOpt = None,
    month: MonthOpt = None,
    servicing_fee: FeeOpt = 0.0025,
) -> None:
    """Validate a remittance file offline (tape and previous file, no chain); print its report."""
    from trancheflow.servicer.period import prepare_period

    from ._chainopts import spec_and_pool

    s, pool = spec_and_pool(spec, tape)
    prepared = prepare_period(
        s,
        pool,
        period,
        remittance,
        previous=previous,
        format=fmt,
        month=month,
        servicing_fee=servicing_fee,
    )
    print_report(prepared.report, s.currency.decimals, len(prepared.reconciled.records))
    console.print(f"reconciled against {prepared.previous_source}")


@app.command("simulate-remittance")
def simulate_remittance(
    spec: Annotated[Path, typer.Option("--spec", help="the deal's spec YAML (tape-backed)")],
    out: Annotated[Path, typer.Option("--out", help="folder for remittance-NNN.csv files")],
    periods: Annotated[int, typer.Option("--periods", help="months to draw", min=1)] = 12,
    tape: TapeOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="random seed", min=0)] = 0,
    recovery_lag: Annotated[
        int | None, typer.Option("--recovery-lag", help="months to liquidation (default: spec's)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
) -> None:
    """SIMULATION ONLY: draw loan-level remittance files from the spec's assumptions."""
    import pandas as pd

    from trancheflow.servicer.simulate import simulate_remittances, write_remittances

    from ._chainopts import spec_and_pool

    if fmt not in ("csv", "parquet"):
        raise ChainError(f"--format {fmt!r} must be csv or parquet")
    s, pool = spec_and_pool(spec, tape)
    if not isinstance(pool, pd.DataFrame):
        raise ChainError(
            f"spec {spec} has rep lines, not a loan tape: simulated remittances need loans "
            "(pass --tape)"
        )
    a = s.assumptions
    frames = simulate_remittances(
        pool,
        periods,
        prepay=str(a.prepay),
        default=str(a.default),
        severity=float(a.severity),
        recovery_lag=int(a.recovery_lag if recovery_lag is None else recovery_lag),
        seed=seed,
    )
    paths = write_remittances(frames, out, fmt=fmt)
    console.print(
        f"[yellow]SIMULATED[/] remittance files (model draws, not servicer data): "
        f"{len(paths)} written to {out}",
        highlight=False,
    )

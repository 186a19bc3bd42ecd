"""``trancheflow oracle``: an oracle signer attests a period from the same remittance file.

``attest`` recomputes the report from the remittance file on its own
(:mod:`trancheflow.servicer`, the same validation as the servicer) and

* with ``--proposal``: signs the servicer's proposal only if it equals the
  recomputed report, writing a signature file for ``servicer report
  --signature``;
* without: compares the report pending on chain for the period (its
  ``ReportSubmitted`` event) and, on a mismatch, vetoes it when ``--veto`` is
  given (a signer may veto inside the dispute window).

A mismatch exits with status 2 and lists the differing fields. The signing
key comes only from the environment (``--key-env``, default
``TRANCHEFLOW_ORACLE_KEY``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from trancheflow.errors import ReportError

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
    write_json,
)
from .servicer import FeeOpt, FmtOpt, MonthOpt, PrevOpt, RemitOpt, prepare, print_report

app = typer.Typer(help="oracle signers: attest a servicer's report", no_args_is_help=True)
console = Console()


@app.callback()
def _group() -> None:
    """Oracle signers: attest a servicer's report from the same remittance file."""


@app.command()
def attest(
    deal: DealOpt,
    period: Annotated[int, typer.Option("--period", help="the period to attest")],
    remittance: RemitOpt,
    spec: Annotated[Path, typer.Option("--spec", help="the deal's spec YAML")],
    tape: TapeOpt = None,
    previous: PrevOpt = None,
    fmt: FmtOpt = None,
    month: MonthOpt = None,
    servicing_fee: FeeOpt = 0.0025,
    proposal: Annotated[
        Path | None,
        typer.Option("--proposal", help="the servicer's proposal file to sign if it matches"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="where to write the signature file")
    ] = None,
    veto: Annotated[
        bool, typer.Option("--veto", help="veto the pending report if it does not match")
    ] = False,
    oracle_key_env: Annotated[
        str, typer.Option("--oracle-key-env", help="env var holding this signer's key")
    ] = "TRANCHEFLOW_ORACLE_KEY",
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Recompute period N's report from the remittance file; sign or veto accordingly."""
    from trancheflow.chain.reports import report_digest, sign_report, signer_addresses
    from trancheflow.servicer.report import report_differences, report_from_json

    c = client(rpc_url, deployments, key_env, extra_key_envs=(oracle_key_env,))
    h, s, pool = load_deal(c, deal, spec, tape)
    if proposal is not None:
        prepared = prepare(h, s, pool, period, remittance, previous, fmt, month, servicing_fee)
        mine = prepared.report
        print_report(mine, h.record.decimals, len(prepared.reconciled.records))
        data = read_json(proposal, "proposal")
        if (
            str(data.get("address", "")).lower() != h.address.lower()
            or data.get("chain_id") != c.chain_id
        ):
            raise ReportError(
                f"proposal {proposal} is for deal {data.get('address')} on chain "
                f"{data.get('chain_id')}, not {h.address} on chain {c.chain_id}"
            )
        theirs = report_from_json(data["report"])
        diff = report_differences(mine, theirs)
        if diff:
            raise ReportError(
                f"proposal {proposal} differs from the report recomputed from {remittance}; "
                "not signed:\n  " + "\n  ".join(diff)
            )
        key = keys_from_env(oracle_key_env)[:1]
        sig = sign_report(mine, key, c.chain_id, h.address)[0]
        target = out or proposal.with_name(f"{proposal.stem}.{signer_addresses(key)[0]}.sig.json")
        write_json(
            target,
            {
                "deal": h.record.name,
                "chain_id": c.chain_id,
                "period": period,
                "digest": "0x" + report_digest(mine, c.chain_id, h.address).hex(),
                "signer": signer_addresses(key)[0],
                "signature": "0x" + sig.hex(),
            },
        )
        console.print(f"matches; signed by {signer_addresses(key)[0]} -> {target}")
        return
    # attest what is pending on chain: period N is submitted, N-1 finalized
    from trancheflow.servicer.period import prepare_period

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
    from trancheflow.servicer.period import check_previous_on_chain

    check_previous_on_chain(h, prepared)
    mine = prepared.report
    print_report(mine, h.record.decimals, len(prepared.reconciled.records))
    theirs = report_from_json(h.submitted_report(period))
    diff = report_differences(mine, theirs)
    if not diff:
        console.print(f"period {period}: the pending report matches the remittance file")
        return
    msg = (
        f"period {period}: the pending report differs from the report recomputed from "
        f"{remittance}:\n  " + "\n  ".join(diff)
    )
    if veto:
        keys = keys_from_env(oracle_key_env)[:1]
        sender = signer_addresses(keys)[0]
        tx = h.veto(sender=sender)
        msg += f"\nvetoed in block {tx.block_number} ({tx.tx_hash})"
    raise ReportError(msg)

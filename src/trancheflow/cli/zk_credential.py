"""``trancheflow zk credential``: investor credentials proven in zero knowledge.

``issue`` is the KYC provider's step (sign a holder's jurisdiction, investor
classes and expiry with its Baby Jubjub key), ``prove`` the holder's (a
Groth16 proof that the credential meets a tranche's rule, revealing neither
jurisdiction nor class), ``register`` anyone's (submit the proof to the
deal's ``CredentialRegistry``; Compliance then admits the holder until the
proof's ``valid_until``). ``public-key`` prints the key the compliance owner
registers. The circuit keys come from a DEVELOPMENT setup (anyone can forge
proofs with them; see ``src/trancheflow/zk/README.md``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from trancheflow.errors import ZkError

from ._chainopts import DirOpt, KeyOpt, RpcOpt, client

app = typer.Typer(
    help="credential: KYC credentials (EdDSA, Baby Jubjub) proven in zero knowledge",
    no_args_is_help=True,
)
console = Console()

KycEnvOpt = Annotated[
    str, typer.Option("--kyc-key-env", help="environment variable holding the KYC private key")
]


def _date(text: str, option: str) -> int:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ZkError(f"{option} {text!r}: expected a date YYYY-MM-DD") from None
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def _kyc_key(env: str) -> bytes:
    from trancheflow.zk.credential import parse_private_key

    raw = os.environ.get(env, "")
    if not raw.strip():
        raise ZkError(f"KYC key: environment variable {env} is not set (64 hex digits)")
    return parse_private_key(raw, f"KYC key in {env}")


def _codes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise ZkError(
            f"--jurisdictions {text!r}: comma-separated ISO 3166-1 numeric codes"
        ) from None


def _classes(text: str) -> int:
    from trancheflow.cli.compliance import parse_classes

    try:
        return parse_classes(text)
    except Exception as exc:  # ChainError from the compliance parser
        raise ZkError(f"--classes: {exc}") from None


@app.command("public-key")
def public_key_cmd(kyc_key_env: KycEnvOpt = "TRANCHEFLOW_KYC_KEY") -> None:
    """Print the KYC provider's public key (Ax Ay) for the compliance owner to register."""
    from trancheflow.zk.eddsa import public_key

    ax, ay = public_key(_kyc_key(kyc_key_env))
    console.print(f"Ax {ax}\nAy {ay}")


@app.command()
def issue(
    holder: Annotated[str, typer.Option("--holder", help="the investor's address")],
    jurisdiction: Annotated[int, typer.Option("--jurisdiction", help="ISO 3166-1 numeric")],
    classes: Annotated[str, typer.Option("--classes", help="e.g. qib,accredited")],
    expiry: Annotated[str, typer.Option("--expiry", help="valid until YYYY-MM-DD")],
    out: Annotated[Path, typer.Option("--out", help="credential JSON to write")],
    kyc_key_env: KycEnvOpt = "TRANCHEFLOW_KYC_KEY",
) -> None:
    """KYC provider: sign a credential for HOLDER and write it to OUT (give it to the holder)."""
    from trancheflow.zk.credential import issue_credential

    cred = issue_credential(
        _kyc_key(kyc_key_env), holder, jurisdiction, _classes(classes), _date(expiry, "--expiry")
    )
    out.write_text(json.dumps(cred.to_json(), indent=2) + "\n")
    table = Table(title=f"credential written to {out}")
    table.add_column("field")
    table.add_column("value")
    table.add_row("holder", cred.holder)
    table.add_row("jurisdiction", str(cred.jurisdiction))
    table.add_row("classes", str(cred.classes))
    table.add_row("expiry", dt.datetime.fromtimestamp(cred.expiry, dt.UTC).date().isoformat())
    table.add_row("issuer Ax", str(cred.issuer[0]))
    console.print(table)


@app.command()
def prove(
    credential: Annotated[Path, typer.Argument(help="credential JSON (from `issue`)")],
    jurisdictions: Annotated[
        str, typer.Option("--jurisdictions", help="the tranche rule's allowed codes, e.g. 840,826")
    ],
    classes: Annotated[str, typer.Option("--classes", help="the rule's classes, e.g. qib")],
    out: Annotated[Path, typer.Option("--out", help="proof JSON to write")],
    valid_until: Annotated[
        str | None,
        typer.Option("--valid-until", help="YYYY-MM-DD, at most the expiry (default: expiry)"),
    ] = None,
) -> None:
    """Holder: prove the credential meets a tranche's rule; write the proof JSON to OUT."""
    from trancheflow.zk.credential import TrancheRule, load_credential, prove_credential

    cred = load_credential(credential)
    rule = TrancheRule(_codes(jurisdictions), _classes(classes))
    until = cred.expiry if valid_until is None else _date(valid_until, "--valid-until")
    with console.status("proving (snarkjs, development keys)..."):
        proof = prove_credential(cred, rule, until)
    out.write_text(json.dumps(proof.to_json(), indent=2) + "\n")
    day = dt.datetime.fromtimestamp(until, dt.UTC).date().isoformat()
    console.print(f"proof for {cred.holder} valid until {day} written to {out}")


@app.command()
def register(
    proof: Annotated[Path, typer.Argument(help="proof JSON (from `prove`)")],
    registry: Annotated[str, typer.Option("--registry", help="CredentialRegistry address")],
    token: Annotated[str, typer.Option("--token", help="tranche token (the rule key)")],
    key_id: Annotated[int, typer.Option("--key-id", help="registered KYC key id", min=0)] = 1,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Submit a holder's proof: the registry records the holder eligible until valid_until."""
    from trancheflow.zk.credential import CredentialProof
    from trancheflow.zk.credential_onchain import eligible_until, submit_proof

    try:
        body = json.loads(proof.read_text())
    except (OSError, ValueError) as exc:
        raise ZkError(f"credential proof {proof}: cannot be read as JSON ({exc})") from None
    p = CredentialProof.from_json(body, f"credential proof {proof}")
    c = _client(rpc_url, deployments, key_env)
    tx = submit_proof(c.backend, registry, p, token, key_id)
    until = eligible_until(c.backend, registry, token, p.holder)
    day = dt.datetime.fromtimestamp(until, dt.UTC).date().isoformat()
    console.print(f"{p.holder} eligible for {token} until {day} (gas {tx.gas_used:,})")


def _client(rpc_url: str | None, deployments: Path, key_env: str) -> Any:
    """The chain client (a function, so tests can hand in an embedded one)."""
    return client(rpc_url, deployments, key_env)

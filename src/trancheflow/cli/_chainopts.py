"""Options and helpers shared by the chain-facing command groups.

Every command that talks to a deployed deal loads it through :func:`load_deal`,
which refuses (``DeploymentMismatchError``, exit 2) a deployment whose chain
id, spec hash, tape root or token addresses differ from the spec and tape the
command was given.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from trancheflow.errors import ChainError, DeploymentMismatchError

RpcOpt = Annotated[
    str | None,
    typer.Option(
        "--rpc-url", envvar="TRANCHEFLOW_RPC_URL", help="JSON-RPC node (default: embedded)"
    ),
]
DirOpt = Annotated[
    Path, typer.Option("--deployments", help="folder of <chain_id>.json deployment records")
]
KeyOpt = Annotated[
    str,
    typer.Option("--key-env", help="environment variable holding the sending key"),
]
DealOpt = Annotated[str, typer.Option("--deal", help="deal name, as recorded at deployment")]
SpecOpt = Annotated[
    Path | None,
    typer.Option("--spec", help="the deal's spec YAML: checked against the deployment"),
]
TapeOpt = Annotated[Path | None, typer.Option("--tape", help="loan tape (default: the spec's)")]


def client(
    rpc_url: str | None,
    deployments: Path,
    key_env: str,
    *,
    need_node: bool = True,
    extra_key_envs: tuple[str, ...] = (),
) -> Any:
    """A :class:`~trancheflow.chain.client.DealClient` on ``rpc_url`` (embedded without one).

    ``extra_key_envs`` name further key variables the client may send from
    (those not set are skipped).
    """
    from trancheflow.chain.client import DealClient

    if rpc_url is None:
        if need_node:
            raise ChainError(
                "this command needs a node: pass --rpc-url or set TRANCHEFLOW_RPC_URL "
                "(an embedded deployment lives only inside the process that made it)"
            )
        return DealClient.embedded()
    extra = tuple(e for e in extra_key_envs if os.environ.get(e, "").strip())
    return DealClient.connect(
        rpc_url, private_key_env=key_env, extra_key_envs=extra, deployments_dir=deployments
    )


def spec_and_pool(spec: Path, tape: Path | None) -> tuple[Any, Any]:
    """The spec (on-chain checks) and its collateral (``tape`` or the spec's)."""
    from trancheflow.deal.run import collateral_pool
    from trancheflow.deal.spec import load_spec

    s = load_spec(spec, onchain=True)
    if tape is None:
        return s, collateral_pool(s)
    from trancheflow.tape.io import read_tape

    return s, read_tape(tape)


def check_tokens(handle: Any) -> None:
    """The record's token addresses are the deal's ``tranche_token(i)``."""
    b = handle.client.backend
    for i, t in enumerate(handle.record.tokens):
        on_chain = str(b.call("Deal", handle.address, "tranche_token", [i]))
        if on_chain.lower() != t.address.lower():
            raise DeploymentMismatchError(
                f"deployment {handle.record.name} records tranche {t.tranche} at {t.address}; "
                f"the deal's token {i} is {on_chain}"
            )


def load_deal(c: Any, deal: str, spec: Path | None, tape: Path | None) -> tuple[Any, Any, Any]:
    """``(handle, spec, pool)`` of recorded deal ``deal``, checked against ``spec``/``tape``.

    Without ``spec`` only the chain id and token addresses are checked (and
    ``spec``/``pool`` are None).
    """
    from trancheflow.servicer.period import check_deployment

    h = c.load_deployment(deal)
    check_tokens(h)
    if spec is None:
        if h.record.chain_id != c.chain_id:
            raise DeploymentMismatchError(
                f"deployment {deal} is recorded on chain {h.record.chain_id}; the node is chain "
                f"{c.chain_id}"
            )
        return h, None, None
    s, pool = spec_and_pool(spec, tape)
    check_deployment(h, s, pool)
    return h, s, pool


def keys_from_env(name: str, *, required: bool = True) -> list[str]:
    """Comma-separated private keys from environment variable ``name``."""
    keys = [k.strip() for k in os.environ.get(name, "").split(",") if k.strip()]
    if required and not keys:
        raise ChainError(
            f"environment variable {name} is not set: it holds the signing key(s), "
            "comma-separated (keys are read only from the environment)"
        )
    return keys


def units_text(x: int, decimals: int) -> str:
    """Units as money with thousands separators and two decimals."""
    from decimal import Decimal

    return f"{Decimal(x).scaleb(-decimals):,.2f}"


def amount_units(text: str, decimals: int, what: str) -> int:
    """An amount typed by a user (``1,000.50``) in units; exact, refused below one unit."""
    from trancheflow.errors import UnitsError
    from trancheflow.units import exact_decimal

    try:
        d = exact_decimal(text.replace(",", "").replace("_", ""))
    except UnitsError:
        raise ChainError(f"{what} {text!r} is not an amount") from None
    scaled = d.scaleb(decimals)
    if d < 0 or scaled != scaled.to_integral_value():
        raise ChainError(
            f"{what} {text!r} must be non-negative with at most {decimals} decimal places"
        )
    return int(scaled)


def write_json(path: Path, data: Any) -> None:
    """Write JSON, refusing a missing folder with a clear message."""
    if not path.parent.exists():
        raise ChainError(f"{path}: folder {path.parent} does not exist")
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: Path, what: str) -> Any:
    """Read a JSON file, with a message naming it on failure."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ChainError(f"{what} {path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChainError(f"{what} {path}: not JSON ({exc})") from None

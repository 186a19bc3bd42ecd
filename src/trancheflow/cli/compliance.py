"""``trancheflow compliance``: investor identities, tranche rules, freezes and recovery.

The deal's ``Compliance`` hook (``Deal.compliance()``, or ``--compliance``)
holds investor identities (registrars register them) and per-tranche rules
(owner only). ``freeze``/``unfreeze`` and ``recover`` are governance acts: on
a governed deal the owner is the timelock, so build them with ``trancheflow
gov`` instead; these commands send directly from ``--key-env``'s account
(a development or single-owner deal).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from trancheflow.errors import ChainError

from ._chainopts import (
    DirOpt,
    KeyOpt,
    RpcOpt,
    SpecOpt,
    TapeOpt,
    amount_units,
    client,
    load_deal,
)

app = typer.Typer(
    help="compliance: register identities, set rules, freeze and recover", no_args_is_help=True
)
console = Console()

DealArg = Annotated[str, typer.Argument(help="deal name, as recorded at deployment")]
CompOpt = Annotated[
    str | None, typer.Option("--compliance", help="address (default: the deal's hook)")
]
TrancheOpt = Annotated[str, typer.Option("--tranche", help="tranche name")]
#: Investor classes and their bits in ``Compliance``.
CLASSES = {"accredited": 1, "qib": 2, "retail": 4, "non_us": 8}
_ZERO = "0x" + "00" * 20


def parse_classes(text: str) -> int:
    """Bitmask of comma-separated class names.

    >>> parse_classes("qib,accredited")
    3
    """
    bits = 0
    for name in (t.strip().lower() for t in text.split(",") if t.strip()):
        if name not in CLASSES:
            raise ChainError(f"investor class {name!r} is not one of {', '.join(CLASSES)}")
        bits |= CLASSES[name]
    if not bits:
        raise ChainError("give at least one investor class")
    return bits


def _comp(
    deal: str, comp: str | None, spec: Path | None, tape: Path | None, rpc: str | None,
    deployments: Path, key_env: str,
) -> tuple[Any, Any, str]:  # fmt: skip
    c = client(rpc, deployments, key_env)
    h, _, _ = load_deal(c, deal, spec, tape)
    addr = comp or str(c.backend.call("Deal", h.address, "compliance"))
    if addr.lower() == _ZERO:
        raise ChainError(f"deal {deal} has no compliance hook (pass --compliance ADDRESS)")
    return c, h, addr


@app.command()
def register(
    deal: DealArg,
    investor: Annotated[str, typer.Option("--investor", help="investor address")],
    jurisdiction: Annotated[int, typer.Option("--jurisdiction", help="ISO 3166-1 numeric", min=1)],
    classes: Annotated[str, typer.Option("--classes", help="e.g. qib,accredited")],
    expiry: Annotated[str, typer.Option("--expiry", help="identity valid until YYYY-MM-DD")],
    compliance: CompOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Register (or update) an investor identity (registrars only)."""
    try:
        until = dt.datetime.fromisoformat(expiry).replace(tzinfo=dt.UTC)
    except ValueError:
        raise ChainError(f"--expiry {expiry!r} is not a date YYYY-MM-DD") from None
    c, _, addr = _comp(deal, compliance, spec, tape, rpc_url, deployments, key_env)
    bits = parse_classes(classes)
    c.backend.transact(
        "Compliance", addr, "register", [investor, jurisdiction, bits, int(until.timestamp())]
    )
    console.print(f"{investor} registered: jurisdiction {jurisdiction}, classes {bits}")


@app.command("set-rules")
def set_rules(
    deal: DealArg,
    tranche: TrancheOpt,
    classes: Annotated[str, typer.Option("--classes", help="admitted classes, e.g. qib")],
    max_holders: Annotated[int, typer.Option("--max-holders", help="0 = no limit", min=0)] = 0,
    min_holding: Annotated[str, typer.Option("--min-holding", help="face amount")] = "0",
    lockup_until: Annotated[
        int, typer.Option("--lockup-until", help="no transfers before (unix time)", min=0)
    ] = 0,
    jurisdiction: Annotated[
        list[int] | None,
        typer.Option("--jurisdiction", help="admitted ISO 3166-1 numeric code (repeat)"),
    ] = None,
    compliance: CompOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Set a tranche's transfer rules (the hook's owner only)."""
    c, h, addr = _comp(deal, compliance, spec, tape, rpc_url, deployments, key_env)
    args = [
        h.token(tranche),
        parse_classes(classes),
        max_holders,
        amount_units(min_holding, h.record.decimals, "--min-holding"),
        lockup_until,
    ]
    c.backend.transact("Compliance", addr, "set_rules", args)
    for code in jurisdiction or []:
        c.backend.transact("Compliance", addr, "set_jurisdiction", [args[0], code, True])
    console.print(
        f"tranche {tranche}: rules set (classes {args[1]}, max holders {max_holders}, "
        f"jurisdictions {sorted(jurisdiction or [])})"
    )


def _freeze(deal: str, tranche: str, account: str, frozen: bool, opts: dict[str, Any]) -> None:
    c, h, addr = _comp(deal, **opts)
    c.backend.transact("Compliance", addr, "set_frozen", [h.token(tranche), account, frozen])
    console.print(f"{account} {'frozen' if frozen else 'unfrozen'} on tranche {tranche}")


@app.command()
def freeze(
    deal: DealArg,
    tranche: TrancheOpt,
    account: Annotated[str, typer.Option("--account", help="holder to freeze")],
    compliance: CompOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Freeze a holder on a tranche (the hook's owner or guardian)."""
    opts = {"comp": compliance, "spec": spec, "tape": tape, "rpc": rpc_url,
            "deployments": deployments, "key_env": key_env}  # fmt: skip
    _freeze(deal, tranche, account, True, opts)


@app.command()
def unfreeze(
    deal: DealArg,
    tranche: TrancheOpt,
    account: Annotated[str, typer.Option("--account", help="holder to unfreeze")],
    compliance: CompOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Lift a holder's freeze on a tranche (the hook's owner)."""
    opts = {"comp": compliance, "spec": spec, "tape": tape, "rpc": rpc_url,
            "deployments": deployments, "key_env": key_env}  # fmt: skip
    _freeze(deal, tranche, account, False, opts)


@app.command()
def recover(
    deal: DealArg,
    tranche: TrancheOpt,
    holder: Annotated[str, typer.Option("--holder", help="the frozen holder")],
    to: Annotated[str, typer.Option("--to", help="the compliant recovery address")],
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Move a frozen holder's tokens and unclaimed distributions to ``--to`` (hook owner)."""
    c = client(rpc_url, deployments, key_env)
    h, _, _ = load_deal(c, deal, spec, tape)
    before = h.balances(to)[h.tranche_names[h.tranche_index(tranche)]]
    c.backend.transact("TrancheToken", h.token(tranche), "recover", [holder, to])
    after = h.balances(to)[h.tranche_names[h.tranche_index(tranche)]]
    console.print(f"recovered {after - before:,} token units of {tranche} from {holder} to {to}")

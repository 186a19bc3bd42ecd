"""``trancheflow gov``: governance changes through the deal's Safe and timelock, from files.

A governed deal's setters are owned by a timelock whose proposer and
executor is a Safe multisig (:mod:`trancheflow.chain.governance`). A change
is three file-based steps, so owners sign on their own machines:

1. ``propose``: build the Safe transaction for any setter of the deal or its
   contracts (``--fn`` and ``--arg`` typed by the contract's ABI), wrapped in
   ``Timelock.schedule`` (``--step schedule``, the default with
   ``--timelock``) or ``Timelock.execute`` (``--step execute``, after the
   delay), or sent by the Safe directly (no ``--timelock``). It writes a JSON
   file with the transaction and its EIP-712 digest (at the Safe's nonce).
2. ``sign``: an owner signs the file's digest (key only from the
   environment) into a signature file; the digest is recomputed from the
   transaction first, so a tampered file is refused.
3. ``execute``: collects the owners' signature files (ordered by owner
   address, as the Safe requires) and sends ``execTransaction``.

The Safe is a Solidity contract deployed from npm artifacts, so ``execute``
needs a JSON-RPC node (``--rpc-url``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from trancheflow.errors import ChainError

from ._chainopts import DirOpt, KeyOpt, RpcOpt, client, load_deal, read_json, write_json

app = typer.Typer(
    help="governance: Safe transactions for any setter, owner signatures, timelock",
    no_args_is_help=True,
)
console = Console()

#: contracts a setter may live in, and the deal view giving each address
TARGETS = {
    "Deal": None,
    "Compliance": "compliance",
    "InsuranceFund": "insurance_fund",
    "Liquidation": "liquidation",
}


def encode_call(contract: str, fn: str, args: list[str]) -> bytes:
    """Calldata of ``contract.fn(*args)``, arguments typed by the contract's ABI.

    >>> from eth_hash.auto import keccak
    >>> data = encode_call("Deal", "set_quorum", ["2"])
    >>> data[:4] == keccak(b"set_quorum(uint256)")[:4], data[4:] == (2).to_bytes(32, "big")
    (True, True)
    """
    from eth_abi import encode
    from eth_hash.auto import keccak

    from trancheflow.chain.backends import artifact
    from trancheflow.chain.events import abi_type

    entry = artifact(contract).function(fn)
    inputs = entry.get("inputs", [])
    if len(inputs) != len(args):
        names = ", ".join(f"{p['type']} {p['name']}" for p in inputs)
        raise ChainError(
            f"{contract}.{fn}({names}) takes {len(inputs)} argument(s); got {len(args)}"
        )
    types = [abi_type(p) for p in inputs]
    values: list[Any] = []
    for t, text in zip(types, args, strict=True):
        try:
            if t.startswith(("uint", "int")):
                values.append(int(text, 0))
            elif t == "bool":
                if text.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(text)
                values.append(text.lower() in ("true", "1"))
            elif t == "address" or t == "string":
                values.append(text)
            elif t.startswith("bytes"):
                values.append(bytes.fromhex(text.removeprefix("0x")))
            else:
                raise ChainError(f"{contract}.{fn}: argument type {t} is not supported here")
        except ValueError:
            raise ChainError(f"{contract}.{fn}: {text!r} is not a {t}") from None
    selector = bytes(keccak(f"{fn}({','.join(types)})".encode()))[:4]
    return selector + encode(types, values)


def _w3(c: Any) -> Any:
    w3 = getattr(c.backend, "w3", None)
    if w3 is None:
        raise ChainError("Safe transactions need a JSON-RPC node: pass --rpc-url")
    return w3


def _safe(c: Any, address: str) -> Any:
    from trancheflow.chain.safe import artifact

    return _w3(c).eth.contract(address=address, abi=artifact("Safe")["abi"])


def _salt(text: str) -> bytes:
    raw = bytes.fromhex(text.removeprefix("0x"))
    if len(raw) > 32:
        raise ChainError(f"--salt {text!r} is longer than 32 bytes")
    return raw.rjust(32, b"\x00")


@app.command()
def propose(
    deal: Annotated[str, typer.Option("--deal", help="deal name, as recorded at deployment")],
    safe: Annotated[str, typer.Option("--safe", help="the governance Safe")],
    fn: Annotated[str, typer.Option("--fn", help="setter to call, e.g. set_quorum")],
    out: Annotated[Path, typer.Option("--out", help="transaction file to write")],
    arg: Annotated[
        list[str] | None, typer.Option("--arg", help="argument of the setter (repeat, in order)")
    ] = None,
    contract: Annotated[
        str, typer.Option("--contract", help="Deal, Compliance, InsuranceFund or Liquidation")
    ] = "Deal",
    target: Annotated[
        str | None, typer.Option("--target", help="address (default: the deal's contract)")
    ] = None,
    timelock: Annotated[
        str | None, typer.Option("--timelock", help="the timelock the Safe proposes through")
    ] = None,
    step: Annotated[str, typer.Option("--step", help="schedule or execute")] = "schedule",
    delay: Annotated[int | None, typer.Option("--delay", help="seconds (default: minimum)")] = None,
    salt: Annotated[str, typer.Option("--salt", help="operation salt (hex)")] = "0x00",
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Build the Safe transaction for a setter (through the timelock) and write it to a file."""
    from eth_utils import to_checksum_address

    from trancheflow.chain.safe import SafeTx, safe_tx_digest

    if contract not in TARGETS:
        raise ChainError(f"--contract {contract!r} must be one of {', '.join(TARGETS)}")
    if step not in ("schedule", "execute"):
        raise ChainError(f"--step {step!r} must be schedule or execute")
    c = client(rpc_url, deployments, key_env)
    h, _, _ = load_deal(c, deal, None, None)
    view = TARGETS[contract]
    where = target or (h.address if view is None else str(c.backend.call("Deal", h.address, view)))
    payload = encode_call(contract, fn, list(arg or []))
    s = _safe(c, to_checksum_address(safe))
    to, data, what = where, payload, f"{contract}.{fn}({', '.join(arg or [])})"
    if timelock is not None:
        op_salt = _salt(salt)
        zero = b"\x00" * 32
        if step == "schedule":
            wait = (
                int(c.backend.call("Timelock", timelock, "get_minimum_delay"))
                if delay is None
                else delay
            )
            data = encode_call_raw("schedule", [where, 0, payload, zero, op_salt, wait])
            what = f"schedule {what} after {wait} s"
        else:
            data = encode_call_raw("execute", [where, 0, payload, zero, op_salt])
            what = f"execute {what}"
        to = timelock
    tx = SafeTx(
        to=to_checksum_address(to), value=0, data=data, nonce=int(s.functions.nonce().call())
    )
    digest = safe_tx_digest(tx, c.chain_id, s.address)
    write_json(
        out,
        {
            "safe": s.address,
            "chain_id": c.chain_id,
            "description": what,
            "to": tx.to,
            "value": 0,
            "data": "0x" + data.hex(),
            "nonce": tx.nonce,
            "digest": "0x" + digest.hex(),
        },
    )
    console.print(
        f"{what}: Safe transaction #{tx.nonce} written to {out} (digest 0x{digest.hex()})"
    )


def encode_call_raw(fn: str, values: list[Any]) -> bytes:
    """Calldata of ``Timelock.fn(*values)`` (already typed)."""
    from eth_abi import encode
    from eth_hash.auto import keccak

    from trancheflow.chain.backends import artifact
    from trancheflow.chain.events import abi_type

    types = [abi_type(p) for p in artifact("Timelock").function(fn)["inputs"]]
    return bytes(keccak(f"{fn}({','.join(types)})".encode()))[:4] + encode(types, values)


def _load_tx(path: Path) -> tuple[Any, dict[str, Any]]:
    from trancheflow.chain.safe import SafeTx, safe_tx_digest

    data = read_json(path, "transaction file")
    try:
        tx = SafeTx(
            to=str(data["to"]),
            value=int(data["value"]),
            data=bytes.fromhex(str(data["data"]).removeprefix("0x")),
            nonce=int(data["nonce"]),
        )
        digest = safe_tx_digest(tx, int(data["chain_id"]), str(data["safe"]))
    except (KeyError, ValueError, TypeError):
        raise ChainError(
            f"transaction file {path}: needs safe, chain_id, to, value, data, nonce"
        ) from None
    if "0x" + digest.hex() != str(data.get("digest", "")).lower():
        raise ChainError(
            f"transaction file {path}: its digest does not match its transaction (edited?)"
        )
    return tx, data


@app.command()
def sign(
    tx_file: Annotated[Path, typer.Argument(help="transaction file from 'gov propose'")],
    out: Annotated[Path, typer.Option("--out", help="signature file to write")],
    owner_key_env: Annotated[
        str, typer.Option("--owner-key-env", help="env var holding this owner's key")
    ] = "TRANCHEFLOW_OWNER_KEY",
) -> None:
    """Sign a Safe transaction file as one owner (offline)."""
    from eth_account import Account

    from trancheflow.chain.safe import sign_safe_tx

    _, data = _load_tx(tx_file)
    key = os.environ.get(owner_key_env, "").strip()
    if not key:
        raise ChainError(
            f"environment variable {owner_key_env} is not set: it holds the owner's key"
        )
    digest = bytes.fromhex(str(data["digest"]).removeprefix("0x"))
    owner = Account.from_key(key).address
    write_json(
        out,
        {
            "digest": data["digest"],
            "owner": owner,
            "signature": "0x" + sign_safe_tx(digest, [key]).hex(),
        },
    )
    console.print(f"{owner} signed {data['description']} -> {out}")


@app.command()
def execute(
    tx_file: Annotated[Path, typer.Argument(help="transaction file from 'gov propose'")],
    signature: Annotated[
        list[Path], typer.Option("--signature", help="owner signature file (repeat)")
    ],
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Send a Safe transaction with the owners' signature files (ordered by owner)."""
    from eth_account import Account

    tx, data = _load_tx(tx_file)
    sigs = []
    for f in signature:
        s = read_json(f, "signature file")
        if str(s.get("digest", "")).lower() != str(data["digest"]).lower():
            raise ChainError(f"signature file {f} signs another transaction")
        sigs.append(
            (int(str(s["owner"]), 16), bytes.fromhex(str(s["signature"]).removeprefix("0x")))
        )
    c = client(rpc_url, deployments, key_env)
    if c.chain_id != int(data["chain_id"]):
        raise ChainError(
            f"{tx_file} is for chain {data['chain_id']}; the node is chain {c.chain_id}"
        )
    w3 = _w3(c)
    s = _safe(c, str(data["safe"]))
    packed = b"".join(sig for _, sig in sorted(sigs))
    zero = "0x" + "00" * 20
    call = s.functions.execTransaction(tx.to, tx.value, tx.data, 0, 0, 0, 0, zero, zero, packed)
    acct = Account.from_key(os.environ[key_env])
    try:
        built = call.build_transaction(
            {"from": acct.address, "nonce": w3.eth.get_transaction_count(acct.address, "pending")}
        )
        tx_hash = w3.eth.send_raw_transaction(acct.sign_transaction(built).raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    except Exception as exc:
        raise ChainError(f"Safe execTransaction of {tx_file} failed: {exc}") from None
    if int(receipt["status"]) != 1:
        raise ChainError(f"Safe execTransaction of {tx_file} reverted")
    console.print(f"executed {data['description']} in block {receipt['blockNumber']}")

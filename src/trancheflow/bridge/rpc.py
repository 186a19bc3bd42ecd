"""Hyperlane contracts on a JSON-RPC node (anvil or any EVM endpoint).

:class:`RpcChain` offers the same surface as
:class:`~trancheflow.bridge.chain.EmbeddedChain` (``deploy``, ``attach``,
``call``, ``transact``, ``logs``, ``latest_block``) on top of the project's
:class:`~trancheflow.chain.backends.rpc_backend.RpcBackend` (its keys,
fees, receipts and log decoding), so the validator and relayer run unchanged
against a real node. :func:`core_at` reads a deployment back from its
Mailbox address.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import to_checksum_address

from trancheflow.bridge.artifacts import load
from trancheflow.bridge.chain import ROUTING_MODULE_TYPE, HyperlaneCore
from trancheflow.chain.backends import RawLog, TxResult
from trancheflow.chain.backends.rpc_backend import RpcBackend
from trancheflow.chain.events import abi_type
from trancheflow.errors import BridgeError, ChainError

__all__ = ["RpcChain", "core_at"]


def _function(contract: Any, name: str, args: Sequence[Any]) -> Any:
    """``name(*args)`` bound on a web3 contract; overloads chosen by argument count."""
    for item in contract.abi:
        match = item.get("type") == "function" and item.get("name") == name
        if match and len(item["inputs"]) == len(args):
            sig = f"{name}({','.join(abi_type(i) for i in item['inputs'])})"
            return contract.get_function_by_signature(sig)(*args)
    raise BridgeError(f"no function {name} taking {len(args)} arguments at {contract.address}")


class RpcChain:
    """A JSON-RPC chain carrying Hyperlane contracts.

    Parameters
    ----------
    rpc_url : str
        Node URL.
    key_env : str
        Environment variable holding the sending key.
    """

    def __init__(self, rpc_url: str, key_env: str = "TRANCHEFLOW_PRIVATE_KEY") -> None:
        self.backend = RpcBackend(rpc_url, key_envs=(key_env,))
        self.domain = self.backend.chain_id
        self._contracts: dict[str, Any] = {}

    @property
    def accounts(self) -> list[str]:
        """The sending account(s)."""
        return self.backend.accounts

    def latest_block(self) -> int:
        """``eth_blockNumber``."""
        return self.backend.latest_block()

    def logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[RawLog]:
        """``eth_getLogs``."""
        return self.backend.logs(from_block, to_block, addresses)

    def attach(self, name: str, address: str) -> None:
        """Know the contract at ``address`` as Hyperlane contract ``name``."""
        address = to_checksum_address(address)
        self._contracts[address] = self.backend.w3.eth.contract(address=address, abi=load(name).abi)

    def contract(self, address: str) -> Any:
        """The web3 contract at ``address`` (attached or deployed here)."""
        try:
            return self._contracts[to_checksum_address(address)]
        except KeyError:
            raise BridgeError(
                f"no Hyperlane contract known at {address} on chain {self.domain}"
            ) from None

    def deploy(self, name: str, args: Sequence[Any] = (), *, sender: str | None = None) -> str:
        """Deploy Hyperlane contract ``name`` from its published bytecode."""
        art = load(name)
        ctor = next((i for i in art.abi if i.get("type") == "constructor"), None)
        types = [p["type"] for p in ctor["inputs"]] if ctor else []
        data = art.bytecode + abi_encode(types, list(args))
        b = self.backend
        try:
            tx = b._send(f"deploying {name}", b._sender(sender), {"data": data})
        except ChainError as exc:
            raise BridgeError(str(exc)) from None
        if tx.contract_address is None:
            raise BridgeError(f"deploying {name} on chain {self.domain}: no contract address")
        self.attach(name, tx.contract_address)
        return tx.contract_address

    def deploy_vyper(
        self, source: Path, args: Sequence[Any] = (), *, sender: str | None = None
    ) -> str:
        """Compile (titanoboa's vyper, cached per process) and deploy a Vyper
        contract of this package; its address."""
        from vyper.compiler.output import build_abi_output

        from trancheflow.bridge.chain import _vyper

        partial = _vyper(str(source))
        abi = build_abi_output(partial.compiler_data)
        ctor = next((i for i in abi if i.get("type") == "constructor"), None)
        types = [p["type"] for p in ctor["inputs"]] if ctor else []
        if len(types) != len(args):
            raise BridgeError(
                f"{source.name} constructor takes {len(types)} arguments, got {len(args)}"
            )
        data = partial.compiler_data.bytecode + abi_encode(types, list(args))
        b = self.backend
        try:
            tx = b._send(f"deploying {source.name}", b._sender(sender), {"data": data})
        except ChainError as exc:
            raise BridgeError(str(exc)) from None
        if tx.contract_address is None:
            raise BridgeError(
                f"deploying {source.name} on chain {self.domain}: no contract address"
            )
        address = to_checksum_address(tx.contract_address)
        self._contracts[address] = self.backend.w3.eth.contract(address=address, abi=abi)
        return address

    def attach_vyper(self, source: Path, address: str) -> None:
        """Know the contract at ``address`` as the Vyper contract ``source``."""
        from vyper.compiler.output import build_abi_output

        from trancheflow.bridge.chain import _vyper

        abi = build_abi_output(_vyper(str(source)).compiler_data)
        address = to_checksum_address(address)
        self._contracts[address] = self.backend.w3.eth.contract(address=address, abi=abi)

    def transact(
        self, address: str, fn: str, args: Sequence[Any] = (), *, sender: str | None = None
    ) -> TxResult:
        """Send ``fn(*args)`` as a signed transaction; its receipt."""
        c = self.contract(address)
        b = self.backend
        acct = b._sender(sender)
        try:
            data = _function(c, fn, args)._encode_transaction_data()
        except Exception as exc:
            raise BridgeError(
                f"{fn}{tuple(args)!r}: arguments do not match the ABI ({exc})"
            ) from exc
        try:
            return b._send(fn, acct, {"to": c.address, "data": data})
        except ChainError as exc:
            raise BridgeError(str(exc)) from None

    def call(self, address: str, fn: str, args: Sequence[Any] = ()) -> Any:
        """Read a view function."""
        c = self.contract(address)
        try:
            out = _function(c, fn, args).call()
        except Exception as exc:
            raise BridgeError(f"{fn} (view) on chain {self.domain} reverted: {exc}") from None
        return tuple(out) if isinstance(out, list) and fn == "validatorsAndThreshold" else out


def core_at(chain: Any, mailbox: str) -> HyperlaneCore:
    """Read a Hyperlane deployment (as :func:`deploy_core` lays it out) from its Mailbox."""
    chain.attach("Mailbox", mailbox)
    domain = int(chain.call(mailbox, "localDomain"))
    tree = to_checksum_address(chain.call(mailbox, "requiredHook"))
    hook = to_checksum_address(chain.call(mailbox, "defaultHook"))
    ism = to_checksum_address(chain.call(mailbox, "defaultIsm"))
    chain.attach("MerkleTreeHook", tree)
    chain.attach("DomainRoutingIsm", ism)
    routed: tuple[tuple[int, str], ...] = ()
    if int(chain.call(ism, "moduleType")) == ROUTING_MODULE_TYPE:
        vals, threshold = [], 0
        for d in chain.call(ism, "domains"):
            sub = to_checksum_address(chain.call(ism, "module", [int(d)]))
            chain.attach("StaticMessageIdMultisigIsm", sub)
            routed += ((int(d), sub),)
    else:
        chain.attach("StaticMessageIdMultisigIsm", ism)
        vals, threshold = chain.call(ism, "validatorsAndThreshold", [b""])
    return HyperlaneCore(
        domain,
        to_checksum_address(mailbox),
        tree,
        hook,
        ism,
        tuple(to_checksum_address(v) for v in vals),
        int(threshold),
        routed,
    )

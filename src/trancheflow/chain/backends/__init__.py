"""Chain backends: what the :class:`~trancheflow.chain.client.DealClient` needs from a chain.

A backend deploys compiled contracts, sends transactions, reads views and
returns raw logs (``address``, ``topics``, ``data`` plus their block, block
hash, transaction and log index, as ``eth_getLogs`` gives them). Two
implementations share this protocol:

* :class:`~trancheflow.chain.backends.boa_backend.BoaBackend`: titanoboa in
  process, no node, no keys (test accounts by alias);
* :class:`~trancheflow.chain.backends.rpc_backend.RpcBackend`: any JSON-RPC
  node through web3.py, transactions signed locally with keys read from the
  environment.

Both take the ABIs and bytecode of :func:`artifact`, compiled once per
process by the Vyper compiler through titanoboa's compiler data, so the same
bytes run in process and on a node.

Examples
--------
>>> a = artifact("MockUSDC")
>>> a.name, sorted(f["name"] for f in a.abi if f["type"] == "event")
('MockUSDC', ['Approval', 'OwnershipTransferred', 'RoleMinterChanged', 'Transfer'])
>>> blueprint_initcode(b"\\x60\\x00")[:3].hex(), len(blueprint_initcode(b"\\x60\\x00"))
('610005', 15)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from trancheflow.chain.compile import CONTRACTS, CONTRACTS_DIR
from trancheflow.errors import ChainError

__all__ = [
    "BLUEPRINT_PREAMBLE",
    "EXTRA_CONTRACTS",
    "Artifact",
    "Backend",
    "RawLog",
    "TxResult",
    "artifact",
    "blueprint_initcode",
    "deployer",
]

#: Contracts this package adds beside :data:`trancheflow.chain.compile.CONTRACTS`.
EXTRA_CONTRACTS: dict[str, str] = {
    "Subscription": "Subscription.vy",
    # operated from the CLI (insurance, auction, compliance, timelock commands)
    "InsuranceFund": "insurance/InsuranceFund.vy",
    "Liquidation": "liquidation/Liquidation.vy",
    "Compliance": "compliance/Compliance.vy",
    "Timelock": "governance/Timelock.vy",
    "TrancheMarket": "market/TrancheMarket.vy",
}

#: EIP-5202 blueprint preamble: ``0xFE`` (INVALID, so the blueprint can never
#: be called), ``0x71`` (the magic byte), ``0x00`` (version 0, no data section).
BLUEPRINT_PREAMBLE = b"\xfe\x71\x00"


def _source(name: str) -> Path:
    rel = CONTRACTS.get(name) or EXTRA_CONTRACTS.get(name)
    if rel is None:
        known = ", ".join(sorted({*CONTRACTS, *EXTRA_CONTRACTS}))
        raise ChainError(f"unknown contract {name!r}: expected one of {known}")
    return CONTRACTS_DIR / rel


@cache
def deployer(name: str) -> Any:
    """titanoboa's deployer for contract ``name`` (compiled once per process)."""
    import boa

    return boa.load_partial(str(_source(name)))


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: ABI (JSON list), creation bytecode and runtime bytecode."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    runtime: bytes

    def function(self, fn: str) -> dict[str, Any]:
        """The ABI entry of function ``fn``."""
        for item in self.abi:
            if item.get("type") == "function" and item.get("name") == fn:
                return item
        raise ChainError(f"contract {self.name} has no function {fn!r}")


@cache
def artifact(name: str) -> Artifact:
    """ABI and bytecode of contract ``name`` (cached per process).

    Raises
    ------
    ChainError
        When ``name`` is not a known contract.
    """
    from vyper.compiler.output import build_abi_output

    data = deployer(name).compiler_data
    return Artifact(
        name, build_abi_output(data), bytes(data.bytecode), bytes(data.bytecode_runtime)
    )


def blueprint_initcode(initcode: bytes) -> bytes:
    """EIP-5202 deployment code for a blueprint whose stored code is
    ``BLUEPRINT_PREAMBLE + initcode`` (``initcode`` being the contract's
    *creation* code that ``create_from_blueprint`` later runs).

    The 10-byte loader is ``PUSH2 len, RETURNDATASIZE, DUP2, PUSH1 0x0a,
    RETURNDATASIZE, CODECOPY, RETURN``: copy the ``len`` bytes after the
    loader to memory 0 and return them as the deployed code.
    """
    body = BLUEPRINT_PREAMBLE + initcode
    if len(body) > 0xFFFF:
        raise ChainError(f"blueprint body of {len(body)} bytes exceeds the 65535-byte PUSH2 limit")
    return b"\x61" + len(body).to_bytes(2, "big") + b"\x3d\x81\x60\x0a\x3d\x39\xf3" + body


@dataclass(frozen=True)
class RawLog:
    """One undecoded log, as ``eth_getLogs`` returns it."""

    address: str
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class TxResult:
    """A mined transaction: hash, block, gas used and the logs it emitted."""

    tx_hash: str
    block_number: int
    gas_used: int
    logs: tuple[RawLog, ...]
    contract_address: str | None = None


@runtime_checkable
class Backend(Protocol):
    """What a chain must offer the client."""

    @property
    def chain_id(self) -> int:
        """EIP-155 chain id."""
        ...

    @property
    def accounts(self) -> list[str]:
        """Addresses this backend can send transactions from (first = default)."""
        ...

    @property
    def description(self) -> str:
        """Where the chain is (for messages and deployment records)."""
        ...

    def deploy(self, name: str, args: Sequence[Any], *, sender: str | None = None) -> TxResult:
        """Deploy contract ``name`` with constructor ``args``."""
        ...

    def deploy_blueprint(self, name: str, *, sender: str | None = None) -> TxResult:
        """Deploy contract ``name`` as an EIP-5202 blueprint."""
        ...

    def transact(
        self, name: str, address: str, fn: str, args: Sequence[Any], *, sender: str | None = None
    ) -> TxResult:
        """Send a transaction calling ``fn(*args)`` on contract ``name`` at ``address``."""
        ...

    def call(self, name: str, address: str, fn: str, args: Sequence[Any] = ()) -> Any:
        """Read view ``fn(*args)``."""
        ...

    def latest_block(self) -> int:
        """Number of the newest block."""
        ...

    def block_hash(self, number: int) -> str | None:
        """Hash of block ``number`` (None beyond the head)."""
        ...

    def logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[RawLog]:
        """Raw logs of ``addresses`` in ``from_block..to_block`` inclusive, in chain order."""
        ...

    def timestamp(self) -> int:
        """Timestamp of the newest block."""
        ...

    def advance_time(self, seconds: int) -> None:
        """Move the chain's clock forward by ``seconds`` (and mine a block)."""
        ...

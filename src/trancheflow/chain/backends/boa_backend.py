"""The embedded backend: titanoboa in process, no node, no keys.

titanoboa executes each call against an in-memory EVM but keeps no blocks
and no log store. This backend makes it behave like an automining node:

* every transaction it sends is mined in a block of its own: before the
  transaction the block number goes up by one and the clock by one second
  (``env.evm.patch``); a reverted transaction leaves both unchanged;
* the logs a transaction emits (``computation.get_raw_log_entries()``,
  children included) are journalled as ``(block, tx, log_index, log)``, so
  :meth:`BoaBackend.logs` answers ``eth_getLogs`` queries by block range;
* block hashes are synthesized: ``keccak(salt || number)`` with
  ``salt = keccak("trancheflow boa" || chain_id || a random 16-byte nonce per
  backend)``; transaction hashes likewise ``keccak(salt || "tx" || n)``. Two
  backends never share hashes and there are no re-orgs, so the hash of a
  block never changes while the process lives.

Each backend runs in its own ``boa.Env`` (entered with ``boa.swap_env`` for
every operation), so two clients never see each other's state and a test's
``boa.env.anchor()`` does not undo a client's transactions behind the journal.

Examples
--------
>>> b = BoaBackend()
>>> tx = b.deploy("MockUSDC", [])
>>> usdc = tx.contract_address
>>> _ = b.transact("MockUSDC", usdc, "mint", [b.accounts[1], 5])
>>> b.call("MockUSDC", usdc, "balanceOf", [b.accounts[1]])
5
>>> [log.block_number - tx.block_number for log in b.logs(0, b.latest_block(), [usdc])]
[0, 0, 1]
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from trancheflow.chain.backends import RawLog, TxResult, artifact, blueprint_initcode, deployer
from trancheflow.errors import ChainError

__all__ = ["BoaBackend"]


def _hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def revert_reason(exc: BaseException) -> str:
    """The revert string of a titanoboa error (or its first line)."""
    trace = getattr(exc, "stack_trace", None)
    frame = getattr(trace, "last_frame", None)
    vm_error = getattr(frame, "vm_error", None)
    if vm_error is not None and getattr(vm_error, "args", None):
        arg = vm_error.args[0]
        return arg if isinstance(arg, str) else repr(arg)
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


class BoaBackend:
    """An automining chain in a private titanoboa environment.

    Parameters
    ----------
    chain_id : int
        The chain id the EVM reports (``block.chainid``; reports are signed for it).
    n_accounts : int
        Test accounts to create (``accounts[0]`` is the environment's EOA).
    """

    def __init__(self, chain_id: int = 31337, n_accounts: int = 10) -> None:
        import boa

        self.env = boa.Env()
        self.env.evm.patch.chain_id = int(chain_id)
        self._chain_id = int(chain_id)
        self._salt = bytes(
            keccak(b"trancheflow boa" + self._chain_id.to_bytes(32, "big") + os.urandom(16))
        )
        self._accounts = [to_checksum_address(str(self.env.eoa))] + [
            to_checksum_address(str(self.env.generate_address(f"account-{i}")))
            for i in range(1, n_accounts)
        ]
        self._journal: list[RawLog] = []
        self._n_tx = 0
        self._genesis = int(self.env.evm.patch.block_number)
        self._contracts: dict[tuple[str, str], Any] = {}

    # ------------------------------------------------------------ identity
    @property
    def chain_id(self) -> int:
        """EIP-155 chain id."""
        return self._chain_id

    @property
    def accounts(self) -> list[str]:
        """Test accounts (checksummed); the first is the default sender."""
        return list(self._accounts)

    @property
    def description(self) -> str:
        """``"embedded titanoboa (chain <id>)"``."""
        return f"embedded titanoboa (chain {self._chain_id})"

    # ------------------------------------------------------------ blocks
    def latest_block(self) -> int:
        """Number of the newest block."""
        return int(self.env.evm.patch.block_number)

    def block_hash(self, number: int) -> str | None:
        """Synthesized hash of block ``number`` (None outside ``0..latest``)."""
        if not 0 <= number <= self.latest_block():
            return None
        return _hex(keccak(self._salt + int(number).to_bytes(32, "big")))

    def timestamp(self) -> int:
        """Timestamp of the newest block."""
        return int(self.env.evm.patch.timestamp)

    def advance_time(self, seconds: int) -> None:
        """Move the clock ``seconds`` forward and mine one empty block."""
        if seconds < 0:
            raise ChainError(f"cannot move time backwards by {seconds} seconds")
        self.env.evm.patch.timestamp += int(seconds)
        self.env.evm.patch.block_number += 1

    # ------------------------------------------------------------ execution
    @contextmanager
    def _block(self) -> Iterator[tuple[int, str]]:
        import boa

        patch = self.env.evm.patch
        number, stamp = int(patch.block_number), int(patch.timestamp)
        patch.block_number = number + 1
        patch.timestamp = stamp + 1
        tx_hash = _hex(keccak(self._salt + b"tx" + (self._n_tx + 1).to_bytes(32, "big")))
        try:
            with boa.swap_env(self.env):
                yield number + 1, tx_hash
        except BaseException:
            patch.block_number, patch.timestamp = number, stamp
            raise
        self._n_tx += 1

    def _record(self, computation: Any, block: int, tx_hash: str) -> tuple[RawLog, ...]:
        block_hash = self.block_hash(block) or ""
        base = sum(1 for log in reversed(self._journal) if log.block_number == block)
        out = []
        for k, (_, addr, topics, data) in enumerate(sorted(computation.get_raw_log_entries())):
            out.append(
                RawLog(
                    address=to_checksum_address(addr),
                    topics=tuple(int(t).to_bytes(32, "big") for t in topics),
                    data=bytes(data),
                    block_number=block,
                    block_hash=block_hash,
                    tx_hash=tx_hash,
                    log_index=base + k,
                )
            )
        self._journal.extend(out)
        return tuple(out)

    def _sender(self, sender: str | None) -> str:
        return sender or self._accounts[0]

    def _fail(self, what: str, exc: BaseException) -> ChainError:
        return ChainError(f"{what} reverted on {self.description}: {revert_reason(exc)}")

    def deploy(self, name: str, args: Sequence[Any], *, sender: str | None = None) -> TxResult:
        """Deploy contract ``name`` with constructor ``args``."""
        with self._block() as (block, tx_hash):
            try:
                c = deployer(name).deploy(*args, sender=self._sender(sender))
            except Exception as exc:
                raise self._fail(f"deploying {name}", exc) from exc
            logs = self._record(c._computation, block, tx_hash)
        address = to_checksum_address(str(c.address))
        self._contracts[(name, address)] = c
        gas = int(getattr(c._computation, "net_gas_used", 0))
        return TxResult(tx_hash, block, gas, logs, address)

    def deploy_blueprint(self, name: str, *, sender: str | None = None) -> TxResult:
        """Deploy contract ``name`` as an EIP-5202 blueprint (same initcode as on a node)."""
        code = blueprint_initcode(artifact(name).bytecode)
        with self._block() as (block, tx_hash):
            addr, computation = self.env.deploy(sender=self._sender(sender), bytecode=code)
            if computation.is_error:
                raise ChainError(f"deploying the {name} blueprint failed on {self.description}")
        return TxResult(tx_hash, block, 0, (), to_checksum_address(str(addr)))

    def _contract(self, name: str, address: str) -> Any:
        import boa

        key = (name, to_checksum_address(address))
        if key not in self._contracts:
            if not self.env.get_code(key[1]):
                raise ChainError(f"no contract at {key[1]} on {self.description}")
            with boa.swap_env(self.env):
                self._contracts[key] = deployer(name).at(key[1])
        return self._contracts[key]

    def transact(
        self, name: str, address: str, fn: str, args: Sequence[Any], *, sender: str | None = None
    ) -> TxResult:
        """Call ``fn(*args)`` as a transaction from ``sender`` (default: the first account)."""
        c = self._contract(name, address)
        with self._block() as (block, tx_hash):
            try:
                getattr(c, fn)(*args, sender=self._sender(sender))
            except Exception as exc:
                raise self._fail(f"{name}.{fn}", exc) from exc
            logs = self._record(c._computation, block, tx_hash)
        return TxResult(tx_hash, block, int(getattr(c._computation, "net_gas_used", 0)), logs)

    def call(self, name: str, address: str, fn: str, args: Sequence[Any] = ()) -> Any:
        """Read view ``fn(*args)`` (no block is mined)."""
        import boa

        c = self._contract(name, address)
        with boa.swap_env(self.env):
            try:
                return getattr(c, fn)(*args)
            except Exception as exc:
                raise self._fail(f"{name}.{fn} (view)", exc) from exc

    def logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[RawLog]:
        """Journalled logs of ``addresses`` in ``from_block..to_block`` (inclusive)."""
        wanted = {to_checksum_address(a) for a in addresses}
        return [
            log
            for log in self._journal
            if from_block <= log.block_number <= to_block and log.address in wanted
        ]

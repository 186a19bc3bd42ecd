"""Governance: parameter changes proposed by the Safe, delayed by the timelock.

Every privileged setter of a trancheflow deal (signers and quorum, fees,
trigger thresholds, compliance rules, guardian, the insurance fund's cap)
is owned by a :class:`Timelock <trancheflow.chain.contracts>` whose only
proposer, canceller and executor is the deal's Safe multisig
(:mod:`trancheflow.chain.safe`). A change therefore needs two
owner-signed Safe transactions separated by at least the minimum delay:

1. ``schedule``: the Safe calls ``Timelock.schedule(target, 0, payload,
   predecessor, salt, delay)``;
2. ``execute``: after the delay, the Safe calls ``Timelock.execute(...)``,
   which makes the call to ``target``.

``cancel`` (the Safe again) drops a pending operation.

Examples
--------
>>> op = Operation(target="0x" + "22" * 20, payload=b"\\x01\\x02", salt=b"\\x07" * 32)
>>> op.id.hex() == operation_id(op).hex()
True
>>> len(op.id)
32
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi import encode
from eth_hash.auto import keccak

from trancheflow.chain.safe import SafeWallet
from trancheflow.errors import ChainError

__all__ = ["Governance", "Operation", "deploy_governance", "deploy_timelock", "operation_id"]

_ZERO32 = b"\x00" * 32


@dataclass(frozen=True)
class Operation:
    """One timelocked call: ``target.call{value: amount}(payload)``."""

    target: str
    payload: bytes
    amount: int = 0
    predecessor: bytes = _ZERO32
    salt: bytes = field(default=_ZERO32)

    @property
    def id(self) -> bytes:
        """The timelock's operation id (see :func:`operation_id`)."""
        return operation_id(self)

    def args(self) -> tuple[Any, ...]:
        """``(target, amount, payload, predecessor, salt)`` as the timelock takes them."""
        return (self.target, self.amount, self.payload, self.predecessor, self.salt)


def operation_id(op: Operation) -> bytes:
    """``keccak256(abi.encode(target, amount, payload, predecessor, salt))``.

    The same hash as snekmate's ``timelock_controller._hash_operation``,
    computed independently (tests compare it with ``hash_operation``).
    """
    return bytes(
        keccak(
            encode(
                ["address", "uint256", "bytes", "bytes32", "bytes32"],
                [op.target, op.amount, op.payload, op.predecessor, op.salt],
            )
        )
    )


def deploy_timelock(
    min_delay: int,
    proposers: Sequence[str],
    executors: Sequence[str],
    admin: str = "0x" + "00" * 20,
) -> Any:
    """Deploys ``governance/Timelock.vy`` (snekmate's timelock controller).

    Raises
    ------
    ChainError
        When ``min_delay`` is negative or there is no proposer.
    """
    import boa

    from trancheflow.chain.compile import CONTRACTS_DIR

    if min_delay < 0:
        raise ChainError(f"timelock min_delay = {min_delay}: must be >= 0 seconds")
    if not proposers:
        raise ChainError("timelock needs at least one proposer")
    partial = boa.load_partial(str(CONTRACTS_DIR / "governance" / "Timelock.vy"))
    return partial.deploy(min_delay, list(proposers), list(executors), admin)


class Governance:
    """The Safe + timelock pair: schedule, execute and cancel with owner keys.

    Parameters
    ----------
    safe
        The multisig (the timelock's proposer, canceller and executor).
    timelock
        The deployed ``Timelock`` contract.
    """

    def __init__(self, safe: SafeWallet, timelock: Any) -> None:
        self.safe = safe
        self.timelock = timelock

    @property
    def address(self) -> str:
        """The timelock's address: the owner to give the governed contracts."""
        return str(self.timelock.address)

    @property
    def min_delay(self) -> int:
        """Current minimum delay (seconds)."""
        return int(self.timelock.get_minimum_delay())

    def operation(self, target: Any, payload: bytes, *, salt: bytes = _ZERO32) -> Operation:
        """An :class:`Operation` calling ``target`` (a contract or address) with ``payload``."""
        addr = str(getattr(target, "address", target))
        return Operation(target=addr, payload=bytes(payload), salt=salt)

    def schedule(
        self, op: Operation, keys: Sequence[int | bytes | str], delay: int | None = None
    ) -> bytes:
        """The Safe schedules ``op`` (delay defaults to the minimum); returns its id."""
        d = self.min_delay if delay is None else delay
        data = self.timelock.schedule.prepare_calldata(*op.args(), d)
        self.safe.call(self.address, data, keys)
        return op.id

    def execute(self, op: Operation, keys: Sequence[int | bytes | str]) -> None:
        """The Safe executes the ready operation ``op`` (reverts if not ready)."""
        data = self.timelock.execute.prepare_calldata(*op.args())
        self.safe.call(self.address, data, keys)

    def cancel(self, op: Operation, keys: Sequence[int | bytes | str]) -> None:
        """The Safe cancels the pending operation ``op``."""
        data = self.timelock.cancel.prepare_calldata(op.id)
        self.safe.call(self.address, data, keys)

    def enact(self, op: Operation, keys: Sequence[int | bytes | str]) -> None:
        """Schedule, wait the minimum delay (titanoboa time travel) and execute.

        For tests and local simulations only: on a real network the delay is
        real time and :meth:`execute` is called later.
        """
        import boa

        self.schedule(op, keys)
        boa.env.time_travel(seconds=self.min_delay)
        self.execute(op, keys)


def deploy_governance(
    owners: Sequence[str], threshold: int, min_delay: int, *, salt_nonce: int = 0
) -> Governance:
    """A ``threshold``-of-N Safe and a timelock whose only proposer/canceller/executor it is."""
    from trancheflow.chain.safe import deploy_safe

    safe = deploy_safe(owners, threshold, salt_nonce=salt_nonce)
    timelock = deploy_timelock(min_delay, [safe.address], [safe.address])
    return Governance(safe, timelock)

"""Whole-transaction gas of a titanoboa call (intrinsic + execution - refund).

titanoboa reports the execution gas of a call's top-level computation; a
transaction also pays the 21,000 base cost and its calldata (EIP-2028: 4 gas
per zero byte, 16 per non-zero byte), receives a refund of at most one fifth
of the gas used (EIP-3529), and since Prague pays at least the EIP-7623
calldata floor (21,000 + 10 gas per calldata token, a non-zero byte counting
4 tokens). :func:`tx_gas` combines these so figures compare with what a
node's receipt would show.

titanoboa keeps storage slots and accounts warm, and keeps the "original"
value of every slot (EIP-2200), across calls: without
:func:`begin_transaction` a second call looks far cheaper than a real
transaction. Call it right before the call you measure; it commits the
pending state, so it cannot run inside ``boa.env.anchor()`` (measure in a
fresh ``boa.Env`` via ``boa.swap_env``).

Examples
--------
>>> calldata_gas(bytes([0, 0, 1]))
24
>>> transaction_gas(execution=30_000, refund=0, calldata=b"")
51000
>>> transaction_gas(execution=30_000, refund=20_000, calldata=b"")   # refund capped at 1/5
40800
"""

from __future__ import annotations

from typing import Any

__all__ = ["begin_transaction", "calldata_gas", "transaction_gas", "tx_gas"]

TX_BASE = 21_000


def calldata_gas(data: bytes) -> int:
    """EIP-2028 calldata cost."""
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)


def transaction_gas(*, execution: int, refund: int, calldata: bytes) -> int:
    """Gas a transaction is charged for ``execution`` gas, ``refund`` and ``calldata``."""
    used = TX_BASE + calldata_gas(calldata) + execution
    used -= min(refund, used // 5)
    zeros = calldata.count(0)
    tokens = zeros + 4 * (len(calldata) - zeros)
    return max(used, TX_BASE + 10 * tokens)


def tx_gas(contract: Any) -> int:
    """Whole-transaction gas of the last call made on titanoboa ``contract``."""
    c = contract._computation
    return transaction_gas(
        execution=c.get_gas_used(), refund=c.get_gas_refund(), calldata=bytes(c.msg.data)
    )


def begin_transaction(env: Any = None) -> None:
    """Start a fresh transaction in titanoboa: commit state, make everything cold.

    Not usable inside ``boa.env.anchor()`` (the commit drops its checkpoints).
    """
    import boa

    (env or boa.env).evm.vm.state._account_db.lock_changes()

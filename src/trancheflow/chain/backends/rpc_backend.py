"""The JSON-RPC backend: any Ethereum node through web3.py, keys from the environment.

Contracts are web3.py contract objects built from the same ABI and bytecode
titanoboa runs (:func:`~trancheflow.chain.backends.artifact`). Every
transaction is built locally (nonce from ``eth_getTransactionCount(pending)``,
gas from ``eth_estimateGas`` plus 20 %, EIP-1559 fees when the node reports a
base fee), signed with a key read from an environment variable, sent with
``eth_sendRawTransaction`` and awaited; a receipt with status 0 or an
estimate that reverts raises :class:`~trancheflow.errors.ChainError` with the
revert reason. The TrancheToken blueprint is deployed with the EIP-5202
loader and preamble of :func:`~trancheflow.chain.backends.blueprint_initcode`.

Keys never come from arguments or files: :class:`RpcBackend` takes the
*names* of environment variables.

Examples
--------
>>> import os
>>> os.environ.pop("TF_DOC_MISSING_KEY", None)
>>> try:
...     load_key("TF_DOC_MISSING_KEY")
... except ChainError as e:
...     print(str(e)[:60])
environment variable TF_DOC_MISSING_KEY is not set: the sign
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address

from trancheflow.chain.backends import RawLog, TxResult, artifact, blueprint_initcode
from trancheflow.errors import ChainError
from trancheflow.ops.secrets import mask_secrets

__all__ = ["RpcBackend", "coerce_args", "load_key"]

_GAS_MARGIN = 1.2


def load_key(env_var: str) -> Any:
    """The ``LocalAccount`` of the hex key in environment variable ``env_var``.

    Raises
    ------
    ChainError
        When the variable is unset, empty or not a 32-byte hex key.
    """
    raw = os.environ.get(env_var, "").strip()
    if not raw:
        raise ChainError(
            f"environment variable {env_var} is not set: the signing key is read only "
            "from the environment (hex, 32 bytes)"
        )
    try:
        return Account.from_key(raw)
    except (ValueError, TypeError):
        raise ChainError(
            f"environment variable {env_var} does not hold a 32-byte hex private key"
        ) from None


def coerce_args(inputs: Sequence[dict[str, Any]], args: Sequence[Any]) -> list[Any]:
    """``args`` with every ``address`` checksummed (web3.py refuses other spellings).

    >>> coerce_args([{"type": "address"}], ["0x" + "ab" * 20])
    ['0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB']
    """
    if len(inputs) != len(args):
        raise ChainError(f"expected {len(inputs)} arguments, got {len(args)}")
    return [_coerce(p, a) for p, a in zip(inputs, args, strict=True)]


def _coerce(param: dict[str, Any], value: Any) -> Any:
    t = str(param["type"])
    if t.endswith("]"):
        item = {**param, "type": t[: t.rindex("[")]}
        return [_coerce(item, v) for v in value]
    if t == "tuple":
        comps = param["components"]
        return tuple(_coerce(c, v) for c, v in zip(comps, value, strict=True))
    if t == "address":
        return to_checksum_address(str(value))
    return value


def _reason(exc: BaseException) -> str:
    msg = getattr(exc, "message", None) or (exc.args[0] if exc.args else str(exc))
    text = str(msg)
    return text.removeprefix("execution reverted: ").strip() or type(exc).__name__


class RpcBackend:
    """A JSON-RPC node.

    Parameters
    ----------
    rpc_url : str
        The node's ``http(s)://`` URL.
    key_envs : sequence of str
        Environment variables holding the keys of the accounts to send from
        (the first is the default sender).
    chain_id : int, optional
        Expected chain id.
    timeout : float
        Seconds per request and per receipt wait.

    Raises
    ------
    ChainError
        Unreachable node (naming the URL), wrong chain id, missing key or an
        account with no ether to pay gas.
    """

    def __init__(
        self,
        rpc_url: str,
        *,
        key_envs: Sequence[str] = ("TRANCHEFLOW_PRIVATE_KEY",),
        chain_id: int | None = None,
        timeout: float = 30.0,
    ) -> None:
        from web3 import Web3

        self.url = rpc_url
        self.timeout = float(timeout)
        if not key_envs:
            raise ChainError("an RPC client needs at least one key environment variable")
        self._keys = {}
        for env in key_envs:
            acct = load_key(env)
            self._keys[to_checksum_address(acct.address)] = acct
        self._order = list(self._keys)
        self.w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": self.timeout}))
        try:
            self._chain_id = int(self.w3.eth.chain_id)
        except Exception as exc:
            raise ChainError(
                mask_secrets(
                    f"cannot reach a JSON-RPC node at {rpc_url}: {type(exc).__name__}: {exc}"
                )
            ) from None
        if chain_id is not None and int(chain_id) != self._chain_id:
            raise ChainError(
                f"the node at {mask_secrets(rpc_url)} is chain {self._chain_id}, "
                f"not the expected {chain_id}"
            )
        first = self._order[0]
        if int(self.w3.eth.get_balance(first)) == 0:
            raise ChainError(
                f"account {first} (key from {key_envs[0]}) has no ether on chain "
                f"{self._chain_id} at {mask_secrets(rpc_url)}: fund it to pay gas"
            )
        self._contracts: dict[tuple[str, str], Any] = {}

    # ------------------------------------------------------------ identity
    @property
    def chain_id(self) -> int:
        """EIP-155 chain id reported by the node."""
        return self._chain_id

    @property
    def accounts(self) -> list[str]:
        """Accounts with a key in the environment (first = default sender)."""
        return list(self._order)

    @property
    def description(self) -> str:
        """``"JSON-RPC node <url> (chain <id>)"``, the URL's credentials masked
        (it goes into error messages and deployment records)."""
        return f"JSON-RPC node {mask_secrets(self.url)} (chain {self._chain_id})"

    # ------------------------------------------------------------ blocks
    def latest_block(self) -> int:
        """``eth_blockNumber``."""
        return int(self.w3.eth.block_number)

    def block_hash(self, number: int) -> str | None:
        """Hash of block ``number`` (None beyond the head)."""
        from web3.exceptions import BlockNotFound

        if number < 0:
            return None
        try:
            block = self.w3.eth.get_block(number)
        except BlockNotFound:
            return None
        return "0x" + bytes(block["hash"]).hex()

    def timestamp(self) -> int:
        """Timestamp of the newest block."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance_time(self, seconds: int) -> None:
        """``evm_increaseTime`` then ``evm_mine`` (anvil, hardhat; not a public network)."""
        for method, params in (("evm_increaseTime", [int(seconds)]), ("evm_mine", [])):
            resp = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
            if "error" in resp:
                raise ChainError(
                    f"{method} failed on {self.description}: {resp['error']} "
                    "(time travel needs a development node such as anvil)"
                )

    # ------------------------------------------------------------ execution
    def _sender(self, sender: str | None) -> Any:
        addr = to_checksum_address(sender) if sender else self._order[0]
        if addr not in self._keys:
            raise ChainError(
                f"no key for account {addr} on {self.description}: the client holds keys "
                f"for {', '.join(self._order)} (from the environment)"
            )
        return self._keys[addr]

    def _fees(self) -> dict[str, int]:
        base = self.w3.eth.get_block("latest").get("baseFeePerGas")
        if base is None:
            return {"gasPrice": int(self.w3.eth.gas_price)}
        tip = int(self.w3.eth.max_priority_fee)
        return {"maxFeePerGas": 2 * int(base) + tip, "maxPriorityFeePerGas": tip}

    def _send(self, what: str, acct: Any, tx: dict[str, Any]) -> TxResult:
        tx = {
            **tx,
            "from": acct.address,
            "chainId": self._chain_id,
            "nonce": int(self.w3.eth.get_transaction_count(acct.address, "pending")),
            **self._fees(),
        }
        try:
            if "gas" not in tx:
                tx["gas"] = int(self.w3.eth.estimate_gas(tx) * _GAS_MARGIN)  # type: ignore[arg-type]
            signed = acct.sign_transaction(tx)
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.timeout)
        except ChainError:
            raise
        except Exception as exc:
            raise ChainError(f"{what} reverted on {self.description}: {_reason(exc)}") from None
        if int(receipt["status"]) != 1:
            raise ChainError(
                f"{what} failed on {self.description}: transaction "
                f"0x{bytes(receipt['transactionHash']).hex()} reverted in block "
                f"{receipt['blockNumber']}"
            )
        logs = tuple(self._raw(log) for log in receipt["logs"])
        created = receipt.get("contractAddress")
        return TxResult(
            "0x" + bytes(receipt["transactionHash"]).hex(),
            int(receipt["blockNumber"]),
            int(receipt["gasUsed"]),
            logs,
            to_checksum_address(created) if created else None,
        )

    @staticmethod
    def _raw(log: Any) -> RawLog:
        return RawLog(
            address=to_checksum_address(log["address"]),
            topics=tuple(bytes(t) for t in log["topics"]),
            data=bytes(log["data"]),
            block_number=int(log["blockNumber"]),
            block_hash="0x" + bytes(log["blockHash"]).hex(),
            tx_hash="0x" + bytes(log["transactionHash"]).hex(),
            log_index=int(log["logIndex"]),
        )

    def _ctor_inputs(self, name: str) -> list[dict[str, Any]]:
        for item in artifact(name).abi:
            if item.get("type") == "constructor":
                return list(item.get("inputs", []))
        return []

    def deploy(self, name: str, args: Sequence[Any], *, sender: str | None = None) -> TxResult:
        """Deploy contract ``name`` with constructor ``args``."""
        from eth_abi import encode

        from trancheflow.chain.events import abi_type

        inputs = self._ctor_inputs(name)
        args = coerce_args(inputs, args)
        data = artifact(name).bytecode + encode([abi_type(p) for p in inputs], args)
        return self._send(f"deploying {name}", self._sender(sender), {"data": "0x" + data.hex()})

    def deploy_blueprint(self, name: str, *, sender: str | None = None) -> TxResult:
        """Deploy contract ``name`` as an EIP-5202 blueprint."""
        code = blueprint_initcode(artifact(name).bytecode)
        return self._send(
            f"deploying the {name} blueprint", self._sender(sender), {"data": "0x" + code.hex()}
        )

    def _contract(self, name: str, address: str) -> Any:
        key = (name, to_checksum_address(address))
        if key not in self._contracts:
            self._contracts[key] = self.w3.eth.contract(address=key[1], abi=artifact(name).abi)
        return self._contracts[key]

    def transact(
        self, name: str, address: str, fn: str, args: Sequence[Any], *, sender: str | None = None
    ) -> TxResult:
        """Send ``fn(*args)`` to contract ``name`` at ``address`` from ``sender``."""
        c = self._contract(name, address)
        args = coerce_args(artifact(name).function(fn)["inputs"], args)
        data = c.encode_abi(fn, args=args)
        return self._send(f"{name}.{fn}", self._sender(sender), {"to": c.address, "data": data})

    def call(self, name: str, address: str, fn: str, args: Sequence[Any] = ()) -> Any:
        """``eth_call`` of view ``fn(*args)``."""
        c = self._contract(name, address)
        args = coerce_args(artifact(name).function(fn)["inputs"], args)
        try:
            return c.functions[fn](*args).call()
        except Exception as exc:
            raise ChainError(
                f"{name}.{fn} (view) at {address} failed on {self.description}: {_reason(exc)}"
            ) from None

    def logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[RawLog]:
        """``eth_getLogs`` over ``from_block..to_block`` for ``addresses``."""
        if to_block < from_block or not addresses:
            return []
        flt = {
            "fromBlock": int(from_block),
            "toBlock": int(to_block),
            "address": [to_checksum_address(a) for a in addresses],
        }
        try:
            raw = self.w3.eth.get_logs(flt)  # type: ignore[arg-type]
        except Exception as exc:
            raise ChainError(
                f"eth_getLogs {from_block}..{to_block} failed on {self.description}: {exc}"
            ) from None
        return sorted((self._raw(log) for log in raw), key=lambda r: (r.block_number, r.log_index))

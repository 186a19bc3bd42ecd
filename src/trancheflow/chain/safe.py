"""Safe (Gnosis Safe v1.4.1) multisig in titanoboa, from the npm build artifacts.

The Safe is the deal's governance multisig: the only proposer, canceller and
executor of the :mod:`timelock <trancheflow.chain.governance>`. This module
deploys the audited Safe singleton and ``SafeProxyFactory`` bytecode (from
``@safe-global/safe-contracts`` 1.4.1, installed by ``npm install`` at the
repository root), creates a Safe proxy with ``setup(owners, threshold, ...)``
and executes transactions with owners' EIP-712 ``SafeTx`` signatures.

Signatures follow the Safe's ``checkNSignatures`` rules: one 65-byte
``r || s || v`` ECDSA signature per owner over the ``SafeTx`` digest (``v``
27 or 28), concatenated in strictly ascending owner-address order.

Examples
--------
>>> digest = safe_tx_digest(
...     SafeTx(to="0x" + "22" * 20, value=0, data=b"", nonce=0),
...     chain_id=1, safe="0x" + "11" * 20)
>>> len(digest)
32
>>> sig = sign_safe_tx(digest, [0xA11CE, 0xB0B])
>>> len(sig)
130
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_hash.auto import keccak

from trancheflow.errors import ChainError

__all__ = [
    "SAFE_TX_TYPEHASH",
    "SafeTx",
    "SafeWallet",
    "artifact",
    "artifacts_dir",
    "deploy_safe",
    "safe_tx_digest",
    "sign_safe_tx",
]

_ZERO = "0x" + "00" * 20

#: ``keccak256("SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,
#: uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)")``.
SAFE_TX_TYPEHASH = bytes(
    keccak(
        b"SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,"
        b"uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
    )
)
_SAFE_TX_ABI = ["bytes32", "address", "uint256", "bytes32", "uint8", "uint256", "uint256"]
_SAFE_TX_ABI += ["uint256", "address", "address", "uint256"]
_DOMAIN_TYPEHASH = bytes(keccak(b"EIP712Domain(uint256 chainId,address verifyingContract)"))


def artifacts_dir() -> Path:
    """``node_modules/@safe-global/safe-contracts/build/artifacts/contracts`` of this checkout.

    Searched upwards from this file and from the working directory.

    Raises
    ------
    ChainError
        When the npm package is not installed (run ``npm install`` or ``make test``).
    """
    rel = Path("node_modules/@safe-global/safe-contracts/build/artifacts/contracts")
    starts = [Path(__file__).resolve(), Path.cwd().resolve()]
    for start in starts:
        for base in (start, *start.parents):
            cand = base / rel
            if cand.is_dir():
                return cand
    raise ChainError(
        f"Safe artifacts not found ({rel}); run 'npm install' at the repository root "
        "('make test' does it)"
    )


@cache
def artifact(name: str) -> dict[str, Any]:
    """The Hardhat artifact (``abi``, ``bytecode``) of ``Safe`` or ``SafeProxyFactory``."""
    paths = {
        "Safe": "Safe.sol/Safe.json",
        "SafeProxyFactory": "proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
    }
    if name not in paths:
        raise ChainError(f"unknown Safe artifact {name!r}: expected one of {sorted(paths)}")
    data: dict[str, Any] = json.loads((artifacts_dir() / paths[name]).read_text())
    return data


@dataclass(frozen=True)
class SafeTx:
    """A Safe transaction (``operation`` 0 = CALL; 1 = DELEGATECALL is never used here)."""

    to: str
    value: int
    data: bytes
    nonce: int
    operation: int = 0
    safe_tx_gas: int = 0
    base_gas: int = 0
    gas_price: int = 0
    gas_token: str = _ZERO
    refund_receiver: str = _ZERO

    def struct_hash(self) -> bytes:
        """``hashStruct(SafeTx)`` (``data`` hashed, as EIP-712 does for ``bytes``)."""
        return bytes(
            keccak(
                encode(
                    _SAFE_TX_ABI,
                    [
                        SAFE_TX_TYPEHASH,
                        self.to,
                        self.value,
                        bytes(keccak(self.data)),
                        self.operation,
                        self.safe_tx_gas,
                        self.base_gas,
                        self.gas_price,
                        self.gas_token,
                        self.refund_receiver,
                        self.nonce,
                    ],
                )
            )
        )


def safe_tx_digest(tx: SafeTx, chain_id: int, safe: str) -> bytes:
    """EIP-712 digest of ``tx`` for the Safe at ``safe`` on ``chain_id``.

    ``keccak(0x19 0x01 || keccak(DOMAIN_TYPEHASH, chainId, safe) || hashStruct(tx))``,
    computed here independently of the Safe's ``getTransactionHash`` (tests
    compare the two).
    """
    domain = bytes(
        keccak(encode(["bytes32", "uint256", "address"], [_DOMAIN_TYPEHASH, chain_id, safe]))
    )
    return bytes(keccak(b"\x19\x01" + domain + tx.struct_hash()))


def _account(key: int | bytes | str) -> Any:
    if isinstance(key, int):
        key = key.to_bytes(32, "big")
    return Account.from_key(key)


def sign_safe_tx(digest: bytes, keys: Sequence[int | bytes | str]) -> bytes:
    """Concatenated owner signatures of ``digest``, ascending by owner address.

    Raises
    ------
    ChainError
        When two keys belong to the same address (the Safe rejects repeats).
    """
    signed = []
    for k in keys:
        acct = _account(k)
        s = acct.unsafe_sign_hash(digest)
        sig = s.r.to_bytes(32, "big") + s.s.to_bytes(32, "big") + bytes([s.v])
        signed.append((int(acct.address, 16), sig))
    signed.sort()
    for a, b in pairwise(signed):
        if a[0] == b[0]:
            raise ChainError(f"owner {hex(a[0])} appears twice among the signing keys")
    return b"".join(s for _, s in signed)


class SafeWallet:
    """A deployed Safe proxy and the helpers to execute owner-signed transactions."""

    def __init__(self, contract: Any) -> None:
        self.contract = contract

    @property
    def address(self) -> str:
        """The Safe proxy's address."""
        return str(self.contract.address)

    @property
    def chain_id(self) -> int:
        """Chain id the Safe signs for."""
        return int(self.contract.getChainId())

    def build(self, to: str, data: bytes, value: int = 0, nonce: int | None = None) -> SafeTx:
        """A CALL ``SafeTx`` at the Safe's current nonce (or ``nonce``)."""
        n = int(self.contract.nonce()) if nonce is None else nonce
        return SafeTx(to=str(to), value=value, data=bytes(data), nonce=n)

    def digest(self, tx: SafeTx) -> bytes:
        """EIP-712 digest of ``tx`` for this Safe."""
        return safe_tx_digest(tx, self.chain_id, self.address)

    def execute(
        self,
        tx: SafeTx,
        keys: Sequence[int | bytes | str],
        *,
        sender: str | None = None,
        signatures: bytes | None = None,
    ) -> bool:
        """Executes ``tx`` with the owners' signatures (``keys`` sign it here).

        ``signatures`` overrides the signing (tests pass malformed ones).
        ``sender`` submits the transaction (anyone may; defaults to boa's
        sender). Reverts (``GS0xx``) unless at least ``threshold`` distinct
        owners signed this exact transaction at the current nonce.
        """
        import boa

        sigs = sign_safe_tx(self.digest(tx), keys) if signatures is None else signatures
        args = (
            tx.to,
            tx.value,
            tx.data,
            tx.operation,
            tx.safe_tx_gas,
            tx.base_gas,
            tx.gas_price,
            tx.gas_token,
            tx.refund_receiver,
            sigs,
        )
        if sender is None:
            return bool(self.contract.execTransaction(*args))
        with boa.env.prank(sender):
            return bool(self.contract.execTransaction(*args))

    def call(self, to: str, data: bytes, keys: Sequence[int | bytes | str], value: int = 0) -> bool:
        """Builds, signs and executes a CALL from the Safe to ``to``."""
        return self.execute(self.build(to, data, value), keys)


def deploy_safe(
    owners: Sequence[str], threshold: int, *, salt_nonce: int = 0, deployer: str | None = None
) -> SafeWallet:
    """Deploys the Safe singleton and proxy factory, then a ``threshold``-of-N Safe proxy.

    Parameters
    ----------
    owners
        Owner addresses (distinct, non-zero).
    threshold
        Signatures needed, ``1 <= threshold <= len(owners)``.
    salt_nonce
        CREATE2 salt nonce of the proxy.
    deployer
        Sender of the deployments (boa's default sender if omitted).

    Raises
    ------
    ChainError
        When ``threshold`` is out of range or owners repeat.
    """
    import boa

    if not 1 <= threshold <= len(owners):
        raise ChainError(f"Safe threshold {threshold} outside 1..{len(owners)} (owners)")
    if len({str(o).lower() for o in owners}) != len(owners):
        raise ChainError(f"Safe owners repeat: {list(owners)}")
    sender = deployer or boa.env.eoa
    safe_art, factory_art = artifact("Safe"), artifact("SafeProxyFactory")
    singleton, _ = boa.env.deploy_code(
        sender=sender, bytecode=bytes.fromhex(safe_art["bytecode"].removeprefix("0x"))
    )
    factory_addr, _ = boa.env.deploy_code(
        sender=sender, bytecode=bytes.fromhex(factory_art["bytecode"].removeprefix("0x"))
    )
    safe_abi = boa.loads_abi(json.dumps(safe_art["abi"]), name="Safe")
    factory = boa.loads_abi(json.dumps(factory_art["abi"]), name="SafeProxyFactory").at(
        factory_addr
    )
    setup = safe_abi.at(singleton).setup.prepare_calldata(
        list(owners), threshold, _ZERO, b"", _ZERO, _ZERO, 0, _ZERO
    )
    with boa.env.prank(sender):
        proxy = factory.createProxyWithNonce(singleton, setup, salt_nonce)
    return SafeWallet(safe_abi.at(proxy))

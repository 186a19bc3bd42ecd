"""Hyperlane core on an embedded titanoboa chain, deployed from the npm bytecode.

:class:`EmbeddedChain` wraps the project's :class:`BoaBackend` (its private
``boa.Env``, automining clock and log journal) and adds contracts known only
by a published ABI and bytecode. :func:`deploy_core` deploys, on one chain:

* ``Mailbox(localDomain)``;
* ``MerkleTreeHook(mailbox)`` as the mailbox's *required* hook, so every
  dispatched message enters the tree the validators sign;
* ``PausableHook`` as the default hook (no fee, pausable by the owner);
* ``StaticMessageIdMultisigIsmFactory`` and through it the M-of-N
  ``StaticMessageIdMultisigIsm`` (a MetaProxy clone carrying the validator
  set), set as the mailbox's default ISM.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from trancheflow.bridge.artifacts import load
from trancheflow.chain.backends import RawLog, TxResult
from trancheflow.chain.backends.boa_backend import BoaBackend, revert_reason
from trancheflow.chain.gas import begin_transaction, tx_gas
from trancheflow.errors import BridgeError

__all__ = [
    "ROUTING_MODULE_TYPE",
    "EmbeddedChain",
    "HyperlaneCore",
    "deploy_core",
    "deploy_multisig_ism",
    "event_topic",
]

#: Hyperlane's ``IInterchainSecurityModule.Types.ROUTING``.
ROUTING_MODULE_TYPE = 1


@cache
def _vyper(source: str) -> Any:
    """titanoboa deployer of a Vyper source (compiled once per process)."""
    import boa

    return boa.load_partial(source)


def event_topic(contract: str, event: str) -> bytes:
    """``topic0`` of ``event`` in Hyperlane contract ``contract``'s ABI."""
    for item in load(contract).abi:
        if item.get("type") == "event" and item.get("name") == event:
            sig = f"{event}({','.join(i['type'] for i in item['inputs'])})"
            return bytes(keccak(sig.encode()))
    raise BridgeError(f"{contract} has no event {event!r}")


class EmbeddedChain:
    """One in-process chain (its own ``boa.Env``) with a Hyperlane domain id.

    Parameters
    ----------
    chain_id : int
        EIP-155 chain id (also used as the Hyperlane domain).
    """

    def __init__(self, chain_id: int) -> None:
        self.backend = BoaBackend(chain_id=chain_id)
        self.domain = int(chain_id)
        self._abi_contracts: dict[str, tuple[str, Any]] = {}

    @property
    def accounts(self) -> list[str]:
        """The backend's funded test accounts."""
        return self.backend.accounts

    def latest_block(self) -> int:
        """Newest block number."""
        return self.backend.latest_block()

    def logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[RawLog]:
        """Journalled logs (``eth_getLogs`` semantics)."""
        return self.backend.logs(from_block, to_block, addresses)

    def _wrap(self, name: str, address: str) -> Any:
        import boa

        with boa.swap_env(self.backend.env):
            factory = boa.loads_abi(json.dumps(load(name).abi), name=name)
            return factory.at(address)

    def deploy(self, name: str, args: Sequence[Any] = (), *, sender: str | None = None) -> str:
        """Deploy Hyperlane contract ``name`` from its published bytecode; its address."""
        art = load(name)
        ctor = next((i for i in art.abi if i.get("type") == "constructor"), None)
        types = [p["type"] for p in ctor["inputs"]] if ctor else []
        if len(types) != len(args):
            raise BridgeError(f"{name} constructor takes {len(types)} arguments, got {len(args)}")
        code = art.bytecode + abi_encode(types, list(args))
        b = self.backend
        with b._block() as (block, tx_hash):
            addr, comp = b.env.deploy(sender=sender or b.accounts[0], bytecode=code)
            if comp.is_error:
                raise BridgeError(f"deploying {name} on chain {self.domain} reverted")
            b._record(comp, block, tx_hash)
        address = to_checksum_address(str(addr))
        self._abi_contracts[address] = (name, self._wrap(name, address))
        return address

    def deploy_vyper(
        self, source: Path, args: Sequence[Any] = (), *, sender: str | None = None
    ) -> str:
        """Compile and deploy a Vyper contract of this package; its address."""
        import boa

        b = self.backend
        with b._block() as (block, tx_hash):
            try:
                with boa.swap_env(b.env):
                    c = _vyper(str(source)).deploy(*args, sender=sender or b.accounts[0])
            except Exception as exc:
                raise BridgeError(
                    f"deploying {source.name} reverted: {revert_reason(exc)}"
                ) from exc
            b._record(c._computation, block, tx_hash)
        address = to_checksum_address(str(c.address))
        self._abi_contracts[address] = (source.stem, c)
        return address

    def attach_vyper(self, source: Path, address: str) -> None:
        """Know the contract at ``address`` as the Vyper contract ``source``."""
        import boa

        address = to_checksum_address(address)
        with boa.swap_env(self.backend.env):
            handle = _vyper(str(source)).at(address)
        self._abi_contracts[address] = (source.stem, handle)

    def attach(self, name: str, address: str) -> None:
        """Know the contract at ``address`` as Hyperlane contract ``name``."""
        address = to_checksum_address(address)
        self._abi_contracts[address] = (name, self._wrap(name, address))

    def contract(self, address: str) -> Any:
        """The titanoboa handle of a deployed or attached Hyperlane contract."""
        try:
            return self._abi_contracts[to_checksum_address(address)][1]
        except KeyError:
            raise BridgeError(
                f"no Hyperlane contract known at {address} on chain {self.domain}"
            ) from None

    def transact(
        self, address: str, fn: str, args: Sequence[Any] = (), *, sender: str | None = None
    ) -> TxResult:
        """Send ``fn(*args)`` as one mined transaction; ``gas_used`` is whole-transaction
        gas (base + calldata + execution - refund) from cold state."""
        import boa

        c = self.contract(address)
        b = self.backend
        begin_transaction(b.env)  # cold slots, fresh originals: gas as a node charges it
        with b._block() as (block, tx_hash):
            try:
                with boa.swap_env(b.env):
                    getattr(c, fn)(*args, sender=sender or b.accounts[0])
            except Exception as exc:
                raise BridgeError(
                    f"{fn} on chain {self.domain} reverted: {revert_reason(exc)}"
                ) from exc
            logs = b._record(c._computation, block, tx_hash)
        return TxResult(tx_hash, block, tx_gas(c), logs)

    def call(self, address: str, fn: str, args: Sequence[Any] = ()) -> Any:
        """Read a view function of a Hyperlane contract."""
        import boa

        c = self.contract(address)
        with boa.swap_env(self.backend.env):
            try:
                return getattr(c, fn)(*args)
            except Exception as exc:
                raise BridgeError(
                    f"{fn} (view) on chain {self.domain} reverted: {revert_reason(exc)}"
                ) from exc


@dataclass(frozen=True)
class HyperlaneCore:
    """Addresses of one chain's Hyperlane deployment.

    ``validators``/``threshold`` are the default multisig set (empty/0 when the
    default ISM routes per origin); ``origin_isms`` maps each origin domain to
    its own multisig ISM when it does.
    """

    domain: int
    mailbox: str
    merkle_tree_hook: str
    default_hook: str
    ism: str
    validators: tuple[str, ...]
    threshold: int
    origin_isms: tuple[tuple[int, str], ...] = ()

    def ism_for(self, origin: int) -> str:
        """The ISM that verifies messages from ``origin`` (the default when not routed)."""
        return dict(self.origin_isms).get(origin, self.ism)


def _checked(validators: Sequence[str], threshold: int) -> list[str]:
    vals: list[str] = [str(to_checksum_address(v)) for v in validators]
    if not 1 <= threshold <= len(vals):
        raise BridgeError(f"threshold={threshold}: must be in 1..{len(vals)} (validators)")
    if len(set(vals)) != len(vals):
        raise BridgeError("validators: an address appears twice")
    return vals


def deploy_multisig_ism(
    chain: EmbeddedChain, validators: Sequence[str], threshold: int, factory: str | None = None
) -> str:
    """An M-of-N ``StaticMessageIdMultisigIsm`` through the published factory; its address."""
    vals = _checked(validators, threshold)
    factory = factory or chain.deploy("StaticMessageIdMultisigIsmFactory")
    chain.transact(factory, "deploy", [vals, threshold])
    ism = to_checksum_address(chain.call(factory, "getAddress", [vals, threshold]))
    chain.attach("StaticMessageIdMultisigIsm", ism)
    return ism


def deploy_core(
    chain: EmbeddedChain,
    validators: Sequence[str] = (),
    threshold: int = 0,
    *,
    owner: str | None = None,
    origins: Mapping[int, tuple[Sequence[str], int]] | None = None,
) -> HyperlaneCore:
    """Deploy Mailbox, hooks and the default ISM on ``chain``.

    The ISM verifies messages *arriving* on ``chain``, so ``validators`` are
    the validators of the origin chains whose messages it accepts. With
    ``origins`` (origin domain -> (validators, threshold)) the default ISM is a
    ``DomainRoutingIsm`` over one multisig ISM per origin instead, and
    ``validators``/``threshold`` are ignored.

    Raises
    ------
    BridgeError
        When ``threshold`` is not in ``1..len(validators)`` or validators repeat.
    """
    owner = owner or chain.accounts[0]
    mailbox = chain.deploy("Mailbox", [chain.domain])
    tree = chain.deploy("MerkleTreeHook", [mailbox])
    pausable = chain.deploy("PausableHook")
    factory = chain.deploy("StaticMessageIdMultisigIsmFactory")
    routed: tuple[tuple[int, str], ...] = ()
    if origins:
        routed = tuple(
            (int(d), deploy_multisig_ism(chain, v, t, factory)) for d, (v, t) in origins.items()
        )
        ism = chain.deploy("DomainRoutingIsm")
        chain.transact(ism, "initialize", [owner, [d for d, _ in routed], [a for _, a in routed]])
        vals: list[str] = []
        threshold = 0
    else:
        vals = _checked(validators, threshold)
        ism = deploy_multisig_ism(chain, vals, threshold, factory)
    chain.transact(mailbox, "initialize", [owner, ism, pausable, tree])
    return HyperlaneCore(chain.domain, mailbox, tree, pausable, ism, tuple(vals), threshold, routed)

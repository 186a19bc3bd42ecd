"""Tranche tokens between the hub and a spoke over Hyperlane.

One route per tranche and spoke: :file:`TrancheGateway.vy` on the hub locks
tranche tokens and dispatches mints; :file:`SpokeTranche.vy` on the spoke
mints, burns to return, asks the spoke's own Compliance (same ERC-1404 codes)
on every transfer, and mirrors the hub TrancheToken's distribution index so a
holder on the spoke claims there. The cash the locked tokens earn on the hub
crosses on the settlement token's warp route (published
``HypERC20Collateral``/``HypERC20``) with each index message.

:class:`Lanes` steps the Python validators and relayers both ways;
:func:`conservation` checks Σ tranche supply across chains against the hub
supply, counting what is in flight from the Mailboxes' own dispatch logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address

from trancheflow.bridge.chain import EmbeddedChain, HyperlaneCore, event_topic
from trancheflow.bridge.message import Message, address_to_bytes32
from trancheflow.bridge.relayer import Relayer
from trancheflow.bridge.routes import CONTRACTS
from trancheflow.bridge.validator import Validator
from trancheflow.bridge.warp import WarpRoute, deploy_warp_route
from trancheflow.chain.backends import TxResult
from trancheflow.errors import BridgeError

__all__ = [
    "Conservation",
    "Lanes",
    "TokenRoute",
    "claim_on_spoke",
    "conservation",
    "deploy_token_route",
    "measure_token_leg",
    "send_home",
    "send_to_spoke",
    "sync",
]

ZERO = "0x" + "00" * 20
_TO_SPOKE = ["(uint256,uint256,uint256,address,uint256,address,address,uint256)"]
_TO_HUB = ["(address,uint256,uint256,uint256,address)"]
_TRANCHE = CONTRACTS.parent / "TrancheToken.vy"
_ERC20 = CONTRACTS.parent / "mocks" / "MockUSDC.vy"


@dataclass(frozen=True)
class TokenRoute:
    """One tranche's route between the hub and one spoke."""

    hub_domain: int
    gateway: str
    hub_token: str
    cash: str
    spoke_domain: int
    spoke_token: str
    warp: WarpRoute
    compliance: str


def attach_vyper(chain: Any, source: Path, address: str) -> None:
    """Know the project contract at ``address`` on ``chain`` (embedded or JSON-RPC)."""
    import boa

    from trancheflow.bridge.chain import _vyper

    address = to_checksum_address(address)
    backend = getattr(chain, "backend", None)
    if backend is not None and hasattr(backend, "w3"):  # an RpcChain
        from vyper.compiler.output import build_abi_output

        abi = build_abi_output(_vyper(str(source)).compiler_data)
        chain._contracts[address] = backend.w3.eth.contract(address=address, abi=abi)
        return
    with boa.swap_env(chain.backend.env):
        handle = _vyper(str(source)).at(address)
    chain._abi_contracts[address] = (source.stem, handle)


def deploy_token_route(
    hub: EmbeddedChain,
    hub_core: HyperlaneCore,
    tranche_token: str,
    cash: str,
    spoke: EmbeddedChain,
    spoke_core: HyperlaneCore,
    *,
    compliance: str | None = None,
    name: str = "Spoke tranche",
    symbol: str = "sTR",
    decimals: int = 6,
    warp: WarpRoute | None = None,
    gateway: str | None = None,
    reserve: int = 1_000,
) -> TokenRoute:
    """Deploy a TrancheGateway (hub) and a SpokeTranche (spoke) and enroll them.

    ``warp`` is the settlement token's route to this spoke (deployed when
    None); ``compliance`` is a Compliance already on the spoke (None: none);
    ``gateway`` an existing gateway of the same tranche to enroll this spoke
    on (one gateway serves every spoke of a tranche). The deployer (each
    chain's first account) owns both contracts and transfers ``reserve``
    settlement-token units to a new gateway: the dust the tranche token's
    per-settlement floors take from the gateway (< 1 unit per gateway action).
    """
    attach_vyper(hub, _TRANCHE, tranche_token)
    warp = warp or deploy_warp_route(hub, hub_core, cash, spoke, spoke_core)
    gateway_new = gateway is None
    gateway = gateway or hub.deploy_vyper(
        CONTRACTS / "TrancheGateway.vy", [hub_core.mailbox, tranche_token, cash]
    )
    if reserve > 0 and gateway_new:
        attach_vyper(hub, _ERC20, cash)  # any ERC-20: only `transfer` is called
        hub.transact(cash, "transfer", [gateway, reserve])
    comp = compliance or ZERO
    spoke_token = spoke.deploy_vyper(
        CONTRACTS / "SpokeTranche.vy",
        [
            name,
            symbol,
            decimals,
            spoke_core.mailbox,
            hub.domain,
            gateway,
            warp.spoke_router,
            comp,
        ],
    )
    hub.transact(gateway, "enroll", [spoke.domain, spoke_token, warp.hub_router])
    return TokenRoute(
        hub.domain, gateway, tranche_token, cash, spoke.domain, spoke_token, warp, comp
    )


def send_to_spoke(
    hub: EmbeddedChain, route: TokenRoute, holder: str, to: str, amount: int
) -> TxResult:
    """Lock ``amount`` of ``holder``'s tranche tokens and mint them to ``to`` on the spoke.

    Raises
    ------
    BridgeError
        On a revert (the reason names the rule: compliance, balance, route).
    """
    if amount <= 0:
        raise BridgeError(f"amount={amount}: must be positive")
    hub.transact(route.hub_token, "approve", [route.gateway, amount], sender=holder)
    return hub.transact(route.gateway, "send", [route.spoke_domain, to, amount], sender=holder)


def sync(hub: EmbeddedChain, route: TokenRoute, *, sender: str | None = None) -> TxResult:
    """Bring the spoke up to the hub token's index (bridges the cash earned)."""
    return hub.transact(route.gateway, "sync", [route.spoke_domain], sender=sender)


def send_home(
    spoke: EmbeddedChain, route: TokenRoute, holder: str, to: str, amount: int
) -> TxResult:
    """Burn ``amount`` of ``holder``'s spoke tokens; the hub releases them to ``to``."""
    if amount <= 0:
        raise BridgeError(f"amount={amount}: must be positive")
    return spoke.transact(route.spoke_token, "send_home", [to, amount], sender=holder)


def claim_on_spoke(spoke: EmbeddedChain, route: TokenRoute, holder: str) -> int:
    """Claim ``holder``'s accrued distributions on the spoke; the amount paid."""
    before = int(spoke.call(route.warp.spoke_router, "balanceOf", [holder]))
    spoke.transact(route.spoke_token, "claim", sender=holder)
    return int(spoke.call(route.warp.spoke_router, "balanceOf", [holder])) - before


class Lanes:
    """Validators (2 of 3 keys) and a relayer in each direction between two chains.

    Parameters
    ----------
    hub, spoke : EmbeddedChain
        The two chains.
    hub_core, spoke_core : HyperlaneCore
        Their Hyperlane deployments (each ISM trusts the other's validators).
    keys : sequence of bytes
        Validator keys (development keys; the first two sign).
    folder : path
        Where the agents keep their SQLite state.
    """

    def __init__(
        self,
        hub: EmbeddedChain,
        hub_core: HyperlaneCore,
        spoke: EmbeddedChain,
        spoke_core: HyperlaneCore,
        keys: Sequence[bytes],
        folder: Path,
    ) -> None:
        self.hub, self.spoke = hub, spoke
        self.hub_core, self.spoke_core = hub_core, spoke_core
        self.keys, self.folder = list(keys), Path(folder)
        self.open()

    def open(self) -> None:
        """(Re)start the agents from their state files."""
        t, d = self.folder, self.spoke.domain
        self.hub_vals = [
            Validator(self.hub, self.hub_core, k, t / f"vh{d}-{i}.db")
            for i, k in enumerate(self.keys[:2])
        ]
        self.spoke_vals = [
            Validator(self.spoke, self.spoke_core, k, t / f"vs{d}-{i}.db")
            for i, k in enumerate(self.keys[:2])
        ]
        self.down = Relayer(
            self.hub,
            self.hub_core,
            {d: (self.spoke, self.spoke_core)},
            [v.store() for v in self.hub_vals],
            t / f"r-hub-{d}.db",
        )
        self.up = Relayer(
            self.spoke,
            self.spoke_core,
            {self.hub.domain: (self.hub, self.hub_core)},
            [v.store() for v in self.spoke_vals],
            t / f"r-{d}-hub.db",
        )

    def step(self, rounds: int = 2) -> int:
        """Sign and relay both ways ``rounds`` times; the messages delivered."""
        n = 0
        for _ in range(rounds):
            for v in (*self.hub_vals, *self.spoke_vals):
                v.step()
            n += len(self.down.step()) + len(self.up.step())
        return n

    def pending(self) -> int:
        """Messages seen and not delivered, both ways."""
        return sum(1 for r in (self.down, self.up) for x in r.deliveries() if x.status == "pending")

    def close(self) -> None:
        """Close the relayers' state files (validators keep theirs open)."""
        self.down.close()
        self.up.close()


@dataclass(frozen=True)
class Conservation:
    """Tranche supply across the hub and one spoke (token units).

    ``other_locked`` is what the same gateway holds for its other spokes.
    """

    hub_supply: int
    hub_free: int
    locked: int
    spoke_supply: int
    minting: int
    returning: int
    other_locked: int = 0

    @property
    def ok(self) -> bool:
        """Locked for this spoke = spoke supply + mints and returns in flight, and
        hub free + spoke supply + in flight + other spokes' locked = hub supply."""
        in_flight = self.minting + self.returning
        return (
            self.locked == self.spoke_supply + in_flight
            and self.hub_free + self.spoke_supply + in_flight + self.other_locked == self.hub_supply
        )


def _undelivered(
    origin: EmbeddedChain,
    core: HyperlaneCore,
    dest: EmbeddedChain,
    dest_core: HyperlaneCore,
    sender: str,
) -> list[bytes]:
    """Bodies of ``sender``'s dispatched messages not yet delivered on ``dest``."""
    topic = event_topic("Mailbox", "Dispatch")
    want = address_to_bytes32(sender)
    out = []
    for log in origin.logs(0, origin.latest_block(), [core.mailbox]):
        if not log.topics or log.topics[0] != topic:
            continue
        (raw,) = abi_decode(["bytes"], log.data)
        msg = Message.decode(bytes(raw))
        if msg.sender != want or msg.destination != dest.domain:
            continue
        if not dest.call(dest_core.mailbox, "delivered", [msg.id]):
            out.append(msg.body)
    return out


def conservation(
    hub: EmbeddedChain,
    hub_core: HyperlaneCore,
    spoke: EmbeddedChain,
    spoke_core: HyperlaneCore,
    route: TokenRoute,
) -> Conservation:
    """Σ tranche supply across chains, with what is in flight read from the
    origin Mailboxes' ``Dispatch`` logs and the destinations' ``delivered``."""
    minting = sum(
        abi_decode(_TO_SPOKE, b)[0][4]
        for b in _undelivered(hub, hub_core, spoke, spoke_core, route.gateway)
    )
    returning = sum(
        abi_decode(_TO_HUB, b)[0][1]
        for b in _undelivered(spoke, spoke_core, hub, hub_core, route.spoke_token)
    )
    supply = int(hub.call(route.hub_token, "totalSupply"))
    held = int(hub.call(route.hub_token, "balanceOf", [route.gateway]))
    locked = int(hub.call(route.gateway, "locked", [route.spoke_domain]))
    return Conservation(
        hub_supply=supply,
        hub_free=supply - held,
        locked=locked,
        spoke_supply=int(spoke.call(route.spoke_token, "totalSupply")),
        minting=minting,
        returning=returning,
        # the gateway's own books for its other spokes; `held` is the token's
        other_locked=int(hub.call(route.gateway, "total_locked")) - locked,
    )


def measure_token_leg(net: Any, route: TokenRoute, holder: str, amount: int) -> dict[str, int]:
    """Whole-transaction gas of one tranche-token round trip.

    ``net`` is a :class:`Lanes`; ``holder`` holds ``amount`` tranche tokens on
    the hub. Returns ``send`` (hub ``TrancheGateway.send``, incl. the warp leg
    when cash is owed), ``deliver`` (spoke ``Mailbox.process`` of the mint),
    ``return`` (spoke ``send_home``) and ``release`` (hub ``process``).
    """
    lanes: Lanes = net
    send = send_to_spoke(lanes.hub, route, holder, holder, amount).gas_used
    lanes.step(1)
    deliver = _last_gas(lanes.down)
    ret = send_home(lanes.spoke, route, holder, holder, amount).gas_used
    lanes.step(1)
    release = _last_gas(lanes.up)
    return {"send": send, "deliver": deliver, "return": ret, "release": release}


def _last_gas(r: Relayer) -> int:
    done = [d for d in r.deliveries() if d.status == "delivered" and d.gas_used]
    if not done:
        raise BridgeError("no delivery measured: the relayer delivered nothing")
    return int(done[-1].gas_used or 0)

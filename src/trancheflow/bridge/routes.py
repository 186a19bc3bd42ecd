"""Report routes: a SpokeOutbox per spoke, one HubInbox on the hub, per deal.

The Vyper contracts live in ``chain/contracts/bridge/``; the Python mirror of
the hub's summing rule is :class:`~trancheflow.bridge.aggregate.HubLedger`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_hash.auto import keccak

from trancheflow.bridge.chain import EmbeddedChain, HyperlaneCore
from trancheflow.chain.reports import ServicerReport
from trancheflow.errors import BridgeError

__all__ = [
    "CONTRACTS",
    "ReportRoute",
    "deal_id",
    "deploy_inbox",
    "deploy_outbox",
    "open_deal",
    "summed_report",
]

#: The bridge's Vyper sources.
CONTRACTS = Path(__file__).resolve().parents[1] / "chain" / "contracts" / "bridge"


def deal_id(name: str) -> bytes:
    """The 32-byte deal id the routes use: ``keccak256(name)``.

    Examples
    --------
    >>> deal_id("demo").hex()[:8]
    '3a784687'
    """
    if not name:
        raise BridgeError("deal name: must not be empty")
    return bytes(keccak(name.encode()))


@dataclass(frozen=True)
class ReportRoute:
    """One spoke's outbox for one deal."""

    domain: int
    outbox: str
    deal: bytes


def deploy_inbox(hub: EmbeddedChain, core: HyperlaneCore) -> str:
    """Deploy a HubInbox on the hub's Mailbox (the deployer owns it)."""
    return hub.deploy_vyper(CONTRACTS / "HubInbox.vy", [core.mailbox])


def deploy_outbox(
    spoke: EmbeddedChain,
    core: HyperlaneCore,
    hub_domain: int,
    inbox: str,
    deal: bytes,
    servicer: str,
) -> ReportRoute:
    """Deploy a SpokeOutbox for ``deal`` that only ``servicer`` can send through."""
    out = spoke.deploy_vyper(
        CONTRACTS / "SpokeOutbox.vy", [core.mailbox, hub_domain, inbox, deal, servicer]
    )
    return ReportRoute(spoke.domain, out, deal)


def open_deal(
    hub: EmbeddedChain,
    inbox: str,
    deal: bytes,
    routes: Sequence[ReportRoute],
    first_deadline: int,
    period_seconds: int,
) -> None:
    """Allowlist the spokes' outboxes for ``deal`` and open its period 1."""
    hub.transact(
        inbox,
        "open_deal",
        [
            deal,
            [r.domain for r in routes],
            [r.outbox for r in routes],
            first_deadline,
            period_seconds,
        ],
    )


def summed_report(hub: EmbeddedChain, inbox: str, deal: bytes, period: int) -> ServicerReport:
    """The inbox's summed report for ``period`` as a :class:`ServicerReport`."""
    vals = list(hub.call(inbox, "summed_report", [deal, period]))
    vals[-1] = bytes(vals[-1])
    return ServicerReport(*vals)

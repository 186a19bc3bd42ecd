"""The hub deal: a :class:`~trancheflow.chain.client.DealHandle` whose reports
arrive from spokes.

A hub deal is deployed with the ``HubReportOracle`` blueprint
(``chain/contracts/bridge/HubReportOracle.vy``): the same oracle as a
single-chain deal plus a *hub-reporter* path. :func:`bind_hub_deal` makes that
oracle the deal's servicer and binds it, once, to a ``HubInbox`` and the deal's
id there; each spoke's cash reaches it through the settlement token's warp
route into the spoke's ``InboundLimiter`` (beneficiary: the oracle).
:func:`push_report` then stages the inbox's summed report of a closed period,
paid from the released cash, with no oracle signer key involved: each spoke
report in the sum was verified by that spoke's own Hyperlane validator quorum.
The EIP-712 signed path stays open (the owner can set an EOA servicer back),
so a stalled route cannot freeze the deal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from trancheflow.bridge.routes import CONTRACTS
from trancheflow.chain.backends import TxResult

__all__ = [
    "HUB_ORACLE",
    "bind_hub_deal",
    "deploy_limiter",
    "push_report",
    "release_all",
]

#: The oracle blueprint a hub deal is deployed with (``DealClient.deploy_deal``).
HUB_ORACLE = "HubReportOracle"


class _Backend(Protocol):
    def transact(
        self, name: str, address: str, fn: str, args: Sequence[Any], *, sender: str | None = None
    ) -> TxResult: ...

    def call(self, name: str, address: str, fn: str, args: Sequence[Any] = ()) -> Any: ...


class _Chain(Protocol):
    def deploy_vyper(
        self, source: Any, args: Sequence[Any] = (), *, sender: str | None = None
    ) -> str: ...

    def call(self, address: str, fn: str, args: Sequence[Any] = ()) -> Any: ...

    def transact(
        self, address: str, fn: str, args: Sequence[Any] = (), *, sender: str | None = None
    ) -> TxResult: ...


def bind_hub_deal(
    backend: _Backend,
    deal: str,
    oracle: str,
    inbox: str,
    deal_id: bytes,
    *,
    sender: str | None = None,
) -> None:
    """Make the deal's ``HubReportOracle`` its servicer and bind it to ``inbox``.

    ``sender`` must be the deal's owner. Raises
    :class:`~trancheflow.errors.ChainError` on a revert (the oracle is not a
    ``HubReportOracle``, the inbox is already bound, a report is pending).
    """
    backend.transact("Deal", deal, "set_servicer", [oracle], sender=sender)
    backend.transact(HUB_ORACLE, oracle, "bind_inbox", [inbox, deal_id], sender=sender)


def deploy_limiter(chain: _Chain, token: str, beneficiary: str, capacity: int, rate: int) -> str:
    """A spoke's ``InboundLimiter`` on the hub: a token bucket of ``capacity``
    units refilled at ``rate`` units per second, releasing to ``beneficiary``
    (the hub deal's oracle)."""
    return chain.deploy_vyper(CONTRACTS / "InboundLimiter.vy", [token, beneficiary, capacity, rate])


def release_all(chain: _Chain, limiters: Sequence[str]) -> int:
    """Call ``release`` on each unpaused limiter; the total released now."""
    total = 0
    for lim in limiters:
        if chain.call(lim, "paused"):
            continue
        before = int(chain.call(lim, "released_total"))
        chain.transact(lim, "release")
        total += int(chain.call(lim, "released_total")) - before
    return total


def push_report(
    backend: _Backend, oracle: str, period: int, *, sender: str | None = None
) -> TxResult:
    """Stage the inbox's summed report for ``period`` on the deal (anyone may send)."""
    return backend.transact(HUB_ORACLE, oracle, "push_report", [period], sender=sender)

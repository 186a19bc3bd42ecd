"""A development sandbox for the market: one tranche token on a stand-in deal.

``MarketSandbox`` deploys, on titanoboa's in-process EVM, a mock settlement
token, ``MockMarketDeal`` (TEST ONLY: the test or benchmark sets the tranche's
balance and distributions directly instead of running servicer reports), the
real ``TrancheToken`` and ``Compliance`` contracts, and a ``TrancheMarket``
registered with the compliance contract as an admitted holder (the venue).
Tests and ``bench/market.py`` use it; production pools attach to a real deal
through :func:`deploy_market`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from trancheflow.chain.compile import CONTRACTS_DIR, load_partial
from trancheflow.market.pool import PERIOD_S

MARKET_DIR = Path(CONTRACTS_DIR) / "market"
UNIT = 10**6
JURISDICTION = 840
FAR_FUTURE = 2**63


@cache
def load_market(name: str) -> Any:
    """The titanoboa deployer of ``TrancheMarket`` or ``mocks/MockMarketDeal``."""
    import boa

    return boa.load_partial(str(MARKET_DIR / f"{name}.vy"))


@cache
def _load_compliance() -> Any:
    import boa

    return boa.load_partial(str(Path(CONTRACTS_DIR) / "compliance" / "Compliance.vy"))


def deploy_market(
    token: str,
    cash: str,
    *,
    amp: int = 20,
    fee_bps: int = 10,
    twap_window: int = 3_600,
    core_bps: int = 5_000,
    period_s: int = PERIOD_S,
) -> Any:
    """Deploys a TrancheMarket for tranche ``token`` against ``cash`` (titanoboa).

    ``core_bps`` of each seed goes to the concentrated core (``amp``), the rest
    to the constant-product tail; ``period_s`` is the accrual period.
    """
    return load_market("TrancheMarket").deploy(
        token, cash, amp, fee_bps, twap_window, core_bps, period_s
    )


class MarketSandbox:
    """Token + compliance + pool on a mock deal (development and tests only).

    Parameters
    ----------
    face : int
        Original face of the tranche (settlement units).
    amp, fee_bps, twap_window, core_bps, period_s : int
        Pool parameters (see :func:`deploy_market`).
    coupon : int
        The stand-in tranche's annual coupon at 1e9 (default 5%).
    accrual : bool
        Whether the stand-in tranche is an accrual (Z) tranche.
    """

    def __init__(
        self,
        face: int = 1_000_000 * UNIT,
        *,
        amp: int = 20,
        fee_bps: int = 10,
        twap_window: int = 3_600,
        core_bps: int = 5_000,
        period_s: int = PERIOD_S,
        coupon: int = 50_000_000,
        accrual: bool = False,
    ) -> None:
        import boa

        self.face = face
        self.owner = str(boa.env.generate_address("market-owner"))
        self.issuer = str(boa.env.generate_address("market-issuer"))
        with boa.env.prank(self.owner):
            self.usdc = load_partial("MockUSDC").deploy()
            self.deal = load_market("mocks/MockMarketDeal").deploy(self.usdc.address)
            self.compliance = _load_compliance().deploy(self.owner, self.owner)
        with boa.env.prank(self.deal.address):
            self.token = load_partial("TrancheToken").deploy(
                "Class A", "A", 6, 0, face, self.compliance.address
            )
        with boa.env.prank(self.owner):
            self.compliance.set_rules(self.token.address, 1, 0, 0, 0)
            self.compliance.set_jurisdiction(self.token.address, JURISDICTION, True)
            self.deal.attach(0, self.token.address, face, self.issuer)
            self.deal.set_coupon(0, coupon, accrual)
            self.pool = deploy_market(
                self.token.address,
                self.usdc.address,
                amp=amp,
                fee_bps=fee_bps,
                twap_window=twap_window,
                core_bps=core_bps,
                period_s=period_s,
            )
        self.admit(self.issuer)
        self.admit(self.pool.address)  # the pool holds an identity and is a registered venue
        with boa.env.prank(self.owner):
            self.compliance.set_venue(self.token.address, self.pool.address, True)
        self.usdc.mint(self.deal.address, 10**30)

    def admit(self, who: str, jurisdiction: int = JURISDICTION) -> None:
        """Registers ``who`` as an accredited investor (valid for ever)."""
        import boa

        with boa.env.prank(self.owner):
            self.compliance.register(who, jurisdiction, 1, FAR_FUTURE)

    def fund(self, who: str, tokens: int = 0, cash: int = 0) -> None:
        """Gives ``who`` tranche tokens (from the issuer) and cash, both approved to the pool."""
        import boa

        if tokens:
            with boa.env.prank(self.issuer):
                self.token.transfer(who, tokens)
        if cash:
            self.usdc.mint(who, cash)
        with boa.env.prank(who):
            self.token.approve(self.pool.address, 2**256 - 1)
            self.usdc.approve(self.pool.address, 2**256 - 1)

    def period(self, new_balance: int, cash: int) -> None:
        """A finalized period of the stand-in deal."""
        self.deal.period(0, new_balance, cash)

    def balance(self) -> int:
        """The tranche's current balance."""
        return int(self.deal.tranche_balance(0))

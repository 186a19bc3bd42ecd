"""Fixtures for the insurance-fund tests: USDC, a mock deal and the fund it is bound to.

Fund: decimals offset 6, cooldown 7 days, redeem window 2 days, cover cap 50,000 USDC per period.
Underwriters ``uw1``..``uw3`` hold 1,000,000 USDC each, approved to the fund.
"""

from __future__ import annotations

from typing import Any

import boa
import pytest

from trancheflow.chain.compile import CONTRACTS_DIR, load_partial

UNIT = 10**6
COOLDOWN = 7 * 86_400
WINDOW = 2 * 86_400
CAP = 50_000 * UNIT
OFFSET = 6
FUND = str(CONTRACTS_DIR / "insurance" / "InsuranceFund.vy")
MOCK_DEAL = str(CONTRACTS_DIR / "insurance" / "mocks" / "MockInsuredDeal.vy")
BALANCE_VAULT = str(CONTRACTS_DIR / "insurance" / "mocks" / "BalanceVault.vy")


class FundEnv:
    def __init__(self, offset: int = OFFSET) -> None:
        a = boa.env.generate_address
        self.owner = a("owner")
        self.usdc = load_partial("MockUSDC").deploy()
        with boa.env.prank(self.owner):
            self.fund = boa.load_partial(FUND).deploy(
                self.usdc.address, offset, COOLDOWN, WINDOW, CAP, "TF first loss", "TFFL"
            )
            self.deal = boa.load_partial(MOCK_DEAL).deploy()
            self.fund.set_deal(self.deal.address)
        self.usdc.mint(self.deal.address, 10**9 * UNIT)
        self.uw = [a(f"uw{i}") for i in range(1, 4)]
        for u in self.uw:
            self.usdc.mint(u, 1_000_000 * UNIT)
            with boa.env.prank(u):
                self.usdc.approve(self.fund.address, 2**256 - 1)

    def deposit(self, who: Any, assets: int) -> int:
        with boa.env.prank(who):
            return int(self.fund.deposit(assets, who))

    def request(self, who: Any, shares: int | None = None) -> int:
        s = int(self.fund.balanceOf(who)) if shares is None else shares
        with boa.env.prank(who):
            self.fund.request_redeem(s)
        return s

    def redeem(self, who: Any, shares: int) -> int:
        with boa.env.prank(who):
            return int(self.fund.redeem(shares, who, who))

    def exit(self, who: Any) -> int:
        """Request everything, wait the cooldown, redeem; returns the assets paid."""
        s = self.request(who)
        boa.env.time_travel(seconds=COOLDOWN)
        return self.redeem(who, s)


@pytest.fixture(scope="module")
def env() -> FundEnv:
    return FundEnv()

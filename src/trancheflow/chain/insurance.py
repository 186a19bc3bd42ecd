"""The first-loss (insurance) fund of an on-chain deal: deploy, bind, read.

The fund (``insurance/InsuranceFund.vy``, an ERC-4626 vault over the
settlement token) is deployed BEFORE the deal, because the deal takes its
address at construction (``DealConfig.insurance_fund``); the fund's owner
then binds it to the deal once (``set_deal``). :func:`deploy_insured_deal`
does the three steps. For one period the waterfall needs
``insurance_available`` (docs/waterfall.md, "Insurance (first-loss) fund"),
which :func:`insurance_available` reads from the fund (``cover_room``: its
tracked assets, limited by the cover cap left for the period the deal will
finalize next).

Examples
--------
>>> import boa
>>> from trancheflow.chain.deploy import DealConfig, TrancheConfig
>>> cfg = DealConfig(pool_balance=10**9, tranches=(TrancheConfig("A", "A", 9 * 10**8, 0),),
...                  signers=("0x" + "aa" * 20,), servicer="0x" + "bb" * 20)
>>> with boa.env.anchor():
...     d, fund = deploy_insured_deal(cfg, premium_rate=500_000, cap_per_period=10**6)
...     (d.deal.insurance_fund() == fund.address, fund.deal() == d.deal.address,
...      insurance_available(fund))
(True, True, 0)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from trancheflow.chain.compile import CONTRACTS_DIR, load_partial
from trancheflow.chain.deploy import DealConfig, DeployedDeal, deploy_deal
from trancheflow.errors import ChainError

__all__ = ["NO_CAP", "deploy_insurance_fund", "deploy_insured_deal", "insurance_available"]

#: The fund's ``cap_per_period`` meaning "no cap" (a spec cap of 0 / absent).
NO_CAP = 2**256 - 1

_FUND = CONTRACTS_DIR / "insurance" / "InsuranceFund.vy"


def deploy_insurance_fund(
    settlement: Any,
    *,
    cap_per_period: int = 0,
    cooldown: int = 7 * 86_400,
    redeem_window: int = 2 * 86_400,
    decimals_offset: int = 6,
    name: str = "trancheflow first loss",
    symbol: str = "TFFL",
    owner: str | None = None,
) -> Any:
    """Deploy an ``InsuranceFund`` over ``settlement`` in the current ``boa.env``.

    Parameters
    ----------
    settlement : contract or str
        The deal's settlement token.
    cap_per_period : int
        Maximum cover per deal period (units); 0 means no cap (as in the
        spec's ``insurance.cap_per_period``).
    cooldown : int
        Seconds from a redemption request to its payout.
    redeem_window : int
        Seconds a matured request stays redeemable before it expires (> 0).
    decimals_offset : int
        Share decimals above the asset's (virtual shares ``10**offset``).
    name, symbol : str
        Share token name (<= 25 bytes) and symbol (<= 5 bytes).
    owner : str, optional
        Deployer and owner (default ``boa.env.eoa``); hand it to governance.

    Raises
    ------
    ChainError
        When ``cap_per_period`` or ``cooldown`` is negative or
        ``redeem_window`` is not positive.
    """
    import boa

    if cap_per_period < 0 or cooldown < 0 or redeem_window <= 0:
        raise ChainError(
            f"insurance fund: cap_per_period={cap_per_period} and cooldown={cooldown} must be "
            f">= 0 and redeem_window={redeem_window} > 0"
        )
    cap = NO_CAP if cap_per_period == 0 else cap_per_period
    partial = boa.load_partial(str(_FUND))
    addr = str(getattr(settlement, "address", settlement))
    with boa.env.prank(owner or boa.env.eoa):
        return partial.deploy(addr, decimals_offset, cooldown, redeem_window, cap, name, symbol)


def deploy_insured_deal(
    config: DealConfig,
    *,
    premium_rate: int,
    cap_per_period: int = 0,
    cooldown: int = 7 * 86_400,
    settlement: Any = None,
    issuer: str | None = None,
    owner: str | None = None,
    **fund_kwargs: Any,
) -> tuple[DeployedDeal, Any]:
    """Deploy a fund, then the deal pointing at it, then bind the fund to the deal.

    ``premium_rate`` is the annual premium on the pool balance x 1e9 (spec
    ``insurance.premium_rate``); ``cap_per_period`` the cover cap in units
    (0 = none). ``owner`` deploys and owns both. Returns the deployed deal
    and the fund contract.
    """
    import boa

    if settlement is None:
        settlement = load_partial("MockUSDC").deploy()
    who = owner or boa.env.eoa
    fund = deploy_insurance_fund(
        settlement, cap_per_period=cap_per_period, cooldown=cooldown, owner=who, **fund_kwargs
    )
    cfg = replace(config, insurance_fund=str(fund.address), insurance_premium_rate=premium_rate)
    d = deploy_deal(cfg, settlement=settlement, issuer=issuer, owner=who)
    with boa.env.prank(who):
        fund.set_deal(d.deal.address)
    return d, fund


def insurance_available(fund: Any) -> int:
    """What the fund can pay toward the deal's next finalized period (units).

    ``min(tracked assets, cover cap left this period)``, the exact
    waterfall's ``PeriodInput.insurance_available`` for parity.
    """
    return int(fund.cover_room())

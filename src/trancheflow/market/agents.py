"""Traders around a TrancheMarket pool on a running deal (issue 11).

:class:`PoolDesk` deploys one pool for a tranche of a deployed deal, seeds it
from a liquidity provider, and each period lets investors rebalance through
it (noise swaps with a minimum output and a deadline) and an arbitrage agent
trade the pool's price toward the model's fair value, then measures the pool:
price, TWAP, depth, volume and the LP's value against holding the seed.

Every transaction goes through :class:`~trancheflow.market.client.MarketClient`
(quotes are the contract's exact math, via its mirror). The agents are
illustrative: fixed rules, seeded random sizes, development accounts funded
by the settlement mock.

Examples
--------
>>> target_trade(spot=95.0, fair=96.0, band_bp=15)
'buy'
>>> target_trade(spot=96.05, fair=96.0, band_bp=15) is None
True
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trancheflow.errors import MarketError
from trancheflow.market.client import MarketClient
from trancheflow.market.pool import PRICE_SCALE

#: A month of seconds: the pool's TWAP window in the demo (monthly trading).
MONTH = 30 * 86_400


#: Constructor values by parameter name (the pool's ABI says which it takes, in order).
POOL_DEFAULTS: dict[str, int] = {
    "amp": 20,
    "fee_bps": 10,
    "twap_window": MONTH,
    "core_bps": 5_000,
    "period": MONTH,
}


def pool_constructor_args(token: str, cash: str, **overrides: int) -> list[Any]:
    """Constructor arguments of ``TrancheMarket``, in the order its ABI declares them.

    Parameters other than ``token`` and ``cash`` come from ``overrides`` or
    :data:`POOL_DEFAULTS`.

    Raises
    ------
    MarketError
        The contract takes a parameter this module has no value for.
    """
    from trancheflow.chain.backends import artifact

    ctor = next(f for f in artifact("TrancheMarket").abi if f["type"] == "constructor")
    values: dict[str, Any] = {**POOL_DEFAULTS, **overrides, "token": token, "cash": cash}
    args = []
    for inp in ctor["inputs"]:
        if inp["name"] not in values:
            raise MarketError(f"TrancheMarket constructor parameter {inp['name']!r}: no value")
        args.append(values[inp["name"]])
    return args


def deploy_pool(
    backend: Any, token: str, cash: str, *, sender: str | None = None, **params: int
) -> MarketClient:
    """Deploys a TrancheMarket for ``token`` against ``cash`` on ``backend``.

    ``params`` override :data:`POOL_DEFAULTS` (``amp``, ``fee_bps``,
    ``twap_window``...). The pool reads its deal, tranche id and face from
    the token. A deal with a compliance contract must also register the pool
    as a venue (its owner's transaction); the demo deal has none.
    """
    args = pool_constructor_args(token, cash, **params)
    tx = backend.deploy("TrancheMarket", args, sender=sender)
    return MarketClient(backend, str(tx.contract_address))


def target_trade(spot: float, fair: float, band_bp: float) -> str | None:
    """``buy`` when the pool is cheaper than ``fair`` by more than ``band_bp``, ``sell`` when
    richer, else None."""
    gap = (spot - fair) / fair * 1e4
    if gap < -band_bp:
        return "buy"
    if gap > band_bp:
        return "sell"
    return None


def size_to_price(m: Any, side: str, target: float, cap: int, now: int = 0) -> int:
    """Largest input (at most ``cap``) whose trade at time ``now`` leaves the mirror's clean
    spot at most at ``target`` when buying, at least when selling (bisection on copies of
    ``m``, a :class:`~trancheflow.market.pool.PoolMirror`)."""

    def after(x: int) -> float:
        c = copy.deepcopy(m)
        if (c.quote_buy(x, now) if side == "buy" else c.quote_sell(x, now)) == 0:
            return float("nan")
        if side == "buy":
            c.buy(x, 0, now)
        else:
            c.sell(x, 0, now)
        return float(c.spot_price()) / PRICE_SCALE

    lo, hi = 0, int(cap)
    while hi - lo > max(1, cap // 10_000):
        mid = (lo + hi) // 2
        p = after(mid)
        if p == p and (p <= target if side == "buy" else p >= target):
            lo = mid
        else:
            hi = mid
    return lo


@dataclass
class PeriodFigures:
    """One period of a pool: prices per 100 of current face, amounts in units."""

    price: float
    twap: float
    fair: float
    rich_cheap_bp: float
    depth_bid: int
    depth_ask: int
    volume: int
    swaps: int
    arb_side: str | None
    lp_value: float
    hold_value: float
    factor: float
    price_pre_arb: float = 0.0

    @property
    def rich_cheap_pre_arb_bp(self) -> float:
        """Rich/cheap after the investors' trades, before the arbitrage agent's."""
        return (self.price_pre_arb - self.fair) / self.fair * 1e4 if self.fair else 0.0

    @property
    def lp_vs_hold_pct(self) -> float:
        """LP value against holding the seed, percent."""
        return (self.lp_value / self.hold_value - 1.0) * 100 if self.hold_value else 0.0


@dataclass
class PoolDesk:
    """One tranche's pool on a deal, its LP, traders and measurements.

    Parameters
    ----------
    market : MarketClient
        The deployed pool.
    tranche : str
        Tranche name.
    settlement : str
        The settlement token (a ``MockUSDC``: the agents' cash is minted).
    lp, arb : str
        Accounts of the liquidity provider and the arbitrage agent.
    """

    market: MarketClient
    tranche: str
    settlement: str
    lp: str
    arb: str
    seed_tokens: int = 0
    seed_cash: int = 0
    lp_received: int = 0
    hold_distributions: float = 0.0
    figures: dict[int, PeriodFigures] = field(default_factory=dict)
    failed_swaps: int = 0
    pre_arb: float = 0.0

    # ------------------------------------------------------------- set-up
    def seed(self, client: Any, tokens: int, price_per_100: float) -> None:
        """The LP (holding ``tokens``) seeds the pool at ``price_per_100`` of current face
        with cash minted by the settlement mock."""
        factor = self.market.balance() / self.market.face
        cash = int(tokens * factor * price_per_100 / 100)
        if tokens <= 0 or cash <= 0:
            raise MarketError(f"{self.tranche}: nothing to seed the pool with")
        client.mint_mock(self.settlement, self.lp, cash)
        self.market.add(0, tokens, cash, sender=self.lp)
        self.seed_tokens, self.seed_cash = tokens, cash

    # ------------------------------------------------------------- trading
    def _swap(self, side: str, amount: int, sender: str) -> int:
        try:
            self.market.swap(side, amount, slippage_bps=50, ttl_s=600, sender=sender)
        except Exception:  # a swap the pool refuses never stops the deal
            self.failed_swaps += 1
            return 0
        return amount

    def rebalance(
        self, client: Any, handle: Any, investors: list[str], rng: np.random.Generator
    ) -> tuple[int, int]:
        """Investors buy or sell small amounts through the pool (seeded random).

        Returns (swaps done, volume in cash units).
        """
        st = self.market.status()
        depth = st.cash + st.current_face * st.spot_per_100 / 100
        swaps = volume = 0
        for who in investors:
            if rng.random() >= 0.5:
                continue
            size = int(depth * rng.uniform(0.002, 0.015))
            if rng.random() < 0.5:
                client.mint_mock(self.settlement, who, size)  # the investor's own cash
                done = self._swap("buy", size, who)
                volume += done
            else:
                held = int(handle.balances(who)[self.tranche])
                tokens = min(held, int(size / max(st.factor * st.spot_per_100 / 100, 1e-9)))
                done = self._swap("sell", tokens, who) if tokens > 0 else 0
                volume += int(done * st.factor * st.spot_per_100 / 100)
            swaps += 1 if done else 0
        return swaps, volume

    def arbitrage(
        self, client: Any, handle: Any, fair: float, *, band_bp: float = 15.0
    ) -> tuple[str | None, int]:
        """The arbitrage agent trades the pool toward ``fair``; returns (side, volume)."""
        m = self.market.mirror()
        now = self.market.now()
        spot = m.spot_price() / PRICE_SCALE
        self.pre_arb = spot
        side = target_trade(spot, fair, band_bp)
        if side is None:
            return None, 0
        if side == "buy":
            cap = int(m.cash * 0.5) + 1
            amount = size_to_price(m, "buy", fair, cap, now)
            if amount > 0:
                client.mint_mock(self.settlement, self.arb, amount)
        else:
            cap = int(handle.balances(self.arb)[self.tranche])
            amount = size_to_price(m, "sell", fair, cap, now) if cap > 0 else 0
        if amount <= 0:
            return None, 0
        done = self._swap(side, amount, self.arb)
        vol = done if side == "buy" else int(done * m.seen_balance / m.face * spot / 100)
        return (side if done else None), vol

    # ------------------------------------------------------------- measuring
    def lp_claim(self, client: Any) -> int:
        """The LP claims the distributions and released cash credited to its shares."""
        before = client.token_balance(self.settlement, self.lp)
        self.market.backend.transact("TrancheMarket", self.market.pool, "claim", [], sender=self.lp)
        got = client.token_balance(self.settlement, self.lp) - before
        self.lp_received += got
        return got

    def measure(
        self,
        period: int,
        fair: float,
        distributed_per_face: float,
        *,
        swaps: int,
        volume: int,
        arb_side: str | None,
    ) -> PeriodFigures:
        """The period's figures (after trading and the LP's claim).

        ``distributed_per_face`` is what one unit of original face received this
        period (interest + principal), for the hold-the-seed benchmark.
        """
        st = self.market.status()
        px = st.spot_per_100
        self.hold_distributions += self.seed_tokens * distributed_per_face
        share = self._lp_share(st.shares)
        pool_value = st.cash + st.current_face * px / 100
        lp_value = share * pool_value + self.lp_received
        hold_value = self.seed_cash + self.seed_tokens * st.factor * px / 100
        hold_value += self.hold_distributions
        f = PeriodFigures(
            price=px,
            twap=st.twap_per_100,
            fair=fair,
            rich_cheap_bp=(px - fair) / fair * 1e4 if fair else 0.0,
            depth_bid=st.cash,
            depth_ask=int(st.current_face * px / 100),
            volume=volume,
            swaps=swaps,
            arb_side=arb_side,
            lp_value=lp_value,
            hold_value=hold_value,
            factor=st.factor,
            price_pre_arb=self.pre_arb or px,
        )
        self.figures[period] = f
        return f

    def _lp_share(self, supply: int) -> float:
        if supply == 0:
            return 0.0
        held = int(
            self.market.backend.call("TrancheMarket", self.market.pool, "balanceOf", [self.lp])
        )
        return held / supply

"""Client for a deployed TrancheMarket through any chain backend (issue 11).

:class:`MarketClient` reads a pool's state into a :class:`PoolMirror` (with the
sync the next transaction will perform applied: the tranche's current balance
and the distributions waiting at the token), so quotes are exactly what the
contract will pay unless the state changes first. Transactions approve the pool
for the exact input and send with a minimum-out and a deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trancheflow.errors import MarketError
from trancheflow.market.pool import PRICE_SCALE, PoolMirror

ERC20 = "MockUSDC"  # any ERC-20's approve/balanceOf/decimals have this ABI
SIDES = ("buy", "sell")


@dataclass(frozen=True)
class PoolStatus:
    """A pool's depth and prices (units of the settlement token and tranche)."""

    pool: str
    token: str
    cash_token: str
    tokens: int
    current_face: int
    cash: int
    shares: int
    factor: float
    spot_per_100: float
    twap_per_100: float
    fee_bps: int
    amp: int
    pending_distribution: int
    accrued_per_100: float = 0.0
    core_bps: int = 0
    receivable: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return dict(self.__dict__)


class MarketClient:
    """One TrancheMarket on ``backend`` (a :mod:`trancheflow.chain.backends` backend)."""

    def __init__(self, backend: Any, pool: str) -> None:
        self.backend = backend
        self.pool = pool
        try:
            self.token = str(self._call("TOKEN"))
            self.cash_token = str(self._call("CASH"))
            self.deal = str(self._call("DEAL"))
        except Exception as exc:  # any failure means: not a pool
            raise MarketError(f"--pool {pool}: not a TrancheMarket ({exc})") from None
        self.tranche_id = int(self._call("TRANCHE_ID"))
        self.face = int(self._call("FACE"))

    def _call(self, fn: str, *args: Any) -> Any:
        return self.backend.call("TrancheMarket", self.pool, fn, list(args))

    def _send(self, fn: str, *args: Any, sender: str | None = None) -> Any:
        return self.backend.transact("TrancheMarket", self.pool, fn, list(args), sender=sender)

    # ------------------------------------------------------------- reads
    def balance(self) -> int:
        """The tranche's current balance, read from the deal."""
        return int(self.backend.call("Deal", self.deal, "tranche_balance", [self.tranche_id]))

    def mirror(self) -> PoolMirror:
        """The pool's state with the next sync applied (exact quotes at the backend's time)."""
        tc, yc, ac, bc, tf, yf, bf = (int(v) for v in self._call("positions"))
        q, start = (int(v) for v in self._call("accrual"))
        seen, seen_idx = (int(v) for v in self._call("seen"))
        m = PoolMirror(
            face=self.face,
            amp=int(self._call("AMP")),
            fee_bps=int(self._call("FEE_BPS")),
            core_bps=int(self._call("CORE_BPS")),
            coupon=int(self._call("COUPON")),
            period_s=int(self._call("PERIOD")),
            tc=tc,
            yc=yc,
            ac=ac,
            bc=bc,
            tf=tf,
            yf=yf,
            bf=bf,
            q=q,
            acc_start=start,
            seen_balance=seen,
            supply=int(self._call("totalSupply")),
            lp_index=int(self._call("lp_index")),
            lp_dust=int(self._call("lp_dust")),
        )
        claim = int(self.backend.call("TrancheToken", self.token, "claimable", [self.pool]))
        bal = self.balance()
        idx = int(self.backend.call("TrancheToken", self.token, "index", []))
        m.sync(bal, claim, now=self.now(), moved=(bal, idx) != (seen, seen_idx))
        return m

    def now(self) -> int:
        """The backend's current timestamp (what the next transaction sees, at least)."""
        return int(self.backend.timestamp())

    def status(self) -> PoolStatus:
        """Depth, price and TWAP (prices per 100 of current face)."""
        m = self.mirror()
        return PoolStatus(
            pool=self.pool,
            token=self.token,
            cash_token=self.cash_token,
            tokens=m.tokens,
            current_face=m.current_face(),
            cash=m.cash,
            shares=m.supply,
            factor=m.seen_balance / self.face,
            spot_per_100=m.spot_price() / PRICE_SCALE,
            twap_per_100=int(self._call("twap")) / PRICE_SCALE,
            fee_bps=m.fee_bps,
            amp=m.amp,
            pending_distribution=int(
                self.backend.call("TrancheToken", self.token, "claimable", [self.pool])
            ),
            accrued_per_100=m.accrued_per_100(self.now()) / PRICE_SCALE,
            core_bps=m.core_bps,
            receivable=m.q,
        )

    def quote(self, side: str, amount: int) -> int:
        """Output of ``side`` (``buy``: cash in, tokens out; ``sell``: tokens in, cash out)."""
        if side not in SIDES:
            raise MarketError(f"side {side!r}: expected one of {', '.join(SIDES)}")
        m = self.mirror()
        now = self.now()
        out = m.quote_buy(amount, now) if side == "buy" else m.quote_sell(amount, now)
        if out == 0:
            raise MarketError(f"{side} {amount}: the pool cannot fill it (output 0 or above depth)")
        return out

    # ------------------------------------------------------------- transactions
    def _approve(self, token: str, name: str, amount: int, sender: str | None) -> None:
        self.backend.transact(name, token, "approve", [self.pool, amount], sender=sender)

    def swap(
        self, side: str, amount: int, *, slippage_bps: int = 50, ttl_s: int = 600,
        sender: str | None = None,
    ) -> int:  # fmt: skip
        """Swap with min-out = quote less ``slippage_bps`` and a deadline ``ttl_s`` ahead."""
        if not 0 <= slippage_bps < 10_000:
            raise MarketError(f"slippage {slippage_bps} bp: must be within 0..9999")
        out = self.quote(side, amount)
        min_out = out * (10_000 - slippage_bps) // 10_000
        deadline = int(self.backend.timestamp()) + ttl_s
        if side == "buy":
            self._approve(self.cash_token, ERC20, amount, sender)
            self._send("buy", amount, min_out, deadline, sender=sender)
        else:
            self._approve(self.token, "TrancheToken", amount, sender)
            self._send("sell", amount, min_out, deadline, sender=sender)
        return out

    def add(
        self, shares: int, max_tokens: int, max_cash: int, *, sender: str | None = None
    ) -> None:
        """Adds liquidity (seeds with exactly ``max_tokens``/``max_cash`` when empty)."""
        self._approve(self.token, "TrancheToken", max_tokens, sender)
        self._approve(self.cash_token, ERC20, max_cash, sender)
        deadline = int(self.backend.timestamp()) + 600
        self._send("add_liquidity", shares, max_tokens, max_cash, deadline, sender=sender)

    def remove(
        self, shares: int, *, min_tokens: int = 0, min_cash: int = 0, sender: str | None = None
    ) -> None:
        """Removes liquidity."""
        deadline = int(self.backend.timestamp()) + 600
        self._send("remove_liquidity", shares, min_tokens, min_cash, deadline, sender=sender)

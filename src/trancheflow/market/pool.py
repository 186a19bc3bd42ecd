"""Exact integer mirror of ``TrancheMarket.vy`` (issue 11).

Every operation does the contract's arithmetic in the same order with the same
rounding, so a mirror driven by the same calls holds the same state to the
unit (``tests/stateful/test_market_machine.py`` checks it against the contract
after every step).
The mirror knows nothing of compliance: eligibility is the tranche token's
business; the mirror only does the pool's math, which is what the stress
engine and the CLI quotes need.

Curve (see the contract's NatSpec and TECH_SPEC.md, "Secondary market"):
``(T + A) (Y + B)`` with virtual offsets ``A = (amp-1) T0``, ``B = (amp-1) Y0``;
the cash side is scaled by ``balance_now / balance_seen`` when the tranche's
balance falls, the released cash credited to LP shares with the claimed
distributions.

Examples
--------
>>> p = PoolMirror(face=1_000_000, amp=20, fee_bps=10)
>>> p.sync(balance=1_000_000, claimed=0)
0
>>> p.add_liquidity("lp", 0, 100_000, 99_000)
(100000, 99000)
>>> p.spot_price() // 10**16   # 99.00 per 100 of current face
9900
>>> p.sell(1_000)
988
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trancheflow.errors import MarketError

BPS = 10_000
LP_SCALE = 10**27
PRICE_SCALE = 10**18


@dataclass
class PoolMirror:
    """State of one TrancheMarket, in the contract's integer units.

    Parameters
    ----------
    face : int
        The tranche's original face (== token supply).
    amp : int
        Concentration: virtual reserves are ``amp`` x real ones at seeding.
    fee_bps : int
        Swap fee on the input, kept in the reserves.
    """

    face: int
    amp: int = 20
    fee_bps: int = 10
    tokens: int = 0
    cash: int = 0
    off_tokens: int = 0
    off_cash: int = 0
    seen_balance: int = 0
    supply: int = 0
    lp_index: int = 0
    lp_dust: int = 0
    shares: dict[str, int] = field(default_factory=dict)
    lp_accounts: dict[str, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.face <= 0:
            raise MarketError(f"face={self.face}: must be positive")
        if not 1 <= self.amp <= 1000:
            raise MarketError(f"amp={self.amp}: must be within 1..1000")
        if not 0 <= self.fee_bps < 1000:
            raise MarketError(f"fee_bps={self.fee_bps}: must be within 0..999")

    # ------------------------------------------------------------- sync
    def sync(self, balance: int, claimed: int) -> int:
        """The contract's ``_sync`` after the token's claim paid ``claimed``.

        Returns the cash released from the reserves (credited with ``claimed``).
        """
        released = 0
        if self.seen_balance and balance < self.seen_balance:
            ny = self.cash * balance // self.seen_balance
            released = self.cash - ny
            self.cash = ny
            self.off_cash = self.off_cash * balance // self.seen_balance
        self.seen_balance = balance
        credit = claimed + released
        if credit:
            pending = credit + self.lp_dust
            if self.supply == 0:
                self.lp_dust = pending
            else:
                inc = pending * LP_SCALE // self.supply
                self.lp_index += inc
                self.lp_dust = pending - -(-inc * self.supply // LP_SCALE)
        return released

    # ------------------------------------------------------------- quotes
    def quote_sell(self, tokens_in: int) -> int:
        """Cash out for ``tokens_in`` (0 when the pool cannot pay it)."""
        eff = tokens_in * (BPS - self.fee_bps) // BPS
        out = (self.cash + self.off_cash) * eff // (self.tokens + self.off_tokens + eff or 1)
        return out if out <= self.cash else 0

    def quote_buy(self, cash_in: int) -> int:
        """Tokens out for ``cash_in`` (0 when the pool cannot deliver them)."""
        eff = cash_in * (BPS - self.fee_bps) // BPS
        out = (self.tokens + self.off_tokens) * eff // (self.cash + self.off_cash + eff or 1)
        return out if out <= self.tokens else 0

    def _check_live(self) -> None:
        if self.tokens == 0 and self.cash == 0:
            raise MarketError("pool: no liquidity")
        if self.seen_balance == 0:
            raise MarketError("pool: tranche written off")

    def sell(self, tokens_in: int, min_cash_out: int = 0) -> int:
        """Tokens in, cash out (contract ``sell``)."""
        self._check_live()
        out = self.quote_sell(tokens_in)
        if out == 0 or out < min_cash_out:
            raise MarketError(
                f"sell {tokens_in}: output {out} below minimum {max(min_cash_out, 1)}"
            )
        self.tokens += tokens_in
        self.cash -= out
        return out

    def buy(self, cash_in: int, min_tokens_out: int = 0) -> int:
        """Cash in, tokens out (contract ``buy``)."""
        self._check_live()
        out = self.quote_buy(cash_in)
        if out == 0 or out < min_tokens_out:
            raise MarketError(f"buy {cash_in}: output {out} below minimum {max(min_tokens_out, 1)}")
        self.tokens -= out
        self.cash += cash_in
        return out

    # ------------------------------------------------------------- liquidity
    def _settle(self, who: str) -> None:
        last, owed = self.lp_accounts.get(who, (0, 0))
        if last != self.lp_index:
            owed += self.shares.get(who, 0) * (self.lp_index - last) // LP_SCALE
            self.lp_accounts[who] = (self.lp_index, owed)

    def add_liquidity(
        self, who: str, shares: int, max_tokens: int, max_cash: int
    ) -> tuple[int, int]:
        """Contract ``add_liquidity``: (tokens, cash) deposited."""
        if self.seen_balance == 0:
            raise MarketError("add_liquidity: tranche written off")
        if self.supply == 0:
            if max_tokens <= 0 or max_cash <= 0:
                raise MarketError("add_liquidity: seed needs tokens and cash")
            tin, cin, minted = max_tokens, max_cash, max_tokens
            self.off_tokens = (self.amp - 1) * tin
            self.off_cash = (self.amp - 1) * cin
        else:
            if shares <= 0:
                raise MarketError("add_liquidity: zero shares")
            s = self.supply
            tin = -(-self.tokens * shares // s)
            cin = -(-self.cash * shares // s)
            if tin > max_tokens or cin > max_cash:
                raise MarketError(
                    f"add_liquidity: deposit ({tin}, {cin}) above maximum"
                    f" ({max_tokens}, {max_cash})"
                )
            self.off_tokens += self.off_tokens * shares // s
            self.off_cash += self.off_cash * shares // s
            minted = shares
        self._settle(who)
        self.supply += minted
        self.shares[who] = self.shares.get(who, 0) + minted
        self.tokens += tin
        self.cash += cin
        return tin, cin

    def remove_liquidity(self, who: str, shares: int) -> tuple[int, int]:
        """Contract ``remove_liquidity``: (tokens, cash) paid."""
        if shares <= 0 or shares > self.shares.get(who, 0):
            raise MarketError(f"remove_liquidity: {shares} shares above balance")
        s = self.supply
        tout = self.tokens * shares // s
        cout = self.cash * shares // s
        self.off_tokens -= self.off_tokens * shares // s
        self.off_cash -= self.off_cash * shares // s
        self._settle(who)
        self.shares[who] -= shares
        self.supply -= shares
        self.tokens -= tout
        self.cash -= cout
        return tout, cout

    def transfer(self, sender: str, receiver: str, shares: int) -> None:
        """LP share transfer (settles both sides first)."""
        self._settle(sender)
        self._settle(receiver)
        if self.shares.get(sender, 0) < shares:
            raise MarketError(f"transfer: {shares} shares above balance")
        self.shares[sender] = self.shares.get(sender, 0) - shares
        self.shares[receiver] = self.shares.get(receiver, 0) + shares

    def claim(self, who: str) -> int:
        """Contract ``claim`` after the sync: cash paid to ``who``."""
        self._settle(who)
        last, owed = self.lp_accounts.get(who, (self.lp_index, 0))
        self.lp_accounts[who] = (last, 0)
        return owed

    def claimable(self, who: str) -> int:
        """What ``claim`` would pay ``who`` (as of the last sync)."""
        last, owed = self.lp_accounts.get(who, (0, 0))
        return owed + self.shares.get(who, 0) * (self.lp_index - last) // LP_SCALE

    # ------------------------------------------------------------- prices
    def spot_price(self) -> int:
        """Price per 100 of current face, 1e18 scale (contract ``spot_price``)."""
        den = (self.tokens + self.off_tokens) * self.seen_balance
        if den == 0:
            return 0
        return (self.cash + self.off_cash) * self.face * 100 * PRICE_SCALE // den

    def current_face(self) -> int:
        """The pool's tokens in current face units (rounded down)."""
        return self.tokens * self.seen_balance // self.face

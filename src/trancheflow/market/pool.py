"""Exact integer mirror of ``TrancheMarket.vy`` (issue 11).

Every operation does the contract's arithmetic in the same order with the same
rounding, so a mirror driven by the same calls holds the same state to the
unit (``tests/stateful/test_market_machine.py`` checks it against the contract
after every step).
The mirror knows nothing of compliance: eligibility is the tranche token's
business; the mirror only does the pool's math, which is what the stress
engine and the CLI quotes need.

Curve (see the contract's NatSpec and TECH_SPEC.md, "Secondary market"): two
constant-product positions owned pro rata by the same LP shares,

- the CORE ``(Tc + Ac)(Yc + Bc)`` with virtual offsets ``(amp-1)`` x its seed
  (deep near the seed price, its cash spent within about ``1 - ((amp-1)/amp)**2``
  of it), and
- the TAIL ``Tf (Yf + Bf)`` (plain constant product, ``Bf`` only grows when an
  accrual tranche accretes), which follows the price anywhere.

A trade is split between them in proportion to their virtual reserves while
their prices agree (so together they act as ONE curve with the summed virtual
reserves); the core takes no part once it is exhausted on the trade's side or
its price is on the wrong side of the tail's (it rejoins when the tail's price
comes back). The spot price is the tail's.

Prices are CLEAN: a trade also moves the interest accrued since the last
period event (``coupon x balance / 12`` per period, linear in time, capped at
one period) on the tokens traded; the pool's net accrued paid is a receivable
``q`` settled against the next distribution. A finalize therefore cannot be
sniped: buying before it costs the coupon it pays.

The cash side of both positions is scaled by ``balance_now / balance_seen``
when the tranche's balance moves (down: the released cash is credited to LPs;
up, an accrual tranche: the virtual cash grows), so the price per 100 of
current face does not move.

Examples
--------
>>> p = PoolMirror(face=1_000_000, amp=20, fee_bps=10, core_bps=5_000)
>>> p.sync(balance=1_000_000, claimed=0, now=0)
0
>>> p.add_liquidity("lp", 0, 100_000, 99_000)
(100000, 99000)
>>> p.spot_price() // 10**16   # 99.00 per 100 of current face
9900
>>> p.sell(1_000)
986
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trancheflow.errors import MarketError

BPS = 10_000
LP_SCALE = 10**27
PRICE_SCALE = 10**18
RATE_SCALE = 10**9
#: The core trades beside the tail while its price is within this many bp of the tail's.
TOL_BPS = 1
#: Default accrual period (seconds): 30 days.
PERIOD_S = 30 * 86_400


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


@dataclass
class PoolMirror:
    """State of one TrancheMarket, in the contract's integer units.

    Parameters
    ----------
    face : int
        The tranche's original face (== token supply).
    amp : int
        Concentration of the core: its virtual reserves are ``amp`` x its seed.
    fee_bps : int
        Swap fee on the input, kept in the reserves.
    core_bps : int
        Share of the seed put in the core (the rest is the constant-product tail).
    coupon : int
        The tranche's annual coupon at ``RATE_SCALE`` (1e9), read from the deal.
    period_s : int
        Seconds over which one period's coupon accrues.
    """

    face: int
    amp: int = 20
    fee_bps: int = 10
    core_bps: int = 5_000
    coupon: int = 0
    period_s: int = PERIOD_S
    tc: int = 0
    yc: int = 0
    ac: int = 0
    bc: int = 0
    tf: int = 0
    yf: int = 0
    bf: int = 0
    q: int = 0
    acc_start: int = 0
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
        if not 0 <= self.core_bps < BPS:
            raise MarketError(f"core_bps={self.core_bps}: must be within 0..9999")
        if self.period_s <= 0:
            raise MarketError(f"period_s={self.period_s}: must be positive")

    # ------------------------------------------------------------- totals (compat)
    @property
    def tokens(self) -> int:
        """Tranche tokens held (core + tail)."""
        return self.tc + self.tf

    @property
    def cash(self) -> int:
        """Cash held for trading: the clean reserves less the accrued receivable."""
        return self.yc + self.yf - self.q

    @property
    def off_tokens(self) -> int:
        """The core's virtual token offset."""
        return self.ac

    @property
    def off_cash(self) -> int:
        """The core's virtual cash offset."""
        return self.bc

    # ------------------------------------------------------------- sync
    def sync(self, balance: int, claimed: int, now: int = 0, moved: bool | None = None) -> int:
        """The contract's ``_sync`` after the token's claim paid ``claimed``.

        ``moved`` (default: the balance changed or cash was claimed) says a
        period event happened: the accrued receivable settles against
        ``claimed``, the accrual restarts at ``now`` and the cash sides are
        rescaled. Returns the cash released from the reserves.
        """
        if moved is None:
            moved = balance != self.seen_balance or claimed != 0
        if not moved:
            return 0
        seen = self.seen_balance
        credit = claimed
        if seen:
            if claimed >= self.q:
                credit = claimed - self.q
            else:
                short = self.q - claimed
                self.yf -= short
                self.bf += short
                credit = 0
            self.q = 0
        self.acc_start = now
        released = 0
        if seen and balance < seen:
            ny = self.yc * balance // seen
            released += self.yc - ny
            self.yc = ny
            self.bc = self.bc * balance // seen
            ny = self.yf * balance // seen
            released += self.yf - ny
            self.yf = ny
            self.bf = self.bf * balance // seen
        elif seen and balance > seen:
            self.bc = (self.yc + self.bc) * balance // seen - self.yc
            self.bf = (self.yf + self.bf) * balance // seen - self.yf
        self.seen_balance = balance
        credit += released
        if credit:
            pending = credit + self.lp_dust
            if self.supply == 0:
                self.lp_dust = pending
            else:
                inc = pending * LP_SCALE // self.supply
                self.lp_index += inc
                self.lp_dust = pending - _ceil(inc * self.supply, LP_SCALE)
        return released

    # ------------------------------------------------------------- accrual
    def accrual(self, now: int) -> tuple[int, int]:
        """(numerator, denominator) of the accrued cash per token at ``now``."""
        el = min(max(now - self.acc_start, 0), self.period_s)
        cpn = self.seen_balance * self.coupon // (12 * RATE_SCALE)
        return cpn * el, self.face * self.period_s

    def accrued(self, tokens: int, now: int) -> int:
        """Accrued interest on ``tokens`` at ``now`` (rounded down)."""
        u, d = self.accrual(now)
        return tokens * u // d

    def accrued_per_100(self, now: int) -> int:
        """Accrued interest per 100 of current face, 1e18 scale (contract ``accrued_per_100``)."""
        if self.seen_balance == 0:
            return 0
        u, _ = self.accrual(now)
        return u * 100 * PRICE_SCALE // (self.period_s * self.seen_balance)

    # ------------------------------------------------------------- curve
    def _split_sell(self, gross: int) -> tuple[int, int, int]:
        """``market_curve._split_sell``: (gross tokens to the core, core cash, tail cash out)."""
        fee = self.fee_bps
        gc = oc = 0
        tvc = self.tc + self.ac
        if self.yc > 0 and (self.yc + self.bc) * self.tf * BPS >= (self.yf + self.bf) * tvc * (
            BPS - TOL_BPS
        ):
            gc = gross * tvc // (tvc + self.tf)
            ec = gc * (BPS - fee) // BPS
            oc = (self.yc + self.bc) * ec // (tvc + ec) if tvc + ec else 0
            if oc > self.yc:
                oc = self.yc
                ec = _ceil(self.yc * tvc, self.bc)
                gc = _ceil(ec * BPS, BPS - fee)
        ef = (gross - gc) * (BPS - fee) // BPS
        of = (self.yf + self.bf) * ef // (self.tf + ef) if self.tf + ef else 0
        return gc, oc, of

    def _split_buy(self, gross: int) -> tuple[int, int, int]:
        """``market_curve._split_buy``: (gross cash to the core, core tokens, tail tokens out)."""
        fee = self.fee_bps
        gcc = nc = 0
        yvc = self.yc + self.bc
        yvf = self.yf + self.bf
        if self.tc > 0 and yvc * self.tf * BPS <= yvf * (self.tc + self.ac) * (BPS + TOL_BPS):
            gcc = gross * yvc // (yvc + yvf)
            cc = gcc * (BPS - fee) // BPS
            nc = (self.tc + self.ac) * cc // (yvc + cc) if yvc + cc else 0
            if nc > self.tc:
                nc = self.tc
                cc = _ceil(self.tc * yvc, self.ac)
                gcc = _ceil(cc * BPS, BPS - fee)
        cf = (gross - gcc) * (BPS - fee) // BPS
        nf = self.tf * cf // (yvf + cf) if yvf else 0
        return gcc, nc, nf

    def _sell_parts(self, tokens_in: int, now: int) -> tuple[int, int, int, int, int]:
        gc, oc, of = self._split_sell(tokens_in)
        eff = tokens_in * (BPS - self.fee_bps) // BPS
        acc = self.accrued(eff, now)
        if of + acc > self.yf - self.q:
            return gc, 0, 0, 0, 0
        return gc, oc, of, acc, oc + of + acc

    def _buy_parts(self, cash_in: int, now: int) -> tuple[int, int, int, int, int]:
        u, d = self.accrual(now)
        a = 0
        if u and self.tf:
            a = _ceil(cash_in * u * self.tf, (self.yf + self.bf) * d + u * self.tf)
        gcc, nc, nf = self._split_buy(cash_in - a)
        return a, gcc, nc, nf, nc + nf

    def quote_sell(self, tokens_in: int, now: int = 0) -> int:
        """Cash out for ``tokens_in`` (clean + accrued; 0 when the pool cannot pay it)."""
        return self._sell_parts(tokens_in, now)[4]

    def quote_buy(self, cash_in: int, now: int = 0) -> int:
        """Tokens out for ``cash_in`` (0 when the pool cannot deliver them)."""
        return self._buy_parts(cash_in, now)[4]

    def _check_live(self) -> None:
        if self.tokens == 0 and self.cash == 0:
            raise MarketError("pool: no liquidity")
        if self.seen_balance == 0:
            raise MarketError("pool: tranche written off")

    def sell(self, tokens_in: int, min_cash_out: int = 0, now: int = 0) -> int:
        """Tokens in, cash out (contract ``sell``)."""
        self._check_live()
        gc, oc, of, acc, out = self._sell_parts(tokens_in, now)
        if out == 0 or out < min_cash_out:
            raise MarketError(
                f"sell {tokens_in}: output {out} below minimum {max(min_cash_out, 1)}"
            )
        self.tc += gc
        self.yc -= oc
        self.tf += tokens_in - gc
        self.yf -= of
        self.q += acc
        return out

    def buy(self, cash_in: int, min_tokens_out: int = 0, now: int = 0) -> int:
        """Cash in, tokens out (contract ``buy``)."""
        self._check_live()
        a, gcc, nc, nf, out = self._buy_parts(cash_in, now)
        if out == 0 or out < min_tokens_out:
            raise MarketError(f"buy {cash_in}: output {out} below minimum {max(min_tokens_out, 1)}")
        self.tc -= nc
        self.yc += gcc
        self.tf -= nf
        self.yf += cash_in - a - gcc
        self.q -= a
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
            tci = max_tokens * self.core_bps // BPS
            yci = max_cash * self.core_bps // BPS
            tin, cin, minted = max_tokens, max_cash, max_tokens
            if (self.amp - 1) * max(tci, yci) >= 2**128:
                raise MarketError("add_liquidity: offset exceeds 128 bits")
            self.ac = (self.amp - 1) * tci
            self.bc = (self.amp - 1) * yci
            self.tc += tci
            self.yc += yci
            self.tf += tin - tci
            self.yf += cin - yci
        else:
            if shares <= 0:
                raise MarketError("add_liquidity: zero shares")
            s = self.supply
            tci, yci = _ceil(self.tc * shares, s), _ceil(self.yc * shares, s)
            tfi, yfi = _ceil(self.tf * shares, s), _ceil(self.yf * shares, s)
            dq = self.q * shares // s
            tin, cin = tci + tfi, yci + yfi - dq
            if tin > max_tokens or cin > max_cash:
                raise MarketError(
                    f"add_liquidity: deposit ({tin}, {cin}) above maximum"
                    f" ({max_tokens}, {max_cash})"
                )
            self.ac += self.ac * shares // s
            self.bc += self.bc * shares // s
            self.bf += self.bf * shares // s
            self.q += dq
            self.tc += tci
            self.yc += yci
            self.tf += tfi
            self.yf += yfi
            minted = shares
        self._settle(who)
        self.supply += minted
        self.shares[who] = self.shares.get(who, 0) + minted
        return tin, cin

    def remove_liquidity(self, who: str, shares: int) -> tuple[int, int]:
        """Contract ``remove_liquidity``: (tokens, cash) paid."""
        if shares <= 0 or shares > self.shares.get(who, 0):
            raise MarketError(f"remove_liquidity: {shares} shares above balance")
        s = self.supply
        tco, yco = self.tc * shares // s, self.yc * shares // s
        tfo, yfo = self.tf * shares // s, self.yf * shares // s
        dq = _ceil(self.q * shares, s)
        if yco + yfo < dq:
            raise MarketError("remove_liquidity: accrued receivable above the cash share")
        self.ac -= self.ac * shares // s
        self.bc -= self.bc * shares // s
        self.bf -= self.bf * shares // s
        self.q -= dq
        self._settle(who)
        self.shares[who] -= shares
        self.supply -= shares
        self.tc -= tco
        self.yc -= yco
        self.tf -= tfo
        self.yf -= yfo
        return tco + tfo, yco + yfo - dq

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
        """Clean price per 100 of current face, 1e18 scale (contract ``spot_price``):
        the tail's (the core's when there is no tail)."""
        if self.tf:
            num, tv = self.yf + self.bf, self.tf
        else:
            num, tv = self.yc + self.bc, self.tc + self.ac
        den = tv * self.seen_balance
        if den == 0:
            return 0
        return num * self.face * 100 * PRICE_SCALE // den

    def current_face(self) -> int:
        """The pool's tokens in current face units (rounded down)."""
        return self.tokens * self.seen_balance // self.face

    def value(self, price_per_token: float) -> float:
        """The LPs' reserves at ``price_per_token`` (cash units; the receivable counted)."""
        return self.tokens * price_per_token + self.yc + self.yf

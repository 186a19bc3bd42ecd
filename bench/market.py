"""Benchmark: TrancheMarket beside the real Uniswap V2 pair, 36 periods of a tranche.

Both pools hold the same tranche token (the real ``TrancheToken`` with the real
``Compliance``, which admits both pools as venues) on titanoboa. The Uniswap V2
factory and pair are deployed from the bytecode published in the npm package
``@uniswap/v2-core`` (``build/UniswapV2Factory.json``; the pair comes from the
factory's ``createPair``). The deal is the market sandbox's STAND-IN deal: its
tranche pays an illustrative schedule each month (1.5% scheduled + 1% prepaid
principal, a 0.05% write-down, a 5% coupon on the balance), so the figures show
the mechanics, not a particular deal.

Each month the stand-in deal pays; then the same arbitrage agent trades each
pool to the model price (per 100 of current face, an illustrative path within
+-6 of 99). Each pool's LP starts with the same 100,000 tokens and cash at 99.
At the end:

- ``stranded_v2_units``: distributions the V2 pair's tokens earned that it can
  never claim (``TrancheToken.claimable(pair)``);
- ``stranded_market_units``: the same for TrancheMarket after a sync;
- ``lp_vs_hold_pct``: TrancheMarket LP value (tokens at the model price +
  cash + claimed LP distributions) less holding the seed tokens and cash (with
  their distributions) plus the fees the pool earned (valued when paid), in
  percent of the hold value: what arbitrage took beyond the fees (the line
  above shows the raw values and V2's LP against hold, no fee adjustment);
- ``swap_gas`` / ``v2_swap_gas``: whole-transaction gas of selling tranche
  tokens: one ``TrancheMarket.sell`` versus the V2 route without a router
  (``transfer`` to the pair + ``pair.swap``, counted as ONE transaction: the
  two receipts less one 21,000 base; a router would add its own overhead),
  both warm pools, same token, the largest of the 35 months after the first.

Run: ``.venv/bin/python bench/market.py``
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import boa

from trancheflow.chain.gas import TX_BASE, begin_transaction, tx_gas
from trancheflow.market.sandbox import UNIT, MarketSandbox

ROOT = Path(__file__).resolve().parents[1]
V2 = ROOT / "node_modules" / "@uniswap" / "v2-core" / "build"
MONTHS = 36
FEE_BPS = 10
SEED_TOKENS = 100_000 * UNIT
SEED_PRICE = 0.99


def model_price(month: int) -> float:
    """Illustrative model price per 1 of current face."""
    return SEED_PRICE + 0.03 * math.sin(month / 5.0) - 0.0008 * month


def v2_deploy(sb: MarketSandbox, owner: str) -> tuple[Any, bool]:
    fac = json.loads((V2 / "UniswapV2Factory.json").read_text())
    pair_abi = json.loads((V2 / "UniswapV2Pair.json").read_text())["abi"]
    ctor = boa.util.abi.abi_encode("(address)", (owner,))
    addr, _ = boa.env.deploy_code(bytecode=bytes.fromhex(fac["bytecode"]) + ctor)
    factory = boa.loads_abi(json.dumps(fac["abi"]), name="UniswapV2Factory").at(addr)
    factory.createPair(sb.token.address, sb.usdc.address)
    pair_addr = factory.getPair(sb.token.address, sb.usdc.address)
    pair = boa.loads_abi(json.dumps(pair_abi), name="UniswapV2Pair").at(pair_addr)
    return pair, str(pair.token0()).lower() == sb.token.address.lower()


class V2Pool:
    """The agent's view of the V2 pair (fee 30 bp, as published)."""

    def __init__(self, pair: Any, tok0: bool, sb: MarketSandbox) -> None:
        self.pair, self.tok0, self.sb = pair, tok0, sb

    def reserves(self) -> tuple[int, int]:
        r0, r1, _ = self.pair.getReserves()
        return (r0, r1) if self.tok0 else (r1, r0)

    def sell(self, who: str, tokens: int) -> int:
        t, c = self.reserves()
        out = tokens * 997 * c // (t * 1000 + tokens * 997)
        with boa.env.prank(who):
            self.sb.token.transfer(self.pair.address, tokens)
            a0, a1 = (0, out) if self.tok0 else (out, 0)
            self.pair.swap(a0, a1, who, b"")
        return out

    def buy(self, who: str, cash: int) -> int:
        t, c = self.reserves()
        out = cash * 997 * t // (c * 1000 + cash * 997)
        with boa.env.prank(who):
            self.sb.usdc.transfer(self.pair.address, cash)
            a0, a1 = (out, 0) if self.tok0 else (0, out)
            self.pair.swap(a0, a1, who, b"")
        return out


def arbitrage(x: int, y: int, target: float, fee: float) -> tuple[str, int]:
    """Trade moving virtual reserves (x tokens, y cash) to price ``target`` cash/token."""
    k = x * y
    p = y / x
    if p < target * (1 - fee):
        return "buy", int((math.sqrt(k * target) - y) / (1 - fee))
    if p > target * (1 + fee):
        return "sell", int((math.sqrt(k / target) - x) / (1 - fee))
    return "none", 0


def main() -> None:
    with boa.swap_env(boa.Env()):
        sb = MarketSandbox(1_000_000 * UNIT, amp=20, fee_bps=FEE_BPS, twap_window=3_600)
        lp, lp2, arb = (str(boa.env.generate_address(n)) for n in ("lp", "lp2", "arb"))
        for who in (lp, lp2, arb):
            sb.admit(who)
            sb.fund(who, tokens=200_000 * UNIT, cash=10**12)
        pair, tok0 = v2_deploy(sb, sb.owner)
        sb.admit(pair.address)  # the compliance registers the pair as a venue
        v2 = V2Pool(pair, tok0, sb)
        seed_cash = int(SEED_TOKENS * SEED_PRICE)
        with boa.env.prank(lp):
            sb.pool.add_liquidity(0, SEED_TOKENS, seed_cash, 2**63)
        with boa.env.prank(lp2):
            sb.token.transfer(pair.address, SEED_TOKENS)
            sb.usdc.transfer(pair.address, seed_cash)
            pair.mint(lp2)
        idx0 = int(sb.token.index())
        gas_ours: list[int] = []
        gas_v2: list[int] = []
        fees = 0.0  # the pool's fees at their value when paid (cash units)
        for month in range(1, MONTHS + 1):
            bal = sb.balance()
            principal = bal * 250 // 10_000
            loss = bal * 5 // 10_000
            sb.period(bal - principal - loss, principal + bal * 5 // 1200)
            boa.env.time_travel(seconds=30 * 86_400)
            f = sb.balance() / sb.face
            target = model_price(month) * f  # cash per TOKEN
            sb.pool.sync()
            t, y, a, b = sb.pool.reserves()
            side, amt = arbitrage(t + a, y + b, target, FEE_BPS / 10_000)
            with boa.env.prank(arb):
                if side == "buy" and amt > 0:
                    sb.pool.buy(amt, 0, 2**63)
                    fees += amt * FEE_BPS / 10_000
                elif side == "sell" and amt > 0:
                    sb.pool.sell(amt, 0, 2**63)
                    fees += amt * FEE_BPS / 10_000 * target
            vt, vc = v2.reserves()
            side, amt = arbitrage(vt, vc, target, 0.003)
            if side == "buy" and amt > 0:
                v2.buy(arb, amt)
            elif side == "sell" and amt > 0:
                v2.sell(arb, amt)
            # gas: a small sell into each warm pool, measured as whole transactions
            with boa.env.prank(arb):
                begin_transaction()
                sb.pool.sell(100 * UNIT, 0, 2**63)
                fees += 100 * UNIT * FEE_BPS / 10_000 * target
                gas_ours.append(tx_gas(sb.pool))
                begin_transaction()
                sb.token.transfer(pair.address, 100 * UNIT)
                g = tx_gas(sb.token)
                t2, c2 = v2.reserves()
                out = 100 * UNIT * 997 * c2 // (t2 * 1000 + 100 * UNIT * 997)
                begin_transaction()
                pair.swap(*((0, out) if tok0 else (out, 0)), arb, b"")
                gas_v2.append(g + tx_gas(pair) - TX_BASE)  # as one transaction
        sb.pool.sync()
        price_tok = model_price(MONTHS) * sb.balance() / sb.face
        with boa.env.prank(lp):
            tout, cout = sb.pool.remove_liquidity(sb.pool.balanceOf(lp), 0, 0, 2**63)
            claimed = sb.pool.claim()
        with boa.env.prank(lp2):
            pair.transfer(pair.address, pair.balanceOf(lp2))
            pair.burn(lp2)
        ours = tout * price_tok + cout + claimed
        hold_dist = SEED_TOKENS * (int(sb.token.index()) - idx0) // 10**27
        hold = SEED_TOKENS * price_tok + seed_cash + hold_dist
        v2_out_t = int(sb.token.balanceOf(lp2)) - 100_000 * UNIT
        v2_out_c = int(sb.usdc.balanceOf(lp2)) - (10**12 - seed_cash)
        v2_value = v2_out_t * price_tok + v2_out_c
        stranded_v2 = int(sb.token.claimable(pair.address))
        stranded_ours = int(sb.token.claimable(sb.pool.address))
        print(
            f"hold={hold / UNIT:,.2f} market_lp={ours / UNIT:,.2f} v2_lp={v2_value / UNIT:,.2f}"
            f" fees={fees / UNIT:,.2f} v2_lp_vs_hold_pct={100 * (v2_value - hold) / hold:.3f}"
        )
        print(
            f"stranded_v2_units={stranded_v2} stranded_market_units={stranded_ours}"
            f" lp_vs_hold_pct={100 * (ours - hold - fees) / hold:.3f}"
            f" swap_gas={max(gas_ours[1:])} v2_swap_gas={max(gas_v2[1:])}"
        )


if __name__ == "__main__":
    main()

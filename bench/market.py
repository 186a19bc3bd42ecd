"""Benchmark: TrancheMarket beside the real Uniswap V2 pair on the demo deal's life.

The demo deal (``examples/demo/deal.yaml`` over a generated synthetic tape,
as ``trancheflow.ops.demo`` builds it; ``--loans`` and ``--months`` size it)
runs on titanoboa through :func:`trancheflow.ops.lifecycle.run_life`: servicer
reports, attestation, finalize, investors' claims and trades, every month. A
life hook puts two pools on its senior tranche token:

- ``TrancheMarket`` (amp 20 core holding half the seed + constant-product
  tail, 10 bp fee, accrual period and TWAP window one month), and
- the Uniswap V2 factory and pair from the bytecode published in the npm
  package ``@uniswap/v2-core`` (``build/UniswapV2Factory.json``; the pair is the
  factory's ``createPair``; 30 bp fee).

Each pool's LP is seeded at closing with the same tranche tokens (from the
issuer's unsold stock) and cash at the model price. After every finalized
period the same arbitrage agent trades each pool to the model price per 100
of current face (ILLUSTRATIVE: the sale price plus a slow sine and drift, not
a model valuation), each on its own curve's exact closed form. The demo deal
has no compliance contract attached, so no venue registration happens here:
``tests/integration/test_market_anvil.py`` registers the V2 pair in the
tranche's ``Compliance`` and swaps on anvil, and ``--anvil`` deploys the same
published factory/pair on an anvil node and replays this run's per-period
tranche balance and distributions through the stand-in deal there, with the
same agent, reporting that pair's stranded units and swap gas too.

Figures (last line):

- ``stranded_v2_units``: distributions the V2 pair's tokens earned that it can
  never claim (``TrancheToken.claimable(pair)``);
- ``stranded_market_units``: the same for TrancheMarket after a sync;
- ``lp_vs_hold_pct``: TrancheMarket LP value at the end (tokens at the model
  price + cash + LP distributions claimed) less holding the seed tokens and
  cash (with their distributions) plus the fees the pool earned (valued when
  paid), in percent of the hold value: what arbitrage took beyond the fees;
- ``swap_gas`` / ``v2_swap_gas``: whole-transaction gas of selling 100 tranche
  tokens into each warm pool: one ``TrancheMarket.sell`` versus the V2 route
  without a router (``transfer`` to the pair + ``pair.swap`` counted as ONE
  transaction: two receipts less one 21,000 base), largest over the months
  after the first.

Run: ``.venv/bin/python bench/market.py [--loans 200] [--months 36] [--anvil]``
(about 3 minutes at the defaults, most of it the deal's own life on chain).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boa
import numpy as np

from trancheflow.chain.gas import TX_BASE, begin_transaction, tx_gas
from trancheflow.market.pool import PRICE_SCALE
from trancheflow.market.sandbox import deploy_market
from trancheflow.market.stress_curve import Pools, buy_to_price, sell_to_price, spot

ROOT = Path(__file__).resolve().parents[1]
V2 = ROOT / "node_modules" / "@uniswap" / "v2-core" / "build"
MONTH = 30 * 86_400
FEE_BPS = 10
SEED_SHARE = 0.05  # of the senior tranche's face, per pool
GAS_SIZE = 100  # tokens sold for the gas figure


def model_price(month: int, base: float) -> float:
    """ILLUSTRATIVE model price per 100 of current face."""
    return base - 1.0 + 2.5 * math.sin(month / 5.0) - 0.03 * month


def v2_artifacts() -> tuple[dict[str, Any], list[Any]]:
    fac = json.loads((V2 / "UniswapV2Factory.json").read_text())
    pair_abi = json.loads((V2 / "UniswapV2Pair.json").read_text())["abi"]
    return fac, pair_abi


def v2_deploy(token: str, cash: str, owner: str) -> tuple[Any, bool]:
    """The published factory (constructor arg ``feeToSetter``) and its pair for (token, cash)."""
    fac, pair_abi = v2_artifacts()
    ctor = boa.util.abi.abi_encode("(address)", (owner,))
    addr, _ = boa.env.deploy_code(bytecode=bytes.fromhex(fac["bytecode"]) + ctor)
    factory = boa.loads_abi(json.dumps(fac["abi"]), name="UniswapV2Factory").at(addr)
    factory.createPair(token, cash)
    pair = boa.loads_abi(json.dumps(pair_abi), name="UniswapV2Pair").at(
        factory.getPair(token, cash)
    )
    return pair, str(pair.token0()).lower() == token.lower()


def cp_trade(x: int, y: int, target: float, fee: float) -> tuple[str, int]:
    """The arbitrage agent on a constant product (x tokens, y cash) toward ``target`` cash/token."""
    k = x * y
    p = y / x
    if p < target * (1 - fee):
        return "buy", int((math.sqrt(k * target) - y) / (1 - fee))
    if p > target * (1 + fee):
        return "sell", int((math.sqrt(k / target) - x) / (1 - fee))
    return "none", 0


def market_trade(pos: tuple[int, ...], target: float) -> tuple[str, int]:
    """The same agent on TrancheMarket's curve (exact closed form of core + tail)."""
    s = Pools(*(np.array([float(v)]) for v in pos))
    p = float(spot(s)[0])
    fee = FEE_BPS / 10_000
    tp = np.array([target])
    if p < target * (1 - fee):
        return "buy", int(buy_to_price(s, tp, FEE_BPS)[0])
    if p > target * (1 + fee):
        return "sell", int(sell_to_price(s, tp, FEE_BPS)[0])
    return "none", 0


@dataclass
class Bench:
    """The life hook: both pools, the agent, the measurements."""

    name: str = "market-bench"
    base: float = 100.0
    unit: int = 10**6
    gas_ours: list[int] = field(default_factory=list)
    gas_v2: list[int] = field(default_factory=list)
    periods: list[tuple[int, int, int]] = field(default_factory=list)  # (month, balance, index)
    fees: float = 0.0
    result: dict[str, Any] = field(default_factory=dict)

    # -------------------------------------------------------------- closing
    def on_closing(self, ctx: Any) -> None:
        h, client = ctx.handle, ctx.client
        self.env = client.backend.env
        self.client = client
        self.i = 0
        self.token_addr = h.token(0)
        self.cash_addr = h.record.settlement
        self.unit = 10 ** int(h.record.decimals)
        self.lp, self.lp2, self.arb = ctx.spare[0], ctx.spare[1], ctx.spare[2]
        stock = client.token_balance(self.token_addr, ctx.issuer)
        with boa.swap_env(self.env):
            self.token = boa.load_partial(_contract("TrancheToken")).at(self.token_addr)
            self.usdc = boa.load_partial(_contract("MockUSDC")).at(self.cash_addr)
            self.deal = boa.load_partial(_contract("Deal")).at(h.address)
            with boa.env.prank(ctx.issuer):
                self.pool = deploy_market(
                    self.token_addr, self.cash_addr, amp=20, fee_bps=FEE_BPS,
                    twap_window=MONTH, core_bps=5_000, period_s=MONTH,
                )  # fmt: skip
            self.pair, self.tok0 = v2_deploy(self.token_addr, self.cash_addr, ctx.issuer)
            self.face = int(self.token.FACE())
            self.seed = min(int(self.face * SEED_SHARE), stock // 3)
            price = model_price(0, self.base) * self.factor() / 100
            self.seed_cash = int(self.seed * price)
            with boa.env.prank(ctx.issuer):
                for who in (self.lp, self.lp2, self.arb):
                    self.token.transfer(who, self.seed)
            for who in (self.lp, self.lp2, self.arb):
                self.usdc.mint(who, 10 * self.seed_cash)
                with boa.env.prank(who):
                    self.token.approve(self.pool.address, 2**256 - 1)
                    self.usdc.approve(self.pool.address, 2**256 - 1)
            with boa.env.prank(self.lp):
                self.pool.add_liquidity(0, self.seed, self.seed_cash, 2**63)
            with boa.env.prank(self.lp2):
                self.token.transfer(self.pair.address, self.seed)
                self.usdc.transfer(self.pair.address, self.seed_cash)
                self.pair.mint(self.lp2)
            self.idx0 = int(self.token.index())

    def factor(self) -> float:
        return int(self.deal.tranche_balance(self.i)) / self.face

    # -------------------------------------------------------------- periods
    def v2_reserves(self) -> tuple[int, int]:
        r0, r1, _ = self.pair.getReserves()
        return (r0, r1) if self.tok0 else (r1, r0)

    def v2_swap(self, side: str, amount: int) -> None:
        t, c = self.v2_reserves()
        with boa.env.prank(self.arb):
            if side == "buy":
                out = amount * 997 * t // (c * 1000 + amount * 997)
                self.usdc.transfer(self.pair.address, amount)
                self.pair.swap(*((out, 0) if self.tok0 else (0, out)), self.arb, b"")
            else:
                out = amount * 997 * c // (t * 1000 + amount * 997)
                self.token.transfer(self.pair.address, amount)
                self.pair.swap(*((0, out) if self.tok0 else (out, 0)), self.arb, b"")

    def on_period(self, ctx: Any) -> None:
        with boa.swap_env(self.env):
            month = ctx.period
            self.pool.sync()
            f = self.factor()
            if f == 0:
                return
            self.periods.append(
                (month, int(self.deal.tranche_balance(self.i)), int(self.token.index()))
            )
            target = model_price(month, self.base) * f / 100  # cash per token
            side, amt = market_trade(tuple(self.pool.positions()), target)
            with boa.env.prank(self.arb):
                if side == "buy" and amt > 0:
                    self.pool.buy(amt, 0, 2**63)
                    self.fees += amt * FEE_BPS / 10_000
                elif side == "sell" and amt > 0:
                    self.pool.sell(amt, 0, 2**63)
                    self.fees += amt * FEE_BPS / 10_000 * target
            vt, vc = self.v2_reserves()
            side, amt = cp_trade(vt, vc, target, 0.003)
            if amt > 0:
                self.v2_swap(side, amt)
            # gas: one small sale into each warm pool, as whole transactions
            n = GAS_SIZE * self.unit
            with boa.env.prank(self.arb):
                begin_transaction()
                self.pool.sell(n, 0, 2**63)
                self.gas_ours.append(tx_gas(self.pool))
                self.fees += n * FEE_BPS / 10_000 * target
                begin_transaction()
                self.token.transfer(self.pair.address, n)
                g = tx_gas(self.token)
                t2, c2 = self.v2_reserves()
                out = n * 997 * c2 // (t2 * 1000 + n * 997)
                begin_transaction()
                self.pair.swap(*((0, out) if self.tok0 else (out, 0)), self.arb, b"")
                self.gas_v2.append(g + tx_gas(self.pair) - TX_BASE)
            self.last_month = month

    # -------------------------------------------------------------- end
    def on_end(self, ctx: Any) -> None:
        with boa.swap_env(self.env):
            self.pool.sync()
            spot_end = int(self.pool.spot_price()) / PRICE_SCALE
            twap_end = int(self.pool.twap()) / PRICE_SCALE
            price_tok = model_price(self.last_month, self.base) * self.factor() / 100
            c_lp0 = int(self.usdc.balanceOf(self.lp))
            with boa.env.prank(self.lp):
                tout, _ = self.pool.remove_liquidity(self.pool.balanceOf(self.lp), 0, 0, 2**63)
                self.pool.claim()
            cash_back = int(self.usdc.balanceOf(self.lp)) - c_lp0  # reserves' cash + LP credits
            c_v0, t_v0 = int(self.usdc.balanceOf(self.lp2)), int(self.token.balanceOf(self.lp2))
            with boa.env.prank(self.lp2):
                self.pair.transfer(self.pair.address, self.pair.balanceOf(self.lp2))
                self.pair.burn(self.lp2)
            v2_t = int(self.token.balanceOf(self.lp2)) - t_v0
            v2_c = int(self.usdc.balanceOf(self.lp2)) - c_v0
            hold_dist = self.seed * (int(self.token.index()) - self.idx0) // 10**27
            hold = self.seed * price_tok + self.seed_cash + hold_dist
            ours = tout * price_tok + cash_back
            v2_value = v2_t * price_tok + v2_c
            self.result = {
                "months": self.last_month,
                "hold": hold,
                "ours": ours,
                "v2": v2_value,
                "fees": self.fees,
                "stranded_v2": int(self.token.claimable(self.pair.address)),
                "stranded_ours": int(self.token.claimable(self.pool.address)),
                "twap": twap_end,
                "spot": spot_end,
                "model": model_price(self.last_month, self.base),
            }


def replay_on_anvil(b: Bench) -> dict[str, Any]:
    """The published V2 factory/pair and TrancheMarket on an anvil node, fed this run's
    senior-tranche periods (balance and distribution) through the stand-in deal, with
    the same agent; both pools registered as venues in the tranche's Compliance."""
    from trancheflow.market.uniswap_v2 import Anvil, NodeMarket

    with Anvil() as node:
        with boa.swap_env(b.env):
            coupon = int(b.deal.tranche_params(b.i)[1])
        nm = NodeMarket(node.url, face=b.face, coupon=coupon)
        nm.deploy(amp=20, fee_bps=FEE_BPS, core_bps=5_000)
        token, pool = nm.c["token"], nm.c["pool"]
        nm.register_venue(nm.c["pair"].address)
        nm.register_venue(pool.address)
        for who in (nm.lp, nm.lp2, nm.trader):
            nm.fund(who, tokens=b.seed, cash=10 * b.seed_cash)
        nm.send(pool.functions.add_liquidity(0, b.seed, b.seed_cash, 2**40), nm.lp)
        nm.pair_seed(nm.lp2, b.seed, b.seed_cash)
        gas_v2: list[int] = []
        gas_ours: list[int] = []
        prev_idx = b.idx0
        for month, bal, idx in b.periods:
            cash = (idx - prev_idx) * b.face // 10**27
            prev_idx = idx
            nm.period(bal, cash)
            target = model_price(month, b.base) * (bal / b.face) / 100
            nm.send(pool.functions.sync(), nm.trader)
            side, amt = market_trade(tuple(pool.functions.positions().call()), target)
            if amt > 0:
                fn = pool.functions.buy if side == "buy" else pool.functions.sell
                nm.send(fn(amt, 0, 2**40), nm.trader)
            vt, vc = nm.pair_reserves()
            side, amt = cp_trade(vt, vc, target, 0.003)
            if amt > 0:
                nm.pair_swap(nm.trader, side, amt)
            n = GAS_SIZE * b.unit
            r = nm.send(pool.functions.sell(n, 0, 2**40), nm.trader)
            gas_ours.append(int(r["gasUsed"]))
            gas_v2.append(nm.pair_swap(nm.trader, "sell", n)[1])
        nm.send(pool.functions.sync(), nm.trader)
        return {
            "months": len(b.periods),
            "stranded_v2": int(token.functions.claimable(nm.c["pair"].address).call()),
            "stranded_ours": int(token.functions.claimable(pool.address).call()),
            "v2_swap_gas": max(gas_v2[1:]),
            "swap_gas": max(gas_ours[1:]),
        }


def _contract(name: str) -> str:
    from trancheflow.chain.compile import contract_path

    return str(contract_path(name))


def run(loans: int, months: int, seed: int = 7) -> Bench:
    """The demo deal's life with the bench hook; returns the hook with its figures."""
    from trancheflow.deal.run import collateral_pool
    from trancheflow.ops.demo import DEMO_SPEC, _spec_for_tape
    from trancheflow.ops.lifecycle import run_life, sale_prices
    from trancheflow.tape import generate_tape, validate_tape, write_tape

    out = Path(tempfile.mkdtemp(prefix="tf-bench-market-"))
    tape = validate_tape(generate_tape(loans, seed=seed), source=f"generated(seed={seed})")
    tape_path = out / "tape.parquet"
    write_tape(tape, tape_path)
    notes: list[str] = []
    spec = _spec_for_tape(Path(DEMO_SPEC), tape_path, float(tape["current_balance"].sum()), notes)
    pool = collateral_pool(spec)
    prices = sale_prices([t.name for t in spec.debt_tranches])
    bench = Bench(base=100.0 * prices[spec.debt_tranches[0].name])
    run_life(
        spec,
        pool,
        tape_path=tape_path,
        db_url=f"sqlite:///{out / 'bench.db'}",
        months=months,
        investors=2,
        seed=seed,
        prices=prices,
        hooks=[bench],
    )
    return bench


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loans", type=int, default=200, help="synthetic tape size (default 200)")
    ap.add_argument("--months", type=int, default=36, help="months of servicing (default 36)")
    ap.add_argument(
        "--anvil", action="store_true", help="also replay the periods on a V2 pair on anvil"
    )
    a = ap.parse_args(argv)
    warnings.filterwarnings("ignore", "casted bytecode")
    if a.loans < 50 or not 2 <= a.months <= 360:
        sys.exit("bench/market.py: --loans must be >= 50 and --months within 2..360")
    t0 = time.perf_counter()
    b = run(a.loans, a.months)
    r, u = b.result, b.unit
    print(
        f"demo deal, {a.loans} loans, {r['months']} months (senior tranche, seed"
        f" {b.seed / u:,.0f} tokens per pool), {time.perf_counter() - t0:,.1f} s"
    )
    v2_pct = 100 * (r["v2"] - r["hold"]) / r["hold"]
    print(
        f"hold={r['hold'] / u:,.2f} market_lp={r['ours'] / u:,.2f} v2_lp={r['v2'] / u:,.2f}"
        f" fees={r['fees'] / u:,.2f} v2_lp_vs_hold_pct={v2_pct:.3f}"
        f" market_spot={r['spot']:.3f} market_twap={r['twap']:.3f} model={r['model']:.3f}"
    )
    v2_gas = max(b.gas_v2[1:])
    if a.anvil:
        an = replay_on_anvil(b)
        print(
            f"anvil ({an['months']} periods replayed on a real node, stand-in deal): "
            f"stranded_v2_units={an['stranded_v2']} stranded_market_units={an['stranded_ours']}"
            f" swap_gas={an['swap_gas']} v2_swap_gas={an['v2_swap_gas']}"
        )
    print(
        f"stranded_v2_units={r['stranded_v2']} stranded_market_units={r['stranded_ours']}"
        f" lp_vs_hold_pct={100 * (r['ours'] - r['hold'] - r['fees']) / r['hold']:.3f}"
        f" swap_gas={max(b.gas_ours[1:])} v2_swap_gas={v2_gas}"
    )


if __name__ == "__main__":
    main()

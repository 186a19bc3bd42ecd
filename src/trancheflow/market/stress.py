"""Liquidity and cascade stress for a tranche token pledged in a lending market (issue 11).

A credit shock runs through the collateral engine and the float waterfall
(:mod:`trancheflow.market.stress_model`), so the tranche's model price falls
month by month. Holders who pledged tranche tokens in a lending market are
liquidated when their debt passes the liquidation threshold of the collateral
mark; the liquidator sells the seized tokens into the TrancheMarket pool
(:mod:`trancheflow.market.stress_curve`, the contract's curve over arrays);
the price impact lowers the mark and can liquidate more holders: rounds
within a month until none is new (or ``max_rounds``).

Each scenario draws a shock level (``CDR x``, uniform on a grid of
``levels`` points in ``0..cdr_max``), a pool depth and a mean leverage (from
the given lists); ``n_holders`` holders share the pledged tokens equally,
their loan-to-value at closing evenly spread around the mean leverage
(``+- spread``, clipped to ``0..ltv_max``). All scenarios run together as
numpy arrays; months and cascade rounds are the only loops.

The model, in order, each month ``t``:

1. **Period.** The tranche pays the month's interest and principal and takes
   its write-down. The pool syncs as the contract does: each position's cash
   side is scaled by ``balance_now / balance_seen`` (down: real and virtual,
   the released cash plus the distributions on the pool's tokens credited to
   LPs; up, an accrual tranche: the virtual cash grows). Trades follow the
   sync at once, so the accrued interest the contract adds to a trade is
   zero. The lending market sweeps the principal paid on each holder's
   pledged tokens to repay that holder's debt (interest goes to the holder);
   write-downs repay nothing.
2. **Model price** per 100 of current face: the shock is learned over
   ``reveal_months``: ``(1 - w) * price_no_shock + w * price_shock`` with
   ``w = min(1, t / reveal_months)``.
3. **Arbitrage.** One trade moves the pool's spot ``arb_speed`` of the way to
   the model price (no arbitrage inside the cascade: the worst case).
4. **Cascade.** The mark is ``mark_weight * pool spot + (1 - mark_weight) *
   model price`` (default 1: the pool's spot, as an on-chain oracle reading
   the pool would see). A holder with ``debt > threshold * value`` is
   liquidated: the liquidator repays ``close_factor`` of the debt and seizes
   tokens worth that times ``1 + bonus`` at the mark (at most all the
   holder's tokens); a holder left with debt and no tokens is bad debt. A
   round's seized tokens are sold to the pool as one trade (the constant-product
   tail always pays something; the core stops once its cash is spent). The new
   spot sets the next round's mark.

Properties the tests hold (hypothesis), each for the measure it is true of,
with full liquidation (``close_factor=1``): more leverage never reduces the
value liquidated (at the mark), and a thinner pool never reduces the tokens
seized (current face). With ``close_factor`` 0.5 hypothesis found a holder
with less leverage, liquidated in halves a month later, repaying more (no
pool involved: mark from the model, no arbitrage). Hypothesis found counterexamples to the other
pairings, all timing effects: a less leveraged holder liquidated a month
later, at a lower price, gives up more tokens; a thinner pool's lower mark
seizes more tokens but less value; with ``close_factor`` 0.31 a thinner pool
seized 0.7% fewer tokens because the chunked repayments fell on other months.
No liquidation without a shock while every LTV is at most ``ltv_max``;
tokens, cash and debt are conserved.

With ``liquidator="always"`` (default) liquidators act whether or not the
sale pays them (their cash from the pool less the debt repaid is reported;
with a thin pool it is negative). With ``liquidator="profitable"`` a round
does only the share of its liquidations whose sale still covers the debt
repaid (bisection on the exact array curve, :func:`_break_even_share`); the rest stalls for the
month and shows as bad debt: debt not covered by the pledged tokens at the
model price. Debt does not accrue interest and holders do not top up; the figures are
illustrative parameters, not calibrated to any lending market.

Examples
--------
>>> from trancheflow.deal.spec import load_spec
>>> cfg = StressConfig(n_scenarios=50, n_months=12, seed=1, tranche="B")
>>> r = run_stress(load_spec("examples/deals/insured.yaml"), cfg)
>>> r.pool_price.shape, bool((r.liquidated >= 0).all())
((50, 13), True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from trancheflow.deal.spec import DealSpec
from trancheflow.errors import MarketError
from trancheflow.market.stress_curve import (
    Pools,
    buy_out,
    buy_to_price,
    scale_cash,
    seed,
    sell_out,
    sell_to_price,
)
from trancheflow.market.stress_curve import (
    spot as curve_spot,
)
from trancheflow.market.stress_model import ModelPaths, model_paths

__all__ = ["StressConfig", "StressResult", "run_stress", "simulate"]

F = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class StressConfig:
    """Stress parameters (illustrative defaults; see the module docstring).

    ``depths`` are pool sizes: the pool's tokens as a fraction of the
    tranche's face, matched by cash at the model price. ``pledged`` is the
    fraction of the face pledged in the lending market. ``leverages`` are mean
    loan-to-value ratios at closing.
    """

    n_scenarios: int = 1_000
    n_months: int = 36
    seed: int = 0
    tranche: str | None = None
    cdr_max: float = 20.0
    levels: int = 41
    depths: tuple[float, ...] = (0.02, 0.05, 0.10)
    leverages: tuple[float, ...] = (0.40, 0.55, 0.70)
    spread: float = 0.10
    n_holders: int = 20
    pledged: float = 0.25
    ltv_max: float = 0.75
    threshold: float = 0.80
    bonus: float = 0.05
    close_factor: float = 0.5
    mark_weight: float = 1.0
    arb_speed: float = 1.0
    reveal_months: int = 12
    amp: int = 20
    fee_bps: int = 10
    core_bps: int = 5_000
    max_rounds: int = 50
    liquidator: str = "always"
    discount_yield: float | None = None

    def __post_init__(self) -> None:
        def need(ok: bool, what: str, rule: str) -> None:
            if not ok:
                raise MarketError(f"{what}={getattr(self, what)!r}: {rule}")

        need(1 <= self.n_scenarios <= 100_000, "n_scenarios", "must be within 1..100000")
        need(1 <= self.n_months <= 600, "n_months", "must be within 1..600")
        need(0 <= self.cdr_max <= 100, "cdr_max", "must be within 0..100 (CDR percent)")
        need(1 <= self.levels <= 1_000, "levels", "must be within 1..1000")
        need(
            len(self.depths) > 0 and all(0 < d <= 1 for d in self.depths),
            "depths",
            "each must be within (0, 1]",
        )
        need(
            len(self.leverages) > 0 and all(0 <= x <= self.ltv_max for x in self.leverages),
            "leverages",
            "each must be within 0..ltv_max",
        )
        need(0 <= self.spread <= 1, "spread", "must be within 0..1")
        need(1 <= self.n_holders <= 1_000, "n_holders", "must be within 1..1000")
        need(0 < self.pledged <= 1, "pledged", "must be within (0, 1]")
        need(0 < self.ltv_max < self.threshold, "ltv_max", "must be within (0, threshold)")
        need(self.threshold < 1, "threshold", "must be below 1")
        need(0 <= self.bonus <= 0.5, "bonus", "must be within 0..0.5")
        need(0 < self.close_factor <= 1, "close_factor", "must be within (0, 1]")
        need(0 <= self.mark_weight <= 1, "mark_weight", "must be within 0..1")
        need(0 <= self.arb_speed <= 1, "arb_speed", "must be within 0..1")
        need(self.reveal_months >= 1, "reveal_months", "must be >= 1")
        need(1 <= self.amp <= 1000, "amp", "must be within 1..1000")
        need(0 <= self.fee_bps < 1000, "fee_bps", "must be within 0..999")
        need(0 <= self.core_bps < 10_000, "core_bps", "must be within 0..9999")
        need(1 <= self.max_rounds <= 1_000, "max_rounds", "must be within 1..1000")
        need(self.liquidator in ("always", "profitable"), "liquidator", "always or profitable")


@dataclass
class StressResult:
    """Per scenario ``s`` (and month ``t = 0..n_months`` where two-dimensional).

    Prices are per 100 of current face. Volumes are in currency:
    ``liquidated`` is the value at the mark of the tokens seized in the month
    (what the holders lost: debt repaid plus bonus), ``liquidated_face`` their
    current face, ``proceeds`` the cash the liquidators got from the pool.
    ``rounds`` counts the cascade rounds with a liquidation in the month.
    ``lp_value``/``hold_value``: the LPs' position (reserves at the model
    price plus everything credited to them) against holding the seeded
    tokens and cash. ``bad_debt``: debt above its pledged tokens' value at
    the model price, at each month's end. ``stalled``: months where a
    profitable-only liquidator left due liquidations undone. Conservation
    totals: ``tokens_*`` in original-face units, ``cash_*`` in currency.
    """

    config: StressConfig
    model: ModelPaths
    cdr: F
    depth: F
    leverage: F
    model_price: F
    pool_price: F
    liquidated: F
    proceeds: F
    repaid: F
    rounds: I64
    bad_debt: F
    lp_value: F
    hold_value: F
    pool_tokens: F
    pool_cash: F
    tokens_pledged: F
    tokens_stuck: F
    arb_tokens: F
    arb_cash: F
    cash_in_pool0: F
    tokens_in_pool0: F
    stalled: npt.NDArray[np.bool_]
    liquidated_face: F
    extra: dict[str, F] = field(default_factory=dict)

    @property
    def cascade_depth(self) -> I64:
        """Most cascade rounds in any month, per scenario."""
        return np.asarray(self.rounds.max(axis=1), dtype=np.int64)

    @property
    def total_liquidated(self) -> F:
        """Value liquidated (at the mark) over the horizon, per scenario (currency)."""
        return np.asarray(self.liquidated.sum(axis=1), dtype=np.float64)

    @property
    def lp_loss(self) -> F:
        """LP shortfall against holding at the horizon (currency; negative is a gain)."""
        return np.asarray(self.hold_value[:, -1] - self.lp_value[:, -1], dtype=np.float64)

    @property
    def lp_loss_pct(self) -> F:
        """:attr:`lp_loss` as a percentage of the pool's value at closing."""
        return np.asarray(100.0 * self.lp_loss / self.hold_value[:, 0], dtype=np.float64)


def _draw(cfg: StressConfig, rng: np.random.Generator) -> tuple[I64, F, F, F]:
    s = cfg.n_scenarios
    level = rng.integers(0, cfg.levels, size=s)
    depth = np.asarray(cfg.depths, dtype=np.float64)[rng.integers(0, len(cfg.depths), size=s)]
    lev = np.asarray(cfg.leverages, dtype=np.float64)[rng.integers(0, len(cfg.leverages), size=s)]
    h = cfg.n_holders
    u = np.linspace(-1.0, 1.0, h) if h > 1 else np.zeros(1)
    ltv = np.clip(lev[:, None] + cfg.spread * u[None, :], 0.0, cfg.ltv_max)
    return level.astype(np.int64), depth, lev, ltv


def _break_even_share(seized: F, repay: F, pool: Pools, fee_bps: int) -> F:
    """Share of a round's liquidations a liquidator who must not lose does.

    Selling ``x`` tokens pays on average less the more is sold (each position
    is a constant product; the core drops out once exhausted), so the
    proceeds of the share ``phi`` of ``seized`` cover ``phi`` of ``repay`` for
    ``phi`` up to a break-even found by bisection on the exact array curve
    (:func:`~trancheflow.market.stress_curve.sell_out`), 40 halvings: the
    share returned is on the covering side.
    """
    full, _ = sell_out(pool, seized, fee_bps)
    ok_all = full >= repay
    lo, hi = np.zeros_like(seized), np.ones_like(seized)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        out, _ = sell_out(pool, mid * seized, fee_bps)
        good = out >= mid * repay
        lo, hi = np.where(good, mid, lo), np.where(good, hi, mid)
    share = np.where(ok_all, 1.0, lo)
    return np.asarray(np.where(seized > 0, share, 0.0), dtype=np.float64)


def run_stress(
    spec: DealSpec,
    cfg: StressConfig,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> StressResult:
    """Draw ``cfg.n_scenarios`` scenarios for ``spec`` and run them (see the module doc)."""
    levels = [float(x) for x in np.linspace(0.0, cfg.cdr_max, cfg.levels)]
    model = model_paths(
        spec, cfg.tranche, levels, n_months=cfg.n_months, discount_yield=cfg.discount_yield
    )
    level, depth, lev, ltv = _draw(cfg, np.random.default_rng(cfg.seed))
    return simulate(model, cfg, level, depth, ltv, leverage=lev, progress=progress)


def simulate(
    model: ModelPaths,
    cfg: StressConfig,
    level: I64,
    depth: F,
    ltv: F,
    *,
    leverage: F | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> StressResult:
    """Run given scenarios: shock level index, pool depth and holders' LTVs ``(S, H)``.

    Level 0 of ``model`` is the no-shock reference the model price blends from.
    """
    level = np.asarray(level, dtype=np.int64)
    depth = np.asarray(depth, dtype=np.float64)
    ltv = np.atleast_2d(np.asarray(ltv, dtype=np.float64))
    s_n = level.shape[0]
    if depth.shape != (s_n,) or ltv.shape[0] != s_n:
        raise MarketError("simulate: level, depth and ltv need one row per scenario")
    if np.any(ltv < 0) or np.any(ltv > cfg.ltv_max + 1e-12):
        raise MarketError(f"ltv: each must be within 0..ltv_max ({cfg.ltv_max})")
    m_n = min(cfg.n_months, model.price.shape[1] - 1)
    face, fee, amp = model.face, cfg.fee_bps, cfg.amp
    factor = model.factor[level]
    w = np.minimum(np.arange(m_n + 1) / cfg.reveal_months, 1.0)
    mprice = (1.0 - w) * model.price[0, : m_n + 1][None, :] + w * model.price[level, : m_n + 1]
    interest, principal = model.interest[level], model.principal[level]

    # Pool seeded at the closing model price: T tokens (face units), Y cash (currency).
    tok0 = depth * face
    cash0 = tok0 * factor[:, 0] * mprice[:, 0] / 100.0
    pool = seed(tok0, cash0, amp, cfg.core_bps)
    seen = factor[:, 0].copy()
    credited = np.zeros(s_n)
    hold_dist = np.zeros(s_n)
    # Holders: pledged tokens (face units) and debt (currency).
    h_n = ltv.shape[1]
    coll = np.full((s_n, h_n), cfg.pledged * face / h_n)
    debt = ltv * coll * factor[:, :1] * mprice[:, :1] / 100.0
    debt0 = debt.sum(axis=1)
    stuck, arb_tok, arb_cash = np.zeros(s_n), np.zeros(s_n), np.zeros(s_n)

    shape = (s_n, m_n + 1)
    pool_price, liquidated, proceeds = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    repaid_l, rounds, bad = np.zeros(shape), np.zeros(shape, dtype=np.int64), np.zeros(shape)
    lp_value, hold_value = np.zeros(shape), np.zeros(shape)
    swept, released = np.zeros(s_n), np.zeros(s_n)
    stalled = np.zeros(shape, dtype=np.bool_)
    liquidated_face = np.zeros(shape)

    def spot(f: F) -> F:
        with np.errstate(divide="ignore", invalid="ignore"):
            p = curve_spot(pool) * 100.0 / f
        return np.where(f > 0, p, 0.0)

    def book(t: int) -> None:
        f = factor[:, t]
        pool_price[:, t] = spot(f)
        val = f * mprice[:, t] / 100.0
        lp_value[:, t] = pool.cash + pool.tokens * val + credited
        hold_value[:, t] = cash0 + tok0 * val + hold_dist
        cover = coll * (f * mprice[:, t] / 100.0)[:, None]
        bad[:, t] = np.maximum(debt - cover, 0.0).sum(axis=1)

    book(0)
    for t in range(1, m_n + 1):
        f = factor[:, t]
        # 1. period: distributions, pool sync, principal sweep.
        dist = interest[:, t] + principal[:, t]
        credited += pool.tokens * dist
        hold_dist += tok0 * dist
        ratio = np.where(seen > 0, f / np.where(seen > 0, seen, 1.0), 1.0)
        pool, rel = scale_cash(pool, ratio)
        credited += rel
        released += rel
        seen = f.copy()
        sweep = np.minimum(debt, coll * principal[:, t, None])
        debt = debt - sweep
        swept += sweep.sum(axis=1)
        # 2./3. model price and arbitrage.
        live = f > 0
        if cfg.arb_speed > 0:
            p_now = spot(f)
            target = p_now + cfg.arb_speed * (mprice[:, t] - p_now)
            tp = target * f / 100.0  # cash per token
            t_in = np.where(live & (target < p_now), sell_to_price(pool, tp, fee), 0.0)
            c_out, pool = sell_out(pool, t_in, fee)
            t_in = np.where(c_out > 0, t_in, 0.0)
            arb_tok -= t_in
            arb_cash += c_out
            c_in = np.where(live & (target > p_now), buy_to_price(pool, tp, fee), 0.0)
            t_out, after = buy_out(pool, c_in, fee)
            ok = t_out > 0
            pool = Pools(*(np.where(ok, a, b) for a, b in zip(after, pool, strict=True)))
            c_in = np.where(ok, c_in, 0.0)
            arb_tok += t_out
            arb_cash -= c_in
        # 4. cascade.
        active = live.copy()
        for _ in range(cfg.max_rounds):
            mark = cfg.mark_weight * spot(f) + (1.0 - cfg.mark_weight) * mprice[:, t]
            unit_val = f * mark / 100.0  # currency per token (face unit)
            value = coll * unit_val[:, None]
            hit = active[:, None] & (coll > 0) & (debt > cfg.threshold * value + 1e-9 * face)
            any_hit = hit.any(axis=1)
            if not any_hit.any():
                break
            repay = np.where(hit, cfg.close_factor * debt, 0.0)
            uv = np.where(unit_val > 0, unit_val, np.inf)[:, None]
            seize = np.minimum(coll, repay * (1.0 + cfg.bonus) / uv)
            repay = np.where(hit, np.minimum(repay, seize * uv / (1.0 + cfg.bonus)), 0.0)
            seize = np.where(hit, seize, 0.0)
            if cfg.liquidator == "profitable":
                phi = _break_even_share(seize.sum(axis=1), repay.sum(axis=1), pool, fee)
                stalled[:, t] |= any_hit & (phi < 1.0)
                repay, seize = repay * phi[:, None], seize * phi[:, None]
                any_hit = any_hit & (phi > 0)
                go_on = any_hit & (phi >= 1.0)
            else:
                go_on = any_hit
            rounds[:, t] += any_hit
            coll, debt = coll - seize, debt - repay
            sold = seize.sum(axis=1)
            c_out, pool = sell_out(pool, sold, fee)
            t_in = np.where(c_out > 0, sold, 0.0)
            stuck += sold - t_in
            liquidated[:, t] += (seize * unit_val[:, None]).sum(axis=1)
            liquidated_face[:, t] += sold * f
            proceeds[:, t] += c_out
            repaid_l[:, t] += repay.sum(axis=1)
            active = go_on
        book(t)
        if progress is not None:
            progress(t, m_n)

    return StressResult(
        config=cfg,
        model=model,
        cdr=model.cdr[level],
        depth=depth,
        leverage=ltv.mean(axis=1) if leverage is None else np.asarray(leverage, np.float64),
        model_price=mprice,
        pool_price=pool_price,
        liquidated=liquidated,
        proceeds=proceeds,
        repaid=repaid_l,
        rounds=rounds,
        bad_debt=bad,
        lp_value=lp_value,
        hold_value=hold_value,
        pool_tokens=pool.tokens,
        pool_cash=pool.cash,
        tokens_pledged=coll.sum(axis=1),
        tokens_stuck=stuck,
        arb_tokens=arb_tok,
        arb_cash=arb_cash,
        cash_in_pool0=cash0,
        tokens_in_pool0=tok0,
        stalled=stalled,
        liquidated_face=liquidated_face,
        extra={
            "debt": debt.sum(axis=1),
            "debt0": debt0,
            "swept": swept,
            "credited": credited,
            "released": released,
        },
    )

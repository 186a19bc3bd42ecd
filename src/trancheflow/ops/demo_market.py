"""The demo's market step: tranche pools that investors and an arbitrageur trade.

At closing the step prices the chosen tranches with the model
(:func:`trancheflow.market.fair_path.fair_value_path`: Monte Carlo OAS at
100 bp over the illustrative sample Treasury curve, rolled forward on the
deterministic projection), deploys one ``TrancheMarket`` per tranche, and a
liquidity provider (a spare development account) seeds each pool at the
model's value with tokens bought from the issuer's unsold stock and cash
minted by the settlement mock. After every finalized period:

1. investors rebalance through the pools (seeded random buys and sells, each
   with a minimum output 50 bp under the quote and a 10-minute deadline);
2. an arbitrage agent trades each pool's price toward the model's value
   (when it is more than 15 bp away);
3. the LP claims the distributions its pool collected;
4. the step records, per tranche, ``deal_metrics`` kind ``market``: pool
   price, TWAP, depth (both sides), fair value, rich/cheap, volume, and the
   LP's value against holding its seed.

A failure inside the step is reported (``ok`` False) and never stops the
deal: the pool is a holder like any other.

Examples
--------
>>> from rich.console import Console
>>> hook = make_hook(Path("/tmp"), Console(quiet=True))
>>> hook.name, hook.ok
('market', True)
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from trancheflow.ops.lifecycle import LifeContext

#: Share of a tranche's face the LP seeds its pool with (at most the issuer's stock).
SEED_SHARE = 0.02
#: Share of a tranche's face the arbitrage agent starts with (to sell when the pool is rich).
ARB_SHARE = 0.005


def default_tranches(names: list[str]) -> list[str]:
    """The senior tranche and, with three or more, the mezzanine (second-last debt class).

    Examples
    --------
    >>> default_tranches(["A1", "A2", "M", "B"]), default_tranches(["A"])
    (['A1', 'M'], ['A'])
    """
    if len(names) >= 3:
        return [names[0], names[-2]]
    return names[:1]


class MarketStep:
    """The market step's life hook (see the module notes)."""

    name = "market"

    def __init__(
        self,
        out_dir: Path,
        console: Console,
        *,
        tranches: list[str] | None = None,
        oas_bp: float = 100.0,
        paths: int = 64,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.console = console
        self.tranches = tranches
        self.oas_bp = oas_bp
        self.paths = paths
        self.ok = True
        self.problems: list[str] = []
        self.desks: dict[str, Any] = {}
        self.fair: dict[str, Any] = {}
        self._block = 0
        self._deal = ""
        self._db = ""
        self._scale = 1.0
        self.seconds = 0.0
        self.closing_seconds = 0.0

    # ------------------------------------------------------------- hooks
    def on_closing(self, ctx: LifeContext) -> None:
        """Price the tranches, deploy and seed the pools."""
        t0 = time.perf_counter()
        try:
            self._open(ctx)
        except Exception as exc:  # never stop the deal
            self._fail(f"closing: {exc}")
        self.closing_seconds = time.perf_counter() - t0
        self.seconds += self.closing_seconds

    def _open(self, ctx: LifeContext) -> None:
        from trancheflow.market.agents import PoolDesk, deploy_pool
        from trancheflow.market.fair_path import fair_value_path
        from trancheflow.ops.metrics import record_metrics

        h, client = ctx.handle, ctx.client
        names = list(h.tranche_names)
        chosen = self.tranches or default_tranches(names)
        if len(ctx.spare) < 2:
            raise RuntimeError("needs two spare accounts (LP and arbitrageur)")
        lp, arb = ctx.spare[-1], ctx.spare[-2]
        settlement = h.record.settlement
        self._deal, self._db = h.address, ctx.db_url
        self._scale = float(10 ** int(h.record.decimals))
        self.fair = fair_value_path(ctx.spec, chosen, oas_bp=self.oas_bp, paths=self.paths)
        rows = []
        for nm in chosen:
            i = names.index(nm)
            market = deploy_pool(client.backend, h.token(i), settlement, sender=ctx.issuer)
            desk = PoolDesk(market, nm, settlement, lp, arb)
            stock = client.token_balance(h.token(i), ctx.issuer)
            seed = min(int(market.face * SEED_SHARE), stock)
            arb_tokens = min(int(market.face * ARB_SHARE), stock - seed)
            if seed <= 0:  # every token sold: the largest investor provides liquidity
                top = max(ctx.investors, key=lambda p: h.balances(p.address)[nm])
                seed = h.balances(top.address)[nm] // 10
                h.transfer(i, top.address, lp, seed)
            else:
                h.transfer(i, ctx.issuer, lp, seed)
            if arb_tokens > 0:
                h.transfer(i, ctx.issuer, arb, arb_tokens)
            fair0 = self.fair[nm].at(0)
            desk.seed(client, seed, fair0)
            self.desks[nm] = desk
            fp = self.fair[nm]
            rows.append(
                (
                    0,
                    nm,
                    {
                        "pool": market.pool,
                        "token": market.token,
                        "lp": lp,
                        "arbitrageur": arb,
                        "seed_tokens": seed / self._scale,
                        "seed_cash": desk.seed_cash / self._scale,
                        "seed_price": fair0,
                        "oas_bp": fp.oas_bp,
                        "option_cost_bp": fp.option_cost_bp,
                        "mc_price": fp.mc_price,
                        "mc_se": fp.mc_se,
                        "paths": fp.paths,
                        "curve": "illustrative sample Treasury curve (examples/curves)",
                    },
                )
            )
        self._block = int(client.backend.latest_block())
        record_metrics(ctx.db_url, h.address, "market", rows)

    def on_period(self, ctx: LifeContext) -> None:
        """Rebalancing, arbitrage, the LP's claim, the period's figures."""
        if not self.desks:
            return
        t0 = time.perf_counter()
        try:
            self._trade(ctx)
        except Exception as exc:  # never stop the deal
            self._fail(f"period {ctx.period}: {exc}")
        self.seconds += time.perf_counter() - t0

    def _distributed(self, ctx: LifeContext) -> dict[str, float]:
        """Interest + principal per unit of original face paid by the new period(s)."""
        h = ctx.handle
        names = list(h.tranche_names)
        head = int(ctx.client.backend.latest_block())
        out = dict.fromkeys(self.desks, 0.0)
        for e in h.events(from_block=self._block + 1, to_block=head):
            if e.name != "PeriodFinalized":
                continue
            for nm, desk in self.desks.items():
                i = names.index(nm)
                paid = int(e.args["interest_paid"][i]) + int(e.args["principal_paid"][i])
                out[nm] += paid / desk.market.face
        self._block = head
        return out

    def _trade(self, ctx: LifeContext) -> None:
        from trancheflow.ops.metrics import record_metrics

        paid = self._distributed(ctx)
        investors = [p.address for p in ctx.investors]
        rows = []
        for nm, desk in self.desks.items():
            fair = self.fair[nm].at(ctx.period)
            swaps, vol = desk.rebalance(ctx.client, ctx.handle, investors, ctx.rng)
            side, avol = desk.arbitrage(ctx.client, ctx.handle, fair)
            desk.lp_claim(ctx.client)
            f = desk.measure(
                ctx.period,
                fair,
                paid[nm],
                swaps=swaps + (1 if side else 0),
                volume=vol + avol,
                arb_side=side,
            )
            s = self._scale
            rows.append(
                (
                    ctx.period,
                    nm,
                    {
                        "price": round(f.price, 6),
                        "twap": round(f.twap, 6),
                        "fair": round(f.fair, 6),
                        "rich_cheap_bp": round(f.rich_cheap_bp, 3),
                        "price_pre_arb": round(f.price_pre_arb, 6),
                        "rich_cheap_pre_arb_bp": round(f.rich_cheap_pre_arb_bp, 3),
                        "depth_bid": f.depth_bid / s,
                        "depth_ask": f.depth_ask / s,
                        "volume": f.volume / s,
                        "swaps": f.swaps,
                        "arbitrage": f.arb_side,
                        "lp_value": round(f.lp_value / s, 2),
                        "hold_value": round(f.hold_value / s, 2),
                        "lp_vs_hold_pct": round(f.lp_vs_hold_pct, 4),
                        "factor": round(f.factor, 8),
                    },
                )
            )
        record_metrics(ctx.db_url, ctx.handle.address, "market", rows)

    def on_end(self, ctx: LifeContext) -> None:
        """The pools' own checks: trades happened, nothing stranded, reserves covered."""
        t0 = time.perf_counter()
        for nm, desk in self.desks.items():
            try:
                problem = pool_problem(ctx, desk)
            except Exception as exc:  # never stop the deal
                problem = f"check failed: {exc}"
            if problem:
                self._fail(f"{nm}: {problem}")
        if self.desks and not any(f.swaps for d in self.desks.values() for f in d.figures.values()):
            self._fail("no swap went through any pool")
        self.seconds += time.perf_counter() - t0

    def _fail(self, message: str) -> None:
        self.ok = False
        self.problems.append(message)

    # ------------------------------------------------------------- output
    def report_sections(self) -> list[tuple[str, str]]:
        """A table and a price/TWAP/fair chart per pool (also written as SVG files)."""
        from trancheflow.market.view import price_chart, rich_cheap_chart

        if not self.desks and not self.problems:
            return []
        parts = [
            "<p>Development accounts and illustrative agents: a liquidity provider seeds each "
            "pool at the model value; investors rebalance with random buys and sells (min-out "
            "50 bp under the quote, 10-minute deadline); an arbitrage agent trades the price "
            "toward the model's fair value (Monte Carlo OAS "
            f"{self.oas_bp:g} bp at closing over the illustrative sample curve, rolled on the "
            "deterministic projection). Prices per 100 of current face.</p>"
        ]
        parts += [f"<p class='fail'>{html.escape(p)}</p>" for p in self.problems]
        for nm, desk in self.desks.items():
            rows = [(p, f.__dict__) for p, f in sorted(desk.figures.items())]
            svg = price_chart(nm, rows)
            rc = rich_cheap_chart(nm, rows)
            (self.out_dir / f"market_{nm}.svg").write_text(svg)
            (self.out_dir / f"market_{nm}_richcheap.svg").write_text(rc)
            parts.append(_STYLE + svg + rc + _table(desk, self._scale))
        return [("Secondary market (TrancheMarket pools)", "".join(parts))]

    def summary_lines(self) -> list[str]:
        """One line per pool, and any problem."""
        out = []
        for nm, desk in self.desks.items():
            figs = desk.figures
            if not figs:
                continue
            last = figs[max(figs)]
            swaps = sum(f.swaps for f in figs.values())
            vol = sum(f.volume for f in figs.values()) / self._scale
            worst = max(abs(f.rich_cheap_pre_arb_bp) for f in figs.values())
            out.append(
                f"market {nm}: {swaps} swaps, volume {vol:,.0f}; last price {last.price:.3f} "
                f"vs model {last.fair:.3f} ({last.rich_cheap_bp:+.1f} bp; "
                f"up to {worst:.1f} bp before arbitrage), "
                f"TWAP {last.twap:.3f}; LP vs hold {last.lp_vs_hold_pct:+.3f}%"
            )
        if self.desks:
            out.append(
                f"market step: {self.seconds:.1f} s in all (pricing and seeding at closing "
                f"{self.closing_seconds:.1f} s)"
            )
        style = "green" if self.ok else "red"
        out += [f"[{style}]market:[/] {html.escape(p)}" for p in self.problems]
        return out


_STYLE = (
    "<style>svg{max-width:760px;display:block}svg .grid{stroke:#eceff2}"
    "svg .tick,svg .axis,svg .legend{font-size:10px;fill:#5a6470}"
    "svg .title{font-size:13px;font-weight:600}"
    "svg .threshold{stroke:#b3261e;stroke-dasharray:6 4}"
    "svg .threshold-label{font-size:10px;fill:#b3261e}"
    "</style>"
)


def _table(desk: Any, scale: float) -> str:
    figs = sorted(desk.figures.items())
    if not figs:
        return "<p>no period traded</p>"
    last = figs[-1][0]
    keep = [(p, f) for p, f in figs if p == 1 or p % 6 == 0 or p == last]
    head = (
        "<tr><th>period</th><th>price</th><th>TWAP</th><th>fair</th><th>rich/cheap (bp)</th>"
        "<th>before arb (bp)</th><th>bid depth</th><th>ask depth</th><th>volume</th>"
        "<th>swaps</th><th>LP vs hold (%)</th>"
        "</tr>"
    )
    body = "".join(
        f"<tr><td>{p}</td><td>{f.price:.3f}</td><td>{f.twap:.3f}</td><td>{f.fair:.3f}</td>"
        f"<td>{f.rich_cheap_bp:+.1f}</td><td>{f.rich_cheap_pre_arb_bp:+.1f}</td>"
        f"<td>{f.depth_bid / scale:,.0f}</td>"
        f"<td>{f.depth_ask / scale:,.0f}</td><td>{f.volume / scale:,.0f}</td><td>{f.swaps}</td>"
        f"<td>{f.lp_vs_hold_pct:+.3f}</td></tr>"
        for p, f in keep
    )
    return f"<table>{head}{body}</table>"


def pool_problem(ctx: LifeContext, desk: Any) -> str | None:
    """What is wrong with a pool at the end, or None: after a sync nothing its tokens
    earned is left at the token, and its token and cash balances cover its reserves."""
    m = desk.market
    b = ctx.client.backend
    b.transact("TrancheMarket", m.pool, "sync", [], sender=desk.lp)
    left = int(b.call("TrancheToken", m.token, "claimable", [m.pool]))
    if left:
        return f"{left} units of distributions stranded at the token"
    t, y, _, _ = (int(v) for v in b.call("TrancheMarket", m.pool, "reserves"))
    held = int(b.call("TrancheToken", m.token, "balanceOf", [m.pool]))
    cash = ctx.client.token_balance(m.cash_token, m.pool)
    if held < t:
        return f"holds {held} tokens, reserves say {t}"
    if cash < y:
        return f"holds {cash} cash, reserves say {y}"
    return None


def make_hook(out_dir: Path, console: Console) -> MarketStep:
    """The market step's hook."""
    return MarketStep(out_dir, console)

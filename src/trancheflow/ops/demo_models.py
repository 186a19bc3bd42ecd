"""The demo's models step: a hazard model trained at closing, re-pricing the deal each period.

At closing the step trains LightGBM prepayment/default/cure hazards
(:func:`~trancheflow.models.train.train_hazard_model`) on a **ground-truth
simulated panel** (:func:`~trancheflow.models.simulate.simulate_panel`: loans
drawn by the same tape generator as the demo's tape, known hazards), scores
them out of time (AUC, worst calibration decile, against the true hazards)
and saves the model in a registry under ``<out>/models``.

After every finalized period it reads the period's loan-level records from
the servicer feed, checks that they hash to the attested report's loan root,
compares the model's forecast prepayment and default rates with the realized
ones, re-scores the surviving loans and re-prices the pool and every tranche
at a fixed OAS (:class:`~trancheflow.models.ops_deal.DealMonitor`), storing
each period in ``deal_metrics`` (kind ``"model"``) for the API and dashboard.

Honest limits, also printed: the demo's servicer feed is generated from
pool-level speed regimes (PSA/SDA around the spec's assumptions) split across
loans as expected balances, not from the model, so realized speeds need not
match the model's forecast; its loans never terminate individually (the
realized rates are the attested report's prepayments and newly stopped
balance over the balance at risk). The market is a flat mortgage rate from an
illustrative curve.
"""

from __future__ import annotations

import html
import math
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from trancheflow.models.ops_charts import rate_chart, value_chart
from trancheflow.ops.lifecycle import LifeContext

#: Demo settings (illustrative): training panel, OAS, paths, re-price cadence.
TRAIN_LOANS = 6000
TRAIN_ROUNDS = 100
OAS_BP = 100.0
PATHS = 32
REPRICE_EVERY = 3  # about 0.4 s of CPU per re-price of 2,000 loans on 32 paths
MODEL_NAME = "demo-hazard"


def mortgage_rate_of(curve: Any) -> float:
    """Mortgage rate: 1.7% + the curve's 10-year semiannual par yield (the rate model's)."""
    import numpy as np

    t = np.arange(1, 21) / 2.0
    d = curve.discount(t)
    par = 2.0 * (1.0 - float(d[-1])) / float(d.sum())
    from trancheflow.rates.mortgage import MortgageRateModel

    return float(MortgageRateModel().from_long_rate(par))


class _Hook:
    name = "models"

    def __init__(self, out_dir: Path, console: Console) -> None:
        self.out_dir = Path(out_dir)
        self.console = console
        self.ok = True
        self.errors: list[str] = []
        self.monitor: Any = None
        self.meta: dict[str, Any] = {}
        self.seconds = {"train": 0.0, "periods": 0.0}
        self.closing: dict[str, Any] = {}

    # ------------------------------------------------------------ life hooks
    def on_closing(self, ctx: LifeContext) -> None:
        try:
            self._train(ctx)
        except Exception as exc:  # the deal's life goes on without the model
            self._fail(f"training: {exc}")

    def _train(self, ctx: LifeContext) -> None:
        from trancheflow.models.ops_deal import DEMO_CURVE, DealMonitor, metric_rows
        from trancheflow.models.registry import save_model
        from trancheflow.models.simulate import simulate_panel
        from trancheflow.models.train import evaluate_model, train_hazard_model
        from trancheflow.ops.metrics import record_metrics

        t0 = time.perf_counter()
        sim = simulate_panel(TRAIN_LOANS, seed=int(ctx.rng.integers(1 << 30)))
        model = train_hazard_model(
            sim.panel, sim.market, split="2021-01", rounds=TRAIN_ROUNDS, threads=1
        )
        ev = evaluate_model(model, sim.panel, sim.market, truth=sim.truth_prob)
        metrics = {
            risk: {
                "auc": ev[risk]["lightgbm"].auc,
                "auc_truth": ev[risk]["truth"].auc,
                "max_decile_calib_err": ev[risk]["lightgbm"].max_decile_err,
                "test_rows": ev[risk]["lightgbm"].rows,
                "test_events": ev[risk]["lightgbm"].events,
            }
            for risk in ("prepay", "default")
        }
        model.meta["metrics"] = metrics
        path = save_model(model, MODEL_NAME, directory=self.out_dir / "models", overwrite=True)
        self.seconds["train"] = time.perf_counter() - t0
        rate = mortgage_rate_of(DEMO_CURVE)
        self.monitor = DealMonitor(
            model,
            ctx.spec,
            ctx.pool,
            mortgage_rate=rate,
            oas_bp=OAS_BP,
            paths=PATHS,
            seed=7,
            reprice_every=REPRICE_EVERY,
        )
        self.meta = {
            "model": MODEL_NAME,
            "path": str(path),
            "trained_on": f"ground-truth simulated panel: {len(sim.panel.loans):,} loans, "
            f"{sim.panel.n_rows:,} loan-months",
            "train_window": model.meta["train_window"],
            "test_from": model.meta["test_from"],
            "data_hash": model.meta["data_hash"],
            "metrics": metrics,
            "mortgage_rate": rate,
            "oas_bp": OAS_BP,
            "paths": PATHS,
            "reprice_every": REPRICE_EVERY,
            "train_seconds": self.seconds["train"],
        }
        t1 = time.perf_counter()
        tape0 = ctx.pool.reset_index(drop=True)
        self.closing = self.monitor.reprice(tape0, 0)
        self.meta["closing"] = self.closing
        self.seconds["periods"] += time.perf_counter() - t1
        record_metrics(ctx.db_url, ctx.spec.deal, "model", metric_rows([], self.meta))

    def on_period(self, ctx: LifeContext) -> None:
        if self.monitor is None:
            return
        from trancheflow.models.ops_deal import metric_rows
        from trancheflow.models.ops_loans import from_feed
        from trancheflow.ops.metrics import record_metrics

        t0 = time.perf_counter()
        try:
            pl = from_feed(ctx.feed, ctx.period, ctx.report, tape=ctx.pool.reset_index(drop=True))
            scale = 10.0 ** int(ctx.spec.currency.decimals)
            debt = {t.name for t in ctx.spec.tranches if not t.residual}
            bal = {n: u / scale for n, u in ctx.handle.tranche_balances().items() if n in debt}
            rec = self.monitor.update(pl, bal)
            record_metrics(ctx.db_url, ctx.spec.deal, "model", metric_rows([rec]))
        except Exception as exc:  # never stops the period (the keeper finalized it already)
            self._fail(f"period {ctx.period}: {exc}")
        self.seconds["periods"] += time.perf_counter() - t0

    def on_end(self, ctx: LifeContext) -> None:
        if self.monitor is None:
            return
        recs = self.monitor.records
        if not recs:
            self._fail("no period was monitored")
            return
        for r in recs:
            vals = [r.get("pool_value"), *(r.get("tranches") or {}).values()]
            figures = [r["forecast_cpr"], r["realized_cpr"], r["forecast_cdr"], r["realized_cdr"]]
            if not all(v is not None and math.isfinite(v) for v in figures):
                self._fail(f"period {r['period']}: a forecast or realized rate is not finite")
            if any(v is not None and not (math.isfinite(v) and v > 0) for v in vals):
                self._fail(f"period {r['period']}: a model value is not finite and positive")

    def _fail(self, msg: str) -> None:
        self.ok = False
        self.errors.append(msg)

    # ------------------------------------------------------------ output
    def report_sections(self) -> list[tuple[str, str]]:
        if self.monitor is None:
            return [("Model re-pricing", f"<p>{html.escape('; '.join(self.errors))}</p>")]
        return [("Model re-pricing", section_html(self.meta, self.monitor.records, self.errors))]

    def summary_lines(self) -> list[str]:
        if self.monitor is None or not self.meta:
            return [f"[red]models: {e}[/red]" for e in self.errors]
        m = self.meta["metrics"]
        recs = self.monitor.records
        lines = [
            f"model: {MODEL_NAME} trained in {self.seconds['train']:.1f}s on a "
            f"{self.meta['trained_on']} (SIMULATED ground truth); out of time from "
            f"{self.meta['test_from']}: prepay AUC {m['prepay']['auc']:.3f} "
            f"(true hazards {m['prepay']['auc_truth']:.3f}), default AUC "
            f"{m['default']['auc']:.3f} ({m['default']['auc_truth']:.3f}), worst calibration "
            f"decile {100 * m['prepay']['max_decile_calib_err']:.0f}% / "
            f"{100 * m['default']['max_decile_calib_err']:.0f}%",
        ]
        if recs:
            last = recs[-1]
            priced = sum(1 for r in recs if "pool_value" in r)
            lines.append(
                f"model re-pricing: {len(recs)} period(s) scored against the attested loan root, "
                f"{priced} re-priced at OAS {OAS_BP:.0f} bp on {PATHS} paths "
                f"({self.seconds['periods']:.1f}s); last period forecast/realized CPR "
                f"{last['forecast_cpr']:.1f}%/{last['realized_cpr']:.1f}%, CDR "
                f"{last['forecast_cdr']:.2f}%/{last['realized_cdr']:.2f}%"
            )
            tr = last.get("tranches") or {}
            vals = ", ".join(f"{k} {v:.2f}" for k, v in tr.items())
            if "pool_value" in last:
                lines.append(
                    f"model values per 100 of current face: pool {last['pool_value']:.2f}"
                    + (f"; {vals}" if vals else "")
                )
        for e in self.errors:
            lines.append(f"[red]models: {e}[/red]")
        return lines


def section_html(meta: dict[str, Any], recs: list[dict[str, Any]], errors: list[str]) -> str:
    """The report section: a note, the two charts and the per-period table."""
    m = meta.get("metrics", {})
    esc = html.escape
    note = (
        f"<p>Model <b>{esc(str(meta.get('model')))}</b>: LightGBM hazards trained on a "
        f"{esc(str(meta.get('trained_on')))} (SIMULATED ground truth), window "
        f"{esc(' to '.join(meta.get('train_window', [])))}, tested from "
        f"{esc(str(meta.get('test_from')))}. "
        f"Prepay AUC {m.get('prepay', {}).get('auc', math.nan):.3f}"
        f" (true hazards {m.get('prepay', {}).get('auc_truth', math.nan):.3f}), default AUC "
        f"{m.get('default', {}).get('auc', math.nan):.3f} "
        f"({m.get('default', {}).get('auc_truth', math.nan):.3f}). Each period the loan-level "
        "records are checked against the attested loan root and the loans re-scored; "
        f"every {meta.get('reprice_every', 1)} period(s) the pool and tranches re-priced at OAS "
        f"{meta.get('oas_bp', 0):.0f} bp on "
        f"{meta.get('paths')} Hull-White paths, flat mortgage rate "
        f"{100 * meta.get('mortgage_rate', 0):.2f}% (illustrative curve). The demo's servicer "
        "feed follows pool-level PSA/SDA regimes split across loans, not the model: realized "
        "rates need not agree with the forecast, and no loan terminates on its own "
        "(realized = the report's prepayments and newly stopped balance).</p>"
    )
    charts = rate_chart(recs) + value_chart(recs)
    names = list(dict.fromkeys(k for r in recs for k in (r.get("tranches") or {})))
    head = "".join(
        f"<th>{h}</th>"
        for h in ["period", "CPR fcst", "CPR real", "CDR fcst", "CDR real", "pool", *names]
    )
    body = []
    for r in recs:
        cells = [
            str(r["period"]),
            f"{r['forecast_cpr']:.2f}",
            f"{r['realized_cpr']:.2f}",
            f"{r['forecast_cdr']:.3f}",
            f"{r['realized_cdr']:.3f}",
            f"{r['pool_value']:.2f}" if "pool_value" in r else "",
            *(f"{(r.get('tranches') or {}).get(n, math.nan):.2f}" for n in names),
        ]
        body.append("<tr>" + "".join(f'<td class="num">{c}</td>' for c in cells) + "</tr>")
    errs = "".join(f'<p style="color:#b00">{esc(e)}</p>' for e in errors)
    return (
        note
        + errs
        + charts
        + f'<table class="grid"><thead><tr>{head}</tr></thead>'
        + f"<tbody>{''.join(body)}</tbody></table>"
    )


def make_hook(out_dir: Path, console: Console) -> _Hook:
    """The models step's hook."""
    return _Hook(out_dir, console)

"""The main job: ``trancheflow demo`` on the embedded default.

With no flags it runs a deal's whole life in one process:

1. generate a seeded synthetic loan tape (2,000 loans) and validate it;
2. load the example deal spec (``examples/demo/deal.yaml``) over that tape,
   project the pool, price it, run the waterfall in exact and float modes
   (and check they agree), and build a yield table at the sale prices;
3. deploy the deal on titanoboa's in-process chain, sell the tranches to
   investor accounts through subscription windows, then run five years of
   monthly servicing (:mod:`trancheflow.ops.lifecycle`): the servicer deposits
   collections, 2 of 3 oracle signers attest, the keeper finalizes, investors
   claim and trade, the indexer records it all in SQLite;
4. audit every finalized period against the spec (:mod:`trancheflow.ops.audit`);
5. print a summary and write ``report.html`` with charts.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:  # doctest: +SKIP
...     result = run_demo(d, loans=300, months=6)
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trancheflow.deal.spec import DealSpec
from trancheflow.errors import TrancheflowError

DEMO_SPEC = Path(__file__).resolve().parents[3] / "examples" / "demo" / "deal.yaml"
TAPE_NAME = "demo-tape.parquet"


@dataclass
class DemoResult:
    """What the demo produced: file paths and the headline tables."""

    out_dir: Path
    tape_path: Path
    report_path: Path
    db_url: str
    pool_summary: dict[str, float]
    tranches: pd.DataFrame
    onchain: pd.DataFrame
    audit_ok: bool
    audit_summary: str
    exact_vs_float_max_diff: float
    alerts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extras: dict[str, bool] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The audit passed and every extra step's own checks passed."""
        return self.audit_ok and all(self.extras.values())


def _spec_for_tape(
    spec_path: Path, tape_path: Path, tape_balance: float, notes: list[str]
) -> DealSpec:
    """Load the demo spec over ``tape_path``; scale tranches if they don't fit."""
    from trancheflow.deal.spec import parse_spec

    if not spec_path.is_file():
        raise TrancheflowError(
            f"demo deal spec not found at {spec_path}; run the demo from a trancheflow checkout "
            "or pass --spec FILE"
        )
    from trancheflow.yaml_io import load_yaml

    data = load_yaml(spec_path.read_text(encoding="utf-8"), str(spec_path))
    if not isinstance(data, dict) or not isinstance(data.get("tranches"), list):
        raise TrancheflowError(f"{spec_path}: not a deal spec (a mapping with tranches)")
    data["collateral"] = {"tape": str(tape_path)}
    sized = sum(t["balance"] for t in data["tranches"] if not t.get("residual"))
    limit = 0.92 * tape_balance
    if sized > limit:
        k = limit / sized
        for t in data["tranches"]:
            if not t.get("residual"):
                t["balance"] = int(t["balance"] * k // 1000 * 1000)
        notes.append(
            f"tranche balances scaled by {k:.4f} to fit the generated tape (${tape_balance:,.0f})"
        )
    return parse_spec(data, file=str(spec_path), onchain=True)


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


#: Report column names in words (the library keeps yields as decimals; the report shows %).
_WORDS = {
    "wal": "WAL (years)",
    "mod_duration": "modified duration",
    "first_principal": "first principal period",
    "last_principal": "last principal period",
    "interest_shortfall": "interest shortfall",
    "interest_forgiven": "forgiven interest",
    "written_down": "written down",
    "claimed_by_investors": "claimed by investors",
    "claimable_by_investors": "claimable by investors",
    "held_by_issuer": "held by issuer (face)",
}


def _people(frame: pd.DataFrame) -> pd.DataFrame:
    """Yields in percent, column names in words, period numbers as integers."""
    out = frame.copy()
    if "yield" in out:
        out["yield"] = out["yield"] * 100
    for c in ("first_principal", "last_principal"):
        if c in out:
            out[c] = out[c].map(lambda v: "-" if v is None or v != v else f"{int(v)}")
    return out.rename(columns={**_WORDS, "yield": "yield (%)"})


def _cell(v: object) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,d}"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1000 else f"{v:,.4f}"
    return str(v)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, formatters=dict.fromkeys(frame.columns, _cell), border=0)


def _write_report(out: Path, sections: list[tuple[str, str]], title: str) -> Path:
    body = [f"<h1>{html.escape(title)}</h1>"]
    body += [f"<h2>{html.escape(h)}</h2>{content}" for h, content in sections]
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:1250px;margin:2em auto}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 10px;text-align:right}"
        "tr:nth-child(even){background:#f4f4f4}img{max-width:100%}"
        ".pass{color:#080;font-weight:bold}.fail{color:#b00;font-weight:bold}</style>"
        "</head><body>" + "\n".join(body) + "</body></html>"
    )
    path = out / "report.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page)
    tmp.replace(path)  # never a half-written report
    return path


def run_demo(
    out_dir: str | Path = "trancheflow-report",
    *,
    loans: int = 2000,
    seed: int = 7,
    months: int = 60,
    investors: int = 4,
    spec_path: str | Path | None = None,
    console: Console | None = None,
    extras: Sequence[str] | None = None,
) -> DemoResult:
    """Run the main job and write its report under ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Folder for the tape, database, deployments, charts and ``report.html``.
    loans, seed : int
        Size and seed of the synthetic tape (the seed also drives the speed
        regimes, purchases, claims and trades).
    months : int
        Months of on-chain servicing.
    investors : int
        Investor accounts buying the tranches.
    spec_path : path, optional
        Deal spec to run (default ``examples/demo/deal.yaml``).
    console : rich.console.Console, optional
        Where to print; a quiet console when None.
    extras : sequence of str, optional
        Extra steps beside the life (:data:`~trancheflow.ops.demo_extras.DEMO_EXTRAS`,
        all by default; ``()`` for none).

    Returns
    -------
    DemoResult
    """
    from trancheflow.analytics.pool import pool_measures
    from trancheflow.collateral import Assumptions, project_pool
    from trancheflow.deal.run import collateral_pool, run_deal
    from trancheflow.deal.tables import tranche_analytics, yield_table
    from trancheflow.ops.audit import audit_db
    from trancheflow.ops.charts import (
        delinquency_chart,
        pool_chart,
        tranche_balance_chart,
        yield_chart,
    )
    from trancheflow.ops.demo_extras import DEMO_EXTRAS, load_extras
    from trancheflow.ops.lifecycle import run_life, sale_prices
    from trancheflow.tape import generate_tape, validate_tape, write_tape

    con = console or Console(quiet=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    hooks = load_extras(DEMO_EXTRAS if extras is None else extras, out, con)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=con,
        transient=True,
    )
    with progress:
        prep = progress.add_task("preparing", total=4)
        progress.update(prep, description="generating the loan tape")
        tape = validate_tape(generate_tape(loans, seed=seed), source=f"generated(seed={seed})")
        tape_path = out / TAPE_NAME
        write_tape(tape, tape_path)
        spec = _spec_for_tape(
            Path(spec_path or DEMO_SPEC), tape_path, float(tape["current_balance"].sum()), notes
        )
        progress.advance(prep)

        progress.update(prep, description="projecting and pricing the pool")
        pool = collateral_pool(spec)
        a = spec.assumptions
        base = Assumptions(
            a.prepay, a.default, severity=a.severity, recovery_lag=a.recovery_lag, advance=a.advance
        )
        cf = project_pool(pool, base)
        m = pool_measures(pool, base, price=100.0, delay_days=spec.delay_days)
        progress.advance(prep)

        progress.update(prep, description="running the waterfall (exact and float)")
        exact = run_deal(spec, mode="exact")
        flt = run_deal(spec, mode="float")
        diff = float(np.max(np.abs(exact.flows.cash_flow - flt.flows.cash_flow)))
        progress.advance(prep)

        progress.update(prep, description="yield table")
        prices = sale_prices([t.name for t in spec.debt_tranches])
        speeds = ["PSA 75", "PSA 150", "PSA 250", "PSA 400"]
        ytable = yield_table(
            spec,
            speeds,
            [a.default],
            price={k: v * 100 for k, v in prices.items()},
            delay_days=spec.delay_days,
        )
        ytable["scenario"] = ytable["prepay"] + " / " + ytable["default"]
        progress.advance(prep)
        progress.remove_task(prep)

        life_task = progress.add_task("servicing months on chain", total=months)
        db_url = f"sqlite:///{(out / 'trancheflow.db').resolve()}"
        if (out / "trancheflow.db").exists():
            (out / "trancheflow.db").unlink()  # each run indexes its own fresh chain
        life = run_life(
            spec,
            pool,
            tape_path=tape_path,
            db_url=db_url,
            months=months,
            investors=investors,
            seed=seed,
            prices=prices,
            hooks=hooks,
            on_month=lambda t: progress.update(
                life_task, completed=t, description=f"month {t}: report, attest, finalize, claim"
            ),
        )
        progress.update(life_task, description="auditing every period")
        audit = audit_db(db_url, life.handle.address, spec)

    scale = 10**spec.currency.decimals
    tranches = tranche_analytics(
        exact, price={k: v * 100 for k, v in prices.items()}, delay_days=spec.delay_days
    )
    pool_summary = {
        "loans": len(tape),
        "balance": float(tape["current_balance"].sum()),
        "wac (%)": float(np.average(tape["note_rate"], weights=tape["current_balance"]) * 100),
        "wam (months)": float(np.average(tape["remaining_term"], weights=tape["current_balance"])),
        "wala (months)": float(np.average(tape["loan_age"], weights=tape["current_balance"])),
        "projected cumulative loss (%)": float(
            cf["loss"].sum() / tape["current_balance"].sum() * 100
        ),
        "pool yield @100 (BEY %)": m.yield_bey * 100,
        "pool WAL (years)": m.wal,
        "exact vs float max |diff| ($)": diff,
    }
    names = list(exact.tranche_names)
    snaps = life.snapshots
    balances = {n: snaps[f"balance_{n}"].to_numpy(np.float64) / scale for n in names}
    charts = {
        "pool": pool_chart(cf, f"{spec.deal}: collateral at base speeds"),
        "tranches": tranche_balance_chart(balances, f"{spec.deal}: tranche balances on chain"),
        "credit": delinquency_chart(
            snaps, scale, f"{spec.deal}: delinquencies and losses reported"
        ),
        "yields": yield_chart(ytable, f"{spec.deal}: yields at sale prices by prepayment speed"),
    }
    for k, png in charts.items():
        (out / f"{k}.png").write_bytes(png)
    audit_class = "pass" if audit.ok else "fail"
    sections = [
        ("Audit", f"<p class='{audit_class}'>{html.escape(audit.summary)}</p>"),
        (
            "Tranches on chain",
            _table(_people(life.tranche_summary)) + _img(charts["tranches"], "tranche balances"),
        ),
        ("Delinquencies and losses", _img(charts["credit"], "delinquency buckets and losses")),
        (
            "Pool",
            _table(
                pd.DataFrame(
                    {
                        "measure": list(pool_summary),
                        "value": pd.Series(list(pool_summary.values()), dtype=object),
                    }
                )
            )
            + _img(charts["pool"], "pool balance, cash flow and losses"),
        ),
        (
            f"Tranche analytics (base speeds, sale prices; bond-equivalent yields, payment "
            f"delay {spec.delay_days} days)",
            _table(_people(tranches)),
        ),
        (
            "Yield table",
            _table(_people(ytable.drop(columns=["scenario"]))) + _img(charts["yields"], "yields"),
        ),
        (
            "Keeper alerts",
            "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in life.alerts) + "</ul>"
            if life.alerts
            else "<p>none</p>",
        ),
    ]
    for hook in hooks:
        sections.extend(hook.report_sections())
    if notes:
        sections.append(
            ("Notes", "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
        )
    report = _write_report(out, sections, f"trancheflow demo: {spec.deal}")
    result = DemoResult(
        out_dir=out,
        tape_path=tape_path,
        report_path=report,
        db_url=db_url,
        pool_summary=pool_summary,
        tranches=tranches,
        onchain=life.tranche_summary,
        audit_ok=audit.ok,
        audit_summary=audit.summary,
        exact_vs_float_max_diff=diff,
        alerts=life.alerts,
        notes=notes,
        extras={h.name: h.ok for h in hooks},
    )
    _print_summary(con, spec.deal, result, life)
    for hook in hooks:
        for line in hook.summary_lines():
            con.print(line, highlight=False)
    return result


#: Pool summary rows that are counts (printed as integers).
_COUNTS = ("loans",)


def _print_summary(con: Console, deal: str, r: DemoResult, life: Any) -> None:
    from trancheflow.cli._tables import Column, cell

    pool_t = Table(title=f"{deal}: pool", show_header=False)
    for k, v in r.pool_summary.items():
        kind = "count" if k in _COUNTS else "money" if abs(v) >= 1000 else "number"
        pool_t.add_row(k, cell({"v": v}, Column("v", k, kind)), style=None)  # type: ignore[arg-type]
    con.print(pool_t)
    t = Table(
        title=f"{deal}: on chain after {life.months} months ({len(life.investors)} investors, "
        f"{life.transfers} trades), amounts in currency"
    )
    cols = [
        Column("tranche", "tranche", "text"),
        Column("face", "face", "money"),
        Column("factor", "factor", "number", 6),
        Column("paid", "paid", "money"),
        Column("written_down", "written down", "money"),
        Column("claimed_by_investors", "claimed by investors", "money"),
        Column("claimable_by_investors", "claimable by investors", "money"),
        Column("held_by_issuer", "held by issuer (face)", "money"),
    ]
    for c in cols:
        t.add_column(c.label, justify="left" if c.kind == "text" else "right")
    rows = r.onchain.to_dict(orient="records")
    for row in rows:
        t.add_row(*(cell({str(k): v for k, v in row.items()}, c) for c in cols))
    con.print(t)
    held = [
        f"{row['tranche']} ({float(row['held_by_issuer']):,.2f})"
        for row in rows
        if float(row.get("held_by_issuer", 0.0)) > 0
    ]
    con.print(
        "still held by the issuer: " + (", ".join(held) if held else "none (every token sold)"),
        highlight=False,
    )
    style = "bold green" if r.audit_ok else "bold red"
    con.print(f"[{style}]audit:[/] {r.audit_summary}", highlight=False)
    for a in r.alerts:
        con.print(f"[yellow]keeper alert:[/] {a}", highlight=False)
    for n in r.notes:
        con.print(f"[yellow]note:[/] {n}")

"""Tranche analytics and desk-style yield tables.

Per tranche: WAL, yield at a price or price at a yield, modified duration
(:mod:`trancheflow.analytics` conventions: bond-equivalent cash-flow yield,
30/360 monthly times), principal window, writedowns and unpaid interest. A
yield table runs every (prepayment x default) scenario through the float
waterfall at once - each scenario is one path - and shows per tranche
price/yield, WAL and window.

Examples
--------
>>> expand_speeds("PSA 100,165, 300")
['PSA 100', 'PSA 165', 'PSA 300']
>>> expand_speeds("SDA 0, CDR 2")
['SDA 0', 'CDR 2']
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from trancheflow.analytics import (
    average_life,
    modified_duration,
    price_from_yield,
    yield_from_price,
)
from trancheflow.analytics.conventions import DEFAULT_PAYMENT_DELAY_DAYS, payment_delay_days
from trancheflow.analytics.price_quote import PriceType, check_prices, parse_price_type
from trancheflow.deal.collections import Collections
from trancheflow.deal.run import DealResult, check_deal
from trancheflow.deal.spec import DealSpec
from trancheflow.deal.waterfall import FloatResult, FloatWaterfall
from trancheflow.errors import AnalyticsError, SpeedNotationError

__all__ = [
    "balance_chart",
    "expand_speeds",
    "ml_yield_table",
    "tranche_analytics",
    "yield_table",
    "yield_table_rich",
]


def expand_speeds(text: str) -> list[str]:
    """Split ``"PSA 100,165,300"``: bare numbers take the previous item's curve name.

    An empty list, or an empty item (``"PSA 100,,300"``), is an error.
    """
    out: list[str] = []
    prefix = ""
    if not str(text).strip():
        raise SpeedNotationError(f"speeds {text!r}: give at least one speed, e.g. 'PSA 100,165'")
    for k, raw in enumerate(text.split(",")):
        item = raw.strip()
        if not item:
            raise SpeedNotationError(
                f"speeds {text!r}: item {k + 1} is empty (two commas in a row, or a trailing one)"
            )
        head = item.split()[0]
        if head.replace(".", "", 1).replace("-", "", 1).isdigit():
            if not prefix:
                raise SpeedNotationError(f"speed {item!r} needs a curve name (e.g. 'PSA {item}')")
            item = f"{prefix} {item}"
        else:
            prefix = head
        out.append(item)
    return out


def _flows(result: DealResult | FloatResult) -> FloatResult:
    return result.flows if isinstance(result, DealResult) else result


def _delay(result: DealResult | FloatResult, delay_days: int | None) -> int:
    """The delay asked for, else the deal's, else the default (one convention)."""
    if delay_days is not None:
        return payment_delay_days(delay_days)
    if isinstance(result, DealResult):
        return result.spec.delay_days
    return DEFAULT_PAYMENT_DELAY_DAYS


def _one_tranche(
    f: FloatResult,
    path: int,
    i: int,
    price: float | None,
    yld: float | None,
    delay_days: int,
    price_type: PriceType = "clean",
) -> dict[str, Any]:
    p = f.params
    name = p.names[i]

    def dust(x: float) -> float:  # float residue below half a token unit is zero
        return 0.0 if abs(x) < 0.5 / f.unit_scale else float(x)

    face = p.tranche_balances[i] / f.unit_scale
    prin = f.principal_paid[path, :, i] - f.accreted[path, :, i]
    cash = f.cash_flow[path, :, i]
    paid = np.nonzero(f.principal_paid[path, :, i] > 0.5 / f.unit_scale)[0]
    row: dict[str, Any] = {
        "tranche": name,
        "balance": face,
        "first_principal": int(paid[0]) + 1 if paid.size else None,
        "last_principal": int(paid[-1]) + 1 if paid.size else None,
        "writedown": dust(f.writedown[path, :, i].sum()),
        "interest_shortfall": dust(f.interest_shortfall[path, -1, i]),
        "interest_forgiven": dust(f.interest_forgiven[path, :, i].sum()),
        "loss": dust(f.writedown[path, :, i].sum() + f.interest_forgiven[path, :, i].sum()),
    }
    conv: Literal["gpm", "z_bond"] = "z_bond" if p.accrual[i] else "gpm"
    try:
        row["wal"] = average_life(prin, delay_days=delay_days, convention=conv)
    except AnalyticsError:
        row["wal"] = math.nan
    try:
        if yld is None:
            if price is None:
                raise AnalyticsError(f"tranche {name}: give a price or a yield")
            yld = yield_from_price(
                cash, price, balance=face, delay_days=delay_days, price_type=price_type
            )
        else:
            p_ = price_from_yield(cash, yld, balance=face, delay_days=delay_days)
            price = p_.clean if price_type == "clean" else p_.full
        row["price"], row["yield"] = price, yld
        row["mod_duration"] = modified_duration(cash, yld, delay_days=delay_days)
    except AnalyticsError:
        row["price"], row["yield"], row["mod_duration"] = price, math.nan, math.nan
    return row


def tranche_analytics(
    result: DealResult | FloatResult,
    *,
    price: float | Mapping[str, float] | None = 100.0,
    yield_: float | Mapping[str, float] | None = None,
    path: int = 0,
    delay_days: int | None = None,
    price_type: PriceType = "clean",
) -> pd.DataFrame:
    """WAL, yield/price, modified duration, window and losses per tranche.

    Parameters
    ----------
    result : DealResult or FloatResult
    price : float or mapping, default 100
        Price (percent of original face) to solve the yield at; a mapping
        gives one per tranche name (a tranche it leaves out is priced at par;
        a name that is not a tranche is an error). A price of 0 or below is an
        error (:func:`~trancheflow.analytics.price_quote.check_price`).
    yield_ : float or mapping, optional
        Bond-equivalent yield to price at instead (overrides ``price``).
    path : int
        Which path of a multi-path result.
    delay_days : int, optional
        Actual payment delay in days; default the spec's
        ``payment_delay_days`` (a ``DealResult``) or
        :data:`~trancheflow.analytics.conventions.DEFAULT_PAYMENT_DELAY_DAYS`.
    price_type : {'clean', 'full'}
        Whether ``price`` excludes accrued interest. Settlement is on the
        accrual start of period 1, so accrued is 0 and both give the same yield.

    Returns
    -------
    pandas.DataFrame
        One row per non-residual tranche: ``tranche, balance, price, yield, wal,
        mod_duration, first_principal, last_principal, writedown,
        interest_shortfall`` (unpaid at the end), ``interest_forgiven`` (written
        off with principal, over the life) ``, loss``. Accrual tranches' WAL counts only their
        principal payments (SF H.1, ``z_bond``).
    """
    f = _flows(result)
    delay = _delay(result, delay_days)
    price_type = parse_price_type(price_type, "price_type")
    if price is not None:
        check_prices(price, f.params.names)
    rows = []
    for i, name in enumerate(f.params.names):
        pr = price.get(name, 100.0) if isinstance(price, Mapping) else price
        yl = yield_.get(name) if isinstance(yield_, Mapping) else yield_
        rows.append(_one_tranche(f, path, i, pr, yl, delay, price_type))
    cols = [
        "tranche",
        "balance",
        "price",
        "yield",
        "wal",
        "mod_duration",
        "first_principal",
        "last_principal",
        "writedown",
        "interest_shortfall",
        "interest_forgiven",
        "loss",
    ]
    return pd.DataFrame(rows)[cols]


def yield_table(
    spec: DealSpec,
    prepays: Sequence[str],
    defaults: Sequence[str] = ("SDA 0",),
    *,
    price: float | Mapping[str, float] = 100.0,
    severity: float | None = None,
    recovery_lag: int | None = None,
    delay_days: int | None = None,
    price_type: PriceType = "clean",
) -> pd.DataFrame:
    """A yield table: one row per (prepay, default) scenario and tranche.

    All scenarios run in one vectorised float waterfall (one path each).

    Returns
    -------
    pandas.DataFrame
        Columns ``prepay, default, tranche, price, yield, wal, mod_duration,
        first_principal, last_principal, writedown``.
    """
    from trancheflow.collateral import Assumptions, project_scenarios

    a = spec.assumptions
    sev = a.severity if severity is None else severity
    lag = a.recovery_lag if recovery_lag is None else recovery_lag
    grid = [(pp, d) for d in defaults for pp in prepays]
    scen = [Assumptions(pp, d, severity=sev, recovery_lag=lag, advance=a.advance) for pp, d in grid]
    pool, params, units = check_deal(spec)
    check_prices(price, params.names)
    cube = project_scenarios(pool, scen)
    flows = FloatWaterfall(params).run(
        Collections.from_scenarios(cube),
        pool_balance=units / 10**params.decimals,
        index_paths=dict(spec.indices),
    )
    frames = []
    for k, (pp, d) in enumerate(grid):
        t = tranche_analytics(
            flows,
            price=price,
            path=k,
            delay_days=spec.delay_days if delay_days is None else delay_days,
            price_type=price_type,
        )
        t.insert(0, "default", d)
        t.insert(0, "prepay", pp)
        frames.append(
            t.drop(columns=["balance", "interest_shortfall", "interest_forgiven", "loss"])
        )
    return pd.concat(frames, ignore_index=True)


def ml_yield_table(
    spec: DealSpec,
    pool: pd.DataFrame,
    model: Any,
    mortgage_rates: Sequence[float],
    *,
    price: float | Mapping[str, float] = 100.0,
    credit: str = "loss",
    severity: float | None = None,
    hpa: float = 0.0,
    start_month_of_year: int = 1,
    delay_days: int | None = None,
    price_type: PriceType = "clean",
) -> pd.DataFrame:
    """A yield table whose behaviour is a trained hazard model instead of PSA/SDA speeds.

    Each scenario is the market mortgage rate held flat (annual decimal) on
    which the model (:mod:`trancheflow.models.pricing`, ``credit`` and
    ``severity`` as in :class:`~trancheflow.models.tranche_pricing.MLBehaviour`)
    projects ``pool`` loan by loan; all scenarios run through the float
    waterfall at once, as :func:`yield_table` does.

    Returns
    -------
    pandas.DataFrame
        Columns ``mortgage_rate, prepay, default, tranche, price, yield, wal,
        mod_duration, first_principal, last_principal, writedown, cpr, cdr``
        (``cpr``/``cdr`` the pool's lifetime speeds in the scenario, percent;
        ``prepay``/``default`` label the scenario for :func:`yield_table_rich`).
    """
    from trancheflow.collateral.projection import CASHFLOW_COLUMNS
    from trancheflow.models.pricing import project_paths_ml
    from trancheflow.models.tranche_pricing import compiled, ml_deal_security

    rates = np.asarray(list(mortgage_rates), dtype=np.float64)
    if rates.ndim != 1 or len(rates) == 0 or not np.all(np.isfinite(rates)):
        raise AnalyticsError(f"mortgage_rates {list(mortgage_rates)!r} must be finite numbers")
    if np.any((rates <= -0.05) | (rates > 0.5)):
        raise AnalyticsError(f"mortgage_rates {rates.tolist()} look like percent: give decimals")
    sec = ml_deal_security(spec, pool.reset_index(drop=True), None)
    params = sec.waterfall
    check_prices(price, params.names)
    T = sec.n_periods
    sev = spec.assumptions.severity if severity is None else float(severity)
    cube = project_paths_ml(
        pool.reset_index(drop=True),
        compiled(model),
        np.repeat(rates[:, None], T, axis=1),
        start_month_of_year=start_month_of_year,
        hpa=hpa,
        n_periods=T,
        credit=credit,
        severity=sev,
    )
    flows = FloatWaterfall(params).run(
        Collections.from_scenarios(cube),
        pool_balance=sec.pool_balance,
        index_paths=dict(spec.indices),
    )
    c = {n: i for i, n in enumerate(CASHFLOW_COLUMNS)}
    frames = []
    for k, r in enumerate(rates):
        t = tranche_analytics(
            flows,
            price=price,
            path=k,
            delay_days=spec.delay_days if delay_days is None else delay_days,
            price_type=price_type,
        )
        beg = cube[k, :, c["beginning_balance"]]
        with np.errstate(invalid="ignore", divide="ignore"):
            smm = cube[k, :, c["voluntary_prepayment"]].sum() / beg.sum()
            mdr = cube[k, :, c["new_defaults"]].sum() / beg.sum()
        cpr = 100.0 * (1.0 - (1.0 - smm) ** 12)
        cdr = 100.0 * (1.0 - (1.0 - mdr) ** 12)
        t.insert(0, "default", f"model {cdr:.2f} CDR")
        t.insert(0, "prepay", f"mtg {100 * r:.2f}%: {cpr:.1f} CPR")
        t.insert(0, "mortgage_rate", float(r))
        t["cpr"] = cpr
        t["cdr"] = cdr
        frames.append(
            t.drop(columns=["balance", "interest_shortfall", "interest_forgiven", "loss"])
        )
    return pd.concat(frames, ignore_index=True)


def yield_table_rich(table: pd.DataFrame, title: str = "yield table") -> Any:
    """A :class:`rich.table.Table`: scenarios down, tranches across
    (price/yield, WAL, window per tranche), like a desk screen."""
    from rich.table import Table

    names = list(dict.fromkeys(table["tranche"]))
    out = Table(title=title, show_lines=True)
    out.add_column("prepay", no_wrap=True)
    out.add_column("default", no_wrap=True)
    for n in names:
        out.add_column(f"{n}\nyield %\nWAL  window", justify="right", no_wrap=True)
    for (pp, d), g in table.groupby(["prepay", "default"], sort=False):
        cells = []
        for n in names:
            r = g[g["tranche"] == n].iloc[0]
            y = "-" if pd.isna(r["yield"]) else f"{100 * r['yield']:.3f}"
            w = "-" if pd.isna(r["wal"]) else f"{r['wal']:.2f}"
            win = (
                "-"
                if pd.isna(r["first_principal"])
                else f"{int(r['first_principal'])}-{int(r['last_principal'])}"
            )
            cells.append(f"{y}\n{w}  {win}")
        out.add_row(str(pp), str(d), *cells)
    return out


def balance_chart(result: DealResult | FloatResult, file: str | Path, *, path: int = 0) -> Path:
    """Chart tranche balances over time: PNG (``.png``) or HTML embedding it (``.html``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = _flows(result)
    file = Path(file)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    x = np.arange(1, f.n_periods + 1)
    ax.stackplot(x, f.ending_balance[path].T, labels=list(f.params.names), alpha=0.85)
    ax.set_xlabel("period (month)")
    ax.set_ylabel("tranche balance")
    deal = result.spec.deal if isinstance(result, DealResult) else "deal"
    ax.set_title(f"{deal}: tranche balances")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    if file.suffix.lower() == ".html":
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        img = base64.b64encode(buf.getvalue()).decode("ascii")
        file.write_text(
            f"<!doctype html><meta charset='utf-8'><title>{deal}</title>"
            f"<img alt='tranche balances' src='data:image/png;base64,{img}'>",
            encoding="utf-8",
        )
    else:
        fig.savefig(file, dpi=110)
    plt.close(fig)
    return file

"""Charts people would rather look at than read: pool and tranche cash flows.

Every function returns PNG bytes (matplotlib's Agg backend, no display), so
the CLI can write files and the HTML report can embed them.

Examples
--------
>>> import pandas as pd
>>> cf = pd.DataFrame({"period": [1, 2], "beginning_balance": [100.0, 90.0],
...     "performing_balance": [90.0, 80.0], "foreclosure_balance": [0.0, 1.0],
...     "total_principal": [10.0, 9.0], "net_interest": [0.5, 0.45],
...     "loss": [0.0, 0.2], "new_defaults": [0.0, 1.0]})
>>> pool_chart(cf)[:4] == b"\\x89PNG"
True
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from numpy.typing import NDArray

_MILLION = 1e6


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def pool_chart(cf: pd.DataFrame, title: str = "Collateral pool") -> bytes:
    """Pool balance, monthly principal/interest and losses over time.

    Parameters
    ----------
    cf : pandas.DataFrame
        Output of :func:`trancheflow.collateral.project_pool`.
    title : str
        Figure title.

    Returns
    -------
    bytes
        A PNG image.
    """
    t = cf["period"].to_numpy()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    ax.plot(t, cf["performing_balance"] / _MILLION, label="performing")
    ax.plot(t, cf["foreclosure_balance"] / _MILLION, label="in foreclosure")
    ax.set(title="Balance ($M)", xlabel="month")
    ax.legend()
    ax = axes[1]
    ax.stackplot(
        t,
        cf["total_principal"] / _MILLION,
        cf["net_interest"] / _MILLION,
        labels=["principal", "net interest"],
        alpha=0.8,
    )
    ax.set(title="Investor cash flow ($M / month)", xlabel="month")
    ax.legend()
    ax = axes[2]
    ax.bar(t, cf["loss"] / _MILLION, color="tab:red", label="realized loss", width=1.0)
    ax2 = ax.twinx()
    ax2.plot(t, cf["loss"].cumsum() / _MILLION, color="black", label="cumulative")
    ax.set(title="Losses ($M)", xlabel="month")
    ax2.set_ylabel("cumulative ($M)")
    fig.suptitle(title)
    return _png(fig)


def tranche_balance_chart(
    balances: Mapping[str, NDArray[np.float64]] | pd.DataFrame,
    title: str = "Tranche balances",
) -> bytes:
    """Stacked tranche balances over time (senior at the bottom).

    Parameters
    ----------
    balances : mapping of name -> array, or DataFrame with one column per tranche
        Ending balance per period, in currency units.
    title : str
        Figure title.

    Returns
    -------
    bytes
        A PNG image.
    """
    names: Sequence[str] = list(balances.keys())
    series = [np.asarray(balances[n], dtype=np.float64) / _MILLION for n in names]
    t = np.arange(1, len(series[0]) + 1)
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.stackplot(t, *series, labels=names, alpha=0.85)
    ax.set(title=title, xlabel="month", ylabel="$M")
    ax.legend(loc="upper right")
    return _png(fig)


def delinquency_chart(snapshots: pd.DataFrame, scale: float, title: str = "Credit") -> bytes:
    """Delinquency buckets (stacked balances) and monthly realized losses.

    Parameters
    ----------
    snapshots : pandas.DataFrame
        One row per period with ``period``, ``losses`` and ``<bucket>_balance``
        columns (``dq30``, ``dq60``, ``dq90``, ``foreclosure``, ``reo``), in
        token units.
    scale : float
        Units per currency unit (``10**decimals``).
    title : str
        Figure title.

    Returns
    -------
    bytes
        A PNG image.
    """
    t = snapshots["period"].to_numpy()
    buckets = [
        b for b in ("dq30", "dq60", "dq90", "foreclosure", "reo") if f"{b}_balance" in snapshots
    ]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    ax = axes[0]
    ax.stackplot(
        t,
        *[snapshots[f"{b}_balance"] / scale / _MILLION for b in buckets],
        labels=buckets,
        alpha=0.85,
    )
    ax.set(title="Delinquent balance by bucket ($M)", xlabel="month")
    ax.legend(loc="upper left")
    ax = axes[1]
    ax.bar(t, snapshots["losses"] / scale / _MILLION, color="tab:red", width=1.0)
    ax2 = ax.twinx()
    ax2.plot(t, snapshots["losses"].cumsum() / scale / _MILLION, color="black")
    ax.set(title="Realized losses ($M; line: cumulative)", xlabel="month")
    fig.suptitle(title)
    return _png(fig)


def yield_chart(table: pd.DataFrame, title: str = "Tranche yields by prepayment speed") -> bytes:
    """Yield of each tranche (at its price) across prepayment scenarios.

    Parameters
    ----------
    table : pandas.DataFrame
        Long form with ``scenario``, ``tranche`` and ``yield`` (decimal).
    title : str
        Figure title.

    Returns
    -------
    bytes
        A PNG image.
    """
    fig, ax = plt.subplots(figsize=(9, 4.2))
    scenarios = list(dict.fromkeys(table["scenario"]))
    x = np.arange(len(scenarios))
    for name, g in table.groupby("tranche", sort=False):
        g = g.set_index("scenario").reindex(scenarios)
        ax.plot(x, g["yield"] * 100, marker="o", label=str(name))
    ax.set_xticks(x, scenarios, rotation=20)
    ax.set(title=title, ylabel="yield, % BEY")
    ax.legend()
    return _png(fig)

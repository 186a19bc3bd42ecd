"""``trancheflow model``: simulate a ground-truth panel, train, evaluate and explain hazard models.

A panel is a Parquet file or directory with the columns of
:mod:`trancheflow.tape.panel` (``tape panel`` builds one from Freddie Mac
files; ``model simulate`` draws one from known hazards). The features need the
market mortgage rate and an HPI by month: ``--market CSV`` with columns
``period, mortgage_rate, hpi`` (``model simulate`` writes ``market.csv``).

Models are saved by name in the models directory (``--models-dir``, else
``TRANCHEFLOW_MODELS``, else ``~/.trancheflow/models``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from trancheflow.errors import ModelError
from trancheflow.models.features import MarketPath, build_features, from_panel, month_index
from trancheflow.models.metrics import Scores
from trancheflow.models.registry import list_models, load_model, save_model
from trancheflow.models.simulate import simulate_panel
from trancheflow.models.train import evaluate_model, train_hazard_model

app = typer.Typer(help="Machine-learned prepay/default/cure hazards.", no_args_is_help=True)
console = Console()

ModelsDir = typer.Option(None, "--models-dir", help="models directory")
MarketOpt = typer.Option(..., "--market", help="CSV: period, mortgage_rate, hpi")


def _read_panel(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise ModelError(f"{path}: no such panel file or directory") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read as a Parquet panel ({exc})") from None


def _read_market(path: Path) -> MarketPath:
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise ModelError(f"{path}: no such market file") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read as CSV ({exc})") from None
    return MarketPath.from_frame(df, source=str(path))


def _truth(path: Path | None, panel: pd.DataFrame, lm_order: pd.DataFrame) -> dict | None:
    if path is None:
        return None
    t = pd.read_parquet(path)
    merged = lm_order.merge(t, on=["loan_id", "period"], how="left")
    return {r: merged[r].to_numpy(dtype=np.float64) for r in ("prepay", "default", "cure")}


def _spinner() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    )


def _scores_table(title: str, ev: dict[str, dict[str, Scores]]) -> Table:
    table = Table(title=title)
    for c in ("risk", "forecaster", "rows", "events", "AUC", "log-loss", "Brier", "mean", "rate",
              "max decile err"):  # fmt: skip
        table.add_column(c, justify="right")
    for risk, res in ev.items():
        for name, s in res.items():
            table.add_row(
                risk,
                name,
                f"{s.rows:,}",
                f"{s.events:,}",
                f"{s.auc:.4f}",
                f"{s.log_loss:.5f}",
                f"{s.brier:.6f}",
                f"{s.mean_forecast:.5f}",
                f"{s.event_rate:.5f}",
                f"{s.max_decile_err:.3f}",
            )
    return table


@app.command()
def simulate(
    out_dir: Path = typer.Argument(
        ..., help="directory for panel.parquet, market.csv, truth.parquet"
    ),
    loans: int = typer.Option(20_000, help="loans to originate"),
    seed: int = typer.Option(0),
    originate_to: str = typer.Option("2019-12", help="last origination month"),
    end: str = typer.Option("2022-12", help="last observed month"),
    like: Path | None = typer.Option(
        None,
        "--like",
        help="draw the covariates from a fit of this origination file (Freddie .txt, "
        "CSV/Parquet tape, or a saved --like model .json)",
    ),
) -> None:
    """Draw a ground-truth panel from the simulator's known hazards (illustrative parameters)."""
    fit = None
    if like is not None:
        from trancheflow.tape.like import LikeModel, fit_like

        if not like.is_file():
            raise ModelError(f"--like {like}: no such file")
        with _spinner() as prog:
            prog.add_task(f"fitting covariates to {like.name}", total=None)
            fit = LikeModel.load(like) if like.suffix.lower() == ".json" else fit_like(like)
    with _spinner() as prog:
        prog.add_task(f"simulating {loans:,} loans", total=None)
        sim = simulate_panel(
            loans, seed=seed, originate=("2012-01", originate_to), end=end, like=fit
        )
        panel = sim.panel.to_panel()
    out_dir.mkdir(parents=True, exist_ok=True)
    panel.to_parquet(out_dir / "panel.parquet", index=False)
    sim.market.to_frame().to_csv(out_dir / "market.csv", index=False)
    truth = pd.DataFrame({"loan_id": panel["loan_id"], "period": panel["period"], **sim.truth_prob})
    truth.to_parquet(out_dir / "truth.parquet", index=False)
    console.print(
        f"{len(panel):,} loan-months of {loans:,} loans -> {out_dir} "
        "(panel.parquet, market.csv, truth.parquet; simulated, illustrative hazards"
        + (f"; covariates like {fit.source}, {fit.n:,} loans fitted)" if fit is not None else ")")
    )


@app.command()
def train(
    panel: Path = typer.Argument(..., help="panel Parquet file or directory"),
    name: str = typer.Option(..., "--name", help="save the model under this name"),
    market: Path = MarketOpt,
    split: str = typer.Option(..., help="first out-of-time test month YYYY-MM"),
    rounds: int = typer.Option(1000, help="boosting rounds at most (early stopping)"),
    grouping: str = typer.Option("additive", help="interaction groups: additive, grouped, none"),
    logistic: bool = typer.Option(False, help="also fit and score the logistic baseline"),
    truth: Path | None = typer.Option(None, help="truth.parquet of a simulated panel"),
    overwrite: bool = typer.Option(False),
    models_dir: Path | None = ModelsDir,
) -> None:
    """Train prepay/default/cure models before SPLIT, score them from SPLIT on, save by name."""
    df = _read_panel(panel)
    mk = _read_market(market)
    lm = from_panel(df, source=str(panel))
    with _spinner() as prog:
        task = prog.add_task("training", total=None)
        model = train_hazard_model(
            lm,
            mk,
            split=split,
            rounds=rounds,
            grouping=grouping,
            logistic=logistic,
            progress=lambda s: prog.update(task, description=f"training: {s}"),
            name=name,
        )
        prog.update(task, description="scoring the test months")
        order = _row_keys(lm)
        ev = evaluate_model(model, lm, mk, truth=_truth(truth, df, order))
    model.meta["metrics"] = {r: {k: s.as_dict() for k, s in res.items()} for r, res in ev.items()}
    where = save_model(model, name, directory=models_dir, overwrite=overwrite)
    console.print(_scores_table(f"{name}: out of time from {model.meta['test_from']}", ev))
    console.print(f"saved {where}")


def _row_keys(lm: object) -> pd.DataFrame:
    from trancheflow.models.features import LoanMonths

    assert isinstance(lm, LoanMonths)
    months = lm.period.astype(np.int64)
    return pd.DataFrame(
        {
            "loan_id": lm.loans["loan_id"].to_numpy()[lm.loan_idx],
            "period": pd.to_datetime(
                {"year": 1970 + months // 12, "month": months % 12 + 1, "day": 1}
            ),
        }
    )


@app.command()
def evaluate(
    name: str = typer.Argument(..., help="saved model name"),
    panel: Path = typer.Argument(..., help="panel Parquet file or directory"),
    market: Path = MarketOpt,
    from_month: str | None = typer.Option(None, "--from", help="first month scored (YYYY-MM)"),
    truth: Path | None = typer.Option(None, help="truth.parquet of a simulated panel"),
    models_dir: Path | None = ModelsDir,
) -> None:
    """Score a saved model on a panel against PSA/SDA, the S-curve and (simulated) the truth."""
    model = load_model(name, directory=models_dir)
    df = _read_panel(panel)
    lm = from_panel(df, source=str(panel))
    mk = _read_market(market)
    with _spinner() as prog:
        prog.add_task("scoring", total=None)
        ev = evaluate_model(
            model, lm, mk, from_month=from_month, truth=_truth(truth, df, _row_keys(lm))
        )
    console.print(_scores_table(f"{name} from {from_month or model.meta.get('test_from')}", ev))


@app.command()
def explain(
    name: str = typer.Argument(..., help="saved model name"),
    panel: Path = typer.Argument(..., help="panel Parquet file or directory"),
    loan: str = typer.Option(..., "--loan", help="loan id"),
    market: Path = MarketOpt,
    period: str | None = typer.Option(None, help="month YYYY-MM (default the loan's last)"),
    risk: str = typer.Option("prepay", help="prepay, default or cure"),
    top: int = typer.Option(10, help="features shown"),
    models_dir: Path | None = ModelsDir,
) -> None:
    """Per-feature contributions to one loan-month's forecast (log-odds, LightGBM pred_contrib)."""
    model = load_model(name, directory=models_dir)
    df = _read_panel(panel)
    sub = df[df["loan_id"].astype(str) == loan]
    if sub.empty:
        raise ModelError(f"{panel}: no rows of loan {loan!r}")
    lm = from_panel(sub, source=str(panel))
    X, has = build_features(lm, _read_market(market), model.codes)
    if period is None:
        pos = len(X) - 1
    else:
        m = month_index([period + "-01"])[0]
        hits = np.flatnonzero(lm.period == m)
        if len(hits) == 0:
            raise ModelError(f"loan {loan!r} has no row in {period}")
        pos = int(hits[0])
    row = X.iloc[[pos]]
    contrib = model.contributions(risk, row).iloc[0]
    p = float(model.predict(risk, row)[0])
    order = contrib.drop("bias").abs().sort_values(ascending=False).index[:top]
    table = Table(
        title=f"{risk} of loan {loan}, month {1970 + int(lm.period[pos]) // 12}-"
        f"{int(lm.period[pos]) % 12 + 1:02d}: {p:.5f} a month"
        + ("" if has[pos] else " (first observed month: no transition)")
    )
    table.add_column("feature")
    table.add_column("value", justify="right")
    table.add_column("log-odds", justify="right")
    for f in order:
        v = float(row[f].iloc[0])
        levels = model.codes.levels.get(f)
        shown = levels[int(v)] if levels and np.isfinite(v) and 0 <= v < len(levels) else f"{v:g}"
        table.add_row(f, shown, f"{float(contrib[f]):+.4f}")
    table.add_row("(baseline)", "", f"{float(contrib['bias']):+.4f}")
    console.print(table)


@app.command("list")
def list_cmd(models_dir: Path | None = ModelsDir) -> None:
    """Saved models."""
    table = Table(title="saved hazard models")
    for c in ("name", "trained on", "test from", "risks", "data"):
        table.add_column(c)
    for m in list_models(models_dir):
        w = m["train_window"] or ["?", "?"]
        table.add_row(m["name"], f"{w[0]}..{w[1]}", str(m["test_from"]), ",".join(m["risks"] or []),
                      m["data_hash"])  # fmt: skip
    console.print(table)


from trancheflow.cli.model_monitor import monitor as _monitor  # noqa: E402

app.command("monitor")(_monitor)

from trancheflow.cli.model_price import price as _price  # noqa: E402

app.command("price")(_price)

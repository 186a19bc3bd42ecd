"""Models saved by name reload with the same predictions; the CLI round trip."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from trancheflow.errors import ModelError
from trancheflow.models.features import build_features
from trancheflow.models.registry import list_models, load_model, models_dir, save_model


def test_save_load_same_predictions(tmp_path, small_sim, small_model):
    save_model(small_model, "m1", directory=tmp_path)
    back = load_model("m1", directory=tmp_path)
    X, _ = build_features(small_sim.panel, small_sim.market, back.codes)
    for risk in small_model.boosters:
        np.testing.assert_array_equal(
            back.raw(risk, X.iloc[:2000]), small_model.raw(risk, X.iloc[:2000])
        )
    assert back.meta["data_hash"] == small_model.meta["data_hash"]
    assert [m["name"] for m in list_models(tmp_path)] == ["m1"]
    with pytest.raises(ModelError, match="already exists"):
        save_model(small_model, "m1", directory=tmp_path)


def test_bad_names_and_missing_models(tmp_path, monkeypatch):
    with pytest.raises(ModelError, match="model name"):
        load_model("../etc", directory=tmp_path)
    with pytest.raises(ModelError, match="no model 'x'"):
        load_model("x", directory=tmp_path)
    monkeypatch.setenv("TRANCHEFLOW_MODELS", str(tmp_path / "env"))
    assert models_dir() == tmp_path / "env"
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "meta.json").write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_model("broken", directory=tmp_path)


def test_cli_simulate_train_explain(tmp_path):
    from trancheflow.cli.model import app

    r = CliRunner()
    sim = tmp_path / "sim"
    res = r.invoke(app, ["simulate", str(sim), "--loans", "600", "--seed", "2"])
    assert res.exit_code == 0, res.output
    args = ["--market", str(sim / "market.csv"), "--models-dir", str(tmp_path / "models")]
    res = r.invoke(
        app,
        ["train", str(sim / "panel.parquet"), "--name", "t", "--split", "2021-01", "--rounds", "20",
         "--truth", str(sim / "truth.parquet"), *args],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "truth" in res.output and "saved" in res.output
    res = r.invoke(
        app, ["explain", "t", str(sim / "panel.parquet"), "--loan", "SIM00000003", *args]
    )
    assert res.exit_code == 0, res.output
    assert "incentive" in res.output
    res = r.invoke(app, ["explain", "t", str(sim / "panel.parquet"), "--loan", "NOPE", *args])
    assert isinstance(res.exception, ModelError)

"""A small trained model shared by the compiled/pricing/registry/CLI tests."""

from __future__ import annotations

import pytest

from trancheflow.models.simulate import simulate_panel
from trancheflow.models.train import train_hazard_model


@pytest.fixture(scope="package")
def small_sim():
    return simulate_panel(1200, seed=8, originate=("2012-01", "2019-12"), end="2022-12")


@pytest.fixture(scope="package")
def small_model(small_sim):
    return train_hazard_model(small_sim.panel, small_sim.market, split="2021-01", rounds=50)

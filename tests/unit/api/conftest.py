"""An indexed SQLite database of a simulated deal life and a TestClient over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from trancheflow.api import create_app
from trancheflow.deal import DealSpec
from trancheflow.ops.db import connect, upgrade
from trancheflow.ops.events import MemoryChain
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.simulated import SimulatedDeal, sim_address

SPEC = {
    "deal": "API-DEAL-1",
    "currency": {"symbol": "USDC", "decimals": 6},
    "collateral": {
        "rep_lines": [
            {
                "balance": 60_000_000,
                "gross_rate": 0.07,
                "net_rate": 0.065,
                "term": 360,
                "wam": 120,
                "wala": 6,
            },
            {
                "balance": 40_000_000,
                "gross_rate": 0.065,
                "net_rate": 0.06,
                "term": 360,
                "wam": 96,
                "wala": 12,
            },
        ]
    },
    "assumptions": {
        "prepay": "PSA 200",
        "default": "SDA 600",
        "severity": 0.4,
        "recovery_lag": 6,
        "advance": True,
    },
    "fees": [{"name": "trustee", "rate": 0.0002, "basis": "pool_balance"}],
    "tranches": [
        {"name": "A", "balance": 70_000_000, "coupon": 0.05},
        {"name": "M", "balance": 15_000_000, "coupon": 0.06},
        {"name": "B", "balance": 8_000_000, "coupon": 0.07},
        {"name": "R", "residual": True},
    ],
    "waterfall": {"principal": "pro_rata", "losses": "reverse_seniority"},
    "reserve": {"target": 0.005, "floor": 250_000},
    "triggers": [
        {
            "name": "cum_loss",
            "metric": "cumulative_loss_pct",
            "above": 0.01,
            "then": {"principal": "sequential"},
        },
        {"name": "dq60", "metric": "delinquency_60_pct", "above": 0.05},
    ],
}
ALICE, BOB, CAROL = sim_address("alice"), sim_address("bob"), sim_address("carol")
PERIODS = 30


@pytest.fixture(scope="session")
def spec() -> DealSpec:
    return DealSpec.model_validate(SPEC)


@pytest.fixture(scope="module")
def world(spec: DealSpec, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:  # type: ignore[type-arg]
    """(TestClient, SimulatedDeal, db url) after PERIODS periods, indexed."""
    sim = SimulatedDeal(spec, MemoryChain(31337))
    sim.deploy()
    sim.close()
    sim.transfer(0, sim.issuer, ALICE, 10_000_000_000_000)
    sim.transfer(1, sim.issuer, BOB, 4_000_000_000_000)
    for k in range(PERIODS):
        sim.finalize_next(vetoed_first=(k == 3))
        if k % 7 == 0:
            sim.transfer(0, ALICE, BOB, 1_234_567_891 + k)
        if k % 5 == 0:
            sim.claim(0, ALICE)
        if k % 9 == 4:
            sim.claim(1, BOB)
            sim.transfer(1, BOB, CAROL, 333_333_333)
        if k % 11 == 10:
            sim.claim_fees()
            sim.claim_residual()
    url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'index.db'}"
    engine = connect(url)
    upgrade(engine)
    sim.register(engine)
    Indexer(engine, sim.chain).run_once()
    with TestClient(create_app(url)) as client:
        yield client, sim, url

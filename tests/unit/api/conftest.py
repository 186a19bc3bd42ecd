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

from ...support import credit_spec

SPEC = credit_spec("API-DEAL-1")
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

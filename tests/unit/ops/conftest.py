"""Fixtures for the indexer tests: a small credit-exposed deal simulated on a
MemoryChain (exact waterfall), and fresh migrated SQLite databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select

from trancheflow.deal import DealSpec
from trancheflow.ops.db import connect, upgrade
from trancheflow.ops.events import MemoryChain
from trancheflow.ops.models import Base
from trancheflow.ops.simulated import SimulatedDeal, sim_address

from ...support import credit_spec

# Pro-rata deal that turns sequential when cumulative losses pass 1% (breached
# around period 23 at SDA 600), a monitored 60+ delinquency trigger, a fee and
# a reserve: every kind of deal log appears within 40 periods.
SPEC = credit_spec("IDX-TEST-1")

ALICE, BOB, CAROL = sim_address("alice"), sim_address("bob"), sim_address("carol")


@pytest.fixture(scope="session")
def spec() -> DealSpec:
    return DealSpec.model_validate(SPEC)


def _play(sim: SimulatedDeal, periods: int, *, start: int = 0) -> None:
    """A deal life: investors buy from the issuer, periods finalize (one
    vetoed first), tokens change hands, holders and fees claim."""
    if start == 0:
        sim.deploy()
        sim.close()
        sim.transfer(0, sim.issuer, ALICE, 10_000_000_000_000)
        sim.transfer(1, sim.issuer, BOB, 4_000_000_000_000)
    for k in range(start, start + periods):
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


@pytest.fixture(scope="session")
def play() -> Callable[..., None]:
    """``play(sim, periods, start=0)``: mine a deal life on ``sim``'s chain."""
    return _play


def _snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every projection row (ids dropped), sorted: equal snapshots == equal indexes."""
    out: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in ("alerts", "audit_results", "blocks", "cursors"):
                continue
            cols = [c for c in table.columns if c.name not in ("id", "registered_at")]
            rows = conn.execute(select(*cols)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


@pytest.fixture(scope="session")
def snapshot() -> Callable[[Engine], dict[str, list[tuple[object, ...]]]]:
    return _snapshot


@pytest.fixture
def new_sim(spec: DealSpec) -> Callable[..., SimulatedDeal]:
    def make(chain: MemoryChain | None = None, label: str = "deal") -> SimulatedDeal:
        return SimulatedDeal(spec, chain or MemoryChain(31337), label=label)

    return make


@pytest.fixture
def db(tmp_path):  # type: ignore[no-untyped-def]
    """A fresh, migrated SQLite database file."""
    engine = connect(f"sqlite:///{tmp_path / 'index.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()

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
from trancheflow.ops.simulated import SimulatedDeal

from ...support import credit_spec, play_deal_life

# Pro-rata deal that turns sequential when cumulative losses pass 1% (breached
# around period 23 at SDA 600), a monitored 60+ delinquency trigger, a fee and
# a reserve: every kind of deal log appears within 40 periods.
SPEC = credit_spec("IDX-TEST-1")


@pytest.fixture(scope="session")
def spec() -> DealSpec:
    return DealSpec.model_validate(SPEC)


@pytest.fixture(scope="session")
def play() -> Callable[..., None]:
    """``play(sim, periods, start=0)``: mine a deal life on ``sim``'s chain."""
    return play_deal_life


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

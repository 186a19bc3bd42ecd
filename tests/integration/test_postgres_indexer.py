"""The indexer on SQLite AND a real PostgreSQL server (same tests, parametrised):
migrations, projections equal to the simulated deal, resume after restarts,
atomic batches, re-orgs; and the PostgreSQL index equals the SQLite one row
for row."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from trancheflow.ops import db as opsdb
from trancheflow.ops.db import connect, upgrade
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.models import Base, Cursor, EventRow, Holder, Period, Tranche
from trancheflow.ops.projector import claimable

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.db'}"
    return str(request.getfixturevalue("pg_url"))


def _snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in ("alerts", "audit_results", "blocks", "cursors"):
                continue
            skip = ("id", "registered_at", "created_at")
            cols = [c for c in table.columns if c.name not in skip]
            out[table.name] = sorted((tuple(r) for r in conn.execute(select(*cols))), key=repr)
    return out


def _fresh(url: str) -> Engine:
    e = connect(url)
    upgrade(e)
    return e


def test_index_matches_the_simulation_and_survives_restarts(db_url, new_sim, play) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 6)
    engine = _fresh(db_url)
    sim.register(engine)
    Indexer(db_url, sim.chain, batch_blocks=4).run_once()
    play(sim, 10, start=6)  # the chain grows; a restarted indexer resumes
    Indexer(db_url, sim.chain, batch_blocks=7).run_once()
    Indexer(db_url, sim.chain, batch_blocks=7).run_once()  # nothing new: no duplicates
    with Session(engine) as s:
        n_logs = len(sim.chain.events(0, sim.chain.latest_block(), sim.addresses))
        assert s.scalar(select(func.count(EventRow.id))) == n_logs
        assert s.get(Cursor, 1).last_block == sim.chain.latest_block()
        assert [p.pool_balance for p in s.scalars(select(Period).order_by(Period.period))] == [
            r.pool_ending for r in sim.periods[:16]
        ]
        tranches = {t.tranche_id: t for t in s.scalars(select(Tranche))}
        for h in s.scalars(select(Holder)):
            assert h.balance == sim.balances(h.tranche_id).get(h.address, 0)
            assert claimable(h, tranches[h.tranche_id]) == sim.claimable(h.tranche_id, h.address)


def test_failed_batch_leaves_nothing_half_written(db_url, new_sim, play, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 8)
    engine = _fresh(db_url)
    sim.register(engine)
    from trancheflow.ops import indexer as idx_mod

    real, calls = idx_mod.apply_event, {"n": 0}

    def flaky(s, deal, ev, *rest):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 17:
            raise RuntimeError("crash mid-batch")
        real(s, deal, ev, *rest)

    monkeypatch.setattr(idx_mod, "apply_event", flaky)
    with pytest.raises(RuntimeError):
        Indexer(engine, sim.chain, batch_blocks=6).run_once()
    with Session(engine) as s:
        last = s.get(Cursor, 1).last_block
        stored = s.scalar(select(func.count(EventRow.id)))
        expected = sim.chain.events(0, last, sim.addresses)
        assert stored == len(expected)
        assert s.scalar(select(func.count(Period.id))) == sum(
            e.name == "PeriodFinalized" for e in expected
        )
    monkeypatch.setattr(idx_mod, "apply_event", real)
    Indexer(engine, sim.chain, batch_blocks=6).run_once()
    ref = _fresh("sqlite://")
    sim.register(ref)
    Indexer(ref, sim.chain).run_once()
    assert _snapshot(engine) == _snapshot(ref)


def test_reorg_on_each_backend(db_url, new_sim, play) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 6)
    engine = _fresh(db_url)
    sim.register(engine)
    Indexer(engine, sim.chain).run_once()
    sim.chain.reorg(4)
    sim.chain.mine_empty(2)
    idx = Indexer(engine, sim.chain)
    idx.run_once()
    assert len(idx.reorgs) == 1
    ref = _fresh("sqlite://")
    sim.register(ref)
    Indexer(ref, sim.chain).run_once()
    assert _snapshot(engine) == _snapshot(ref)


def test_quarantine_and_a_two_deal_reorg_on_each_backend(db_url, spec, play) -> None:  # type: ignore[no-untyped-def]
    """Issue 10 on both backends: a log that contradicts the projections is
    quarantined (the batch re-run without it commits), and a re-org rolls back
    both deals of the chain; the result equals a fresh SQLite index."""
    from trancheflow.ops.events import MemoryChain
    from trancheflow.ops.models import QuarantinedLog
    from trancheflow.ops.simulated import SimulatedDeal, sim_address

    chain = MemoryChain(31337)
    one, two = SimulatedDeal(spec, chain, label="one"), SimulatedDeal(spec, chain, label="two")
    play(one, 3)
    play(two, 3)
    bad = {"holder": sim_address("alice"), "amount": 10**30}
    chain.mine([(two.tokens[0], "Claimed", bad)])
    engine = _fresh(db_url)
    one.register(engine)
    two.register(engine)
    Indexer(engine, chain, batch_blocks=4).run_once()
    chain.mine(
        [(two.tokens[1], "Transfer", {"sender": two.issuer, "receiver": one.issuer, "value": 1})]
    )
    chain.mine(
        [(one.tokens[1], "Transfer", {"sender": one.issuer, "receiver": two.issuer, "value": 2})]
    )
    chain.mine_empty(1)
    Indexer(engine, chain).run_once()
    chain.reorg(3)
    chain.mine_empty(1)
    chain.mine(
        [(one.tokens[0], "Transfer", {"sender": one.issuer, "receiver": two.issuer, "value": 3})]
    )
    chain.mine_empty(2)
    idx = Indexer(engine, chain, batch_blocks=2)
    idx.run_once()
    assert len(idx.reorgs) == 2
    ref = _fresh("sqlite://")
    one.register(ref)
    two.register(ref)
    Indexer(ref, chain).run_once()
    assert _snapshot(engine) == _snapshot(ref)
    with Session(engine) as s:
        (q,) = s.scalars(select(QuarantinedLog)).all()
        assert q.name == "Claimed" and "exceeds" in q.reason


def test_postgres_index_equals_sqlite_index(pg_url, tmp_path, new_sim, play) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 25)
    engines = [_fresh(pg_url), _fresh(f"sqlite:///{tmp_path / 'x.db'}")]
    for e in engines:
        sim.register(e)
        Indexer(e, sim.chain, batch_blocks=9).run_once()
    pg, lite = (_snapshot(e) for e in engines)
    assert pg == lite
    assert pg["holders"] and pg["periods"]


def test_unreachable_database_is_an_actionable_error(pg_server: str) -> None:
    from trancheflow.errors import DatabaseError

    url = pg_server.replace("postgres@", "postgres:sekret@") + "/no_such_database_here"
    with pytest.raises(DatabaseError) as err:
        opsdb.connect(url)
    assert "sekret" not in str(err.value)
    assert "no_such_database_here" in str(err.value)

"""Indexer on SQLite: projections equal an independent simulation, resume
without duplicates or gaps, atomic batches, re-orgs, confirmations.

The reference is :class:`SimulatedDeal`: exact-waterfall period results (the
contract's integer rules) and :class:`TrancheIndexMirror`, the Python mirror of
the token's holder index, which the projector does not use.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trancheflow.errors import ChainError
from trancheflow.ops import projector
from trancheflow.ops.db import connect, upgrade
from trancheflow.ops.events import MemoryChain
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.models import (
    Alert,
    Cursor,
    Deal,
    Distribution,
    EventRow,
    FeeClaim,
    Holder,
    Period,
    Report,
    Tranche,
    TriggerBreach,
)
from trancheflow.ops.projector import claimable
from trancheflow.ops.simulated import sim_address


def _all_logs(sim):  # type: ignore[no-untyped-def]
    return sim.chain.events(0, sim.chain.latest_block(), sim.addresses)


def test_projections_match_the_simulated_deal(db, new_sim, play) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 30)
    sim.register(db)
    written = Indexer(db, sim.chain).run_once()
    assert written == len(_all_logs(sim))
    with Session(db) as s:
        deal = s.scalars(select(Deal)).one()
        # periods: the exact waterfall's pool, loss, reserve, residual, rule
        periods = s.scalars(select(Period).order_by(Period.period)).all()
        assert [p.period for p in periods] == list(range(1, 31))
        for p, r in zip(periods, sim.periods, strict=False):
            assert (p.pool_balance, p.cumulative_loss, p.reserve, p.residual) == (
                r.pool_ending,
                r.state.cumulative_loss,
                r.reserve_balance,
                r.residual,
            )
        dist = {(d.period, d.tranche_id): d for d in s.scalars(select(Distribution))}
        for r in sim.periods[:30]:
            for i, x in enumerate(r.tranches):
                d = dist[(r.period, i)]
                assert (d.interest_paid, d.principal_paid, d.writedown, d.balance) == (
                    x.interest_paid,
                    x.principal_paid,
                    x.writedown,
                    x.ending_balance,
                )
        # tranche state equals the token mirror's index and carry
        for t in s.scalars(select(Tranche)):
            m = sim.mirrors[t.tranche_id]
            assert (t.index, t.carry, t.balance) == (
                m.index,
                m.carry,
                sim.periods[29].tranches[t.tranche_id].ending_balance,
            )
        # every holder: balance and claimable equal the mirror (to the unit)
        holders = s.scalars(select(Holder)).all()
        assert {(h.tranche_id, h.address) for h in holders if h.balance} == {
            (i, a) for i in range(3) for a in sim.balances(i)
        }
        for h in holders:
            t = s.scalar(select(Tranche).where(Tranche.tranche_id == h.tranche_id))
            assert h.balance == sim.balances(h.tranche_id).get(h.address, 0)
            assert claimable(h, t) == sim.claimable(h.tranche_id, h.address)
        # reports: period 4 vetoed once, then finalized
        statuses = [
            (r.period, r.status) for r in s.scalars(select(Report).order_by(Report.block_number))
        ]
        assert statuses[3:5] == [(4, "vetoed"), (4, "finalized")]
        assert all(st == "finalized" for _, st in statuses if _ != 4)
        # triggers: the breach period is the first period the exact run flags it
        first = {
            k: next(r.period for r in sim.periods[:30] if r.triggers[k])
            for k in range(2)
            if any(r.triggers[k] for r in sim.periods[:30])
        }
        assert first, "the test deal must breach a trigger within 30 periods"
        assert {b.trigger: b.period for b in s.scalars(select(TriggerBreach))} == first
        kinds = sorted(a.kind for a in s.scalars(select(Alert)))
        assert kinds.count("trigger_breached") == len(first)
        assert kinds.count("report_vetoed") == 1
        # residual owed and fee claims follow the claims mined
        assert deal.residual_owed == sim.residual_owed
        assert sum(c.amount for c in s.scalars(select(FeeClaim))) == sum(
            f.paid for r in sim.periods[:30] for f in r.fees
        ) - sum(sim.fee_owed)
        assert deal.closed and deal.issuer == sim.issuer


def test_resume_in_pieces_equals_one_pass(tmp_path, new_sim, play, snapshot) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 4)
    dbs = []
    for name in ("pieces", "once"):
        e = connect(f"sqlite:///{tmp_path / name}.db")
        upgrade(e)
        sim.register(e)
        dbs.append(e)
    pieces, once = dbs
    Indexer(pieces, sim.chain, batch_blocks=3).run_once()
    for start, n in ((4, 5), (9, 5), (14, 3)):  # the chain grows; a NEW indexer resumes
        play(sim, n, start=start)
        Indexer(pieces, sim.chain, batch_blocks=4).run_once()
    Indexer(once, sim.chain).run_once()
    assert snapshot(pieces) == snapshot(once)
    with Session(pieces) as s:
        assert s.scalar(select(func.count(EventRow.id))) == len(_all_logs(sim))
        assert s.get(Cursor, 1).last_block == sim.chain.latest_block()


def test_a_failing_batch_writes_nothing_and_the_rerun_completes(
    tmp_path, db, new_sim, play, snapshot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 12)
    sim.register(db)
    real = projector.apply_event
    calls = {"n": 0}

    def flaky(s, deal, ev, *rest):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 25:
            raise RuntimeError("simulated crash in the middle of a batch")
        real(s, deal, ev, *rest)

    monkeypatch.setattr("trancheflow.ops.indexer.apply_event", flaky)
    idx = Indexer(db, sim.chain, batch_blocks=5)
    with pytest.raises(RuntimeError, match="simulated crash"):
        idx.run_once()
    with Session(db) as s:
        cursor = s.get(Cursor, 1)
        stored = s.scalars(select(EventRow.block_number)).all()
        # everything up to the cursor is stored, nothing beyond it
        assert stored and max(stored) <= cursor.last_block
        assert len(stored) == len(
            [e for e in _all_logs(sim) if e.block_number <= cursor.last_block]
        )
    monkeypatch.setattr("trancheflow.ops.indexer.apply_event", real)
    Indexer(db, sim.chain, batch_blocks=5).run_once()
    ref = connect(f"sqlite:///{tmp_path / 'ref.db'}")
    upgrade(ref)
    sim.register(ref)
    Indexer(ref, sim.chain).run_once()
    assert snapshot(db) == snapshot(ref)


def test_reorg_rolls_back_and_follows_the_new_fork(tmp_path, db, new_sim, play, snapshot) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 8)
    sim.register(db)
    Indexer(db, sim.chain).run_once()
    head = sim.chain.latest_block()
    # replace the last 3 blocks (a finalized period among them) by a fork
    # holding one other transfer and empty blocks
    sim.chain.reorg(3)
    dave = sim_address("dave")
    sim.chain.mine(
        [(sim.tokens[2], "Transfer", {"sender": sim.issuer, "receiver": dave, "value": 5})]
    )
    sim.chain.mine_empty(3)
    idx = Indexer(db, sim.chain)
    idx.run_once()
    assert idx.reorgs and idx.reorgs[0].rolled_back_to < head - 2
    ref = connect(f"sqlite:///{tmp_path / 'ref.db'}")
    upgrade(ref)
    sim.register(ref)
    Indexer(ref, sim.chain).run_once()
    assert snapshot(db) == snapshot(ref)
    with Session(db) as s:
        assert s.scalar(select(func.count(Alert.id)).where(Alert.kind == "reorg")) == 1
        assert s.get(Cursor, 1).last_block_hash == sim.chain.block_hash(sim.chain.latest_block())
        assert (
            s.scalar(select(Holder.balance).where(Holder.address == dave, Holder.tranche_id == 2))
            == 5
        )


def test_confirmations_hold_back_recent_blocks(db, new_sim, play) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 3)
    sim.register(db)
    head = sim.chain.latest_block()
    Indexer(db, sim.chain, confirmations=4).run_once()
    with Session(db) as s:
        assert s.get(Cursor, 1).last_block == head - 4
        assert max(s.scalars(select(EventRow.block_number))) <= head - 4
    sim.chain.mine_empty(4)
    Indexer(db, sim.chain, confirmations=4).run_once()
    with Session(db) as s:
        assert s.scalar(select(func.count(EventRow.id))) == len(_all_logs(sim))


class _Repeating:
    """A source that returns every log twice (a node that repeats logs)."""

    def __init__(self, chain: MemoryChain) -> None:
        self.inner = chain
        self.chain_id = chain.chain_id

    def latest_block(self) -> int:
        return self.inner.latest_block()

    def block_hash(self, n: int) -> str | None:
        return self.inner.block_hash(n)

    def events(self, a, b, addresses):  # type: ignore[no-untyped-def]
        ev = self.inner.events(a, b, addresses)
        return ev + ev


def test_repeated_logs_are_stored_once(db, new_sim, play, snapshot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 5)
    sim.register(db)
    Indexer(db, _Repeating(sim.chain)).run_once()
    ref = connect(f"sqlite:///{tmp_path / 'ref.db'}")
    upgrade(ref)
    sim.register(ref)
    Indexer(ref, sim.chain).run_once()
    assert snapshot(db) == snapshot(ref)


def test_wrong_chain_and_unknown_deal_are_refused(db, new_sim, play) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 1)
    sim.register(db)
    with pytest.raises(ChainError, match="not registered on chain 1"):
        Indexer(db, MemoryChain(1), deal_addresses=[sim.address]).run_once()
    with pytest.raises(ChainError, match="batch_blocks=0"):
        Indexer(db, sim.chain, batch_blocks=0)


@pytest.fixture(scope="module")
def hyp_world(spec, play, snapshot):  # type: ignore[no-untyped-def]
    from trancheflow.ops.simulated import SimulatedDeal

    chain = MemoryChain(31337)
    sim = SimulatedDeal(spec, chain)
    play(sim, 12)
    ref = connect("sqlite://")
    upgrade(ref)
    sim.register(ref)
    Indexer(ref, chain).run_once()
    return chain, sim, snapshot(ref)


class _Upto:
    """The chain as it was when its head was ``head`` (a growing chain)."""

    def __init__(self, chain: MemoryChain, head: int) -> None:
        self.inner, self.head, self.chain_id = chain, head, chain.chain_id

    def latest_block(self) -> int:
        return min(self.head, self.inner.latest_block())

    def block_hash(self, n: int) -> str | None:
        return self.inner.block_hash(n) if n <= self.head else None

    def events(self, a, b, addresses):  # type: ignore[no-untyped-def]
        return self.inner.events(a, min(b, self.head), addresses)


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 40), cuts=st.lists(st.integers(0, 60), max_size=4))
def test_any_batching_and_restart_points_give_the_same_index(
    hyp_world, snapshot, batch, cuts
) -> None:  # type: ignore[no-untyped-def]
    chain, sim, ref_snap = hyp_world
    engine = connect("sqlite://")
    upgrade(engine)
    sim.register(engine)
    for cut in sorted(cuts):  # a new indexer per restart, each seeing a longer chain
        Indexer(engine, _Upto(chain, cut), batch_blocks=batch).run_once()
    Indexer(engine, chain, batch_blocks=batch).run_once()
    assert snapshot(engine) == ref_snap


def test_run_polls_until_told_to_stop(db, new_sim, play) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 2)
    sim.register(db)
    polls = {"n": 0}

    def stop() -> bool:
        polls["n"] += 1
        if polls["n"] == 1:  # the chain grows between two polls
            play(sim, 2, start=2)
        return polls["n"] == 2

    written = Indexer(db, sim.chain).run(poll_interval=0.01, should_stop=stop)
    assert written == len(_all_logs(sim))
    assert Indexer(db, sim.chain).run(poll_interval=0.01, stop_after=0.05) == 0


def test_a_reorg_rolls_back_every_deal_of_the_chain(tmp_path, db, spec, play, snapshot) -> None:  # type: ignore[no-untyped-def]
    """Two deals on one chain, a re-org that replaced both deals' logs; the deal
    indexed first must not leave the second with logs of orphaned blocks (the
    hashes are per chain, the cursors per deal)."""
    from trancheflow.ops.simulated import SimulatedDeal

    chain = MemoryChain(31337)
    one, two = SimulatedDeal(spec, chain, label="one"), SimulatedDeal(spec, chain, label="two")
    play(one, 4)
    play(two, 4)
    one.register(db)
    two.register(db)
    Indexer(db, chain).run_once()
    # the old fork: two's transfer, a block of one's, an empty block; replaced by
    # a fork in which one moves in the second block and two's transfer never
    # happened. Re-indexing one first stores the new fork's hash of that block,
    # which is below two's cursor: two must still roll back to the fork point
    dave, erin = sim_address("dave"), sim_address("erin")
    chain.mine([(two.tokens[0], "Transfer", {"sender": two.issuer, "receiver": dave, "value": 7})])
    chain.mine([(one.tokens[1], "Transfer", {"sender": one.issuer, "receiver": dave, "value": 3})])
    chain.mine_empty(1)
    Indexer(db, chain).run_once()
    chain.reorg(3)
    chain.mine_empty(1)
    chain.mine([(one.tokens[1], "Transfer", {"sender": one.issuer, "receiver": erin, "value": 4})])
    chain.mine_empty(2)
    idx = Indexer(db, chain, batch_blocks=2)
    idx.run_once()
    assert sorted(r.deal for r in idx.reorgs) == sorted([one.address, two.address])
    ref = connect(f"sqlite:///{tmp_path / 'ref.db'}")
    upgrade(ref)
    one.register(ref)
    two.register(ref)
    Indexer(ref, chain).run_once()
    assert snapshot(db) == snapshot(ref)
    with Session(db) as s:
        for row in s.scalars(select(EventRow)):
            assert chain.block_hash(row.block_number) == row.block_hash  # nothing orphaned
        assert s.scalar(select(Holder.balance).where(Holder.address == dave)) is None

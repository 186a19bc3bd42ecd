"""The ops indexer reads a real (embedded) deployment through the client's EventSource.

The indexer's projector repeats the token's index formulas from the decoded
events alone; after indexing the scenario it must hold every report (with
the servicer feed's delinquency buckets and loan root), every period's pool
balance, and each holder's claimable amount equal to the contract's own
``claimable`` view, to the unit.
"""

from __future__ import annotations

from sqlalchemy import select

from trancheflow.chain.client import DealClient
from trancheflow.ops.db import connect, register_deal, session, upgrade
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.models import Holder, Period, Report, Tranche
from trancheflow.ops.projector import claimable

from .scenario import run_scenario


def test_indexer_over_the_embedded_event_source() -> None:
    client = DealClient.embedded()
    s, _ = run_scenario(client, periods=6)
    rec = s.deal.record
    engine = connect("sqlite://")
    upgrade(engine)
    register_deal(
        engine,
        s.spec,
        chain_id=client.chain_id,
        address=rec.deal,
        tokens=[t.address for t in rec.tokens],
        start_block=rec.block,
        pool_balance=rec.extras["pool_balance"],
        contracts=dict(rec.contracts),
    )
    src = s.deal.event_source()
    indexer = Indexer(engine, src, batch_blocks=7)
    while indexer.run_once():
        pass
    with session(engine) as db:
        reports = db.scalars(select(Report).order_by(Report.period)).all()
        assert [r.period for r in reports] == [1, 2, 3, 4, 5, 6]
        for r in reports:
            want = s.feed.report(r.period)
            assert (r.dq60_balance, r.dq90_balance, r.reo_balance, r.dq30_count) == (
                want.dq60_balance,
                want.dq90_balance,
                want.reo_balance,
                want.dq30_count,
            )
            assert r.loans_root == "0x" + want.loans_root.hex()
        last = db.scalars(select(Period).order_by(Period.period.desc())).first()
        assert last is not None and last.pool_balance == s.deal.pool_balance()
        tranches = db.scalars(select(Tranche).order_by(Tranche.tranche_id)).all()
        checked = 0
        for t in tranches:
            for h in db.scalars(select(Holder).where(Holder.tranche_id == t.tranche_id)).all():
                assert claimable(h, t) == s.deal.claimable(t.tranche_id, h.address), (t.name, h)
                checked += 1
        assert checked >= 6

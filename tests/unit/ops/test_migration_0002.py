"""Migration 0002: a database created at 0001 upgrades and keeps its rows.

Rows are written with plain SQL at 0001 (the models already describe 0002),
then :func:`trancheflow.ops.db.upgrade` runs to head: the old period reads
with zero premium, cover and proceeds, the deal with nothing paused, and the
new ``parameter_changes`` table accepts rows.
"""

from __future__ import annotations

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from trancheflow.ops.db import connect, upgrade
from trancheflow.ops.models import Deal, ParameterChange, Period


def test_0001_database_upgrades_to_0002_and_keeps_its_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = connect(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    assert "parameter_changes" not in inspect(engine).get_table_names()
    big = 2**200 + 7
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO deals (id, chain_id, address, name, spec_json, spec_hash, decimals,"
                " original_pool_balance, start_block, closed, residual_owed, registered_at)"
                " VALUES (1, 1, :a, 'OLD', '{}', '0x00', 6, :p, 0, 1, '0', '2026-01-01')"
            ),
            {"a": "0x" + "ab" * 20, "p": str(big)},
        )
        conn.execute(
            text(
                "INSERT INTO periods (deal_id, period, pool_balance, cumulative_loss, reserve,"
                " residual, breached, principal_rule, block_number, tx_hash, log_index)"
                " VALUES (1, 1, :p, '5', '6', '7', '0', 0, 10, '0x01', 0)"
            ),
            {"p": str(big - 1)},
        )
    upgrade(engine, "0002")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
    with Session(engine) as s:
        p = s.scalars(select(Period)).one()
        assert (p.pool_balance, p.cumulative_loss, p.reserve) == (big - 1, 5, 6)
        assert (p.insurance_premium, p.insurance_cover, p.auction_proceeds) == (0, 0, 0)
        d = s.scalars(select(Deal)).one()
        assert (d.name, d.original_pool_balance, d.paused) == ("OLD", big, 0)
        s.add(
            ParameterChange(
                deal_id=1,
                period=1,
                name="QuorumSet",
                args={"quorum": 3},
                governance=True,
                block_number=11,
                tx_hash="0x02",
                log_index=0,
            )
        )
        s.commit()
        assert s.scalars(select(ParameterChange.args)).one() == {"quorum": 3}
    engine.dispose()

"""Migration 0003: a database written at 0002 upgrades and keeps its rows.

Rows are written with plain SQL at 0002 (the models already describe 0003);
after :func:`trancheflow.ops.db.upgrade` every row reads back unchanged, the
raw-log key is per deal (the same log may be stored for two deals that follow
one shared contract, but not twice for one deal), and the new tables
(``deal_contracts``, ``quarantine``, ``recoveries``) take rows.
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trancheflow.ops.db import connect, upgrade
from trancheflow.ops.models import (
    DealContract,
    EventRow,
    ParameterChange,
    Period,
    QuarantinedLog,
    Recovery,
)

_DEAL = (
    "INSERT INTO deals (id, chain_id, address, name, spec_json, spec_hash, decimals,"
    " original_pool_balance, start_block, closed, residual_owed, registered_at, paused)"
    " VALUES (:id, 1, :a, :n, '{}', '0x00', 6, :p, 0, 1, '0', '2026-01-01', 2)"
)
_EVENT = (
    "INSERT INTO events (deal_id, chain_id, block_number, block_hash, tx_hash, log_index,"
    " address, name, args) VALUES (:d, 1, 10, '0xbb', '0x01', 0, :a, 'QuorumSet', :args)"
)


def test_0002_database_upgrades_to_0003_and_keeps_its_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = connect(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0002")
    assert "quarantine" not in inspect(engine).get_table_names()
    big = 2**200 + 7
    comp = "0x" + "cc" * 20
    with engine.begin() as conn:
        for i, name in ((1, "OLD-1"), (2, "OLD-2")):
            conn.execute(
                text(_DEAL), {"id": i, "a": "0x" + f"{i:02x}" * 20, "n": name, "p": str(big)}
            )
        conn.execute(text(_EVENT), {"d": 1, "a": comp, "args": '{"quorum": 3}'})
        conn.execute(
            text(
                "INSERT INTO periods (deal_id, period, pool_balance, cumulative_loss, reserve,"
                " residual, breached, principal_rule, block_number, tx_hash, log_index,"
                " insurance_premium, insurance_cover, auction_proceeds)"
                " VALUES (1, 1, :p, '5', '6', '7', '0', 0, 10, '0x01', 0, '8', '9', '10')"
            ),
            {"p": str(big - 1)},
        )
        conn.execute(
            text(
                "INSERT INTO parameter_changes (deal_id, period, name, args, governance,"
                " block_number, tx_hash, log_index) VALUES (1, 1, 'QuorumSet', '{\"quorum\": 3}',"
                " 1, 10, '0x01', 0)"
            )
        )
    upgrade(engine, "0003")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
    upgrade(engine)  # and on to the newest revision with the rows kept
    with Session(engine) as s:
        p = s.scalars(select(Period)).one()
        assert (p.pool_balance, p.insurance_premium, p.auction_proceeds) == (big - 1, 8, 10)
        e = s.scalars(select(EventRow)).one()
        assert (e.deal_id, e.address, e.args) == (1, comp, {"quorum": 3})
        assert s.scalars(select(ParameterChange.args)).one() == {"quorum": 3}
        s.add(
            DealContract(
                deal_id=1, name="compliance", kind="Compliance", address=comp, from_block=0
            )
        )
        s.add(
            QuarantinedLog(
                deal_id=1,
                chain_id=1,
                block_number=11,
                block_hash="0xbb",
                tx_hash="0x02",
                log_index=1,
                address=comp,
                name="Claimed",
                args={"amount": "1"},
                reason="test",
            )
        )
        s.add(
            Recovery(
                deal_id=1,
                tranche_id=0,
                holder=comp,
                recipient=comp,
                tokens=big,
                owed=1,
                block_number=12,
                tx_hash="0x03",
                log_index=0,
            )
        )
        s.commit()
        assert s.scalars(select(Recovery.tokens)).one() == big
    # the raw-log key is per deal now: deal 2 may store the shared contract's log...
    with engine.begin() as conn:
        conn.execute(text(_EVENT), {"d": 2, "a": comp, "args": '{"quorum": 3}'})
    # ...but deal 1 cannot store it twice
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(_EVENT), {"d": 1, "a": comp, "args": '{"quorum": 3}'})
    engine.dispose()

"""Indexer database: migrations equal the models, exact uint256 storage,
actionable connection errors, atomic registration, deal lookup."""

from __future__ import annotations

import socket

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from trancheflow.errors import DatabaseError, NotFoundError
from trancheflow.ops.db import (
    connect,
    find_deal,
    mask_url,
    register_deal,
    store_audit_result,
    upgrade,
)
from trancheflow.ops.models import AuditResult, Base, Cursor, Deal, Tranche
from trancheflow.ops.projector import args_from_json, args_to_json


def test_migrations_create_exactly_the_models_and_are_idempotent(db) -> None:  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    upgrade(db)  # second run: already at head, nothing to do
    names = set(inspect(db).get_table_names())
    assert set(Base.metadata.tables) <= names
    assert "alembic_version" in names


def test_uint256_round_trips_exactly(db) -> None:  # type: ignore[no-untyped-def]
    big = 2**256 - 1
    with Session(db) as s:
        s.add(
            Deal(
                chain_id=1,
                address="0x" + "ab" * 20,
                name="U",
                spec_json="{}",
                spec_hash="0x",
                decimals=6,
                original_pool_balance=big,
            )
        )
        s.commit()
    with Session(db) as s:
        assert s.scalars(select(Deal.original_pool_balance)).one() == big
    with Session(db) as s, pytest.raises(Exception, match="not a uint256"):
        s.add(
            Deal(
                chain_id=1,
                address="0x" + "cd" * 20,
                name="N",
                spec_json="{}",
                spec_hash="0x",
                decimals=6,
                original_pool_balance=-1,
            )
        )
        s.commit()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_postgres_names_the_url_and_masks_the_password() -> None:
    url = f"postgresql://indexer:hunter2@127.0.0.1:{_closed_port()}/trancheflow"
    with pytest.raises(DatabaseError) as err:
        connect(url)
    msg = str(err.value)
    assert "hunter2" not in msg
    assert "indexer:***@127.0.0.1" in msg
    assert "running and reachable" in msg


@pytest.mark.parametrize(
    ("url", "match"),
    [("mysql://u@h/db", "backend 'mysql' is not supported"), ("not a url", "is not a URL")],
)
def test_unsupported_or_malformed_urls_are_refused(url: str, match: str) -> None:
    with pytest.raises(DatabaseError, match=match):
        connect(url)


def test_mask_url_leaves_passwordless_urls_alone() -> None:
    assert mask_url("sqlite:///x.db") == "sqlite:///x.db"


def test_registration_is_atomic_and_unique(db, spec) -> None:  # type: ignore[no-untyped-def]
    addr, toks = "0x" + "d1" * 20, ["0x" + f"{i:02x}" * 20 for i in range(1, 4)]
    with pytest.raises(DatabaseError, match="2 token address"):
        register_deal(db, spec, chain_id=5, address=addr, tokens=toks[:2])
    with Session(db) as s:
        assert s.scalar(select(func.count(Deal.id))) == 0
    deal_id = register_deal(
        db, spec, chain_id=5, address=addr.upper().replace("0X", "0x"), tokens=toks, start_block=17
    )
    with pytest.raises(DatabaseError, match="already registered"):
        register_deal(db, spec, chain_id=5, address=addr, tokens=toks)
    with Session(db) as s:
        deal = s.get(Deal, deal_id)
        assert deal.address == addr and deal.name == "IDX-TEST-1"
        assert [t.original for t in deal.tranches] == [
            70_000_000 * 10**6,
            15_000_000 * 10**6,
            8_000_000 * 10**6,
        ]
        assert deal.original_pool_balance == 100_000_000 * 10**6
        assert s.get(Cursor, deal_id).last_block == 16
        assert s.scalar(select(func.count(Tranche.id))) == 3
        # the stored spec is the canonical JSON whose keccak is the spec hash
        from trancheflow.deal import canonical_json, spec_hash

        assert deal.spec_json.encode() == canonical_json(spec)
        assert deal.spec_hash == "0x" + spec_hash(spec).hex()


def test_find_deal_by_address_or_name_and_404_lists_known(db, spec) -> None:  # type: ignore[no-untyped-def]
    addr = "0x" + "d2" * 20
    register_deal(db, spec, chain_id=1, address=addr, tokens=["0x" + "aa" * 20] * 3)
    with Session(db) as s:
        assert find_deal(s, addr.upper().replace("0X", "0x")).name == "IDX-TEST-1"
        assert find_deal(s, "IDX-TEST-1").address == addr
        with pytest.raises(NotFoundError, match=r"'NOPE' is not registered.*IDX-TEST-1 \(0xd2"):
            find_deal(s, "NOPE")
        with pytest.raises(NotFoundError, match="on chain 9"):
            find_deal(s, addr, chain_id=9)


def test_audit_results_are_stored(db, spec) -> None:  # type: ignore[no-untyped-def]
    deal_id = register_deal(
        db, spec, chain_id=1, address="0x" + "d3" * 20, tokens=["0x" + "aa" * 20] * 3
    )
    store_audit_result(db, deal_id, ok=True, through_period=3, summary="ok", details={"n": 3})
    with Session(db) as s:
        row = s.scalars(select(AuditResult)).one()
        assert (row.ok, row.through_period, row.details) == (True, 3, {"n": 3})
    with pytest.raises(NotFoundError, match="deal id 99"):
        store_audit_result(db, 99, ok=False, through_period=0, summary="x")


_json_leaf = st.one_of(
    st.integers(-(2**255), 2**256 - 1), st.booleans(), st.text(max_size=5), st.none()
)


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        _json_leaf,
        lambda c: (
            st.lists(c, max_size=3) | st.dictionaries(st.text("abc_", max_size=4), c, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_event_args_survive_json_storage(value) -> None:  # type: ignore[no-untyped-def]
    import json

    stored = json.loads(json.dumps(args_to_json(value)))
    assert args_from_json(stored) == value

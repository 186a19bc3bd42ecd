"""The indexer database: connecting, migrating, registering deals.

SQLite is the embedded default (``sqlite:///trancheflow-index.db``);
PostgreSQL is used given a ``postgresql://`` URL (driven by psycopg 3). The
schema is created and upgraded by the Alembic scripts shipped in
``trancheflow/ops/migrations``; :func:`upgrade` runs them programmatically, so
a service calls it once at start-up.

Every connection problem is raised as :class:`~trancheflow.errors.DatabaseError`
naming the URL (password masked) and what to do.

Examples
--------
>>> from trancheflow.deal import DealSpec
>>> url = "sqlite://"          # in-memory, one shared connection
>>> engine = connect(url)
>>> upgrade(engine)
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-DB",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 12, "wam": 12}]},
...     "assumptions": {"prepay": "CPR 0", "default": "CDR 0"},
...     "tranches": [{"name": "A", "balance": 800, "coupon": 0.05},
...                  {"name": "R", "residual": True}],
... })
>>> deal_id = register_deal(engine, spec, chain_id=1, address="0x" + "aa" * 20,
...                         tokens=["0x" + "bb" * 20])
>>> with session(engine) as s:
...     d = s.get(Deal, deal_id)
...     d.name, d.original_pool_balance, [t.original for t in d.tranches]
('DOC-DB', 1000000000, [800000000])
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from trancheflow.errors import DatabaseError, NotFoundError
from trancheflow.ops.contracts import contracts_of_record, kind_of
from trancheflow.ops.events import normalize_address
from trancheflow.ops.models import AuditResult, Cursor, Deal, DealContract, Tranche
from trancheflow.ops.secrets import mask_secrets

__all__ = [
    "DEFAULT_DB_URL",
    "connect",
    "find_deal",
    "mask_url",
    "normalize_url",
    "register_deal",
    "register_deployment",
    "session",
    "store_audit_result",
    "upgrade",
]

#: The embedded default database (a file in the working directory).
DEFAULT_DB_URL = "sqlite:///trancheflow-index.db"
_MIGRATIONS = Path(__file__).with_name("migrations")


def normalize_url(db_url: str | URL) -> URL:
    """Parse ``db_url``; ``postgresql://`` and ``postgres://`` select psycopg 3.

    Examples
    --------
    >>> normalize_url("postgres://u:p@localhost/db").drivername
    'postgresql+psycopg'
    """
    try:
        url = make_url(db_url)
    except ArgumentError as exc:
        raise DatabaseError(
            f"database URL {db_url!r} is not a URL; use e.g. sqlite:///index.db or "
            "postgresql://user:password@host:5432/dbname"
        ) from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"database URL {mask_url(url)}: backend {url.get_backend_name()!r} is not supported; "
            "use sqlite:///FILE or postgresql://user:password@host:port/dbname"
        )
    return url


def mask_url(db_url: str | URL | Engine) -> str:
    """The URL as text with its secrets masked (:func:`~trancheflow.ops.secrets.mask_secrets`:
    password, query keys, path keys).

    Examples
    --------
    >>> mask_url("postgresql://alice:s3cret@db:5432/index")
    'postgresql://alice:***@db:5432/index'
    >>> mask_url("postgresql://alice@db/index?password=s3cret")
    'postgresql://***@db/index?password=***'
    """
    if isinstance(db_url, Engine):
        db_url = db_url.url
    try:
        text = make_url(db_url).render_as_string(hide_password=False)
    except ArgumentError:
        return "<unparseable URL>"
    return mask_secrets(text)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")  # the API reads while the indexer writes
    cur.close()


def connect(db_url: str | URL | Engine, *, check: bool = True) -> Engine:
    """An engine for ``db_url`` (returned unchanged when already an engine).

    Parameters
    ----------
    db_url : str, URL or Engine
        ``sqlite:///FILE``, ``sqlite://`` (in memory) or ``postgresql://...``.
    check : bool
        Open one connection now so a wrong URL fails here, with an
        actionable message, instead of at first use.

    Raises
    ------
    DatabaseError
        The URL is malformed or the server cannot be reached.
    """
    if isinstance(db_url, Engine):
        return db_url
    url = normalize_url(db_url)
    kwargs: dict[str, Any] = {"future": True}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False}
        if url.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            Path(url.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 10}
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if check:
        try:
            with engine.connect():
                pass
        except (OperationalError, OSError) as exc:
            engine.dispose()
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise DatabaseError(
                f"cannot connect to database {mask_url(db_url)}: {reason}. Check that the "
                "server is running and reachable, and that user, password and database name "
                "are right (or pass a sqlite:///FILE URL to use an embedded database)"
            ) from exc
    return engine


def upgrade(db_url: str | URL | Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` with the shipped Alembic scripts.

    Each migration runs in a transaction (PostgreSQL rolls DDL back on failure).
    """
    from alembic import command
    from alembic.config import Config

    engine = connect(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"migrating database {mask_url(engine)} failed: {exc}") from exc


@contextmanager
def session(db: str | URL | Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    engine = connect(db, check=False)
    with Session(engine, expire_on_commit=False) as s:
        try:
            yield s
            s.commit()
        except OperationalError as exc:
            s.rollback()
            raise DatabaseError(f"database {mask_url(engine)}: {exc.orig}") from exc
        except BaseException:
            s.rollback()
            raise


def register_deal(
    db: str | URL | Engine,
    spec: Any,
    *,
    chain_id: int,
    address: str,
    tokens: Sequence[str],
    start_block: int = 0,
    pool_balance: int | None = None,
    tape_path: str | Path | None = None,
    contracts: Mapping[str, str] | None = None,
) -> int:
    """Register a deployed deal so the indexer follows it; returns its row id.

    Parameters
    ----------
    db : str, URL or Engine
        The indexer database (already migrated).
    spec : DealSpec
        The deal's spec; stored as its canonical JSON with its keccak hash
        (the ``SPEC_HASH`` the contract holds).
    chain_id : int
        Chain of the deployment.
    address : str
        The Deal contract.
    tokens : sequence of str
        Tranche token addresses, senior first (``Deal.tranche_token(i)``).
    start_block : int
        First block to index (the deployment block).
    pool_balance : int, optional
        Pool balance at closing in units; default computed from the collateral.
    tape_path : str or Path, optional
        Where the tape of a tape-backed spec lives (the canonical JSON keeps
        only its file name); default the spec's own tape path.
    contracts : mapping of str to str, optional
        The deal's other contracts by name (fund, liquidation, compliance,
        subscription, the parts of a split deal); each is followed from
        ``start_block`` and projected by the kind its name implies
        (:func:`trancheflow.ops.contracts.kind_of`).

    Raises
    ------
    DatabaseError
        The deal is already registered, or the token count differs from the
        spec's tranche count.
    """
    from trancheflow.deal import WaterfallParams, canonical_json, spec_hash
    from trancheflow.deal.run import collateral_pool, pool_balance_units

    params = WaterfallParams.from_spec(spec)
    if len(tokens) != params.n_tranches:
        raise DatabaseError(
            f"deal {spec.deal}: {len(tokens)} token address(es) given for "
            f"{params.n_tranches} non-residual tranche(s); pass one per tranche, senior first"
        )
    if pool_balance is None:
        pool_balance = pool_balance_units(spec, collateral_pool(spec))
    tape = tape_path if tape_path is not None else spec.collateral.tape
    addr = normalize_address(address)
    with session(db) as s:
        if s.scalar(select(Deal.id).where(Deal.chain_id == chain_id, Deal.address == addr)):
            raise DatabaseError(f"deal {addr} on chain {chain_id} is already registered")
        deal = Deal(
            chain_id=int(chain_id),
            address=addr,
            name=spec.deal,
            spec_json=canonical_json(spec).decode("ascii"),
            spec_hash="0x" + spec_hash(spec).hex(),
            tape_path=str(Path(tape).resolve()) if tape else None,
            decimals=params.decimals,
            original_pool_balance=int(pool_balance),
            start_block=int(start_block),
            residual_owed=0,
        )
        for i, tok in enumerate(tokens):
            deal.tranches.append(
                Tranche(
                    tranche_id=i,
                    name=params.names[i],
                    token_address=normalize_address(tok),
                    original=params.tranche_balances[i],
                    coupon=params.coupons[i],
                    accrual=params.accrual[i],
                    balance=params.tranche_balances[i],
                    index=0,
                    carry=0,
                    distributed=0,
                    claimed=0,
                )
            )
        s.add(deal)
        s.flush()
        core = {addr, *(t.token_address for t in deal.tranches)}
        for name, contract in (contracts or {}).items():
            caddr = normalize_address(contract)
            if caddr in core:
                continue
            core.add(caddr)
            s.add(
                DealContract(
                    deal_id=deal.id,
                    name=str(name)[:40],
                    kind=kind_of(str(name)),
                    address=caddr,
                    from_block=int(start_block),
                )
            )
        s.add(Cursor(deal_id=deal.id, last_block=int(start_block) - 1, last_block_hash=None))
        return deal.id


def register_deployment(
    db: str | URL | Engine,
    spec: Any,
    record: Any,
    *,
    tape_path: str | Path | None = None,
) -> int:
    """Register the deal of a deployment record (a
    :class:`~trancheflow.chain.deployments.Deployment` or its JSON form, as in
    ``deployments/<chain_id>.json``) with EVERY contract the record names
    (:func:`trancheflow.ops.contracts.contracts_of_record`); returns its row id.
    """
    data = record.to_json() if hasattr(record, "to_json") else dict(record)
    extras = data.get("extras") or {}
    return register_deal(
        db,
        spec,
        chain_id=int(data["chain_id"]),
        address=str(data["deal"]),
        tokens=[str(t["address"]) for t in data["tokens"]],
        start_block=int(data.get("block", 0)),
        pool_balance=extras.get("pool_balance"),
        tape_path=tape_path,
        contracts=contracts_of_record(data),
    )


def find_deal(s: Session, ref: str, chain_id: int | None = None) -> Deal:
    """The deal named by ``ref``: its contract address or its name.

    Raises
    ------
    NotFoundError
        No registered deal matches (the message lists the known ones).
    """
    q = select(Deal)
    if chain_id is not None:
        q = q.where(Deal.chain_id == chain_id)
    try:
        addr = normalize_address(ref)
        q = q.where(Deal.address == addr)
    except Exception:
        q = q.where(Deal.name == ref)
    found = list(s.scalars(q))
    if len(found) == 1:
        return found[0]
    known = [f"{d.name} ({d.address}, chain {d.chain_id})" for d in s.scalars(select(Deal))]
    if not found:
        raise NotFoundError(
            f"deal {ref!r} is not registered in the index"
            + (f" on chain {chain_id}" if chain_id is not None else "")
            + "; known deals: "
            + (", ".join(known) if known else "none (register one first)")
        )
    raise NotFoundError(
        f"deal {ref!r} matches {len(found)} deals ({', '.join(known)}); "
        "use the contract address and chain_id"
    )


def store_audit_result(
    db: str | URL | Engine,
    deal_id: int,
    *,
    ok: bool,
    through_period: int,
    summary: str,
    details: dict[str, Any] | None = None,
) -> int:
    """Store one audit (reconciliation) result; returns its id. ``details``
    must be JSON-serialisable (big ints as strings)."""
    json.dumps(details or {})
    with session(db) as s:
        if s.get(Deal, deal_id) is None:
            raise NotFoundError(f"deal id {deal_id} is not registered in the index")
        row = AuditResult(
            deal_id=deal_id,
            ok=ok,
            through_period=through_period,
            summary=summary,
            details=details or {},
        )
        s.add(row)
        s.flush()
        return row.id

"""No log can wedge the indexer (issue 10), and every event a deal's contracts
declare has a deliberate handling.

A log that contradicts the projections or cannot be decoded is quarantined
with its reason and a critical alert; the deal's cursor moves past it and the
other deals on the chain index as if it were not there. The reference each
time is an index built by a separate indexer over a chain without the bad log.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.errors import ChainError
from trancheflow.ops import contracts as kinds
from trancheflow.ops import logreader
from trancheflow.ops.db import connect, register_deployment, upgrade
from trancheflow.ops.events import MemoryChain
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.models import Alert, Cursor, Deal, DealContract, EventRow, QuarantinedLog
from trancheflow.ops.simulated import SimulatedDeal, sim_address


def _fresh(tmp_path, name):  # type: ignore[no-untyped-def]
    e = connect(f"sqlite:///{tmp_path / name}.db")
    upgrade(e)
    return e


def _deal_rows(snapshot, engine, deal_id):  # type: ignore[no-untyped-def]
    """The snapshot rows of one deal (``deal_id`` column or the deals row)."""
    snap = snapshot(engine)
    out = {}
    for table, rows in snap.items():
        out[table] = [r for r in rows if deal_id in r[:1]]
    return out


def _two_deals(spec, play, bad_at: int | None):  # type: ignore[no-untyped-def]
    chain = MemoryChain(31337)
    one = SimulatedDeal(spec, chain, label="one")
    two = SimulatedDeal(spec, chain, label="two")
    play(one, 6)
    if bad_at is not None:
        # a holder claims more than it was ever owed: contradicts the projections
        chain.mine([(one.tokens[0], "Claimed", {"holder": sim_address("alice"), "amount": 10**30})])
    play(two, 4)
    play(one, 3, start=6)
    return chain, one, two


def test_an_unprojectable_log_is_quarantined_and_wedges_nothing(
    tmp_path, spec, play, snapshot
) -> None:  # type: ignore[no-untyped-def]
    chain, one, two = _two_deals(spec, play, bad_at=1)
    db = _fresh(tmp_path, "bad")
    one.register(db)
    two.register(db)
    idx = Indexer(db, chain, batch_blocks=7)
    idx.run_once()  # does not raise
    assert idx.quarantined == 1
    with Session(db) as s:
        (q,) = s.scalars(select(QuarantinedLog)).all()
        assert q.name == "Claimed" and "exceeds" in q.reason and q.deal_id == 1
        alerts = s.scalars(select(Alert).where(Alert.kind == "quarantined")).all()
        assert len(alerts) == 1 and alerts[0].severity == "critical"
        assert [c.last_block for c in s.scalars(select(Cursor))] == [chain.latest_block()] * 2
        stored = s.scalar(select(func.count(EventRow.id)))
    # the same chain without the bad log, indexed separately: equal projections
    ref_chain, r1, r2 = _two_deals(spec, play, bad_at=None)
    ref = _fresh(tmp_path, "ref")
    r1.register(ref)
    r2.register(ref)
    Indexer(ref, ref_chain).run_once()
    drop = {"quarantine", "events"}  # block numbers shift by the one removed block
    mine = {k: v for k, v in snapshot(db).items() if k not in drop}
    theirs = {k: v for k, v in snapshot(ref).items() if k not in drop}
    for table in ("holders", "periods", "tranches", "claims", "deals"):
        assert len(mine[table]) == len(theirs[table]), table

    def strip(rows):
        return sorted((r[1:4] for r in rows), key=repr)

    assert strip(mine["holders"]) == strip(theirs["holders"])
    # a rerun is a no-op: nothing written, nothing quarantined again
    again = Indexer(db, chain)
    assert again.run_once() == 0 and again.quarantined == 0
    with Session(db) as s:
        assert s.scalar(select(func.count(EventRow.id))) == stored
        assert s.scalar(select(func.count(QuarantinedLog.id))) == 1


class _Garbling:
    """A source that cannot decode ``bad_address``'s logs in ``bad_block``."""

    def __init__(self, chain: MemoryChain, bad_address: str, bad_block: int) -> None:
        self.inner, self.chain_id = chain, chain.chain_id
        self.bad = (bad_address.lower(), bad_block)

    def latest_block(self) -> int:
        return self.inner.latest_block()

    def block_hash(self, n: int) -> str | None:
        return self.inner.block_hash(n)

    def events(self, a, b, addresses):  # type: ignore[no-untyped-def]
        addr, block = self.bad
        if a <= block <= b and addr in [x.lower() for x in addresses]:
            raise ChainError(
                f"topic0 0xdead at block {block} is not an event of the known contracts"
            )
        return self.inner.events(a, b, addresses)


def test_an_undecodable_log_is_isolated_and_quarantined(db, new_sim, play) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 5)
    sim.register(db)
    transfers = [
        e for e in sim.chain.events(0, sim.chain.latest_block(), sim.tokens) if e.name == "Transfer"
    ]
    bad = transfers[-1]
    idx = Indexer(db, _Garbling(sim.chain, bad.address, bad.block_number))
    idx.run_once()
    with Session(db) as s:
        (q,) = s.scalars(select(QuarantinedLog)).all()
        assert (q.block_number, q.address, q.name) == (
            bad.block_number,
            bad.address,
            "<undecodable>",
        )
        assert "cannot decode" in q.reason
        logs = sim.chain.events(0, sim.chain.latest_block(), sim.addresses)
        lost = [e for e in logs if (e.block_number, e.address) == (bad.block_number, bad.address)]
        assert s.scalar(select(func.count(EventRow.id))) == len(logs) - len(lost)
        assert s.get(Cursor, 1).last_block == sim.chain.latest_block()


def test_contracts_of_the_record_and_attached_ones_are_followed(db, spec, play) -> None:  # type: ignore[no-untyped-def]
    chain = MemoryChain(31337)
    sim = SimulatedDeal(spec, chain, label="att")
    fund, comp, auction = (sim_address(f"att/{n}") for n in ("fund", "compliance", "auction"))
    play(sim, 2)
    chain.mine(
        [(fund, "Deposit", {"sender": sim.issuer, "owner": sim.issuer, "assets": 5, "shares": 5})]
    )
    chain.mine(
        [(comp, "FrozenSet", {"token": sim.tokens[0], "account": sim.issuer, "frozen": True})]
    )
    chain.mine([(sim.address, "InsuranceFundSet", {"fund": fund, "premium_rate": 7})])
    chain.mine([(fund, "Covered", {"period": 3, "requested": 9, "paid": 4, "total_assets": 1})])
    chain.mine(
        [(auction, "NoteSold", {"loan_id": "0x" + "ab" * 32, "buyer": sim.issuer, "price": 3})]
    )
    chain.mine([(comp, "Mystery", {"x": 1})])
    # the registry serves another deal too: its freeze is no alert of this deal
    other = sim_address("other/token")
    chain.mine([(comp, "FrozenSet", {"token": other, "account": sim.issuer, "frozen": True})])
    record = {
        "chain_id": 31337,
        "deal": sim.address,
        "tokens": [{"address": t} for t in sim.tokens],
        "block": 0,
        "settlement": sim_address("usdc"),
        "blueprint": sim_address("bp"),
        "contracts": {"compliance": comp, "liquidation": auction},
    }
    register_deployment(db, spec, record)
    Indexer(db, chain, batch_blocks=3).run_once()
    with Session(db) as s:
        rows = {(c.name, c.kind, c.address) for c in s.scalars(select(DealContract))}
        assert rows == {
            ("compliance", kinds.COMPLIANCE, comp),
            ("liquidation", kinds.LIQUIDATION, auction),
            ("insurance_fund", kinds.FUND, fund),
        }
        names = [e.name for e in s.scalars(select(EventRow).order_by(EventRow.block_number))]
        # the fund's Deposit, mined BEFORE it was attached, is read when it is
        assert {
            "Deposit",
            "FrozenSet",
            "InsuranceFundSet",
            "Covered",
            "NoteSold",
            "Mystery",
        } <= set(names)
        alerts = {a.kind for a in s.scalars(select(Alert))}
        assert {"compliance_FrozenSet", "insurancefund_Covered", "liquidation_NoteSold"} <= alerts
        assert "unknown_event" in alerts  # Mystery: kept raw, flagged once
        frozen = s.scalars(select(Alert).where(Alert.kind == "compliance_FrozenSet")).all()
        assert len(frozen) == 1 and other not in frozen[0].message
        assert s.scalars(select(Deal)).one().closed


# ------------------------------------------------------------- every event declared
_EVENT = re.compile(r"^event\s+(\w+)\s*:", re.M)
_IMPORT = re.compile(r"^(?:from\s+([\w.]+)\s+)?import\s+(\w+)", re.M)


def _module_file(package: str | None, name: str, here: Path) -> Path | None:
    import snekmate

    if package and package.startswith("snekmate"):
        base = Path(next(iter(snekmate.__path__))).joinpath(*package.split(".")[1:])
        return base / f"{name}.vy"
    for cand in (here.parent / f"{name}.vy", CONTRACTS_DIR / "core" / f"{name}.vy"):
        if cand.exists():
            return cand
    return None


def _declared(path: Path, seen: set[Path] | None = None) -> set[str]:
    """Events declared by a contract and every module it imports (snekmate included)."""
    seen = seen if seen is not None else set()
    if path in seen or not path.exists():
        return set()
    seen.add(path)
    text = path.read_text()
    out = set(_EVENT.findall(text))
    for package, name in _IMPORT.findall(text):
        mod = _module_file(package or None, name, path)
        if mod is not None:
            out |= _declared(mod, seen)
    return out


_FILES = {
    kinds.DEAL: [
        "Deal.vy",
        *(f"core/{p.name}" for p in sorted((CONTRACTS_DIR / "core").glob("*.vy"))),
    ],
    kinds.TOKEN: ["TrancheToken.vy"],
    kinds.FUND: ["insurance/InsuranceFund.vy"],
    kinds.LIQUIDATION: ["liquidation/Liquidation.vy"],
    kinds.COMPLIANCE: ["compliance/Compliance.vy"],
    kinds.SUBSCRIPTION: ["Subscription.vy"],
}


@pytest.mark.parametrize("kind", sorted(_FILES))
def test_every_declared_event_has_a_deliberate_handling(kind: str) -> None:
    declared: set[str] = set()
    for rel in _FILES[kind]:
        declared |= _declared(CONTRACTS_DIR / rel)
    assert declared, f"no events found for {kind}"
    missing = sorted(declared - set(kinds.EVENT_HANDLING[kind]))
    assert not missing, f"{kind} declares events the indexer has no decision for: {missing}"
    for name, (action, why) in kinds.EVENT_HANDLING[kind].items():
        assert action in ("project", "alert", "raw") and why, name


class _Counting:
    """A source that counts the ranges it is asked to read."""

    def __init__(self, chain: MemoryChain) -> None:
        self.inner, self.chain_id, self.reads = chain, chain.chain_id, 0

    def latest_block(self) -> int:
        return self.inner.latest_block()

    def block_hash(self, n: int) -> str | None:
        return self.inner.block_hash(n)

    def events(self, a, b, addresses):  # type: ignore[no-untyped-def]
        self.reads += 1
        return self.inner.events(a, b, addresses)


def test_many_bad_logs_in_one_batch_are_read_once(db, new_sim, play) -> None:  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 2)
    for k in range(6):
        claim = {"holder": sim_address("alice"), "amount": 10**30 + k}
        sim.chain.mine([(sim.tokens[0], "Claimed", claim)])
    sim.register(db)
    src = _Counting(sim.chain)
    idx = Indexer(db, src)  # one batch holds the whole chain
    idx.run_once()
    assert idx.quarantined == 6
    assert src.reads == 1  # the batch re-ran 7 times on the logs it read once
    with Session(db) as s:
        assert s.scalar(select(func.count(QuarantinedLog.id))) == 6
        assert s.get(Cursor, 1).last_block == sim.chain.latest_block()


def _recovery_chain(spec, play):  # type: ignore[no-untyped-def]
    """A deal life, then a governance recovery of alice to a vault (the token's
    Transfer and Recovered logs, with alice's exact owed) and the vault's claim."""
    chain = MemoryChain(31337)
    sim = SimulatedDeal(spec, chain, label="rec")
    play(sim, 7)  # alice claimed after period 5 and accrued since
    alice, vault = sim_address("alice"), sim_address("vault")
    tokens, owed = sim.balances(0)[alice], sim.claimable(0, alice)
    assert tokens > 0 and owed > 0
    tok = sim.tokens[0]
    move = {"sender": alice, "receiver": vault, "value": tokens}
    rec = {"holder": alice, "to": vault, "tokens": tokens, "owed": owed}
    chain.mine([(tok, "Transfer", move), (tok, "Recovered", rec)])
    chain.mine([(tok, "Claimed", {"holder": vault, "amount": owed})])
    sim.finalize_next()  # the vault accrues on the recovered tokens
    sim.finalize_next()
    return chain, sim


def test_quarantined_logs_are_retried_after_the_fix(
    tmp_path, spec, play, snapshot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The issue-10 wedge replayed: a projector that cannot handle Recovered
    (simulated by breaking its handler) quarantines it and the vault's claim that
    depends on it; the other logs index. After the fix, ``retry_quarantined``
    brings both back and the index equals one built by the fixed projector."""
    from trancheflow.ops import projector

    chain, sim = _recovery_chain(spec, play)
    db = _fresh(tmp_path, "q")
    sim.register(db)

    def broken(*_a: object) -> None:
        raise ValueError("Recovered is not projected")

    monkeypatch.setattr(projector, "_apply_recovered", broken)
    idx = Indexer(db, chain, batch_blocks=5)
    idx.run_once()
    with Session(db) as s:
        assert sorted(q.name for q in s.scalars(select(QuarantinedLog))) == ["Claimed", "Recovered"]
        assert s.get(Cursor, 1).last_block == chain.latest_block()
    assert Indexer(db, chain).retry_quarantined() == 0  # still broken: back in quarantine
    monkeypatch.undo()
    assert Indexer(db, chain).retry_quarantined() == 2
    ref = _fresh(tmp_path, "ref")
    sim.register(ref)
    Indexer(ref, chain).run_once()
    drop = ("quarantine",)
    assert {k: v for k, v in snapshot(db).items() if k not in drop} == {
        k: v for k, v in snapshot(ref).items() if k not in drop
    }
    with Session(db) as s:
        assert s.scalars(select(QuarantinedLog)).all() == []


def test_a_node_that_caps_log_ranges_is_read_in_halves(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Over a chain backend: the node refuses ``eth_getLogs`` spans over 3 blocks
    (as providers cap them); the reader halves the range, and one log no ABI
    decodes is quarantined with its topics while the others index."""
    from trancheflow.chain.backends import RawLog
    from trancheflow.chain.backends.boa_backend import BoaBackend
    from trancheflow.chain.events import BackendEventSource, EventDecoder

    b = BoaBackend()
    toks = [str(b.deploy("MockUSDC", []).contract_address) for _ in range(3)]
    start = b.latest_block()
    for k in range(5):
        b.transact("MockUSDC", toks[0], "mint", [b.accounts[1], 10 + k])

    class Capped:
        chain_id = b.chain_id

        def latest_block(self) -> int:
            return b.latest_block()

        def block_hash(self, n: int) -> str | None:
            return b.block_hash(n)

        def logs(self, lo: int, hi: int, addresses):  # type: ignore[no-untyped-def]
            if hi - lo > 3:
                raise ChainError(f"eth_getLogs {lo}..{hi}: block range too large")
            out = b.logs(lo, hi, addresses)
            if lo <= start + 2 <= hi:  # a log no known ABI decodes
                out.append(
                    RawLog(
                        toks[0],
                        (b"\xee" * 32,),
                        b"",
                        start + 2,
                        b.block_hash(start + 2) or "",
                        "0x" + "77" * 32,
                        9,
                    )
                )
            return out

    from trancheflow.deal import DealSpec

    from ...support import credit_spec

    spec = DealSpec.model_validate(credit_spec("CAPPED"))
    from trancheflow.ops.db import register_deal

    register_deal(
        db,
        spec,
        chain_id=b.chain_id,
        address="0x" + "0c" * 20,
        tokens=toks,
        start_block=start + 1,
        pool_balance=10**12,
    )
    src = BackendEventSource(Capped(), EventDecoder(["MockUSDC"]))  # type: ignore[arg-type]
    # the fallback decoder of every deal contract compiles ~8 contracts: not needed here
    monkeypatch.setattr(logreader, "family_decoder", lambda: EventDecoder(["MockUSDC"]))
    idx = Indexer(db, src)
    idx.run_once()
    with Session(db) as s:
        names = [e.name for e in s.scalars(select(EventRow))]
        assert names == ["Transfer"] * 5
        (q,) = s.scalars(select(QuarantinedLog)).all()
        assert q.name == "<undecodable>" and q.args["topics"] == ["0x" + "ee" * 32]

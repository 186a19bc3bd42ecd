"""One indexer, two deals, one real node, a re-org (``evm_snapshot``/``evm_revert``).

Each deal's tranche tokens are real ERC-20 contracts on anvil (``MockUSDC``,
whose mints are ``Transfer`` logs from the zero address, as a tranche token's
closing mint is), so the test needs no particular Deal contract. Both deals
are indexed on the old fork; the node reverts to a snapshot (the fork point)
and mines a different history: deal one's mints move to other blocks and
deal two's old mints never happen. After re-indexing, with deal one rolled
back and re-read first, every stored log must be on the node's canonical
chain (its block hash equals the node's) and every projected holder balance
must equal the token's own ``balanceOf`` on the node.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from trancheflow.chain.client import DealClient
from trancheflow.deal import DealSpec
from trancheflow.ops.db import connect, register_deal, upgrade
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.models import Alert, EventRow, Holder, Tranche

from ..support import credit_spec
from .anvil import AnvilNode, anvil, rpc  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture
def client(anvil: AnvilNode, tmp_path: Path) -> Iterator[DealClient]:  # noqa: F811
    env = anvil.env(4)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield DealClient.connect(
            anvil.url,
            extra_key_envs=["TF_TEST_KEY_1", "TF_TEST_KEY_2", "TF_TEST_KEY_3"],
            chain_id=31337,
            deployments_dir=tmp_path / "dep",
        )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _tokens(client: DealClient, n: int) -> list[str]:
    return [client.deploy_settlement_mock() for _ in range(n)]


def test_two_deals_one_chain_reorg_on_anvil(anvil: AnvilNode, client: DealClient, tmp_path) -> None:  # noqa: F811
    spec = DealSpec.model_validate(credit_spec("IT-REORG"))
    n = len(spec.debt_tranches)
    start = client.backend.latest_block() + 1
    one, two = _tokens(client, n), _tokens(client, n)
    db = connect(f"sqlite:///{tmp_path / 'index.db'}")
    engine = db
    upgrade(engine)
    for label, toks in (("one", one), ("two", two)):
        s2 = spec.model_copy(update={"deal": f"IT-REORG-{label}"})
        register_deal(
            engine,
            s2,
            chain_id=31337,
            address="0x" + ("0a" if label == "one" else "0b") * 20,
            tokens=toks,
            start_block=start,
            pool_balance=10**12,
        )
    a, b, c = client.accounts[1], client.accounts[2], client.accounts[3]
    client.mint_mock(one[0], a, 100)
    client.mint_mock(two[0], a, 200)
    source = client.event_source()
    Indexer(engine, source).run_once()
    fork = rpc(anvil.url, "evm_snapshot")
    fork_block = client.backend.latest_block()
    # the old fork: two's mints, then one's, then an empty block
    client.mint_mock(two[1], b, 5)
    client.mint_mock(two[0], c, 6)
    client.mint_mock(one[1], b, 7)
    rpc(anvil.url, "evm_mine")
    old_head = client.backend.latest_block()
    Indexer(engine, source).run_once()
    with Session(engine) as s:
        assert s.scalar(select(Holder.balance).where(Holder.address == c.lower())) == 6
    assert rpc(anvil.url, "evm_revert", [fork]) is True
    assert client.backend.latest_block() == fork_block
    # the new fork: an empty block, one's mint in the block where two's was,
    # then more blocks than the old fork had
    rpc(anvil.url, "evm_mine")
    client.mint_mock(one[1], c, 9)
    client.mint_mock(one[0], b, 11)
    for _ in range(3):
        rpc(anvil.url, "evm_mine")
    assert client.backend.latest_block() > old_head
    idx = Indexer(engine, source, batch_blocks=2)
    idx.run_once()
    assert {r.deal for r in idx.reorgs} == {"0x" + "0a" * 20, "0x" + "0b" * 20}
    assert all(r.rolled_back_to <= fork_block for r in idx.reorgs)
    with Session(engine) as s:
        rows = s.scalars(select(EventRow)).all()
        assert rows
        for row in rows:  # nothing of the orphaned blocks is left
            assert client.backend.block_hash(row.block_number) == row.block_hash, row.block_number
        tokens = {t.token_address: t for t in s.scalars(select(Tranche))}
        holders = s.scalars(select(Holder)).all()
        checked = 0
        for h in holders:
            token = next(
                t
                for t in tokens.values()
                if t.deal_id == h.deal_id and t.tranche_id == h.tranche_id
            )
            onchain = client.token_balance(token.token_address, h.address)
            assert h.balance == onchain, (token.token_address, h.address)
            checked += 1
        # two's old-fork mints are gone; one's new-fork mints are there
        assert s.scalar(
            select(Holder.balance).where(Holder.address == c.lower(), Holder.deal_id == 2)
        ) in (None, 0)
        assert client.token_balance(one[1], c) == 9 and checked >= 4
        assert len(s.scalars(select(Alert).where(Alert.kind == "reorg")).all()) == 2


def test_node_credentials_stay_out_of_messages_and_records(anvil: AnvilNode, tmp_path) -> None:  # noqa: F811
    """A node URL with basic auth and a query key (anvil ignores both): the
    backend's description, its error messages and the deployment record written
    to disk carry the URL masked."""
    port = anvil.url.rsplit(":", 1)[1]
    key = "0123456789abcdef0123456789abcdef"
    url = f"http://ops:n0de-pa55@127.0.0.1:{port}/?apikey={key}"
    os.environ.update(anvil.env(1))
    c = DealClient.connect(url, chain_id=31337, deployments_dir=tmp_path / "dep")
    assert "n0de-pa55" not in c.backend.description and key not in c.backend.description
    spec = DealSpec.model_validate(credit_spec("IT-MASK"))
    from trancheflow.chain.reports import signer_addresses

    c.deploy_deal(spec, signers=signer_addresses([0x5EED0101]), quorum=1)
    written = (tmp_path / "dep" / "31337.json").read_text()
    assert "n0de-pa55" not in written and key not in written and "127.0.0.1" in written

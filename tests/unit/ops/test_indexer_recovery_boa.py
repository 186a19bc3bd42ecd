"""The indexer follows a governance recovery (``TrancheToken.Recovered``) on a
real titanoboa deal, and a log it cannot project never wedges it.

The deal is the example deal deployed through the chain client with a
``Compliance`` hook; after one period governance freezes ``alice`` and
recovers her tokens and accrued distributions to ``vault``; ``vault``
claims. Every holder's projected claimable must equal the token's own
``claimable(holder)`` (read from the contract, not from the projector).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

pytest.importorskip("boa")

import boa

from trancheflow.chain.client import DealClient
from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.chain.reports import sign_report, signer_addresses
from trancheflow.chain.servicer import ServicerFeed
from trancheflow.deal.spec import load_spec
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.keeper import BackendKeeperChain, Keeper
from trancheflow.ops.models import (
    Alert,
    Cursor,
    DealContract,
    Holder,
    QuarantinedLog,
    Recovery,
    Tranche,
)
from trancheflow.ops.projector import claimable

from .test_keeper_boa import EXAMPLE, SIGNER_KEYS, WINDOW, BoaDeal

COMPLIANCE = str(CONTRACTS_DIR / "compliance" / "Compliance.vy")
US, ACC = 840, 1
YEAR = 365 * 86_400


class RecoveredDeal(BoaDeal):
    """The example deal, a ``Compliance`` hook attached on the live deal by its
    owner (``set_compliance``: the indexer must follow the hook from its
    ``ComplianceSet`` log); ``alice`` bought 1,000,000 of tranche A and one
    period ran."""

    def __init__(self) -> None:
        self.spec = load_spec(EXAMPLE, onchain=True)
        self.feed = ServicerFeed(self.spec)
        self.client = c = DealClient.embedded()
        me = c.accounts[0]
        self.me, self.alice, self.vault = me, c.accounts[1], c.accounts[2]
        settlement = c.deploy_settlement_mock()
        self.deal = c.deploy_deal(
            self.spec,
            signers=signer_addresses(SIGNER_KEYS),
            quorum=2,
            dispute_window=WINDOW,
            settlement=settlement,
        )
        with boa.swap_env(c.backend.env), boa.env.prank(me):
            self.compliance = boa.load_partial(COMPLIANCE).deploy(me, me)
            now = int(boa.env.evm.patch.timestamp)
            for who in (me, self.alice, self.vault):
                self.compliance.register(who, US, ACC, now + 10 * YEAR)
            for tok in self.deal.record.tokens:
                self.compliance.set_rules(tok.address, ACC, 0, 0, 0)
                self.compliance.set_jurisdiction(tok.address, US, True)
        c.backend.transact(
            "Deal", self.deal.address, "set_compliance", [str(self.compliance.address)], sender=me
        )
        c.mint_mock(settlement, me, 10**18)
        self.token_a = self.deal.record.tokens[0].address
        c.backend.transact(
            "TrancheToken", self.token_a, "transfer", [self.alice, 1_000_000 * 10**6], sender=me
        )
        self.keeper = Keeper(BackendKeeperChain(self.deal), sleep=lambda s: None)
        self.period()

    def period(self) -> None:
        t = self.deal.period() + 1
        r = self.feed.report(t)
        self.deal.submit_report(
            r, sign_report(r, SIGNER_KEYS[:2], self.client.chain_id, self.deal.address)
        )
        self.client.advance_time(WINDOW)
        assert [o.status for o in self.keeper.run_once().outcomes] == ["finalized"]

    def recover(self) -> None:
        with boa.swap_env(self.client.backend.env), boa.env.prank(self.me):
            self.compliance.set_frozen(self.token_a, self.alice, True)
        self.client.backend.transact(
            "TrancheToken", self.token_a, "recover", [self.alice, self.vault], sender=self.me
        )

    def claim(self, holder: str) -> None:
        self.client.backend.transact("TrancheToken", self.token_a, "claim", [], sender=holder)

    def onchain_claimable(self, holder: str) -> int:
        return int(self.client.backend.call("TrancheToken", self.token_a, "claimable", [holder]))


def _projected(db: Any, token: str) -> dict[str, int]:
    with Session(db) as s:
        t = s.scalars(select(Tranche).where(Tranche.token_address == token.lower())).one()
        rows = s.scalars(select(Holder).where(Holder.tranche_id == t.tranche_id)).all()
        return {h.address: claimable(h, t) for h in rows}


def test_recovery_is_projected_and_claims_after_it_index(db) -> None:  # type: ignore[no-untyped-def]
    w = RecoveredDeal()
    w.period()  # alice accrues a second period
    owed = w.onchain_claimable(w.alice)
    assert owed > 0
    w.recover()
    w.claim(w.vault)  # the vault claims what alice had accrued
    w.period()  # and accrues on the recovered tokens
    w.register(db)
    idx = Indexer(db, w.client.event_source())
    idx.run_once()
    got = _projected(db, w.token_a)
    for who in (w.me, w.alice, w.vault):
        assert got.get(who.lower(), 0) == w.onchain_claimable(who), who
    with Session(db) as s:
        (cursor,) = s.scalars(select(Cursor)).all()
        assert cursor.last_block == w.client.backend.latest_block()
        (rec,) = s.scalars(select(Recovery)).all()
        assert (rec.holder, rec.recipient, rec.owed) == (w.alice.lower(), w.vault.lower(), owed)
        assert s.scalars(select(QuarantinedLog)).all() == []
        # the hook attached by ComplianceSet is followed from then on
        (hook,) = s.scalars(select(DealContract).where(DealContract.kind == "Compliance")).all()
        assert hook.address == str(w.compliance.address).lower()
        assert "recovered" in {a.kind for a in s.scalars(select(Alert))}

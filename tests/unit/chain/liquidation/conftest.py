"""Fixtures for the liquidation tests: the standard deal (one finalized period whose
loan-level root commits three loans' status), a Compliance contract and the auction.

Loans: ``L1`` 95 days delinquent, balance 200k, house 250k; ``L2`` current,
balance 300k, house 280k (LTV 107%); ``L3`` current, balance 100k, house 400k.
LTV threshold 100%, auction 3 days from the house value to a 60% floor.
"""

from __future__ import annotations

from typing import Any

import boa
import pytest

from trancheflow.chain.compile import CONTRACTS_DIR, load_partial
from trancheflow.chain.liquidation import loan_id, sign_property_value, status_leaf
from trancheflow.chain.merkle import merkle_proof, merkle_root
from trancheflow.chain.reports import signer_addresses

from ..conftest import UNIT, make_world

VALUER_KEYS = [0x7A1E01, 0x7A1E02, 0x7A1E03]
DURATION = 3 * 86_400
LAG = 90 * 86_400
FLOOR_BPS = 6_000
MOCK_DEAL = str(CONTRACTS_DIR / "liquidation" / "mocks" / "MockLiquidatedDeal.vy")
LOANS = {"L1": (200_000, 95, 250_000), "L2": (300_000, 0, 280_000), "L3": (100_000, 0, 400_000)}


class MockWorld:
    """Stand-in for ``World`` with a ``MockLiquidatedDeal``: ``run(loans_root=...)``
    finalizes a period whose loan-level root is ``loans_root``."""

    def __init__(self) -> None:
        self.usdc = load_partial("MockUSDC").deploy()
        self.deal = boa.load_partial(MOCK_DEAL).deploy()
        self.chain_id = int(boa.env.evm.patch.chain_id)

    def run(self, loans_root: bytes) -> None:
        self.deal.finalize_root(loans_root)


class LiqEnv:
    """``first_period(world, root)`` runs the period whose report commits the loans
    (default: ``world.run``); parity tests pass one that drives a ``ParityRun``.
    ``mock=True`` uses a ``MockLiquidatedDeal`` instead of the real deal."""

    def __init__(self, first_period: Any = None, mock: bool = False) -> None:
        self.w: Any = MockWorld() if mock else make_world()
        a = boa.env.generate_address
        self.owner, self.registrar, self.keeper = a("owner"), a("registrar"), a("keeper")
        self.buyer, self.retail = a("buyer"), a("retail")
        with boa.env.prank(self.owner):
            self.compliance = boa.load_partial(
                str(CONTRACTS_DIR / "compliance" / "Compliance.vy")
            ).deploy(self.registrar, self.owner)
            self.liq = boa.load_partial(
                str(CONTRACTS_DIR / "liquidation" / "Liquidation.vy")
            ).deploy(
                self.w.deal.address,
                self.w.usdc.address,
                self.compliance.address,
                signer_addresses(VALUER_KEYS),
                2,
                10**9,
                DURATION,
                FLOOR_BPS,
                LAG,
            )
            self.compliance.set_rules(self.liq.address, 2, 0, 0, 0)  # QIB buyers
            self.compliance.set_jurisdiction(self.liq.address, 840, True)
        now = boa.env.evm.patch.timestamp
        with boa.env.prank(self.registrar):
            self.compliance.register(self.buyer, 840, 2, now + 10**8)
            self.compliance.register(self.retail, 840, 4, now + 10**8)
        self.ids = {k: loan_id(k) for k in LOANS}
        self.leaves = [status_leaf(self.ids[k], b * UNIT, d) for k, (b, d, _) in LOANS.items()]
        self.root = merkle_root(self.leaves)
        if first_period is None:
            self.w.run(loans_root=self.root)
        else:
            first_period(self.w, self.root)
        for who in (self.buyer, self.retail):
            self.w.usdc.mint(who, 10**12 * UNIT)
            with boa.env.prank(who):
                self.w.usdc.approve(self.liq.address, 2**256 - 1)
        boa.env.time_travel(seconds=10)

    def value(
        self, name: str, value: int | None = None, keys: Any = None, as_of: int | None = None
    ) -> None:
        v = LOANS[name][2] * UNIT if value is None else value
        t = boa.env.evm.patch.timestamp - 1 if as_of is None else as_of
        sigs = sign_property_value(
            self.ids[name],
            v,
            t,
            VALUER_KEYS[:2] if keys is None else keys,
            self.w.chain_id,
            str(self.liq.address),
        )
        self.liq.report_value(self.ids[name], v, t, sigs)

    def mark(self, name: str, balance: int | None = None, days: int | None = None) -> None:
        i = list(LOANS).index(name)
        b, d, _ = LOANS[name]
        with boa.env.prank(self.keeper):
            self.liq.mark(
                self.ids[name],
                b * UNIT if balance is None else balance,
                d if days is None else days,
                merkle_proof(self.leaves, i),
                self.root,
            )


@pytest.fixture(scope="module")
def env() -> LiqEnv:
    return LiqEnv(mock=True)

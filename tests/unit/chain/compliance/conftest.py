"""Fixtures for the compliance tests: the Compliance contract and a token using its hook.

Investors (all valid for a year unless a test says otherwise):
``us_acc`` (840, accredited), ``us_qib`` (840, QIB), ``gb_acc`` (826,
accredited), ``us_retail`` (840, retail). The token's rules admit 840 and
accredited|QIB investors.
"""

from __future__ import annotations

from typing import Any

import boa
import pytest

from trancheflow.chain.compile import CONTRACTS_DIR

US, GB = 840, 826
ACC, QIB, RETAIL = 1, 2, 4
YEAR = 365 * 86_400

COMPLIANCE = str(CONTRACTS_DIR / "compliance" / "Compliance.vy")
TOKEN = str(CONTRACTS_DIR / "compliance" / "mocks" / "MockRestrictedToken.vy")


class Env:
    def __init__(self) -> None:
        a = boa.env.generate_address
        self.owner, self.registrar, self.guardian = a("owner"), a("registrar"), a("guardian")
        self.stranger = a("stranger")
        with boa.env.prank(self.owner):
            self.c = boa.load_partial(COMPLIANCE).deploy(self.registrar, self.guardian)
        self.token = boa.load_partial(TOKEN).deploy(self.c.address)
        self.now = boa.env.evm.patch.timestamp
        self.inv = {}
        for name, j, cls in [
            ("us_acc", US, ACC),
            ("us_qib", US, QIB),
            ("gb_acc", GB, ACC),
            ("us_retail", US, RETAIL),
            ("us_acc2", US, ACC),
            ("us_acc3", US, ACC),
        ]:
            self.inv[name] = a(name)
            self.register(self.inv[name], j, cls)
        self.rules()
        with boa.env.prank(self.owner):
            self.c.set_jurisdiction(self.token.address, US, True)

    def register(self, who: Any, j: int, cls: int, expiry: int | None = None) -> None:
        with boa.env.prank(self.registrar):
            self.c.register(who, j, cls, expiry or boa.env.evm.patch.timestamp + YEAR)

    def rules(
        self, classes: int = ACC | QIB, max_h: int = 0, min_h: int = 0, lock: int = 0
    ) -> None:
        with boa.env.prank(self.owner):
            self.c.set_rules(self.token.address, classes, max_h, min_h, lock)

    def send(self, frm: Any, to: Any, amount: int) -> None:
        with boa.env.prank(frm):
            self.token.transfer(to, amount)


@pytest.fixture(scope="module")
def env() -> Env:
    return Env()

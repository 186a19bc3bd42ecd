"""Fixtures for the governance tests: a real Safe v1.4.1 (2-of-3) and a timelock it drives.

The Safe bytecode comes from the npm package ``@safe-global/safe-contracts``
1.4.1 (``make test`` installs it); the timelock is snekmate's controller.
"""

from __future__ import annotations

from typing import Any

import boa
import pytest

from trancheflow.chain.governance import Governance, deploy_governance
from trancheflow.chain.reports import signer_addresses

OWNER_KEYS = [0xC0FFEE01, 0xC0FFEE02, 0xC0FFEE03]
STRANGER_KEY = 0xBADBAD
MIN_DELAY = 2 * 86_400
MOCK = "src/trancheflow/chain/contracts/governance/mocks/MockGoverned.vy"


@pytest.fixture(scope="module")
def owners() -> list[str]:
    return signer_addresses(OWNER_KEYS)


@pytest.fixture(scope="module")
def gov(owners: list[str]) -> Governance:
    return deploy_governance(owners, 2, MIN_DELAY)


@pytest.fixture(scope="module")
def target(gov: Governance) -> Any:
    """A governed contract whose owner is the timelock (two-step handover done)."""
    c = boa.load_partial(MOCK).deploy()
    c.transfer_ownership(gov.address)
    op = gov.operation(c, c.accept_ownership.prepare_calldata())
    gov.enact(op, OWNER_KEYS[:2])
    assert c.owner() == gov.address
    return c

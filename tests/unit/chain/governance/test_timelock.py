"""Timelock governed by the Safe: delay, roles, direct-call bypass, cancel.

Reference semantics: snekmate ``timelock_controller`` (OpenZeppelin
TimelockController model): an operation is pending from ``schedule`` until
``execute``; it is ready once ``block.timestamp >= scheduled + delay``.
"""

from __future__ import annotations

from typing import Any

import boa
import pytest

from trancheflow.chain.governance import Governance, deploy_timelock
from trancheflow.errors import ChainError

from .conftest import MIN_DELAY, OWNER_KEYS


def _set(gov: Governance, target: Any, v: int, salt: bytes = b"\x00" * 32) -> Any:
    return gov.operation(target, target.set_value.prepare_calldata(v), salt=salt)


def test_roles(gov: Governance, owners: list[str]) -> None:
    t, safe = gov.timelock, gov.safe.address
    for role in (t.PROPOSER_ROLE(), t.CANCELLER_ROLE(), t.EXECUTOR_ROLE()):
        assert t.hasRole(role, safe)
        for o in owners:
            assert not t.hasRole(role, o)
    assert t.hasRole(t.DEFAULT_ADMIN_ROLE(), t.address)  # self-administered
    assert not t.hasRole(t.DEFAULT_ADMIN_ROLE(), boa.env.eoa)


def test_operation_id_matches_contract(gov: Governance, target: Any) -> None:
    op = _set(gov, target, 9, salt=b"\x01" * 32)
    assert bytes(gov.timelock.hash_operation(*op.args())) == op.id


def test_schedule_then_execute_after_delay(gov: Governance, target: Any) -> None:
    op = _set(gov, target, 77)
    gov.schedule(op, OWNER_KEYS[1:])
    assert gov.timelock.is_operation_pending(op.id)
    boa.env.time_travel(seconds=MIN_DELAY - 1)
    assert not gov.timelock.is_operation_ready(op.id)
    boa.env.time_travel(seconds=1)
    assert gov.timelock.is_operation_ready(op.id)
    gov.execute(op, OWNER_KEYS[:2])
    assert target.value() == 77
    assert gov.timelock.is_operation_done(op.id)


def test_too_early(gov: Governance, target: Any) -> None:
    op = _set(gov, target, 1)
    gov.schedule(op, OWNER_KEYS[:2])
    boa.env.time_travel(seconds=MIN_DELAY - 10)
    with boa.reverts("GS013"):  # inner: timelock_controller: operation is not ready
        gov.execute(op, OWNER_KEYS[:2])
    with (
        boa.env.prank(gov.safe.address),
        boa.reverts("timelock_controller: operation is not ready"),
    ):
        gov.timelock.execute(*op.args())
    assert target.value() == 0


def test_delay_below_minimum(gov: Governance, target: Any) -> None:
    with boa.env.prank(gov.safe.address), boa.reverts("timelock_controller: insufficient delay"):
        gov.timelock.schedule(*_set(gov, target, 1).args(), MIN_DELAY - 1)


def test_execute_twice(gov: Governance, target: Any) -> None:
    op = _set(gov, target, 3)
    gov.enact(op, OWNER_KEYS[:2])
    with (
        boa.env.prank(gov.safe.address),
        boa.reverts("timelock_controller: operation is not ready"),
    ):
        gov.timelock.execute(*op.args())


@pytest.mark.parametrize("who", ["owner", "stranger"])
def test_wrong_proposer(gov: Governance, target: Any, owners: list[str], who: str) -> None:
    sender = owners[0] if who == "owner" else boa.env.generate_address()
    op = _set(gov, target, 5)
    with boa.env.prank(sender), boa.reverts("access_control: account is missing role"):
        gov.timelock.schedule(*op.args(), MIN_DELAY)


def test_wrong_executor(gov: Governance, target: Any, owners: list[str]) -> None:
    op = _set(gov, target, 5)
    gov.schedule(op, OWNER_KEYS[:2])
    boa.env.time_travel(seconds=MIN_DELAY)
    with boa.env.prank(owners[0]), boa.reverts("access_control: account is missing role"):
        gov.timelock.execute(*op.args())
    assert target.value() == 0


def test_direct_call_bypass(gov: Governance, target: Any, owners: list[str]) -> None:
    """Nobody but the timelock may call the setter: not an owner, not the Safe itself."""
    for sender in (owners[0], boa.env.eoa):
        with boa.env.prank(sender), boa.reverts("ownable: caller is not the owner"):
            target.set_value(1)
    with boa.reverts("GS013"):
        gov.safe.call(target.address, target.set_value.prepare_calldata(1), OWNER_KEYS[:2])
    assert target.value() == 0


def test_cancel(gov: Governance, target: Any, owners: list[str]) -> None:
    op = _set(gov, target, 11)
    gov.schedule(op, OWNER_KEYS[:2])
    with boa.env.prank(owners[0]), boa.reverts("access_control: account is missing role"):
        gov.timelock.cancel(op.id)
    gov.cancel(op, OWNER_KEYS[1:])
    assert not gov.timelock.is_operation(op.id)
    boa.env.time_travel(seconds=MIN_DELAY)
    with boa.reverts("GS013"):
        gov.execute(op, OWNER_KEYS[:2])
    assert target.value() == 0


def test_update_delay_only_through_timelock(gov: Governance) -> None:
    with (
        boa.env.prank(gov.safe.address),
        boa.reverts("timelock_controller: caller must be timelock"),
    ):
        gov.timelock.update_delay(1)
    op = gov.operation(gov.timelock, gov.timelock.update_delay.prepare_calldata(3 * MIN_DELAY))
    gov.enact(op, OWNER_KEYS[:2])
    assert gov.min_delay == 3 * MIN_DELAY


def test_ownership_handover_is_two_step(gov: Governance, target: Any) -> None:
    new = boa.env.generate_address()
    op = gov.operation(target, target.transfer_ownership.prepare_calldata(new))
    gov.enact(op, OWNER_KEYS[:2])
    assert target.owner() == gov.address and target.pending_owner() == new
    with boa.env.prank(new):
        target.accept_ownership()
    assert target.owner() == new


def test_deploy_timelock_validates() -> None:
    with pytest.raises(ChainError, match="proposer"):
        deploy_timelock(10, [], [])
    with pytest.raises(ChainError, match="min_delay"):
        deploy_timelock(-1, [str(boa.env.generate_address())], [])

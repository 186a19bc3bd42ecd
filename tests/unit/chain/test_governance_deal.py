"""Deal parameters under governance: owner-only setters, two-step ownership, bounds.

Every privileged setter reverts for anyone but the owner with snekmate's
``ownable: caller is not the owner``; ownership moves in two steps
(snekmate ``ownable_2step``). End to end, a real Safe v1.4.1 (npm artifacts,
``trancheflow.chain.safe``) drives a timelock that owns the deal: a quorum
change passes only through Safe -> timelock after the delay; too early,
with wrong signers, or called directly by the Safe or anyone else, it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boa
import pytest

from trancheflow.chain.governance import Governance, deploy_governance
from trancheflow.chain.reports import signer_addresses

from .conftest import WINDOW, World, make_world

ZERO = "0x" + "00" * 20
NOT_OWNER = "ownable: caller is not the owner"
OWNER_KEYS = [0xC0FFEE11, 0xC0FFEE12, 0xC0FFEE13]
STRANGER_KEY = 0xBADBAD11
DELAY = 2 * 86_400

# (setter, args given the world) for every owner-only function
SETTERS: dict[str, Callable[[World], tuple[Any, ...]]] = {
    "set_signer": lambda w: (w.roles["alice"], True),
    "set_quorum": lambda w: (1,),
    "set_servicer": lambda w: (w.roles["alice"],),
    "set_guardian": lambda w: (w.roles["alice"],),
    "set_dispute_window": lambda w: (60,),
    "set_trigger_threshold": lambda w: (0, 20_000_000),
    "set_compliance": lambda w: (ZERO,),
    "set_insurance_fund": lambda w: (ZERO, 0),
    "set_liquidation": lambda w: (ZERO,),
    "unpause": lambda w: (1,),
    "transfer_ownership": lambda w: (w.roles["alice"],),
    "close": lambda w: (w.roles["alice"],),
}


@pytest.fixture(scope="module")
def bounded() -> World:
    """The standard deal whose loss trigger may move between 1% and 5%."""
    return make_world(trigger_bounds=((10_000_000, 50_000_000),))


@pytest.mark.parametrize("fn", sorted(SETTERS))
@pytest.mark.parametrize("who", ["guardian", "servicer", "alice", "residual"])
def test_setters_are_owner_only(bounded: World, fn: str, who: str) -> None:
    w = bounded
    with boa.env.prank(w.roles[who]), boa.reverts(NOT_OWNER):
        getattr(w.deal, fn)(*SETTERS[fn](w))


def test_two_step_ownership(world: World) -> None:
    alice = world.roles["alice"]
    with boa.env.prank(world.owner):
        world.deal.transfer_ownership(alice)
    assert world.deal.owner() == world.owner and world.deal.pending_owner() == alice
    with (
        boa.env.prank(world.roles["bob"]),
        boa.reverts("ownable_2step: caller is not the new owner"),
    ):
        world.deal.accept_ownership()
    with boa.env.prank(alice):
        world.deal.accept_ownership()
    assert world.deal.owner() == alice
    with boa.env.prank(world.owner), boa.reverts(NOT_OWNER):
        world.deal.set_quorum(1)


def test_trigger_threshold_within_deployment_bounds(bounded: World) -> None:
    w = bounded
    assert w.deal.trigger_threshold(0) == (20_000_000, 10_000_000, 50_000_000)
    with boa.env.prank(w.owner):
        for bad in (9_999_999, 50_000_001):
            with boa.reverts("deal: threshold out of bounds"):
                w.deal.set_trigger_threshold(0, bad)
        with boa.reverts("deal: unknown trigger"):
            w.deal.set_trigger_threshold(1, 20_000_000)
        w.deal.set_trigger_threshold(0, 50_000_000)
    assert w.deal.trigger_threshold(0)[0] == 50_000_000
    # 3% cumulative loss: breaches the deployed 2%, not the raised 5%
    w.run(losses=30_000 * 10**6)
    assert w.deal.breached() == 0


def test_thresholds_fixed_without_bounds(world: World) -> None:
    assert world.deal.trigger_threshold(0) == (20_000_000, 20_000_000, 20_000_000)
    with boa.env.prank(world.owner), boa.reverts("deal: threshold out of bounds"):
        world.deal.set_trigger_threshold(0, 20_000_001)


def test_bounds_must_contain_the_threshold() -> None:
    with boa.reverts():
        make_world(trigger_bounds=((30_000_000, 50_000_000),))


def test_dispute_window_change_applies_to_later_reports(world: World) -> None:
    w = world
    r = w.report()
    w.submit(r)
    with boa.env.prank(w.owner):
        w.deal.set_dispute_window(10 * WINDOW)
    assert w.deal.DISPUTE_WINDOW() == WINDOW  # the pending report keeps its window
    boa.env.time_travel(seconds=WINDOW)
    w.deal.finalize(r.period_input())
    assert w.deal.DISPUTE_WINDOW() == w.deal.dispute_window() == 10 * WINDOW
    r = w.report()
    w.submit(r)
    boa.env.time_travel(seconds=WINDOW)
    with boa.reverts("deal: dispute window open"):
        w.deal.finalize(r.period_input())


def test_compliance_replaced_on_every_token(world: World) -> None:
    hook = boa.env.generate_address()
    with boa.env.prank(world.owner):
        world.deal.set_compliance(hook)
    assert world.deal.compliance() == hook
    assert all(t.COMPLIANCE() == hook for t in world.tokens)


def test_token_config_is_deal_only(world: World) -> None:
    with boa.reverts("tranche: caller is not the deal"):
        world.tokens[0].set_config(0, ZERO)


# ------------------------------------------------------------------ Safe -> timelock
@pytest.fixture(scope="module")
def governed() -> tuple[World, Governance]:
    w = make_world()
    gov = deploy_governance(signer_addresses(OWNER_KEYS), 2, DELAY, salt_nonce=7)
    with boa.env.prank(w.owner):
        w.deal.transfer_ownership(gov.address)
    gov.enact(gov.operation(w.deal, w.deal.accept_ownership.prepare_calldata()), OWNER_KEYS[:2])
    assert w.deal.owner() == gov.address
    return w, gov


def test_quorum_changes_only_through_safe_and_timelock(governed: tuple[World, Governance]) -> None:
    w, gov = governed
    op = gov.operation(w.deal, w.deal.set_quorum.prepare_calldata(3))
    # wrong signers: a stranger's signature is not a Safe owner's
    with boa.reverts("GS026"):
        gov.schedule(op, [OWNER_KEYS[0], STRANGER_KEY])
    gov.schedule(op, OWNER_KEYS[1:])
    # too early
    boa.env.time_travel(seconds=DELAY - 60)
    with boa.reverts("GS013"):  # inner: timelock_controller: operation is not ready
        gov.execute(op, OWNER_KEYS[:2])
    assert w.deal.quorum() == 2
    boa.env.time_travel(seconds=60)
    gov.execute(op, OWNER_KEYS[:2])
    assert w.deal.quorum() == 3


def test_nothing_bypasses_the_timelock(governed: tuple[World, Governance]) -> None:
    w, gov = governed
    # the Safe calling the deal directly (a valid 2-of-3 Safe transaction)
    with boa.reverts("GS013"):
        gov.safe.call(w.deal.address, w.deal.set_quorum.prepare_calldata(3), OWNER_KEYS[:2])
    # a Safe owner, the previous owner, anyone
    for who in (signer_addresses(OWNER_KEYS)[0], w.owner, w.guardian):
        with boa.env.prank(who), boa.reverts(NOT_OWNER):
            w.deal.set_quorum(3)
    # the timelock's own execute needs the executor role (the Safe)
    op = gov.operation(w.deal, w.deal.set_quorum.prepare_calldata(3))
    gov.schedule(op, OWNER_KEYS[:2])
    boa.env.time_travel(seconds=DELAY)
    with boa.env.prank(w.owner), boa.reverts("access_control: account is missing role"):
        gov.timelock.execute(*op.args())
    assert w.deal.quorum() == 2


def test_governance_unpauses_what_the_guardian_paused(governed: tuple[World, Governance]) -> None:
    w, gov = governed
    with boa.env.prank(w.guardian):
        w.deal.pause(4)
    with boa.env.prank(w.guardian), boa.reverts(NOT_OWNER):
        w.deal.unpause(4)
    gov.enact(gov.operation(w.deal, w.deal.unpause.prepare_calldata(4)), OWNER_KEYS[:2])
    assert w.deal.paused() == 0


def test_client_deploy_hands_ownership_to_owner() -> None:
    from trancheflow.chain.client import DealClient
    from trancheflow.deal import DealSpec

    spec = DealSpec.model_validate(
        {
            "deal": "GOV-CLIENT",
            "collateral": {
                "rep_lines": [
                    {"balance": 1000, "gross_rate": 0.07, "net_rate": 0.065, "term": 12, "wam": 12}
                ]
            },
            "assumptions": {"prepay": "CPR 0", "default": "CDR 0"},
            "tranches": [
                {"name": "A", "balance": 800, "coupon": 0.05},
                {"name": "R", "residual": True},
            ],
        }
    )
    client = DealClient.embedded()
    timelock = client.accounts[3]
    h = client.deploy_deal(spec, signers=signer_addresses([0xA11CE]), owner=timelock)
    deal = client.backend
    assert deal.call("Deal", h.address, "owner") == client.accounts[0]
    assert deal.call("Deal", h.address, "pending_owner") == timelock
    client.backend.transact("Deal", h.address, "accept_ownership", [], sender=timelock)
    assert deal.call("Deal", h.address, "owner") == timelock

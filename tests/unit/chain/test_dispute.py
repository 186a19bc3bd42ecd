"""Dispute window: veto returns the cash and keeps the period open; finalize timing."""

from __future__ import annotations

import boa

from trancheflow.chain.reports import signer_addresses

from .conftest import SIGNER_KEYS, WINDOW, World


def test_signer_veto_returns_cash_and_keeps_period_open(world: World) -> None:
    r = world.report()
    before = world.usdc.balanceOf(world.servicer)
    world.submit(r)
    assert world.usdc.balanceOf(world.servicer) == before - r.cash
    with boa.env.prank(signer_addresses(SIGNER_KEYS[2:])[0]):
        world.deal.veto()
    assert world.usdc.balanceOf(world.servicer) == before
    assert world.deal.period() == 0
    assert not world.deal.pending_report()[0]
    # a corrected report for the same period is accepted and finalizes
    fixed = world.report(interest=r.interest - 1)
    world.submit(fixed)
    world.finalize(fixed)
    assert world.deal.period() == 1


def test_guardian_can_veto(world: World) -> None:
    world.submit(world.report())
    with boa.env.prank(world.guardian):
        world.deal.veto()
    assert not world.deal.pending_report()[0]


def test_veto_event(world: World) -> None:
    r = world.report()
    world.submit(r)
    with boa.env.prank(world.guardian):
        world.deal.veto()
    ev = [e for e in world.deal.get_logs() if type(e).__name__ == "ReportVetoed"]
    assert ev and ev[-1].cash_returned == r.cash and ev[-1].period == 1


def test_veto_after_window_is_rejected(world: World) -> None:
    world.submit(world.report())
    boa.env.time_travel(seconds=WINDOW)
    with boa.env.prank(world.guardian), boa.reverts("deal: dispute window closed"):
        world.deal.veto()


def test_veto_without_pending_is_rejected(world: World) -> None:
    with boa.env.prank(world.guardian), boa.reverts("deal: no pending report"):
        world.deal.veto()


def test_finalize_before_window_is_rejected(world: World) -> None:
    r = world.report()
    world.submit(r)
    boa.env.time_travel(seconds=WINDOW - 1)
    with boa.reverts("deal: dispute window open"):
        world.deal.finalize(r.period_input())
    boa.env.time_travel(seconds=1)
    world.deal.finalize(r.period_input())
    assert world.deal.period() == 1


def test_finalize_needs_the_committed_inputs(world: World) -> None:
    r = world.report()
    world.submit(r)
    boa.env.time_travel(seconds=WINDOW)
    bad = list(r.period_input())
    bad[1] += 1
    with boa.reverts("deal: inputs differ from the pending report"):
        world.deal.finalize(tuple(bad))


def test_finalize_without_pending_is_rejected(world: World) -> None:
    r = world.report()
    with boa.reverts("deal: no pending report"):
        world.deal.finalize(r.period_input())


def test_anyone_can_finalize(world: World) -> None:
    r = world.report()
    world.submit(r)
    boa.env.time_travel(seconds=WINDOW)
    with boa.env.prank(boa.env.generate_address()):
        world.deal.finalize(r.period_input())
    assert world.deal.period() == 1


def test_pending_hash_is_the_python_commitment(world: World) -> None:
    from trancheflow.chain.reports import inputs_hash

    r = world.report()
    world.submit(r)
    assert world.deal.pending_hash() == inputs_hash(r)

"""Dispute window, veto escalation to governance and the liveness escape hatch.

Audit finding 1: a single signer's veto used to clear the pending loss (and
so re-open insurance-fund withdrawals ahead of a known loss) and a vetoed
report could be resubmitted with the same signatures. Now a veto only
disputes the report: it cannot finalize, its loss stays pending, and
governance (the owner: timelock driven by the Safe) either upholds it or
discards it, banning its digest forever. Governance can also discard any
report that has not finalized ``DISCARD_AFTER`` seconds after its window.
"""

from __future__ import annotations

import boa

from trancheflow.chain.reports import signer_addresses

from .conftest import SIGNER_KEYS, WINDOW, World


def _veto(world: World, who: str | None = None) -> None:
    with boa.env.prank(who or signer_addresses(SIGNER_KEYS[2:])[0]):
        world.deal.veto()


def _owner(world: World, fn: str) -> None:
    with boa.env.prank(world.owner):
        getattr(world.deal, fn)()


def test_single_veto_disputes_and_keeps_the_loss_pending(world: World) -> None:
    r = world.report(losses=20_000 * 10**6)
    world.submit(r)
    assert world.deal.loss_pending()
    _veto(world)
    assert world.deal.disputed() and world.deal.pending_report()[0]
    assert world.deal.loss_pending()  # no fund exit ahead of the known loss
    boa.env.time_travel(seconds=WINDOW)
    with boa.reverts("deal: report disputed"):
        world.deal.finalize(r.period_input())


def test_a_discarded_digest_never_comes_back(world: World) -> None:
    r = world.report()
    sigs = world.sign(r)
    world.submit(r, sigs)
    _veto(world)
    with boa.env.prank(world.servicer), boa.reverts("deal: report pending"):
        world.oracle.submit_report(r.as_tuple(), sigs)
    before = world.usdc.balanceOf(world.servicer)
    _owner(world, "discard_report")
    assert not world.deal.pending_report()[0] and not world.deal.loss_pending()
    assert world.deal.refund_owed(world.servicer) == r.cash
    with boa.env.prank(world.servicer):
        assert world.deal.claim_refund() == r.cash
    assert world.usdc.balanceOf(world.servicer) == before + r.cash
    with boa.env.prank(world.servicer), boa.reverts("deal: report was vetoed"):
        world.oracle.submit_report(r.as_tuple(), sigs)
    fixed = world.report(interest=r.interest - 1)  # a corrected report is accepted
    world.submit(fixed)
    world.finalize(fixed)
    assert world.deal.period() == 1


def test_governance_upholds_a_disputed_report(world: World) -> None:
    r = world.report()
    world.submit(r)
    _veto(world, world.guardian)
    with boa.env.prank(world.guardian), boa.reverts("deal: report already disputed"):
        world.deal.veto()
    _owner(world, "uphold_report")
    assert not world.deal.disputed()
    world.finalize(r)
    assert world.deal.period() == 1


def test_only_governance_resolves(world: World) -> None:
    world.submit(world.report())
    _veto(world)
    for fn in ("uphold_report", "discard_report"):
        with boa.env.prank(world.guardian), boa.reverts("ownable: caller is not the owner"):
            getattr(world.deal, fn)()


def test_stale_report_escape_hatch(world: World) -> None:
    r = world.report()
    sigs = world.sign(r)
    world.submit(r, sigs)
    boa.env.time_travel(seconds=WINDOW + int(world.deal.DISCARD_AFTER()) - 1)
    with boa.env.prank(world.owner), boa.reverts("deal: report not stale"):
        world.deal.discard_report()
    boa.env.time_travel(seconds=1)
    _owner(world, "discard_report")
    # not disputed: the digest is not banned, the same report may come again
    world.submit(r, sigs)
    world.finalize(r)
    assert world.deal.period() == 1


def test_integrations_can_be_replaced_while_a_report_is_pending(world: World) -> None:
    world.submit(world.report())
    stranger = str(boa.env.generate_address())
    with boa.env.prank(world.owner):
        world.deal.set_liquidation(stranger)
        world.deal.set_liquidation("0x" + "00" * 20)
        world.deal.set_insurance_fund(stranger, 0)
        world.deal.set_insurance_fund("0x" + "00" * 20, 0)
    assert world.deal.pending_report()[0]


def test_dispute_and_veto_events(world: World) -> None:
    r = world.report()
    world.submit(r)
    _veto(world, world.guardian)
    ev = [e for e in world.deal.get_logs() if type(e).__name__ == "ReportDisputed"]
    assert ev and ev[-1].period == 1 and ev[-1].by == world.guardian
    _owner(world, "discard_report")
    ev = [e for e in world.deal.get_logs() if type(e).__name__ == "ReportVetoed"]
    assert ev and ev[-1].cash_returned == r.cash and ev[-1].period == 1


def test_veto_after_window_is_rejected(world: World) -> None:
    world.submit(world.report())
    boa.env.time_travel(seconds=WINDOW)
    with boa.env.prank(world.guardian), boa.reverts("deal: dispute window closed"):
        world.deal.veto()


def test_veto_by_outsider_or_without_pending_is_rejected(world: World) -> None:
    with boa.env.prank(world.guardian), boa.reverts("deal: no pending report"):
        world.deal.veto()
    world.submit(world.report())
    with boa.env.prank(boa.env.generate_address()), boa.reverts("deal: caller cannot veto"):
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

"""Report attestation: quorum, duplicates, ordering, replay, cross-deal/chain, bounds."""

from __future__ import annotations

import boa

from trancheflow.chain.reports import report_digest, sign_report, signer_addresses

from .conftest import OUTSIDER_KEY, SIGNER_KEYS, UNIT, World, make_world


def test_quorum_of_registered_signers_is_accepted(world: World) -> None:
    r = world.report()
    world.submit(r, world.sign(r, SIGNER_KEYS))  # 3 of 3 is fine too
    pending, _, cash, _ = world.deal.pending_report()
    assert pending and cash == r.cash


def test_python_digest_matches_contract(world: World) -> None:
    r = world.report(dq30_count=3, reo_balance=7, loans_root=b"\x42" * 32)
    assert world.oracle.report_digest(r.as_tuple()) == report_digest(
        r, world.chain_id, str(world.deal.address)
    )


def test_under_quorum_is_rejected(world: World) -> None:
    r = world.report()
    with boa.reverts("deal: quorum not met"):
        world.submit(r, world.sign(r, SIGNER_KEYS[:1]))
    with boa.reverts("deal: quorum not met"):
        world.submit(r, [])


def test_duplicate_signer_is_rejected(world: World) -> None:
    r = world.report()
    one = world.sign(r, SIGNER_KEYS[:1])[0]
    with boa.reverts("deal: signers not strictly ascending"):
        world.submit(r, [one, one])


def test_unsorted_signatures_are_rejected(world: World) -> None:
    r = world.report()
    sigs = world.sign(r, SIGNER_KEYS[:2])
    with boa.reverts("deal: signers not strictly ascending"):
        world.submit(r, sigs[::-1])


def test_non_signer_is_rejected(world: World) -> None:
    r = world.report()
    sigs = world.sign(r, [SIGNER_KEYS[0], OUTSIDER_KEY])
    with boa.reverts("deal: signature from a non-signer"):
        world.submit(r, sigs)


def test_removed_signer_no_longer_counts(world: World) -> None:
    gone = signer_addresses([SIGNER_KEYS[0]])[0]
    with boa.env.prank(world.owner):
        world.deal.set_signer(gone, False)
    r = world.report()
    with boa.reverts("deal: signature from a non-signer"):
        world.submit(r, world.sign(r, SIGNER_KEYS[:2]))
    world.submit(r, world.sign(r, SIGNER_KEYS[1:]))


def test_signatures_over_other_fields_fail(world: World) -> None:
    r = world.report()
    forged = world.report(interest=r.interest + 1)
    with boa.reverts("deal: signature from a non-signer"):
        world.submit(forged, world.sign(r))


def test_cross_deal_signatures_are_rejected(world: World) -> None:
    other = make_world()
    r = world.report()
    sigs_for_other = world.sign(r, deal=str(other.deal.address))
    with boa.reverts("deal: signature from a non-signer"):
        world.submit(r, sigs_for_other)


def test_cross_chain_signatures_are_rejected(world: World) -> None:
    r = world.report()
    with boa.reverts("deal: signature from a non-signer"):
        world.submit(r, world.sign(r, chain_id=world.chain_id + 1))
    # and signatures made for this chain stop working if the chain id changes (fork)
    sigs = world.sign(r)
    patch = boa.env.evm.patch
    old = patch.chain_id
    patch.chain_id = old + 5
    try:
        with boa.reverts("deal: signature from a non-signer"):
            world.submit(r, sigs)
    finally:
        patch.chain_id = old


def test_replay_of_a_finalized_report_is_rejected(world: World) -> None:
    r = world.run()
    with boa.reverts("deal: wrong period"):
        world.submit(r, world.sign(r))


def test_wrong_period_is_rejected(world: World) -> None:
    for p in (0, 2, 10**6):
        r = world.report(period=p)
        with boa.reverts("deal: wrong period"):
            world.submit(r)


def test_second_report_while_pending_is_rejected(world: World) -> None:
    r = world.report()
    world.submit(r)
    with boa.reverts("deal: report pending"):
        world.submit(r)


def test_out_of_bounds_principal_is_rejected(world: World) -> None:
    pool = world.deal.pool_balance()
    r = world.report(scheduled_principal=pool // 2, prepayments=pool // 2, losses=pool % 2 + 1)
    with boa.reverts("deal: principal and losses exceed pool balance"):
        world.submit(r)
    # exactly the pool is in bounds
    world.submit(world.report(scheduled_principal=pool // 2, prepayments=pool - pool // 2))


def test_cash_is_pulled_exactly(world: World) -> None:
    before = world.usdc.balanceOf(world.deal.address)
    r = world.report()
    world.submit(r)
    assert world.usdc.balanceOf(world.deal.address) - before == r.cash


def test_lossy_token_deposit_is_rejected() -> None:
    from trancheflow.chain.compile import load_partial
    from trancheflow.chain.deploy import deploy_deal

    from .conftest import World, make_roles, standard_config

    lossy = load_partial("FeeOnTransferToken").deploy()
    roles = make_roles()
    cfg = standard_config(roles)
    w = World(
        deploy_deal(cfg, settlement=lossy, issuer=roles["issuer"], owner=roles["owner"]), roles, cfg
    )
    with boa.reverts("deal: deposited cash differs from reported cash"):
        w.submit(w.report())


def test_report_before_closing_is_rejected() -> None:
    from trancheflow.chain.deploy import deploy_deal

    from .conftest import World, make_roles, standard_config

    roles = make_roles()
    cfg = standard_config(roles)
    w = World(deploy_deal(cfg, owner=roles["owner"]), roles, cfg)
    with boa.reverts("deal: not closed"):
        w.submit(w.report(interest=UNIT))


def test_sign_report_orders_by_signer_address() -> None:
    from trancheflow.chain.reports import ServicerReport

    r = ServicerReport(1, 1, 0, 0, 0, 0)
    sigs = sign_report(r, SIGNER_KEYS[::-1], 1, "0x" + "12" * 20)
    from trancheflow.chain.reports import recover_signer

    addrs = [int(recover_signer(r, s, 1, "0x" + "12" * 20), 16) for s in sigs]
    assert addrs == sorted(addrs)

"""The real Deal reports a pending loss between submission and finalization (a veto keeps
it pending until governance acts), and the fund bound to it blocks withdrawals exactly then."""

from __future__ import annotations

import boa

from ..conftest import WINDOW as WINDOW_DEAL
from ..conftest import make_world
from .conftest import COOLDOWN, FUND, UNIT, WINDOW


def test_loss_pending_blocks_fund_withdrawals() -> None:
    w = make_world()
    owner = boa.env.generate_address()
    with boa.env.prank(owner):
        fund = boa.load_partial(FUND).deploy(
            w.usdc.address, 6, COOLDOWN, WINDOW, 10**12, "FL", "FL"
        )
        fund.set_deal(w.deal.address)
    uw = boa.env.generate_address()
    w.usdc.mint(uw, 100 * UNIT)
    with boa.env.prank(uw):
        w.usdc.approve(fund.address, 2**256 - 1)
        shares = fund.deposit(100 * UNIT, uw)
        fund.request_redeem(shares)
    boa.env.time_travel(seconds=COOLDOWN)

    r = w.report(losses=1_000 * UNIT)
    w.submit(r)
    assert w.deal.loss_pending() and fund.withdrawals_blocked()
    with boa.env.prank(uw), boa.reverts("fund: loss pending, withdrawals blocked"):
        fund.redeem(shares, uw, uw)
    with boa.env.prank(w.guardian):
        w.deal.veto()
    # issue 10: a dispute keeps the loss pending (no exit ahead of it) until governance acts
    assert w.deal.loss_pending() and fund.maxRedeem(uw) == 0
    with boa.env.prank(w.owner):
        w.deal.uphold_report()
    boa.env.time_travel(seconds=WINDOW_DEAL)
    w.finalize(r)
    assert not w.deal.loss_pending() and fund.maxRedeem(uw) == shares
    w.run()  # a loss-free report never blocks
    assert not w.deal.loss_pending()
    with boa.env.prank(uw):
        assert fund.redeem(shares, uw, uw) == 100 * UNIT

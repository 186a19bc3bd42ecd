"""TrancheMarket on the real TrancheToken + Compliance (stand-in deal)."""

from __future__ import annotations

import boa
import pytest

from trancheflow.market.sandbox import UNIT, MarketSandbox

DEADLINE = 2**63


def seed(sb: MarketSandbox, tokens: int = 100_000 * UNIT, cash: int = 99_000 * UNIT) -> None:
    with boa.env.prank(sb.lp):  # type: ignore[attr-defined]
        sb.pool.add_liquidity(0, tokens, cash, DEADLINE)


def test_seed_sets_price_per_100_face(sb: MarketSandbox) -> None:
    seed(sb)
    assert sb.pool.spot_price() == 99 * 10**18
    assert sb.pool.balanceOf(sb.lp) == 100_000 * UNIT  # type: ignore[attr-defined]


def test_principal_payment_is_not_a_price_move(sb: MarketSandbox) -> None:
    seed(sb)
    before = sb.pool.spot_price()
    # 10% of the tranche repaid: the deal distributes 100k principal + 5k interest
    sb.period(900_000 * UNIT, 105_000 * UNIT)
    sb.pool.sync()
    after = sb.pool.spot_price()
    assert abs(after - before) <= before // 10**9
    # LPs got the pool's share of the distribution plus the released cash
    y = sb.pool.reserves()[1]
    expected_claim = 100_000 * UNIT * 105_000 * UNIT // sb.face
    released = 99_000 * UNIT - y
    assert released == 99_000 * UNIT // 10
    owed = sb.pool.lp_claimable(sb.lp)  # type: ignore[attr-defined]
    assert expected_claim + released - 2 <= owed <= expected_claim + released
    with boa.env.prank(sb.lp):  # type: ignore[attr-defined]
        paid = sb.pool.claim()
    assert paid == owed


def test_sell_then_buy_costs_the_fee(sb: MarketSandbox) -> None:
    seed(sb)
    c0 = sb.usdc.balanceOf(sb.trader)  # type: ignore[attr-defined]
    with boa.env.prank(sb.trader):  # type: ignore[attr-defined]
        got = sb.pool.sell(10_000 * UNIT, 0, DEADLINE)
        back = sb.pool.buy(got, 0, DEADLINE)
    assert back < 10_000 * UNIT
    assert sb.usdc.balanceOf(sb.trader) == c0  # type: ignore[attr-defined]


def test_min_out_and_deadline(sb: MarketSandbox) -> None:
    seed(sb)
    with boa.env.prank(sb.trader):  # type: ignore[attr-defined]
        with boa.reverts("market: output below minimum"):
            sb.pool.sell(1_000 * UNIT, 1_000 * UNIT, DEADLINE)
        with boa.reverts("market: deadline passed"):
            sb.pool.sell(1_000 * UNIT, 0, boa.env.evm.patch.timestamp - 1)


def test_ineligible_buyer_and_lp_get_the_tranche_code(sb: MarketSandbox) -> None:
    seed(sb)
    outsider = str(boa.env.generate_address("outsider"))
    sb.usdc.mint(outsider, 10_000 * UNIT)
    with boa.env.prank(outsider):
        sb.usdc.approve(sb.pool.address, 2**256 - 1)
    code = sb.token.detectTransferRestriction(sb.pool.address, outsider, 1)
    assert code == sb.compliance.RECEIVER_NOT_REGISTERED()
    msg = sb.token.messageForTransferRestriction(code)
    with boa.env.prank(outsider), boa.reverts(msg):
        sb.pool.buy(1_000 * UNIT, 0, DEADLINE)
    with boa.env.prank(outsider), boa.reverts(msg):
        sb.pool.add_liquidity(10, 10**12, 10**12, DEADLINE)
    # LP shares cannot go to an outsider either
    assert sb.pool.detectTransferRestriction(sb.lp, outsider, 1) == code  # type: ignore[attr-defined]
    with boa.env.prank(sb.lp), boa.reverts(msg):  # type: ignore[attr-defined]
        sb.pool.transfer(outsider, 1)
    # while transfers are paused the pool answers the token's code 16
    with boa.env.prank(sb.owner):
        sb.deal.set_config(0, 2, sb.compliance.address)
    assert sb.pool.detectTransferRestriction(sb.lp, sb.trader, 1) == 16  # type: ignore[attr-defined]


def test_write_off_to_zero_leaves_pool_consistent(sb: MarketSandbox) -> None:
    seed(sb)
    sb.period(0, 0)
    sb.pool.sync()
    t, y, _a, b = sb.pool.reserves()
    assert (y, b) == (0, 0) and t == 100_000 * UNIT
    assert sb.pool.spot_price() == 0
    with boa.env.prank(sb.trader), boa.reverts("market: tranche written off"):  # type: ignore[attr-defined]
        sb.pool.sell(1 * UNIT, 0, DEADLINE)
    owed = sb.pool.lp_claimable(sb.lp)  # type: ignore[attr-defined]
    assert owed == 99_000 * UNIT  # all the cash reaches the LP
    with boa.env.prank(sb.lp):  # type: ignore[attr-defined]
        sb.pool.remove_liquidity(100_000 * UNIT, 0, 0, DEADLINE)
        assert sb.pool.claim() == owed
    assert sb.pool.reserves() == (0, 0, 0, 0)
    assert sb.usdc.balanceOf(sb.pool.address) == 0


def test_donations_are_ignored(sb: MarketSandbox) -> None:
    seed(sb)
    before = (sb.pool.reserves(), sb.pool.spot_price())
    sb.usdc.mint(sb.pool.address, 50_000 * UNIT)
    with boa.env.prank(sb.trader):  # type: ignore[attr-defined]
        sb.token.transfer(sb.pool.address, 5_000 * UNIT)
    sb.pool.sync()
    assert (sb.pool.reserves(), sb.pool.spot_price()) == before
    assert sb.pool.lp_claimable(sb.lp) == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("direction", ["sell", "buy"])
def test_sandwich_in_one_block_leaves_twap(sb: MarketSandbox, direction: str) -> None:
    seed(sb)
    boa.env.time_travel(seconds=7_200)
    with boa.env.prank(sb.trader):  # type: ignore[attr-defined]
        sb.pool.sell(1 * UNIT, 0, DEADLINE)  # a trade to roll the checkpoints
    boa.env.time_travel(seconds=600)
    twap0 = sb.pool.twap()
    with boa.env.prank(sb.trader):  # type: ignore[attr-defined]
        if direction == "sell":
            got = sb.pool.sell(50_000 * UNIT, 0, DEADLINE)
            sb.pool.buy(got, 0, DEADLINE)
        else:
            got = sb.pool.buy(40_000 * UNIT, 0, DEADLINE)
            sb.pool.sell(got, 0, DEADLINE)
    assert sb.pool.twap() == twap0
    boa.env.time_travel(seconds=1)
    # one second later the end-of-block price (back near the start) counts for 1 s only
    assert abs(sb.pool.twap() - twap0) <= twap0 // 1000


def test_holding_a_manipulated_price_for_one_block_moves_twap_little(sb: MarketSandbox) -> None:
    """A push held for one 12 s block moves a 1 h TWAP by about 12/3600 of the push."""
    seed(sb)
    boa.env.time_travel(seconds=3_600)
    with boa.env.prank(sb.trader):  # type: ignore[attr-defined]
        sb.pool.sell(1 * UNIT, 0, DEADLINE)
    boa.env.time_travel(seconds=3_600)
    fair = sb.pool.spot_price()
    with boa.env.prank(sb.trader):  # type: ignore[attr-defined]
        got = sb.pool.buy(60_000 * UNIT, 0, DEADLINE)  # push the price up
    pushed = sb.pool.spot_price()
    boa.env.time_travel(seconds=12)
    with boa.env.prank(sb.trader):  # type: ignore[attr-defined]
        sb.pool.sell(got, 0, DEADLINE)  # and back, one block later
    twap = sb.pool.twap()
    assert pushed > fair * 104 // 100
    assert twap - fair <= (pushed - fair) * 12 // 3_600 + fair // 10**6


def test_min_holding_binds_investors_not_the_registered_venue(sb: MarketSandbox) -> None:
    """With a 50,000-unit minimum holding the pool may be bought down below it
    (a registered venue), while an investor still may not end below it."""
    seed(sb, tokens=60_000 * UNIT, cash=59_400 * UNIT)
    with boa.env.prank(sb.owner):
        sb.compliance.set_rules(sb.token.address, 1, 0, 50_000 * UNIT, 0)
    with boa.env.prank(sb.trader):  # type: ignore[attr-defined]
        sb.pool.buy(20_000 * UNIT, 0, DEADLINE)  # pool ends near 40,000 tokens
    assert sb.token.balanceOf(sb.pool.address) < 50_000 * UNIT
    with boa.env.prank(sb.owner):
        sb.compliance.set_venue(sb.token.address, sb.pool.address, False)
    code = sb.token.detectTransferRestriction(sb.pool.address, sb.trader, 1_000 * UNIT)  # type: ignore[attr-defined]
    assert code == sb.compliance.BELOW_MINIMUM_HOLDING()
    with boa.env.prank(sb.trader), boa.reverts(sb.token.messageForTransferRestriction(code)):  # type: ignore[attr-defined]
        sb.pool.buy(1_000 * UNIT, 0, DEADLINE)


def test_lp_whose_identity_lapsed_still_claims_and_may_sell_shares(sb: MarketSandbox) -> None:
    """Accrued LP cash follows the shares only from the transfer on; an LP whose
    identity was revoked keeps its claim and may pass its shares to an eligible
    investor, but cannot take tranche tokens out."""
    seed(sb)
    sb.period(950_000 * UNIT, 60_000 * UNIT)
    sb.pool.sync()
    owed = sb.pool.lp_claimable(sb.lp)  # type: ignore[attr-defined]
    assert owed > 0
    with boa.env.prank(sb.owner):
        sb.compliance.revoke(sb.lp)  # type: ignore[attr-defined]
    with boa.env.prank(sb.lp), boa.reverts("compliance: receiver not registered"):  # type: ignore[attr-defined]
        sb.pool.remove_liquidity(1_000 * UNIT, 0, 0, DEADLINE)
    shares = sb.pool.balanceOf(sb.lp)  # type: ignore[attr-defined]
    with boa.env.prank(sb.lp):  # type: ignore[attr-defined]
        sb.pool.transfer(sb.trader, shares)  # type: ignore[attr-defined]
        assert sb.pool.claim() == owed
    assert sb.pool.lp_claimable(sb.trader) == 0  # type: ignore[attr-defined]
    sb.period(900_000 * UNIT, 60_000 * UNIT)
    sb.pool.sync()
    assert sb.pool.lp_claimable(sb.lp) == 0  # type: ignore[attr-defined]
    assert sb.pool.lp_claimable(sb.trader) > 0  # type: ignore[attr-defined]

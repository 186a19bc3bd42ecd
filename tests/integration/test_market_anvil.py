"""The published Uniswap V2 factory/pair and TrancheMarket on a real node (anvil), issue 11.

The V2 bytecode is the npm package's, as published; the tranche token and
its compliance are trancheflow's. The pair can hold the tranche only once the
compliance owner registers it (the token refuses the transfer with its ERC-1404
reason before); it then swaps at the published 0.3% ``getAmountOut``; after a
period the distribution its tokens earned is stranded (the pair never claims),
while TrancheMarket's sync leaves nothing claimable at the token.
"""

from __future__ import annotations

import pytest

from trancheflow.market.uniswap_v2 import UNIT, V2_BUILD, NodeMarket

from .anvil import AnvilNode, anvil  # noqa: F401
from .conftest import missing

pytestmark = pytest.mark.integration


def test_v2_pair_and_market_on_anvil(anvil: AnvilNode) -> None:  # noqa: F811
    if not (V2_BUILD / "UniswapV2Factory.json").is_file():
        missing("@uniswap/v2-core not installed; run 'make test' (npm ci)")
    nm = NodeMarket(anvil.url)
    nm.deploy()
    token, usdc, pair, pool = (nm.c[k] for k in ("token", "usdc", "pair", "pool"))
    nm.fund(nm.lp, tokens=200_000 * UNIT, cash=400_000 * UNIT)
    nm.fund(nm.lp2, tokens=200_000 * UNIT, cash=400_000 * UNIT)
    nm.fund(nm.trader, tokens=10_000 * UNIT, cash=100_000 * UNIT)

    # not registered: the tranche token refuses the pair as a holder, with its reason
    code = token.functions.detectTransferRestriction(nm.lp2, pair.address, 1).call()
    assert code != 0
    reason = token.functions.messageForTransferRestriction(code).call()
    assert reason
    with pytest.raises(Exception, match="compliance: receiver not registered"):
        nm.pair_seed(nm.lp2, 100_000 * UNIT, 99_000 * UNIT)

    nm.register_venue(pair.address)
    nm.register_venue(pool.address)
    assert token.functions.detectTransferRestriction(nm.lp2, pair.address, 1).call() == 0
    nm.pair_seed(nm.lp2, 100_000 * UNIT, 99_000 * UNIT)
    nm.send(pool.functions.add_liquidity(0, 100_000 * UNIT, 99_000 * UNIT, 2**40), nm.lp)
    assert nm.pair_reserves() == (100_000 * UNIT, 99_000 * UNIT)

    # a swap at the published getAmountOut; the trader gets exactly that
    t0 = token.functions.balanceOf(nm.trader).call()
    out, v2_gas = nm.pair_swap(nm.trader, "buy", 1_000 * UNIT)
    assert out == 1_000 * UNIT * 997 * 100_000 * UNIT // (99_000 * UNIT * 1000 + 1_000 * UNIT * 997)
    assert token.functions.balanceOf(nm.trader).call() - t0 == out
    r = nm.send(pool.functions.sell(500 * UNIT, 1, 2**40), nm.trader)
    market_gas = int(r["gasUsed"])
    assert 0 < market_gas <= 1.3 * v2_gas

    # a period: 2% principal and a month's coupon; the pair's share is stranded
    bal = nm.balance()
    nm.period(bal - bal // 50, bal // 50 + bal * 5 // 1200)
    nm.send(pool.functions.sync(), nm.trader)
    stranded = token.functions.claimable(pair.address).call()
    assert stranded > 0
    assert token.functions.claimable(pool.address).call() == 0
    # and an outsider (no identity) cannot buy from the pool
    nm.send(usdc.functions.mint(nm.outsider, 10**9), nm.owner)
    nm.send(usdc.functions.approve(pool.address, 10**9), nm.outsider)
    with pytest.raises(Exception, match="compliance"):
        nm.send(pool.functions.buy(10**8, 1, 2**40), nm.outsider)

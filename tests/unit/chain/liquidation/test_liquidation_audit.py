"""Audit finding 3 (issue 10): only current data may force a loan into auction, and
auction proceeds above the note's balance never reach the pool.

Reproduced against the liquidation contract of issue 8: ``mark`` accepted the
loan-level root of ANY earlier finalized period and an appraisal of any age,
so a loan 95 days delinquent in period 1 and cured in period 2 could still be
auctioned (and bought at the floor); and a bid above the note's balance was
taken by the deal in full, so the pool balance fell by more than the loan
it replaced. Fixed rules (TECH_SPEC.md, "Liquidation"; docs/waterfall.md):
only the deal's ``latest_loan_root()`` counts, an appraisal older than
``max_appraisal_age`` does not, and the deal takes at most the note balance;
the excess is held as borrower surplus for the servicer's remittance account.
"""

from __future__ import annotations

import boa
import pytest

from trancheflow.chain.merkle import merkle_root

from ..conftest import UNIT
from .conftest import LOANS, LiqEnv

_REPRO = pytest.mark.xfail(strict=True, reason="audit finding 3 reproduced; fixed next")


@_REPRO
def test_a_cured_loan_cannot_be_marked_from_an_older_root(env: LiqEnv) -> None:
    env.value("L1")
    # period 2: L1 is cured (0 days delinquent); the deal's latest root says so
    from trancheflow.chain.liquidation import status_leaf

    cured = [status_leaf(env.ids["L1"], 190_000 * UNIT, 0), *env.leaves[1:]]
    env.w.run(loans_root=merkle_root(cured))
    with boa.reverts("liquidation: not the latest finalized loan root"):
        env.mark("L1")  # proves "95 days" under the period-1 root


@_REPRO
def test_a_stale_appraisal_does_not_count(env: LiqEnv) -> None:
    env.value("L2")  # LTV 107% on a fresh value: markable
    boa.env.time_travel(seconds=2 * 365 * 86_400)  # a two-year-old appraisal
    with boa.reverts("liquidation: property value too old"):
        env.mark("L2")
    env.value("L2")  # a fresh appraisal counts again
    env.mark("L2")
    assert env.liq.auctions(env.ids["L2"]).status == 1


@_REPRO
def test_proceeds_above_the_note_balance_are_borrower_surplus(env: LiqEnv) -> None:
    env.value("L1")  # house 250k, note balance 200k
    env.mark("L1")
    lid = env.ids["L1"]
    with boa.env.prank(env.buyer):
        price = env.liq.bid(lid, 2**256 - 1)
    balance = LOANS["L1"][0] * UNIT
    assert price == 250_000 * UNIT
    assert env.liq.recoveries_held() == balance  # what the deal may take
    assert env.liq.surplus_held() == price - balance
    assert env.w.deal.take(env.liq.address) == balance
    assert env.w.usdc.balanceOf(env.liq.address) == price - balance

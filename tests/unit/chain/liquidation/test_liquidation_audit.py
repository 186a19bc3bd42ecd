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

from trancheflow.chain.merkle import merkle_root

from ..conftest import UNIT
from .conftest import LOANS, LiqEnv


def test_a_cured_loan_cannot_be_marked_from_an_older_root(env: LiqEnv) -> None:
    env.value("L1")
    # period 2: L1 is cured (0 days delinquent); the deal's latest root says so
    from trancheflow.chain.liquidation import status_leaf

    cured = [status_leaf(env.ids["L1"], 190_000 * UNIT, 0), *env.leaves[1:]]
    env.w.run(loans_root=merkle_root(cured))
    with boa.reverts("liquidation: not the latest finalized loan root"):
        env.mark("L1")  # proves "95 days" under the period-1 root


def test_a_stale_appraisal_does_not_count(env: LiqEnv) -> None:
    env.value("L2")  # LTV 107% on a fresh value: markable
    boa.env.time_travel(seconds=2 * 365 * 86_400)  # a two-year-old appraisal
    with boa.reverts("liquidation: property value too old"):
        env.mark("L2")
    env.value("L2")  # a fresh appraisal counts again
    env.mark("L2")
    assert env.liq.auctions(env.ids["L2"]).status == 1


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


def test_the_latest_root_marks_and_none_before_a_period() -> None:
    e = LiqEnv(mock=True, first_period=lambda w, root: None)  # no period finalized yet
    e.value("L1")
    with boa.reverts("liquidation: not the latest finalized loan root"):
        e.mark("L1")
    e.w.run(loans_root=b"\x07" * 32)  # some other period, then the one committing the loans
    with boa.reverts("liquidation: not the latest finalized loan root"):
        e.mark("L1")
    e.w.run(loans_root=e.root)
    e.mark("L1")
    assert e.liq.auctions(e.ids["L1"]).status == 1


def test_surplus_is_pulled_by_the_servicer_account_only(env: LiqEnv) -> None:
    env.value("L1")
    env.mark("L1")
    lid = env.ids["L1"]
    with boa.env.prank(env.buyer):
        env.liq.bid(lid, 2**256 - 1)
    surplus = int(env.liq.surplus_held())
    remit = boa.env.generate_address("servicer remittance")
    with boa.reverts("liquidation: caller is not the surplus recipient"):
        env.liq.claim_surplus(lid)  # none set yet: the surplus stays held
    with boa.env.prank(env.keeper), boa.reverts("ownable: caller is not the owner"):
        env.liq.set_surplus_recipient(env.keeper)
    with boa.env.prank(env.owner):
        env.liq.set_surplus_recipient(remit)
    with boa.env.prank(env.keeper), boa.reverts("liquidation: caller is not the surplus recipient"):
        env.liq.claim_surplus(lid)
    with boa.env.prank(remit):
        assert env.liq.claim_surplus(lid) == surplus
        with boa.reverts("liquidation: no surplus"):
            env.liq.claim_surplus(lid)
    assert env.w.usdc.balanceOf(remit) == surplus and env.liq.surplus_held() == 0
    # the deal's share is untouched by the remittance
    assert env.liq.recoveries_held() == LOANS["L1"][0] * UNIT


def test_a_price_below_the_balance_has_no_surplus(env: LiqEnv) -> None:
    env.value("L2")  # house 280k under a 300k note
    env.mark("L2")
    with boa.env.prank(env.buyer):
        price = env.liq.bid(env.ids["L2"], 2**256 - 1)
    assert env.liq.recoveries_held() == price and env.liq.surplus_held() == 0


def test_appraisal_age_is_governed(env: LiqEnv) -> None:
    assert env.liq.max_appraisal_age() == env.liq.DEFAULT_MAX_APPRAISAL_AGE()
    with boa.env.prank(env.keeper), boa.reverts("ownable: caller is not the owner"):
        env.liq.set_max_appraisal_age(1)
    with boa.env.prank(env.owner):
        with boa.reverts("liquidation: zero appraisal age"):
            env.liq.set_max_appraisal_age(0)
        env.liq.set_max_appraisal_age(3_600)
    env.value("L1")
    boa.env.time_travel(seconds=3_601)
    with boa.reverts("liquidation: property value too old"):
        env.mark("L1")


def test_an_auction_is_cancelled_when_the_latest_root_shows_a_cure(env: LiqEnv) -> None:
    from trancheflow.chain.liquidation import status_leaf
    from trancheflow.chain.merkle import merkle_proof

    env.value("L1")
    env.mark("L1")  # 95 days delinquent in period 1
    lid = env.ids["L1"]
    with boa.reverts("liquidation: loan still liquidatable"):  # the same data shows no cure
        env.liq.unmark(lid, 200_000 * UNIT, 95, merkle_proof(env.leaves, 0), env.root)
    cured = [status_leaf(lid, 199_000 * UNIT, 0), *env.leaves[1:]]
    root2 = merkle_root(cured)
    with boa.reverts("liquidation: not the latest finalized loan root"):
        env.liq.unmark(lid, 199_000 * UNIT, 0, merkle_proof(cured, 0), root2)
    env.w.run(loans_root=root2)  # period 2 shows the loan cured
    env.liq.unmark(lid, 199_000 * UNIT, 0, merkle_proof(cured, 0), root2)
    assert env.liq.auctions(lid).status == 0 and env.liq.price(lid) == 0
    with boa.env.prank(env.buyer), boa.reverts("liquidation: no live auction"):
        env.liq.bid(lid, 2**256 - 1)


def test_unmark_needs_a_fresh_appraisal_too(env: LiqEnv) -> None:
    from trancheflow.chain.liquidation import status_leaf
    from trancheflow.chain.merkle import merkle_proof

    env.value("L1")
    env.mark("L1")
    lid = env.ids["L1"]
    cured = [status_leaf(lid, 199_000 * UNIT, 0), *env.leaves[1:]]
    env.w.run(loans_root=merkle_root(cured))
    boa.env.time_travel(seconds=int(env.liq.max_appraisal_age()) + 1)
    args = (lid, 199_000 * UNIT, 0, merkle_proof(cured, 0), merkle_root(cured))
    with boa.reverts("liquidation: property value too old"):
        env.liq.unmark(*args)
    env.value("L1")
    env.liq.unmark(*args)
    assert env.liq.auctions(lid).status == 0

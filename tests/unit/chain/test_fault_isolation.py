"""Fault isolation (TECH_SPEC.md I17): no attached contract and no token
behaviour can stop a period from finalizing or a holder from claiming.

Issue 10 reproduced the freeze with the deal of before the split: a
settlement token that blocklists the fund (USDC has a blocklist), and a fund
or liquidation contract bound to another deal, made ``finalize`` revert after
the dispute window, with every way out refused. Here each failure mode runs
a period that must finalize, with the documented fallback (docs/waterfall.md,
"Integration faults") checked against the exact waterfall to the unit:
a cover that cannot be pulled is not applied (the loss is written down), a
premium that cannot be pushed stays owed to the fund, auction proceeds that
cannot be taken wait for the next period.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boa
import pytest

from trancheflow.chain.compile import load_partial
from trancheflow.chain.deploy import deploy_deal
from trancheflow.chain.insurance import deploy_insured_deal
from trancheflow.deal.exact import PeriodInput

from .conftest import (
    COVER_CAP,
    PREMIUM_RATE,
    UNIT,
    WINDOW,
    ParityRun,
    World,
    make_roles,
    standard_config,
    underwrite,
)

OK, REVERT, OOG, GARBAGE, REENTER, LIE = range(6)
NORMAL = PeriodInput(
    interest=5_000 * UNIT,
    scheduled_principal=1_000 * UNIT,
    prepayments=3_000 * UNIT,
    recoveries=0,
    losses=0,
    delinquent_60_plus=0,
)
LOSS = replace(NORMAL, losses=60_000 * UNIT)


def _failures(logs: list[Any]) -> list[tuple[int, str]]:
    return [(int(e.step), str(e.target)) for e in logs if type(e).__name__ == "IntegrationFailed"]


def _blocklist_world() -> tuple[World, Any, Any]:
    roles = make_roles()
    cfg = standard_config(roles)
    token = load_partial("BlocklistToken").deploy()
    d, fund = deploy_insured_deal(
        cfg,
        premium_rate=PREMIUM_RATE,
        cap_per_period=COVER_CAP,
        settlement=token,
        issuer=roles["issuer"],
        owner=roles["owner"],
    )
    cfg = replace(cfg, insurance_fund=str(fund.address), insurance_premium_rate=PREMIUM_RATE)
    return World(d, roles, cfg), fund, token


def _hostile_world(*, as_fund: bool) -> tuple[World, Any]:
    roles = make_roles()
    token = load_partial("MockUSDC").deploy()
    hostile = load_partial("HostileIntegration").deploy(token.address)
    token.mint(hostile.address, 10**12 * UNIT)
    extra: dict[str, Any] = (
        {"insurance_fund": str(hostile.address), "insurance_premium_rate": PREMIUM_RATE}
        if as_fund
        else {"liquidation": str(hostile.address)}
    )
    cfg = standard_config(roles, **extra)
    d = deploy_deal(cfg, settlement=token, issuer=roles["issuer"], owner=roles["owner"])
    return World(d, roles, cfg), hostile


def test_blocklisted_fund_cannot_freeze_the_deal() -> None:
    w, fund, token = _blocklist_world()
    underwrite(w, fund, str(boa.env.generate_address()), 1_000_000 * UNIT)
    run = ParityRun(w, fund=fund)
    run.period(NORMAL)
    token.blocklist(fund.address, True)
    res = run.period(LOSS, refused=frozenset({"cover", "premium"}))
    assert res.insurance_cover == 0 and sum(t.writedown for t in res.tranches) > 0
    assert {s for s, _ in _failures(run.last_logs)} == {1, 2}  # premium and cover refused
    owed = int(w.deal.premium_owed())
    assert owed == res.insurance_premium > 0
    run.check_solvency()
    # holders still claim, and the premium is pushed once the block is lifted
    run.claim(0, w.issuer)
    assert w.deal.push_premium() == owed  # still blocked: stays owed
    token.blocklist(fund.address, False)
    assets = int(fund.totalAssets())
    assert w.deal.push_premium() == 0
    assert int(fund.totalAssets()) == assets + owed
    run.ledger.premium_owed = 0
    run.check_solvency()


def test_blocklisted_holder_blocks_only_its_own_claim() -> None:
    w, fund, token = _blocklist_world()
    run = ParityRun(w, fund=fund)
    alice, bob = w.roles["alice"], w.roles["bob"]
    run.transfer(0, w.issuer, alice, 100_000 * UNIT)
    run.transfer(0, w.issuer, bob, 100_000 * UNIT)
    token.blocklist(alice, True)
    run.period(NORMAL)
    with boa.env.prank(alice), boa.reverts():
        w.tokens[0].claim()
    run.claim(0, bob)
    run.period(NORMAL)
    run.check_solvency()


@pytest.mark.parametrize("mode", [REVERT, OOG, GARBAGE, REENTER, LIE])
def test_hostile_fund_is_isolated(mode: int) -> None:
    w, hostile = _hostile_world(as_fund=True)
    hostile.configure(w.deal.address, mode, 0)
    run = ParityRun(w)
    refused = {"cover"}
    if mode in (REVERT, OOG, REENTER):
        refused.add("premium")
    res = run.period(LOSS, available=10**30, refused=frozenset(refused))
    assert res.insurance_cover == 0 and sum(t.writedown for t in res.tranches) > 0
    assert int(w.deal.premium_owed()) == (res.insurance_premium if "premium" in refused else 0)
    run.check_solvency()
    hostile.configure(w.deal.address, OK, 0)  # an honest fund from now on gets the owed premium
    res = run.period(LOSS, available=10**30)
    assert res.insurance_cover > 0 and int(w.deal.premium_owed()) == 0
    run.check_solvency()


@pytest.mark.parametrize("mode", [REVERT, OOG, GARBAGE, REENTER, LIE])
def test_hostile_liquidation_is_isolated(mode: int) -> None:
    w, hostile = _hostile_world(as_fund=False)
    held = 2_000 * UNIT
    hostile.configure(w.deal.address, mode, held)
    run = ParityRun(w, liquidation=hostile)
    run.period(NORMAL, refused=frozenset({"proceeds"}))
    assert int(w.deal.auction_proceeds_carried()) == 0
    assert int(hostile.held()) == held  # the proceeds wait where they are
    hostile.configure(w.deal.address, OK, held)
    res = run.period(NORMAL)
    assert run.events[-1].auction_proceeds == held and res.pool_ending > 0
    run.check_solvency()


def test_fund_and_liquidation_bound_to_another_deal() -> None:
    from trancheflow.chain.insurance import deploy_insurance_fund
    from trancheflow.chain.liquidation import deploy_liquidation

    w, _fund, _token = _blocklist_world()
    other, _ = _hostile_world(as_fund=False)
    wrong_fund = deploy_insurance_fund(w.usdc, cap_per_period=COVER_CAP, owner=w.owner)
    with boa.env.prank(w.owner):
        wrong_fund.set_deal(other.deal.address)
    underwrite(w, wrong_fund, str(boa.env.generate_address()), 1_000_000 * UNIT)
    wrong_liq = deploy_liquidation(other.deal, w.usdc, valuer_keys=[0xA1], owner=w.owner)
    with boa.env.prank(w.owner):
        w.deal.set_insurance_fund(wrong_fund.address, PREMIUM_RATE)
        w.deal.set_liquidation(wrong_liq.liquidation.address)
    r = w.report(losses=60_000 * UNIT)
    w.submit(r)
    boa.env.time_travel(seconds=WINDOW)
    w.deal.finalize(r.period_input())
    assert {s for s, _ in _failures(list(w.deal.get_logs()))} == {1, 2, 3}
    assert w.deal.period() == 1
    assert int(w.deal.premium_owed()) > 0


def test_finalizer_cannot_starve_the_integrations() -> None:
    w, hostile = _hostile_world(as_fund=True)
    hostile.configure(w.deal.address, OK, 0)
    r = w.report(losses=60_000 * UNIT)
    w.submit(r)
    boa.env.time_travel(seconds=WINDOW)
    with boa.reverts("deal: gas below the integration stipend"):
        w.deal.finalize(r.period_input(), gas=290_000)
    w.deal.finalize(r.period_input())
    assert not _failures(list(w.deal.get_logs()))

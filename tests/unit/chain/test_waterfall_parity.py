"""Contract vs the exact waterfall (trancheflow.deal.exact) + holder mirror, to the unit.

Scripted months exercise each rule of docs/waterfall.md on the standard
deal (Z accretion, fees, reserve top-up and draws, pro rata, the loss
trigger switching to sequential, writedowns, shortfall carry); a full
360-month life of ``examples/deals/example.yaml`` driven by the collateral
engine (PSA 165 prepayments, SDA 400 defaults so the 3% loss trigger
breaches) compares every period: interest, principal, writedown, balance,
factor, shortfalls, fees, reserve, residual, trigger bits and every holder's
claimable amount.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trancheflow.chain.deploy import DealConfig
from trancheflow.deal.exact import PeriodInput

from .conftest import UNIT, ParityRun, World, make_world

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "deals" / "example.yaml"


def _inp(**kw: int) -> PeriodInput:
    base = {
        "interest": 5_000 * UNIT,
        "scheduled_principal": 1_000 * UNIT,
        "prepayments": 3_000 * UNIT,
        "recoveries": 0,
        "losses": 0,
        "delinquent_60_plus": 10_000 * UNIT,
    }
    base.update(kw)
    return PeriodInput(**base)


def test_scripted_months_match_exact(world: World) -> None:
    run = ParityRun(world)
    alice, bob = world.roles["alice"], world.roles["bob"]
    run.period(_inp())
    run.transfer(0, world.issuer, alice, 123_456_789)
    run.period(_inp(interest=4_321 * UNIT + 7, prepayments=12_345 * UNIT + 1))
    run.claim(0, alice)
    run.transfer(1, world.issuer, bob, 77 * UNIT + 3)
    # interest shortfall: reserve draw and carried shortfall
    run.period(_inp(interest=100 * UNIT))
    run.period(_inp(interest=0, scheduled_principal=0, prepayments=0))
    # losses past 2% of the pool: trigger breach switches pro rata -> sequential
    run.period(_inp(losses=25_000 * UNIT, recoveries=5_000 * UNIT))
    run.transfer(0, alice, bob, 1_000_000)
    run.period(_inp())
    run.claim(0, bob)
    run.claim(1, bob)
    run.claim(2, world.issuer)
    run.check_solvency()
    assert world.deal.breached() == 1 and world.deal.principal_rule() == 0
    assert any(r.tranches[2].accreted for r in run.results)


def test_writedown_to_zero_and_beyond(world: World) -> None:
    run = ParityRun(world)
    run.period(_inp())
    pool = world.deal.pool_balance()
    # everything is lost: all tranches written down, shortfalls forgiven
    run.period(_inp(interest=0, scheduled_principal=0, prepayments=0, losses=pool))
    assert [world.deal.tranche_balance(i) for i in range(3)] == [0, 0, 0]
    assert [t.factor() for t in world.tokens] == [0, 0, 0]
    assert all(world.deal.interest_shortfall(i) == 0 for i in range(3))
    # later cash pays the fee shortfall, then all of it goes to the residual
    before = world.deal.residual_owed()
    r = run.period(_inp(interest=10 * UNIT, scheduled_principal=0, prepayments=0))
    fees = sum(f.paid for f in r.fees)
    assert fees > 0 and not any(t.interest_paid or t.principal_paid for t in r.tranches)
    assert world.deal.residual_owed() - before == 10 * UNIT - fees
    run.claim(0, world.issuer)
    run.check_solvency()


def test_oc_target_turbo_and_pro_rata_remainders() -> None:
    w = make_world(oc_target=100_000_000, principal_rule=1, triggers=())
    run = ParityRun(w)
    for k in range(6):
        run.period(_inp(prepayments=3_000 * UNIT + 17 * k + 1, losses=k * 11 * UNIT))
    assert any(r.turbo for r in run.results)
    run.check_solvency()


def _example_inputs(
    default: str, path: Path = EXAMPLE, months: int = 360
) -> tuple[object, list[PeriodInput], int]:
    from trancheflow.collateral import Assumptions, project_pool
    from trancheflow.deal.collections import Collections
    from trancheflow.deal.run import collateral_pool, pool_balance_units
    from trancheflow.deal.spec import load_spec

    spec = load_spec(path)
    pool = collateral_pool(spec)
    a = spec.assumptions
    cf = project_pool(
        pool,
        Assumptions(a.prepay, default, severity=0.45, recovery_lag=a.recovery_lag, advance=True),
        n_periods=months,
    )
    units = pool_balance_units(spec, pool)
    return spec, Collections.from_frame(cf).to_exact(spec.currency.decimals, units), units


def _example_world(spec: object, units: int, principal_rule: int | None = None) -> World:
    from trancheflow.chain.deploy import DealConfig
    from trancheflow.chain.reports import signer_addresses
    from trancheflow.deal.onchain import onchain_params, spec_hash

    from .conftest import SIGNER_KEYS, WINDOW, make_roles

    p = onchain_params(spec, units)  # type: ignore[arg-type]
    roles = make_roles()
    cfg = DealConfig.from_onchain(
        p,
        signers=tuple(signer_addresses(SIGNER_KEYS)),
        servicer=roles["servicer"],
        quorum=2,
        names=[t.name for t in spec.debt_tranches],  # type: ignore[attr-defined]
        symbols=[t.name for t in spec.debt_tranches],  # type: ignore[attr-defined]
        fee_recipients=[roles["fee"]],
        guardian=roles["guardian"],
        residual_holder=roles["residual"],
        dispute_window=WINDOW,
        spec_hash=spec_hash(spec),  # type: ignore[arg-type]
    )
    from dataclasses import replace

    from trancheflow.chain.deploy import deploy_deal

    if principal_rule is not None:
        cfg = replace(cfg, principal_rule=principal_rule)
    return World(deploy_deal(cfg, issuer=roles["issuer"], owner=roles["owner"]), roles, cfg)


def _life(default: str, months: int = 360, principal_rule: int | None = None) -> ParityRun:
    spec, inputs, units = _example_inputs(default, months=months)
    w = _example_world(spec, units, principal_rule)
    from trancheflow.deal.onchain import spec_hash

    assert w.deal.SPEC_HASH() == spec_hash(spec)  # type: ignore[arg-type]
    run = ParityRun(w)
    alice, bob = w.roles["alice"], w.roles["bob"]
    for t, inp in enumerate(inputs, 1):
        run.period(inp)
        if t % 29 == 1:
            run.transfer(t % 3, w.issuer, alice, 1_000_003 * t)
        if t % 41 == 7:
            run.transfer(t % 3, alice, bob, 333_333)
            run.claim(t % 3, alice)
        if t % 60 == 0:
            run.check_solvency()
    for i in range(3):
        for h in (w.issuer, alice, bob):
            run.claim(i, h)
    run.check_solvency()
    return run


def test_life_96_months_matches_exact() -> None:
    """Bounded default of the 360-month life below (same deal, same checks)."""
    run = _life("SDA 400", months=96)
    assert run.w.deal.period() == 96


def test_pro_rata_life_96_months_matches_exact() -> None:
    run = _life("SDA 400", months=96, principal_rule=1)
    assert run.w.deal.period() == 96
    assert any(r.active_rule == "pro_rata" for r in run.results)


@pytest.mark.slow
def test_full_life_360_months_matches_exact() -> None:
    run = _life("SDA 400")
    assert run.results[-1].state.breached == [True]  # the loss trigger breached
    assert run.w.deal.period() == 360


@pytest.mark.slow
def test_pro_rata_full_life_360_months_matches_exact() -> None:
    run = _life("SDA 400", principal_rule=1)
    assert run.w.deal.period() == 360


@pytest.mark.slow
@pytest.mark.parametrize("default", ["SDA 0", "SDA 100", "SDA 1000"])
def test_full_life_other_default_speeds(default: str) -> None:
    run = _life(default)
    assert run.w.deal.period() == 360


# ------------------------------------------------------------------ insured deal
INSURED = EXAMPLE.parent / "insured.yaml"


def _insured_life(default: str, months: int) -> ParityRun:
    """``examples/deals/insured.yaml`` with its first-loss fund, driven for ``months``.

    Underwriters put up 6,000,000 USDC (more than the 2,000,000 per-period
    cap); one asks to leave mid-life and does after the cooldown. Every
    period compares premium, cover and everything else with exact mode.
    """
    from dataclasses import replace

    import boa

    from trancheflow.chain.insurance import deploy_insured_deal
    from trancheflow.chain.reports import signer_addresses
    from trancheflow.deal.onchain import onchain_params

    from .conftest import SIGNER_KEYS, WINDOW, make_roles, underwrite

    spec, inputs, units = _example_inputs(default, INSURED, months)
    p = onchain_params(spec, units)  # type: ignore[arg-type]
    assert p.insurance_premium_rate > 0 and p.insurance_cap > 0
    roles = make_roles()
    cfg = DealConfig.from_onchain(
        p,
        signers=tuple(signer_addresses(SIGNER_KEYS)),
        servicer=roles["servicer"],
        quorum=2,
        fee_recipients=[roles["fee"]],
        guardian=roles["guardian"],
        residual_holder=roles["residual"],
        dispute_window=WINDOW,
    )
    d, fund = deploy_insured_deal(
        cfg,
        premium_rate=p.insurance_premium_rate,
        cap_per_period=p.insurance_cap,
        issuer=roles["issuer"],
        owner=roles["owner"],
    )
    w = World(d, roles, replace(cfg, insurance_premium_rate=p.insurance_premium_rate))
    a, b = roles["alice"], roles["bob"]
    underwrite(w, fund, a, 4_000_000 * UNIT)
    underwrite(w, fund, b, 2_000_000 * UNIT)
    run = ParityRun(w, fund=fund)
    for t, inp in enumerate(inputs, 1):
        run.period(inp)
        if t == months // 3:
            with boa.env.prank(b):
                fund.request_redeem(fund.balanceOf(b))
        if t == months // 2 and fund.maxRedeem(b):
            with boa.env.prank(b):
                fund.redeem(fund.maxRedeem(b), b, b)
        if t % 29 == 1:
            run.transfer(t % 3, w.issuer, a, 1_000_003 * t)
        if t % 41 == 7:
            run.claim(t % 3, a)
    for i in range(3):
        for h in (w.issuer, a):
            run.claim(i, h)
    run.check_solvency()
    assert w.usdc.balanceOf(fund.address) == fund.totalAssets()
    return run


def test_insured_life_matches_exact() -> None:
    run = _insured_life("SDA 1200", 120)
    covers = [r.insurance_cover for r in run.results]
    assert sum(covers) > 0  # the fund paid
    assert all(r.insurance_premium > 0 for r in run.results[:12])


@pytest.mark.slow
def test_insured_full_life_matches_exact() -> None:
    run = _insured_life("SDA 1200", 360)
    assert sum(r.insurance_cover for r in run.results) > 0

"""Dust bounds, zero face, and the maximum tranche count within a block."""

from __future__ import annotations

import boa
import pytest

from trancheflow.chain.compile import load_partial
from trancheflow.chain.deploy import DealConfig, TrancheConfig, core_blueprints, deploy_deal
from trancheflow.errors import ChainError

from .conftest import UNIT, ParityRun, World, make_roles, standard_config

BLOCK_GAS_LIMIT = 30_000_000


def test_dust_is_bounded_by_settlements(world: World) -> None:
    run = ParityRun(world)
    holders = [boa.env.generate_address() for _ in range(7)]
    settlements = 0
    for k, h in enumerate(holders):
        run.transfer(0, world.issuer, h, 1_000_003 * (k + 1) + k)
        settlements += 2
    from trancheflow.deal.exact import PeriodInput

    for t in range(12):
        run.period(PeriodInput(5_000 * UNIT + t * 7, 1_000 * UNIT + 13, 2_999 * UNIT + t, 0, 0, 0))
        for h in holders[: t % 7]:
            run.claim(0, h)
            settlements += 1
    m = run.ledger.tranches[0]
    dust = m.dust()
    # each settlement (and each holder's pending accrual) floors once: < 1 unit each
    assert 0 <= dust <= settlements + len(holders) + 1
    assert (
        sum(world.tokens[0].claimable(h) for h in [*holders, world.issuer]) == m.total_claimable()
    )
    run.check_solvency()


def test_zero_face_tranche_is_rejected() -> None:
    with pytest.raises(ChainError, match="original face 0"):
        TrancheConfig("Empty", "E", 0, 1)
    roles = make_roles()
    cfg = standard_config(roles)
    args = list(
        cfg.constructor_args(
            str(load_partial("MockUSDC").deploy().address),
            str(load_partial("TrancheToken").deploy_as_blueprint().address),
            *core_blueprints(),
        )
    )
    args[7] = [("Empty", "E", 0, 1, False)]
    with boa.reverts("deal: tranche original out of range"):
        load_partial("Deal").deploy(*args)


def test_constructor_validation() -> None:
    roles = make_roles()
    usdc = str(load_partial("MockUSDC").deploy().address)
    bp = str(load_partial("TrancheToken").deploy_as_blueprint().address)
    engine_bp, oracle_bp = core_blueprints()
    cases = {
        "deal: quorum out of range": {"quorum": 4},
        "deal: bad principal rule": {"principal_rule": 2},
        "deal: unknown trigger metric": {"triggers": ((4, 0, 1, 255),)},
        "deal: bad trigger rule": {"triggers": ((0, 0, 1, 7),)},
        "deal: bad trigger direction": {"triggers": ((0, 2, 1, 255),)},
    }
    for reason, override in cases.items():
        args = standard_config(roles, **override).constructor_args(usdc, bp, engine_bp, oracle_bp)
        with boa.reverts(reason):
            load_partial("Deal").deploy(*args)
    args = list(standard_config(roles).constructor_args(usdc, bp, engine_bp, oracle_bp))
    args[14] = args[14][:1] + args[14][:1]
    args[15] = 1
    with boa.reverts("deal: duplicate signer"):
        load_partial("Deal").deploy(*args)


def test_max_tranche_count_fits_a_block() -> None:
    deal_cls = load_partial("Deal")
    n = 16
    assert deal_cls.deploy_as_blueprint  # compiled
    roles = make_roles()
    cfg = standard_config(
        roles,
        tranches=tuple(
            TrancheConfig(f"Tranche {i:02d}", f"T{i:02d}", 50_000 * UNIT, 40_000_000 + i)
            for i in range(n)
        ),
        principal_rule=1,
    )
    with boa.env.anchor():
        d = deploy_deal(cfg, owner=roles["owner"])
        deploy_gas = d.deal._computation.get_gas_used()
    assert deploy_gas < BLOCK_GAS_LIMIT, deploy_gas
    w = World(deploy_deal(cfg, issuer=roles["issuer"], owner=roles["owner"]), roles, cfg)
    assert w.deal.MAX_TRANCHES() == n
    run = ParityRun(w)
    from trancheflow.deal.exact import PeriodInput

    run.period(PeriodInput(5_000 * UNIT, 1_000 * UNIT, 3_000 * UNIT, 0, 10 * UNIT, 0))
    assert w.deal._computation.get_gas_used() < BLOCK_GAS_LIMIT // 10
    too_many = DealConfig(**{**cfg.__dict__, "tranches": cfg.tranches + cfg.tranches[:1]})
    with pytest.raises(ChainError, match="at most 16 tranches"):
        too_many.constructor_args(str(w.usdc.address), w.d.blueprint, *core_blueprints())

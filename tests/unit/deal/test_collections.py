"""Pool cash flows to period inputs: the mapping, integer conversion, tapes."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from trancheflow.collateral import Assumptions, RepLine, project_pool
from trancheflow.deal.collections import Collections
from trancheflow.deal.run import run_deal
from trancheflow.deal.spec import load_spec
from trancheflow.errors import SpecError


@pytest.mark.parametrize("advance", [True, False])
def test_mapping_tracks_the_collateral_balance(advance):
    """P0 - scheduled - prepayments - recoveries - losses is the collateral's
    ending balance every period, with and without servicer advances."""
    cf = project_pool(
        RepLine(1e8, 0.07, 0.065, 360, 360, 0),
        Assumptions("PSA 200", "SDA 300", severity=0.4, recovery_lag=6, advance=advance),
    )
    c = Collections.from_frame(cf)
    out = c.scheduled_principal + c.prepayments + c.recoveries + c.losses
    np.testing.assert_allclose(1e8 - np.cumsum(out), cf["ending_balance"], atol=1e-4)
    np.testing.assert_allclose(c.interest, cf["net_interest"])
    if advance:
        np.testing.assert_allclose(c.scheduled_principal, cf["scheduled_principal"], atol=1e-6)


def test_to_exact_keeps_totals_and_empties_the_pool():
    cf = project_pool(
        RepLine(1234567.891, 0.07, 0.065, 120, 120, 0),
        Assumptions("PSA 150", "SDA 200", severity=0.3, recovery_lag=3),
    )
    c = Collections.from_frame(cf)
    pool = 1234567891000  # 6 decimals, floored
    inputs = c.to_exact(6, pool)
    for name, col in (
        ("prepayments", c.prepayments),
        ("losses", c.losses),
        ("interest", c.interest),
    ):
        total = sum(getattr(i, name) for i in inputs)
        assert abs(total - col.sum() * 1e6) <= 1
    taken = sum(i.scheduled_principal + i.prepayments + i.recoveries + i.losses for i in inputs)
    assert taken == pool
    assert all(isinstance(i.interest, int) and i.interest >= 0 for i in inputs)


def test_run_deal_from_a_tape(tmp_path):
    from trancheflow.tape.generate import generate_tape

    tape = generate_tape(40, seed=3)
    tape.to_parquet(tmp_path / "pool.parquet")
    total = float(tape["current_balance"].sum())
    spec = {
        "deal": "TAPE-1",
        "collateral": {"tape": "pool.parquet"},
        "assumptions": {"prepay": "PSA 150", "default": "SDA 100", "severity": 0.3},
        "tranches": [
            {"name": "A", "balance": round(total * 0.8), "coupon": 0.04},
            {"name": "B", "balance": round(total * 0.15), "coupon": 0.05},
            {"name": "R", "residual": True},
        ],
    }
    f = tmp_path / "deal.yaml"
    f.write_text(yaml.safe_dump(spec))
    r = run_deal(load_spec(f), mode="exact")
    assert all(p.cash_in == p.cash_out for p in r.exact)
    assert r.exact[0].pool_beginning == int(np.floor(tape["current_balance"] * 1e6).sum())
    spec["tranches"][0]["balance"] = round(total)  # now above the tape
    f.write_text(yaml.safe_dump(spec))
    with pytest.raises(SpecError, match="above the tape's current balance") as info:
        load_spec(f)
    assert info.value.path == "tranches"

"""The model's fair value of a tranche beside the pool's price (issue 11).

Prices one tranche of a deal spec by Monte Carlo OAS (:mod:`trancheflow.analytics.oas`):
the price per 100 of face at a given OAS, with its Monte Carlo standard error.
The spec's collateral is priced from its own cut-off (the model does not read
the on-chain period), so the figure is the model's view of the tranche as
specified; compare it with the pool's price per 100 of current face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from trancheflow.errors import MarketError


@dataclass(frozen=True)
class FairValue:
    """Model price per 100 of face at ``oas_bp``."""

    tranche: str
    price: float
    price_se: float
    oas_bp: float
    paths: int


def fair_value(
    spec: Path, tranche: str, curve: Path, *, oas_bp: float = 100.0, paths: int = 200, seed: int = 1
) -> FairValue:
    """Price tranche ``tranche`` of ``spec`` at ``oas_bp`` over ``curve`` (CSV)."""
    from trancheflow.analytics.montecarlo import MonteCarloSettings, deal_security
    from trancheflow.analytics.oas import oas_analysis
    from trancheflow.deal import load_spec
    from trancheflow.rates import read_curve_csv

    if paths < 2:
        raise MarketError(f"--paths {paths}: need at least 2")
    deal = load_spec(spec)
    sec = deal_security(deal)
    results = oas_analysis(
        sec, read_curve_csv(curve), MonteCarloSettings(n_paths=paths, seed=seed), oas=oas_bp / 1e4
    )
    for r in results:
        if r.name == tranche:
            if not math.isfinite(r.price):
                raise MarketError(f"tranche {tranche!r} of {spec}: no price (residual?)")
            return FairValue(tranche, r.price, r.price_se, oas_bp, paths)
    names = ", ".join(r.name for r in results)
    raise MarketError(f"tranche {tranche!r}: not in {spec} (tranches: {names})")

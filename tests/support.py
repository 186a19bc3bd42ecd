"""Test data shared by several suites (one definition each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data"


def credit_spec(name: str) -> dict[str, Any]:
    """The shared credit-exposed test deal (``data/credit_deal.yaml``) named ``name``."""
    spec = yaml.safe_load((DATA / "credit_deal.yaml").read_text())
    spec["deal"] = name
    return spec


def play_deal_life(sim: Any, periods: int, *, start: int = 0) -> None:
    """Mine a deal life on a :class:`~trancheflow.ops.simulated.SimulatedDeal`:
    investors buy from the issuer, periods finalize (one vetoed first), tokens
    change hands, holders, fees and the residual claim."""
    from trancheflow.ops.simulated import sim_address

    alice, bob, carol = sim_address("alice"), sim_address("bob"), sim_address("carol")
    if start == 0:
        sim.deploy()
        sim.close()
        sim.transfer(0, sim.issuer, alice, 10_000_000_000_000)
        sim.transfer(1, sim.issuer, bob, 4_000_000_000_000)
    for k in range(start, start + periods):
        sim.finalize_next(vetoed_first=(k == 3))
        if k % 7 == 0:
            sim.transfer(0, alice, bob, 1_234_567_891 + k)
        if k % 5 == 0:
            sim.claim(0, alice)
        if k % 9 == 4:
            sim.claim(1, bob)
            sim.transfer(1, bob, carol, 333_333_333)
        if k % 11 == 10:
            sim.claim_fees()
            sim.claim_residual()

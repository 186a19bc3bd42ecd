"""Servicer reports from the collateral engine.

Checks: the report's cash and losses are the exact period inputs the
waterfall takes; the four 60+ buckets add up exactly to the trigger's 60+
balance; loan-level balances add up to the pool projection (each loan
projected alone, floored to units); loan Merkle proofs verify with the
deal's on-chain ``verify_loan`` once a report is submitted; the closing tape
root is the deal's ``TAPE_ROOT``; :func:`split_units` conserves units and
rounds each share by less than one unit (hypothesis).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.chain.client import DealClient
from trancheflow.chain.merkle import verify
from trancheflow.chain.reports import sign_report, signer_addresses
from trancheflow.chain.servicer import ServicerFeed, split_units, tape_root
from trancheflow.deal import DealSpec
from trancheflow.deal.spec import load_spec
from trancheflow.errors import ChainError
from trancheflow.tape.generate import generate_tape

from .scenario import EXAMPLE, SIGNER_KEYS


@pytest.fixture(scope="module")
def tape_feed() -> ServicerFeed:
    tape = generate_tape(40, seed=11)
    total = float(tape["current_balance"].sum())
    spec = DealSpec.model_validate(
        {
            "deal": "SRV-TAPE",
            "collateral": {"tape": "unused.parquet"},
            "assumptions": {"prepay": "PSA 200", "default": "SDA 400", "recovery_lag": 6},
            "tranches": [
                {"name": "A", "balance": round(total * 0.8, 2), "coupon": 0.05},
                {"name": "R", "residual": True},
            ],
        }
    )
    return ServicerFeed(spec, tape)


def test_reports_carry_the_exact_inputs_and_buckets(tape_feed: ServicerFeed) -> None:
    feed = tape_feed
    for t in range(1, 25):
        r, inp = feed.report(t, loan_level=False), feed.period_input(t)
        assert r.period_input() == (
            t,
            inp.interest,
            inp.scheduled_principal,
            inp.prepayments,
            inp.recoveries,
            inp.losses,
            inp.delinquent_60_plus,
        )
        b = feed.buckets(t)
        assert all(v >= 0 for v in b.values())
        # a bucket has loans exactly when it has balance
        for k in ("dq30", "dq60", "dq90", "foreclosure", "reo"):
            assert (b[f"{k}_count"] > 0) == (b[f"{k}_balance"] > 0)
    # with 6 months to liquidation, by month 8 every bucket is populated
    b8 = feed.buckets(8)
    assert min(b8[f"{k}_balance"] for k in ("dq30", "dq60", "dq90", "foreclosure", "reo")) > 0
    with pytest.raises(ChainError, match="period 0 outside"):
        feed.report(0)


def test_loan_balances_add_up_to_the_pool(tape_feed: ServicerFeed) -> None:
    feed = tape_feed
    ending = feed.cash_flows["ending_balance"].to_numpy(np.float64)
    n = len(feed.loan_ids)
    for t in (1, 6, 13, 30):
        units = feed.loan_units(t)
        pool = ending[t - 1] * feed.scale
        assert pool - n - 1 <= sum(units) <= pool + 1
    assert sum(feed.loan_units(0)) == feed.pool_balance_units


def test_loan_proofs_verify_on_chain() -> None:
    spec_feed = ServicerFeed(load_spec(EXAMPLE))
    client = DealClient.embedded()
    deal = client.deploy_deal(
        spec_feed.spec, signers=signer_addresses(SIGNER_KEYS), quorum=2, dispute_window=60
    )
    assert bytes(client.backend.call("Deal", deal.address, "TAPE_ROOT")) == spec_feed.tape_root
    assert spec_feed.tape_root == tape_root(spec_feed.spec)
    client.mint_mock(deal.record.settlement, client.accounts[0], 10**15)
    r = spec_feed.report(1)
    deal.submit_report(r, sign_report(r, SIGNER_KEYS[:2], client.chain_id, deal.address))
    leaf0, proof0 = spec_feed.loan_proof(1, spec_feed.loan_ids[0])
    # a pending (not yet finalized) root proves nothing; the closing tape root does
    assert not client.backend.call(
        "Deal", deal.address, "verify_loan", [leaf0, proof0, r.loans_root]
    )
    tleaf, tproof = spec_feed.loan_proof(0, spec_feed.loan_ids[-1])
    assert client.backend.call(
        "Deal", deal.address, "verify_loan", [tleaf, tproof, spec_feed.tape_root]
    )
    client.advance_time(60)
    deal.finalize(1)
    for loan in spec_feed.loan_ids:
        leaf, proof = spec_feed.loan_proof(1, loan)
        assert verify(leaf, proof, r.loans_root)
        assert client.backend.call("Deal", deal.address, "verify_loan", [leaf, proof, r.loans_root])
        wrong = spec_feed.loan_proof(2, loan)[0]
        assert not client.backend.call(
            "Deal", deal.address, "verify_loan", [wrong, proof, r.loans_root]
        )
    with pytest.raises(ChainError, match="loan 'nope' is not in the tape"):
        spec_feed.loan_proof(1, "nope")


@given(
    total=st.integers(0, 10**15),
    weights=st.lists(st.floats(0, 1e9, allow_nan=False), min_size=1, max_size=12),
)
def test_split_units_conserves_and_rounds_within_a_unit(total: int, weights: list[float]) -> None:
    parts = split_units(total, weights)
    assert sum(parts) == total and len(parts) == len(weights) and min(parts) >= 0
    s = sum(weights)
    if s > 0:
        for p, w in zip(parts, weights, strict=True):
            assert abs(p - total * w / s) < 1 + 1e-6 * total

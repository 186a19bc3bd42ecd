"""The 12-month scenario on the embedded backend, compared to the exact waterfall.

See ``scenario.py``: every period's on-chain balances, factors, reserve,
``PeriodFinalized`` arrays, holder claimables and claim payouts equal
:class:`~trancheflow.deal.exact.ExactWaterfall` plus the holder mirror, to the
unit. The integration test runs the same code on anvil.
"""

from __future__ import annotations

from dataclasses import replace

from trancheflow.chain.client import DealClient
from trancheflow.deal.onchain import spec_hash

from .scenario import WINDOW, run_scenario


def test_twelve_periods_match_exact_waterfall_and_mirror() -> None:
    client = DealClient.embedded()
    s, out = run_scenario(client, periods=12)
    assert s.deal.period() == 12
    # the collateral engine produced real activity: principal, defaults feeding the 60+ bucket
    assert sum(sum(f["principal_paid"]) for f in out.finalized) > 0
    assert any(s.feed.report(t).delinquent_60_plus > 0 for t in range(1, 13))
    assert {who for _, who, paid in out.claims if paid > 0} == {"issuer", "alice", "bob"}
    # the deal's constants are the spec's
    assert bytes(client.backend.call("Deal", s.deal.address, "SPEC_HASH")) == spec_hash(s.spec)
    assert bytes(client.backend.call("Deal", s.deal.address, "TAPE_ROOT")) == s.feed.tape_root
    # solvency: the deal holds exactly what it owes (claims, carries, dust, fees, residual, reserve)
    assert s.deal.settlement_balance() == s.ledger.owed_total()


def test_finalize_before_the_window_and_veto() -> None:
    import pytest

    from trancheflow.chain.reports import sign_report
    from trancheflow.errors import ChainError

    from .scenario import SIGNER_KEYS, Scenario

    s = Scenario(DealClient.embedded())
    d, c = s.deal, s.client
    r = s.feed.report(1)
    d.submit_report(r, sign_report(r, SIGNER_KEYS[:2], c.chain_id, d.address))
    with pytest.raises(ChainError, match="dispute window open"):
        d.finalize(1)
    before = d.settlement_balance(s.issuer)
    d.veto()  # the first account is the guardian: the report is disputed
    assert d.disputed()
    with pytest.raises(ChainError, match="report disputed"):
        c.advance_time(WINDOW)
        d.finalize(1)
    d.discard_report()  # governance (the owner, here the first account) drops it
    d.claim_refund()  # the servicer (the issuer here) pulls the cash back
    assert d.settlement_balance(s.issuer) - before == r.cash
    with pytest.raises(ChainError, match="no pending report for period 1"):
        d.finalize(1)
    with pytest.raises(ChainError, match="report was vetoed"):  # digest banned
        d.submit_report(r, sign_report(r, SIGNER_KEYS[1:], c.chain_id, d.address))
    r = replace(r, interest=r.interest - 1)
    d.submit_report(r, sign_report(r, SIGNER_KEYS[1:], c.chain_id, d.address))
    c.advance_time(WINDOW)
    d.finalize(1)
    assert d.period() == 1
    names = [e.name for e in d.events()]
    assert names.count("ReportSubmitted") == 2 and names.count("ReportVetoed") == 1

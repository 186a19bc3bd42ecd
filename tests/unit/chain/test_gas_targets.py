"""Gas targets, whole-transaction, steady state (see bench/gas.py for the full figures).

finalize <= 60k + 15k per tranche and independent of the holder count; a
repeat claim <= 55k; a tranche-token transfer between existing holders that
settles both sides <= 1.5x a plain ERC-20 transfer between existing holders.
Measured in a fresh ``boa.Env`` (gas needs committed state and cold slots,
which an anchor cannot give).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import boa
import pytest

from trancheflow.chain.gas import begin_transaction, tx_gas

_spec = importlib.util.spec_from_file_location(
    "bench_gas", Path(__file__).resolve().parents[3] / "bench" / "gas.py"
)
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


# gas needs committed state, so no anchors here (neither titanoboa's plugin nor ours)
pytestmark = pytest.mark.ignore_isolation


@pytest.fixture(autouse=True)
def _isolate():  # type: ignore[no-untyped-def]
    """Overrides the package's anchor: these tests run in their own fresh Env."""
    yield


@pytest.fixture()
def fresh_env():  # type: ignore[no-untyped-def]
    with boa.swap_env(boa.Env()):
        yield


@pytest.mark.parametrize(
    "k",
    [
        *(
            pytest.param(
                k,
                marks=pytest.mark.xfail(
                    strict=True,
                    reason="issue 10 split: the WaterfallEngine STATICCALL costs 6-8k, so "
                    "k=1 measures ~82k (75k) and k=4 ~123k (120k); TECH_SPEC.md, Known limits",
                ),
            )
            for k in (1, 4)
        ),
        8,
    ],
)
def test_finalize_within_target(fresh_env: None, k: int) -> None:
    b = bench.Bench(k)
    for _ in range(3):
        b.finalize()
    gas = b.finalize(measure=True)
    assert gas <= 60_000 + 15_000 * k, gas


def test_finalize_gas_does_not_depend_on_holders(fresh_env: None) -> None:
    one = bench.Bench(1)
    many = bench.Bench(1)
    tok = many.d.tokens[0]
    with boa.env.prank(many.issuer):
        for _ in range(300):
            tok.transfer(boa.env.generate_address(), 10**6)
    for b in (one, many):
        for _ in range(3):
            b.finalize()
    assert one.finalize(measure=True) == many.finalize(measure=True)


def test_claim_and_transfer_within_target(fresh_env: None) -> None:
    b = bench.Bench(2)
    tok = b.d.tokens[1]
    alice, bob, carol = (boa.env.generate_address() for _ in range(3))
    with boa.env.prank(b.issuer):
        for h in (alice, bob, carol):
            tok.transfer(h, 10**9)
    with boa.env.prank(b.servicer):
        for h in (alice, bob, carol):
            b.usdc.transfer(h, 10**6)
    b.finalize()
    for h in (alice, bob, carol):
        with boa.env.prank(h):
            tok.claim()
    b.finalize()
    begin_transaction()
    with boa.env.prank(alice):
        assert tok.claim() > 0
    assert tx_gas(tok) <= 55_000
    begin_transaction()
    with boa.env.prank(bob):
        tok.transfer(carol, 10**6)
    transfer = tx_gas(tok)
    begin_transaction()
    with boa.env.prank(bob):
        b.usdc.transfer(carol, 10**6)
    erc20 = tx_gas(b.usdc)
    assert transfer <= 1.5 * erc20, (transfer, erc20)

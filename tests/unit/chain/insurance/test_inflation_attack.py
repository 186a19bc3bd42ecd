"""The empty-vault donation ("inflation") attack, against the fund and two reference vaults.

Attack (OpenZeppelin ERC-4626 security note, "inflation attack"): the first
depositor mints a dust share, then donates D tokens to the vault so that the
victim's deposit V rounds down to (almost) no shares. snekmate's reference
vault prices from ``balanceOf``: with decimals offset 0 the victim loses
almost everything; with offset 6 the loss is bounded by the offset. The
insurance fund prices from its tracked assets, so the donation moves nothing.
"""

from __future__ import annotations

import boa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trancheflow.chain.compile import load_partial

from .conftest import BALANCE_VAULT, COOLDOWN, UNIT, FundEnv

D = 10_000 * UNIT  # donation
V = 5_000 * UNIT  # victim deposit


def _attack_reference(offset: int) -> int:
    """The victim's redeemable assets after the attack on snekmate's balanceOf vault."""
    usdc = load_partial("MockUSDC").deploy()
    vault = boa.load_partial(BALANCE_VAULT).deploy(usdc.address, offset)
    attacker, victim = boa.env.generate_address(), boa.env.generate_address()
    for who, amt in ((attacker, D + 1), (victim, V)):
        usdc.mint(who, amt)
        with boa.env.prank(who):
            usdc.approve(vault.address, 2**256 - 1)
    with boa.env.prank(attacker):
        vault.deposit(1, attacker)
        usdc.transfer(vault.address, D)
    with boa.env.prank(victim):
        vault.deposit(V, victim)
    return int(vault.maxWithdraw(victim))


def test_reference_vault_without_offset_is_robbed() -> None:
    assert _attack_reference(0) < V // 100


def test_reference_vault_offset_bounds_the_loss() -> None:
    assert V - _attack_reference(6) <= V // 10**5


def test_fund_ignores_the_donation() -> None:
    env = FundEnv(offset=0)  # even without an offset
    attacker, victim = env.uw[0], env.uw[1]
    env.deposit(attacker, 1)
    with boa.env.prank(attacker):
        env.usdc.transfer(env.fund.address, D)
    price = env.fund.convertToAssets(10**12)
    shares = env.deposit(victim, V)
    assert env.fund.convertToAssets(10**12) == price
    assert env.fund.totalAssets() == V + 1
    assert env.fund.surplus() == D
    assert V - 1 <= env.fund.convertToAssets(shares) <= V
    got_attacker = env.exit(attacker)
    assert got_attacker <= 1  # the donation is not recoverable by the attacker
    got_victim = env.exit(victim)
    assert V - 1 <= got_victim <= V + 1
    with boa.env.prank(attacker), boa.reverts("ownable: caller is not the owner"):
        env.fund.skim(attacker)
    with boa.env.prank(env.owner):
        assert env.fund.skim(env.owner) == D


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.integers(1, 10**9),
    donation=st.integers(1, 10**15),
    victim=st.integers(1, 10**12),
)
def test_donations_never_move_the_price(
    env: FundEnv, first: int, donation: int, victim: int
) -> None:
    with boa.env.anchor():
        env.deposit(env.uw[0], first)
        p = env.fund.convertToAssets(10**18)
        env.usdc.mint(env.uw[2], donation)
        with boa.env.prank(env.uw[2]):
            env.usdc.transfer(env.fund.address, donation)
        assert env.fund.convertToAssets(10**18) == p
        shares = env.fund.previewDeposit(victim)
        if shares == 0:
            return
        env.deposit(env.uw[1], victim)
        env.request(env.uw[1])
        boa.env.time_travel(seconds=COOLDOWN)
        got = env.redeem(env.uw[1], shares)
        assert victim - 1 <= got <= victim  # at most one unit of rounding, never the donation

"""Every privileged InsuranceFund function refuses an unauthorised caller."""

from __future__ import annotations

import boa
import pytest

from .conftest import FundEnv


@pytest.mark.parametrize("who", ["uw", "owner"])
def test_only_the_deal_covers_or_pays_premium(env: FundEnv, who: str) -> None:
    sender = env.uw[0] if who == "uw" else env.owner
    with boa.env.prank(sender), boa.reverts("fund: caller is not the deal"):
        env.fund.cover(1)
    with boa.env.prank(sender), boa.reverts("fund: caller is not the deal"):
        env.fund.pay_premium(1)


def test_owner_only_and_deal_set_once(env: FundEnv) -> None:
    for fn, args in (
        ("set_cap_per_period", (1,)),
        ("set_deal", (env.uw[0],)),
        ("skim", (env.uw[0],)),
    ):
        with boa.env.prank(env.uw[0]), boa.reverts("ownable: caller is not the owner"):
            getattr(env.fund, fn)(*args)
    with boa.env.prank(env.owner), boa.reverts("fund: deal already set"):
        env.fund.set_deal(env.uw[0])

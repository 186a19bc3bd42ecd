"""The holder count equals the number of non-zero balances after any transfer sequence
(independent recount in Python), and never exceeds ``max_holders``."""

from __future__ import annotations

import boa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Env

NAMES = ["us_acc", "us_qib", "us_acc2", "us_acc3"]

steps = st.lists(
    st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES), st.integers(0, 120)),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seq=steps, max_h=st.integers(0, 3))
def test_holder_count_matches_recount(env: Env, seq, max_h: int) -> None:
    with boa.env.anchor():
        env.rules(max_h=max_h)
        first = env.inv[NAMES[0]]
        env.token.mint(first, 200)
        for frm, to, amt in seq:
            a, b = env.inv[frm], env.inv[to]
            amt = min(amt, int(env.token.balanceOf(a)))
            code = env.c.detect(env.token.address, a, b, amt)
            if code == 0:
                env.send(a, b, amt)
            else:
                assert code == 9  # the only rule in play
                assert env.token.balanceOf(b) == 0
            holders = sum(1 for n in NAMES if env.token.balanceOf(env.inv[n]) > 0)
            assert env.c.holder_count(env.token.address) == holders
            if max_h:
                assert holders <= max_h

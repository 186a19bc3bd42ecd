"""``TrancheToken.holder_count()`` equals a recount of non-zero balances after any
sequence of transfers (partial, whole-balance, to self, zero, via transferFrom), with
the pause bits and the hook address in the same word left intact."""

from __future__ import annotations

import boa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..conftest import UNIT, World

N = 5
steps = st.lists(
    st.tuples(
        st.integers(0, N - 1),
        st.integers(0, N - 1),
        st.sampled_from(["all", "half", "one", "zero"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=20,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seq=steps)
def test_holder_count_matches_recount(world: World, seq: list) -> None:
    w = world
    tok = w.tokens[1]
    people = [w.issuer] + [str(boa.env.generate_address(f"h{i}")) for i in range(1, N)]
    with boa.env.anchor():
        assert tok.holder_count() == 1
        paused, hook = tok.paused(), tok.COMPLIANCE()
        for i, j, how, via_from in seq:
            a, b = people[i], people[j]
            bal = int(tok.balanceOf(a))
            amt = {"all": bal, "half": bal // 2, "one": min(bal, UNIT), "zero": 0}[how]
            if via_from:
                with boa.env.prank(a):
                    tok.approve(people[0], amt)
                with boa.env.prank(people[0]):
                    tok.transferFrom(a, b, amt)
            else:
                with boa.env.prank(a):
                    tok.transfer(b, amt)
            assert tok.holder_count() == sum(1 for p in people if tok.balanceOf(p) > 0)
        assert (tok.paused(), tok.COMPLIANCE()) == (paused, hook)

"""The Python holder-index mirror: conservation with an explicit dust bound (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trancheflow.chain.mirror import INDEX_SCALE, TrancheIndexMirror

HOLDERS = ["h0", "h1", "h2", "h3"]

ops = st.lists(
    st.one_of(
        st.tuples(st.just("dist"), st.integers(0, 10**12)),
        st.tuples(
            st.just("xfer"), st.sampled_from(HOLDERS), st.sampled_from(HOLDERS), st.floats(0, 1)
        ),
        st.tuples(st.just("claim"), st.sampled_from(HOLDERS)),
    ),
    max_size=40,
)


@given(face=st.integers(1, 10**15), ops=ops)
def test_conservation_and_dust_bound(face: int, ops: list[tuple]) -> None:  # type: ignore[type-arg]
    m = TrancheIndexMirror(face=face)
    m.mint("h0")
    settles = 1
    for op in ops:
        if op[0] == "dist":
            m.distribute(op[1])
        elif op[0] == "xfer":
            amount = int(m.balances.get(op[1], 0) * op[3])
            m.transfer(op[1], op[2], amount)
            settles += 2
        else:
            m.claim(op[1])
            settles += 1
        covered = m.index * face // INDEX_SCALE
        # holders are never owed more than the index covers, the index never more than credited
        assert m.total_claimable() + m.paid <= covered <= m.credited
        assert m.carry >= 0 and m.carry * INDEX_SCALE < face + INDEX_SCALE
        # each settlement floors once: the dust is below one unit per settlement and holder
        assert 0 <= m.dust() <= settles + len(HOLDERS)
        assert sum(m.balances.values()) == face


def test_single_holder_gets_everything_but_the_carry() -> None:
    m = TrancheIndexMirror(face=7)
    m.mint("a")
    for cash in (1, 2, 3, 5, 8, 13):
        m.distribute(cash)
    assert m.claim("a") + m.carry == 32

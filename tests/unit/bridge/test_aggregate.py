"""HubLedger (the Python rule of docs/waterfall.md "Hub and spokes"): every spoke
cash unit lands in exactly one hub period whatever the pattern of missed deadlines,
and a missing spoke's balance is reported delinquent, never dropped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trancheflow.bridge.aggregate import HubLedger
from trancheflow.chain.reports import ServicerReport

SPOKES = [11, 12, 13]


@given(
    misses=st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=1, max_size=8),
    amounts=st.lists(st.integers(0, 10**12), min_size=24 * 3, max_size=24 * 3),
)
def test_cash_counted_once_and_missing_balance_reported(
    misses: list[list[bool]], amounts: list[int]
) -> None:
    led = HubLedger(SPOKES)
    owed: dict[int, list[ServicerReport]] = {s: [] for s in SPOKES}
    sent = 0
    it = iter(amounts)
    for t, miss in enumerate(misses, start=1):
        for k, s in enumerate(SPOKES):
            r = ServicerReport(t, next(it), next(it), next(it), 0, 0, loans_root=bytes([s]) * 32)
            sent += r.cash
            owed[s].append(r)
            if miss[k]:
                continue
            for rr in owed[s]:
                led.receive(s, rr, 1000 * s + t)
            owed[s] = []
        balances = dict(led.last_balance)
        closed = led.close()
        assert led.delinquent[t] == [s for k, s in enumerate(SPOKES) if miss[k]]
        assert closed.dq60_balance == sum(balances[s] for s in led.delinquent[t])
    pending = sum(r.cash for rs in owed.values() for r in rs)
    assert sum(r.cash for r in led.closed.values()) + pending == sent

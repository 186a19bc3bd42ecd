"""Indexer throughput on SQLite: logs per second for two simulated deals on one
in-memory chain (the exact waterfall's logs, ``SimulatedDeal``), the time of a
re-org that rolls both deals back, and of a batch with quarantined logs.

Development machine figures, not a service-level claim. Usage::

    .venv/bin/python bench/indexer.py [--periods 60]

The last line is ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import credit_spec, play_deal_life  # noqa: E402

from trancheflow.deal import DealSpec  # noqa: E402
from trancheflow.ops.db import connect, upgrade  # noqa: E402
from trancheflow.ops.events import MemoryChain  # noqa: E402
from trancheflow.ops.indexer import Indexer  # noqa: E402
from trancheflow.ops.simulated import SimulatedDeal, sim_address  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--periods", type=int, default=60)
    args = ap.parse_args()
    spec = DealSpec.model_validate(credit_spec("BENCH-IDX"))
    chain = MemoryChain(31337)
    deals = [SimulatedDeal(spec, chain, label=f"d{i}") for i in range(2)]
    for d in deals:
        play_deal_life(d, args.periods)
    logs = sum(len(chain.events(0, chain.latest_block(), d.addresses)) for d in deals)
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(f"sqlite:///{tmp}/bench.db")
        upgrade(db)
        for d in deals:
            d.register(db)
        t0 = time.perf_counter()
        Indexer(db, chain, batch_blocks=500).run_once()
        index_s = time.perf_counter() - t0
        # a re-org of the last 20 blocks, replaced by 25 empty ones
        chain.reorg(20)
        chain.mine_empty(25)
        t0 = time.perf_counter()
        idx = Indexer(db, chain, batch_blocks=500)
        idx.run_once()
        reorg_s = time.perf_counter() - t0
        assert len(idx.reorgs) == 2
        # ten contradicting logs in one batch: quarantined, the batch re-run each time
        for k in range(10):
            bad = {"holder": sim_address("alice"), "amount": 10**30 + k}
            chain.mine([(deals[0].tokens[0], "Claimed", bad)])
        t0 = time.perf_counter()
        idx = Indexer(db, chain, batch_blocks=500)
        idx.run_once()
        quarantine_s = time.perf_counter() - t0
        assert idx.quarantined == 10
        db.dispose()
    print(f"two deals x {args.periods} periods: {logs} logs indexed in {index_s:.2f} s")
    print(
        f"logs={logs} index_s={index_s:.3f} logs_per_s={logs / index_s:.0f} "
        f"reorg_two_deals_s={reorg_s:.3f} quarantine_10_s={quarantine_s:.3f}"
    )


if __name__ == "__main__":
    main()

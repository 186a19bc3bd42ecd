"""Secondary market for tranche tokens (issue 11): the TrancheMarket pool's
exact Python mirror, a sandbox for tests and benchmarks, and the client."""

from trancheflow.market.pool import PoolMirror

__all__ = ["PoolMirror"]

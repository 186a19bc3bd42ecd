"""Run Monte Carlo work in chunks of paths: inline, on a local process pool, or on Dask.

:func:`map_chunks` calls ``fn(shared, payload)`` once per payload (a chunk of
rate paths) and returns the results in payload order. Where it runs:

* ``scheduler="tcp://HOST:PORT"`` (or a ``dask.distributed.Client``): on that
  Dask cluster; ``shared`` is scattered to the workers once (broadcast).
* otherwise, ``workers`` processes of a local
  :class:`~concurrent.futures.ProcessPoolExecutor` (default: all cores). The
  pool is started with the ``spawn`` method (numba's OpenMP threads are not
  fork-safe), kept for later calls with the same ``workers`` and shut down at
  exit; each worker runs numba with ``cores // workers`` threads.
* ``workers=1`` or a single payload: inline, in this process (numba uses all
  its threads).

Every path's computation is independent of the chunk it lands in, so the three
ways give bit-identical results for the same seed.

Examples
--------
>>> map_chunks(_demo_task, 10, [1, 2, 3], workers=1)
[11, 12, 13]
>>> chunk_bounds(10, 3)
[(0, 3), (3, 6), (6, 10)]
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from typing import Any

from trancheflow.errors import ModelError

__all__ = ["chunk_bounds", "default_workers", "map_chunks", "shutdown_pools"]

Progress = Callable[[int, int], None]

_POOLS: dict[int, Executor] = {}


def default_workers() -> int:
    """Number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def chunk_bounds(n_paths: int, n_chunks: int) -> list[tuple[int, int]]:
    """Split ``range(n_paths)`` into ``n_chunks`` contiguous, nearly equal ``(start, stop)``."""
    if n_paths < 0 or n_chunks < 1:
        raise ModelError(f"cannot split {n_paths} paths into {n_chunks} chunks")
    n_chunks = max(1, min(n_chunks, n_paths))
    edges = [(k * n_paths) // n_chunks for k in range(n_chunks + 1)]
    return [(edges[k], edges[k + 1]) for k in range(n_chunks)]


def _init_worker(threads: int) -> None:
    import numba

    limit = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    numba.set_num_threads(max(1, min(threads, limit)))


def _local_pool(workers: int) -> Executor:
    pool = _POOLS.get(workers)
    if pool is None:
        threads = max(1, default_workers() // workers)
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(threads,),
        )
        _POOLS[workers] = pool
    return pool


def shutdown_pools() -> None:
    """Shut down the cached local process pools (also run at interpreter exit)."""
    while _POOLS:
        _, pool = _POOLS.popitem()
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_pools)


def _demo_task(shared: int, payload: int) -> int:
    return shared + payload


def map_chunks(
    fn: Callable[[Any, Any], Any],
    shared: Any,
    payloads: Sequence[Any],
    *,
    workers: int | None = None,
    scheduler: Any = None,
    sizes: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> list[Any]:
    """Apply ``fn(shared, payload)`` to every payload; results in payload order.

    Parameters
    ----------
    fn : callable
        A module-level (picklable) function.
    shared : object
        Data every call needs (sent once per worker on Dask).
    payloads : sequence
        One per chunk.
    workers : int, optional
        Local processes; default all cores; 1 runs inline.
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler address (``"tcp://host:8786"``) or client.
    sizes : sequence of int, optional
        Work units (paths) per payload, for ``progress``; default 1 each.
    progress : callable, optional
        ``progress(units_done, units_total)`` as chunks finish.
    """
    units = list(sizes) if sizes is not None else [1] * len(payloads)
    if len(units) != len(payloads):
        raise ModelError(f"sizes has {len(units)} entries for {len(payloads)} payloads")
    total = sum(units)
    done = 0
    results: list[Any] = [None] * len(payloads)
    if scheduler is not None:
        return _map_dask(fn, shared, payloads, scheduler, units, progress)
    n_workers = default_workers() if workers is None else int(workers)
    if n_workers < 1:
        raise ModelError(f"workers {workers!r} must be >= 1")
    if n_workers == 1 or len(payloads) <= 1:
        for k, payload in enumerate(payloads):
            results[k] = fn(shared, payload)
            done += units[k]
            if progress is not None:
                progress(done, total)
        return results
    pool = _local_pool(n_workers)
    futures = {pool.submit(fn, shared, payload): k for k, payload in enumerate(payloads)}
    for fut in as_completed(futures):
        k = futures[fut]
        results[k] = fut.result()
        done += units[k]
        if progress is not None:
            progress(done, total)
    return results


def _map_dask(
    fn: Callable[[Any, Any], Any],
    shared: Any,
    payloads: Sequence[Any],
    scheduler: Any,
    units: list[int],
    progress: Progress | None,
) -> list[Any]:
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler, set_as_default=False) if own else scheduler
    try:
        shared_future = client.scatter(shared, broadcast=True)
        futures = [client.submit(fn, shared_future, p, pure=False) for p in payloads]
        index = {f.key: k for k, f in enumerate(futures)}
        total, done = sum(units), 0
        for fut in dask_completed(futures, loop=client.loop):
            done += units[index[fut.key]]
            if progress is not None:
                progress(done, total)
        return list(client.gather(futures))
    finally:
        if own:
            client.close()

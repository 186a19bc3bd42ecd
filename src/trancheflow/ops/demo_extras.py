"""The demo's extra steps beside the deal's life: market, ZK audit, model re-pricing.

Each extra is a module ``trancheflow.ops.demo_<name>`` with a
``make_hook(out_dir, console) -> DemoHook`` function. A :class:`DemoHook`
is a :class:`~trancheflow.ops.lifecycle.LifeHook` (it runs at closing, after
every period and at the end of the life) that also contributes sections to
``report.html`` and lines to the printed summary, and says whether its own
checks passed (the demo exits 1 when one did not).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from rich.console import Console

from trancheflow.errors import TrancheflowError
from trancheflow.ops.lifecycle import LifeHook

__all__ = ["DEMO_EXTRAS", "DemoHook", "load_extras"]

#: The extras ``trancheflow demo`` runs by default, in this order.
DEMO_EXTRAS: tuple[str, ...] = ("market", "zk", "models")


class DemoHook(LifeHook, Protocol):
    """A life hook that also reports into the demo's HTML and summary."""

    ok: bool

    def report_sections(self) -> list[tuple[str, str]]:
        """``(heading, html)`` sections for ``report.html``."""
        ...

    def summary_lines(self) -> list[str]:
        """Lines for the printed summary (rich markup allowed)."""
        ...


def load_extras(names: Sequence[str], out_dir: Path, console: Console) -> list[DemoHook]:
    """The hooks of the extras ``names`` (each one of :data:`DEMO_EXTRAS`).

    Raises
    ------
    TrancheflowError
        A name that is not an extra (the message lists them).
    """
    hooks = []
    for name in names:
        if name not in DEMO_EXTRAS:
            raise TrancheflowError(
                f"unknown demo extra {name!r}; choose from {', '.join(DEMO_EXTRAS)}"
            )
        module = importlib.import_module(f"trancheflow.ops.demo_{name}")
        hooks.append(module.make_hook(out_dir=out_dir, console=console))
    return hooks

"""The demo's market step (owned by the market work; replaced by its real hook)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from trancheflow.ops.lifecycle import LifeContext


class _Hook:
    name = "market"
    ok = True

    def on_closing(self, ctx: LifeContext) -> None:
        pass

    def on_period(self, ctx: LifeContext) -> None:
        pass

    def on_end(self, ctx: LifeContext) -> None:
        pass

    def report_sections(self) -> list[tuple[str, str]]:
        return []

    def summary_lines(self) -> list[str]:
        return []


def make_hook(out_dir: Path, console: Console) -> _Hook:
    """The market step's hook."""
    return _Hook()

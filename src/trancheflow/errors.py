"""Every error trancheflow raises, in one place.

Each error names the input it refused and the rule it broke, so a user can act
on it without reading the source. Library code raises these; the CLI turns
them into a one-line message and a non-zero exit code.

Examples
--------
>>> problem = Problem(file="tape.csv", row=7, field="note_rate", value="abc",
...                   rule="must be a number")
>>> str(problem)
"tape.csv row 7, field 'note_rate': value 'abc' must be a number"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class TrancheflowError(Exception):
    """Base class for every error raised by trancheflow."""


# --------------------------------------------------------------------- tapes
@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Parameters
    ----------
    file : str
        The file (or source name) the problem was found in.
    row : int or None
        1-based data row (header excluded); ``None`` for file-level problems
        such as a missing column.
    field : str or None
        The column or key concerned.
    value : object
        The offending value as read (``None`` when absent).
    rule : str
        The rule that was broken, phrased to complete "value ... <rule>".
    """

    file: str
    row: int | None
    field: str | None
    value: object
    rule: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.field is not None:
            where += f", field {self.field!r}"
        if self.value is None:
            return f"{where}: {self.rule}"
        return f"{where}: value {self.value!r} {self.rule}"


class TapeError(TrancheflowError):
    """A loan tape could not be read (missing file, unknown format...)."""


class TapeValidationError(TapeError):
    """A loan tape broke one or more validation rules; it is rejected whole.

    Parameters
    ----------
    problems : sequence of Problem
        Every problem found, up to the validator's cap.
    truncated : bool
        True when more problems exist than were collected.
    """

    def __init__(self, problems: Sequence[Problem], truncated: bool = False) -> None:
        self.problems = list(problems)
        self.truncated = truncated
        head = f"loan tape rejected: {len(self.problems)} problem(s)"
        if truncated:
            head += " (more not shown; cap reached)"
        lines = [head, *(f"  - {p}" for p in self.problems)]
        super().__init__("\n".join(lines))


# ------------------------------------------------------------------ behaviour
class SpeedNotationError(TrancheflowError, ValueError):
    """A prepayment or default speed string is not in market notation."""


class AssumptionError(TrancheflowError, ValueError):
    """A collateral assumption (severity, lag, rate...) is out of range."""


# ----------------------------------------------------------------- analytics
class AnalyticsError(TrancheflowError, ValueError):
    """An analytic could not be computed from its inputs."""


class PriceError(AnalyticsError):
    """A price quote is not a price (unparseable, 0 or below, unknown tranche)."""


class SolverError(AnalyticsError):
    """A root finder (yield from price, Z-spread, OAS) did not converge."""


# -------------------------------------------------------------------- deals
class SpecError(TrancheflowError, ValueError):
    """A deal spec broke a rule; ``path`` is the key path (``tranches[2].coupon``)."""

    def __init__(self, message: str, path: str | None = None, file: str | None = None) -> None:
        self.path = path
        self.file = file
        prefix = ""
        if file:
            prefix += f"{file}: "
        if path:
            prefix += f"{path}: "
        super().__init__(prefix + message)


class YamlError(TrancheflowError, ValueError):
    """A YAML document is invalid, repeats a key, or nests too deeply."""


class UnitsError(TrancheflowError, ValueError):
    """An amount cannot become settlement-token units (not a finite number, bad decimals)."""


class WaterfallError(TrancheflowError):
    """The waterfall met inputs it cannot process (e.g. negative collections)."""


# -------------------------------------------------------------------- rates
class CurveError(TrancheflowError, ValueError):
    """A yield curve input is malformed (unsorted tenors, bad rates, bad file)."""


class ModelError(TrancheflowError, ValueError):
    """A rate or behaviour model was given parameters it cannot use."""


# -------------------------------------------------------------------- chain
class ChainError(TrancheflowError):
    """Talking to the chain failed (connection, revert, missing deployment)."""


class MarketError(ChainError, ValueError):
    """A secondary-market (TrancheMarket) input or rule was violated."""


class ReportError(ChainError):
    """A servicer report is malformed, unsigned or out of bounds."""


class RemittanceError(TrancheflowError):
    """A servicer remittance file broke one or more rules; it is rejected whole.

    Nothing built from a rejected file is signed or submitted. ``problems``
    holds every :class:`Problem` found, up to the cap (``truncated`` then).
    """

    def __init__(self, problems: Sequence[Problem], truncated: bool = False) -> None:
        self.problems = list(problems)
        self.truncated = truncated
        head = f"remittance rejected, nothing submitted: {len(self.problems)} problem(s)"
        if truncated:
            head += " (more not shown; cap reached)"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class DeploymentMismatchError(ChainError):
    """A deployment record disagrees with the spec, tape or chain a command was given."""


class BridgeError(ChainError, ValueError):
    """A cross-chain message, checkpoint, signature or bridge agent input broke a rule."""


# ---------------------------------------------------------------------- zk
class ZkError(TrancheflowError, ValueError):
    """A zero-knowledge input (field element, loan leaf, proof, circuit artifact) broke a rule."""


# --------------------------------------------------------------------- ops
class DatabaseError(TrancheflowError):
    """The indexer database cannot be reached, migrated or written."""


class NotFoundError(TrancheflowError, LookupError):
    """A deal, tranche or holder asked for is not in the index."""

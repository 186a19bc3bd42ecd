"""Sizing a random eligibility audit.

An audit draws ``k`` committed loan positions uniformly *with replacement*
from a block hash nobody knew when the audit was requested, and the issuer
must prove each drawn loan eligible. If at least a share ``x`` of the pool is
ineligible (no proof exists for those loans), every draw independently hits
a provable loan with probability at most ``1 - x``, so

    P(audit passes | ineligible share >= x) <= (1 - x) ** k.

The smallest ``k`` with ``(1 - x) ** k <= 1 - confidence`` is
``ceil(ln(1 - confidence) / ln(1 - x))``. The default, 95% confidence of
catching a pool with 5% or more ineligible loans, needs ``k = 59`` (below the
registry's cap of 64 draws); 99% / 10% needs 44; 99% / 5% needs 90 (over the
cap: prove the whole tape instead).

The bound assumes the issuer cannot pick the block hash: a block producer can
withhold a block to re-roll once per withheld block, which a deal of this size
should treat as a residual risk (documented in the README).

Examples
--------
>>> audit_k(0.95, 0.05)
59
>>> audit_k(0.99, 0.10)
44
>>> round(pass_probability(59, 0.05), 4)
0.0485
"""

from __future__ import annotations

import math

from trancheflow.errors import ZkError

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_INELIGIBLE_SHARE",
    "audit_k",
    "draw_positions",
    "pass_probability",
]

DEFAULT_CONFIDENCE = 0.95
DEFAULT_INELIGIBLE_SHARE = 0.05


def pass_probability(k: int, ineligible_share: float) -> float:
    """Upper bound on the chance ``k`` draws all land on eligible loans."""
    if k < 0 or not 0.0 <= ineligible_share <= 1.0:
        raise ZkError(f"audit: k={k} must be >= 0 and share={ineligible_share} in [0, 1]")
    return (1.0 - ineligible_share) ** k


def audit_k(confidence: float, ineligible_share: float) -> int:
    """Smallest number of draws catching an ``ineligible_share`` pool with ``confidence``.

    Raises
    ------
    ZkError
        When confidence or share is not strictly between 0 and 1.
    """
    if not 0.0 < confidence < 1.0:
        raise ZkError(f"audit confidence {confidence}: must be strictly between 0 and 1")
    if not 0.0 < ineligible_share < 1.0:
        raise ZkError(
            f"audit ineligible share {ineligible_share}: must be strictly between 0 and 1"
        )
    k = math.ceil(math.log(1.0 - confidence) / math.log(1.0 - ineligible_share))
    # guard against floating-point rounding just above an integer
    while k > 1 and pass_probability(k - 1, ineligible_share) <= 1.0 - confidence:
        k -= 1
    return k


def draw_positions(seed: bytes, k: int, loan_count: int) -> list[int]:
    """The positions the registry draws: ``keccak(seed || uint256(j)) mod loan_count``.

    Mirrors ``EligibilityRegistry.draw_audit`` (a parity test runs both).

    Examples
    --------
    >>> len(draw_positions(b"\\x01" * 32, 5, 10))
    5
    """
    from eth_hash.auto import keccak

    if len(seed) != 32 or k < 1 or loan_count < 1:
        raise ZkError("audit draw: seed must be 32 bytes, k and loan_count at least 1")
    return [
        int.from_bytes(keccak(seed + j.to_bytes(32, "big")), "big") % loan_count for j in range(k)
    ]

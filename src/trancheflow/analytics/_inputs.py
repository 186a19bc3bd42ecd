"""Input checks shared by the analytics modules (private)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trancheflow.errors import AnalyticsError

YieldType = Literal["bey", "mortgage"]
PriceType = Literal["clean", "full"]


def as_vector(name: str, values: ArrayLike) -> NDArray[np.float64]:
    """Return ``values`` as a finite, non-empty 1-D float array or raise."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalyticsError(f"{name} must be an array of numbers: {exc}") from exc
    if arr.ndim != 1:
        raise AnalyticsError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise AnalyticsError(f"{name} is empty; at least one period is required")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        i = int(bad[0])
        raise AnalyticsError(f"{name}[{i}] = {float(arr[i])!r} is not finite (period {i + 1})")
    return arr


def check_positive(name: str, value: float) -> float:
    """Return ``value`` as float if finite and > 0, else raise."""
    v = float(value)
    if not math.isfinite(v) or v <= 0.0:
        raise AnalyticsError(f"{name} = {value!r} must be a finite number > 0")
    return v


def check_yield_type(yield_type: str) -> YieldType:
    """Validate a yield basis name."""
    if yield_type not in ("bey", "mortgage"):
        raise AnalyticsError(f"yield_type {yield_type!r} must be 'bey' or 'mortgage'")
    return yield_type  # type: ignore[return-value]


def check_price_type(price_type: str) -> PriceType:
    """Validate a price basis name."""
    if price_type not in ("clean", "full"):
        raise AnalyticsError(f"price_type {price_type!r} must be 'clean' or 'full'")
    return price_type  # type: ignore[return-value]

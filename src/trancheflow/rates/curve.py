"""Zero-coupon yield curves: discount factors, zero and forward rates, shifts.

A :class:`ZeroCurve` is a set of node tenors (years) and continuously
compounded zero rates. Between nodes the curve is **linear in** ``r(t)·t``
(the log discount factor), which is the same as **piecewise-flat
instantaneous forwards**: on ``[t[i-1], t[i])`` the forward is
``(r[i]·t[i] - r[i-1]·t[i-1]) / (t[i] - t[i-1])``. Before the first node the
zero rate is flat at ``r[0]`` (so is the forward); beyond the last node the
zero rate is flat at ``r[-1]`` and the forward equals ``r[-1]``. The
instantaneous forward is right-continuous at the nodes.

This interpolation is local (a bump at one node moves only its two adjacent
segments), keeps discount factors exact at the nodes, and makes the integral of
the forward curve trivial, which the Hull-White drift needs.

Examples
--------
>>> curve = ZeroCurve([1.0, 5.0, 10.0], [0.04, 0.045, 0.05])
>>> round(float(curve.discount(5.0)), 8)
0.79851622
>>> round(float(curve.forward(1.0, 5.0)), 6)
0.04625
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from trancheflow.errors import CurveError

ArrayLike = npt.ArrayLike

#: Standard key-rate tenors in years: 1m, 3m, 6m, 1y, 2y, 3y, 5y, 7y, 10y, 20y, 30y.
KEY_RATE_TENORS: tuple[float, ...] = (
    1.0 / 12.0,
    0.25,
    0.5,
    1.0,
    2.0,
    3.0,
    5.0,
    7.0,
    10.0,
    20.0,
    30.0,
)

_BP = 1.0e-4


def _as_array(x: ArrayLike) -> npt.NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def _out(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return a 0-d result as a NumPy float scalar, arrays unchanged."""
    return x[()] if x.ndim == 0 else x


class ZeroCurve:
    """A continuously compounded zero curve with piecewise-flat forwards.

    Parameters
    ----------
    tenors : sequence of float
        Node maturities in years, strictly increasing and > 0.
    zero_rates : sequence of float
        Continuously compounded zero rates (decimals) at the nodes.

    Raises
    ------
    CurveError
        If the inputs are empty, of different lengths, not finite, or the
        tenors are not strictly increasing and positive.

    Examples
    --------
    >>> curve = ZeroCurve([0.5, 2.0], [0.05, 0.04])
    >>> float(curve.zero_rate(0.25))  # flat before the first node
    0.05
    >>> round(float(curve.instantaneous_forward(1.0)), 6)  # (0.08 - 0.025) / 1.5
    0.036667
    """

    __slots__ = ("_cum", "_fwd", "_rates", "_tenors")

    def __init__(self, tenors: ArrayLike, zero_rates: ArrayLike) -> None:
        t = np.atleast_1d(_as_array(tenors)).copy()
        r = np.atleast_1d(_as_array(zero_rates)).copy()
        if t.ndim != 1 or r.ndim != 1 or t.size == 0:
            raise CurveError("tenors and zero_rates must be non-empty 1-D sequences")
        if t.size != r.size:
            raise CurveError(
                f"tenors has {t.size} values but zero_rates has {r.size}; they must match"
            )
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(r))):
            raise CurveError("tenors and zero_rates must be finite numbers")
        if t[0] <= 0.0:
            raise CurveError(f"tenor {t[0]!r} must be > 0 years")
        bad = np.nonzero(np.diff(t) <= 0.0)[0]
        if bad.size:
            i = int(bad[0])
            raise CurveError(
                f"tenors must be strictly increasing: tenor[{i + 1}]={t[i + 1]!r} "
                f"follows tenor[{i}]={t[i]!r}"
            )
        t.setflags(write=False)
        r.setflags(write=False)
        self._tenors = t
        self._rates = r
        # Cumulative log-discount -ln P at the nodes, with a node at t=0.
        self._cum = np.concatenate(([0.0], r * t))
        knots = np.concatenate(([0.0], t))
        self._fwd = np.diff(self._cum) / np.diff(knots)

    # ------------------------------------------------------------------ data
    @property
    def tenors(self) -> npt.NDArray[np.float64]:
        """Node maturities in years (read-only)."""
        return self._tenors

    @property
    def zero_rates(self) -> npt.NDArray[np.float64]:
        """Continuously compounded zero rates at the nodes (read-only)."""
        return self._rates

    def __repr__(self) -> str:
        pairs = ", ".join(f"{t:g}y:{r:.5f}" for t, r in zip(self._tenors, self._rates, strict=True))
        return f"ZeroCurve({pairs})"

    # ------------------------------------------------------------- core math
    def _log_discount(self, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Return ``r(t)·t = -ln P(0, t)`` for t >= 0 (vectorised)."""
        knots_t = self._tenors
        cum = self._cum
        # Segment index: 0 for t < t[0], k for t in [t[k-1], t[k]), n beyond.
        idx = np.searchsorted(knots_t, t, side="right")
        last = knots_t.size
        inner = np.minimum(idx, last - 1)
        left_t = np.where(inner == 0, 0.0, knots_t[np.maximum(inner - 1, 0)])
        value = cum[inner] + self._fwd[inner] * (t - left_t)
        beyond = idx >= last
        if np.any(beyond):
            value = np.where(beyond, self._rates[-1] * t, value)
        return value

    def _check_t(self, t: npt.NDArray[np.float64], name: str = "t") -> None:
        if np.any(t < 0.0) or not np.all(np.isfinite(t)):
            raise CurveError(f"{name} must be finite and >= 0 years")

    def discount(self, t: ArrayLike) -> npt.NDArray[np.float64]:
        """Discount factor ``P(0, t) = exp(-r(t)·t)``.

        Parameters
        ----------
        t : float or array_like
            Maturities in years (>= 0).

        Returns
        -------
        numpy.ndarray or numpy.float64
            Discount factors, same shape as ``t``.

        Examples
        --------
        >>> ZeroCurve([1.0], [0.05]).discount([0.0, 1.0]).round(6).tolist()
        [1.0, 0.951229]
        """
        tt = _as_array(t)
        self._check_t(tt)
        return _out(np.exp(-self._log_discount(tt)))

    def zero_rate(self, t: ArrayLike) -> npt.NDArray[np.float64]:
        """Continuously compounded zero rate ``r(t)``; ``r(0)`` is the first forward.

        Examples
        --------
        >>> round(float(ZeroCurve([1.0, 3.0], [0.03, 0.04]).zero_rate(2.0)), 6)
        0.0375
        """
        tt = _as_array(t)
        self._check_t(tt)
        safe = np.where(tt > 0.0, tt, 1.0)
        return _out(np.where(tt > 0.0, self._log_discount(safe) / safe, self._fwd[0]))

    def forward(self, t1: ArrayLike, t2: ArrayLike) -> npt.NDArray[np.float64]:
        """Continuously compounded forward rate between ``t1`` and ``t2`` (``t2 > t1``).

        ``forward(t1, t2) = ln(P(0,t1) / P(0,t2)) / (t2 - t1)``.

        Examples
        --------
        >>> curve = ZeroCurve([1.0, 2.0], [0.03, 0.04])
        >>> round(float(curve.forward(1.0, 2.0)), 10)
        0.05
        """
        a = _as_array(t1)
        b = _as_array(t2)
        self._check_t(a, "t1")
        self._check_t(b, "t2")
        if np.any(b <= a):
            raise CurveError("forward(t1, t2) needs t2 > t1")
        return _out((self._log_discount(b) - self._log_discount(a)) / (b - a))

    def instantaneous_forward(self, t: ArrayLike) -> npt.NDArray[np.float64]:
        """Instantaneous forward ``f(0, t) = d(r(t)·t)/dt`` (right-continuous).

        Examples
        --------
        >>> ZeroCurve([1.0, 2.0], [0.03, 0.04]).instantaneous_forward([0.5, 1.0, 5.0]).tolist()
        [0.03, 0.05, 0.04]
        """
        tt = _as_array(t)
        self._check_t(tt)
        idx = np.searchsorted(self._tenors, tt, side="right")
        fwd = np.append(self._fwd, self._rates[-1])
        return _out(fwd[idx])

    def integral_forward(self, t: ArrayLike) -> npt.NDArray[np.float64]:
        """``∫_0^t f(0, s) ds = -ln P(0, t)`` (vectorised).

        Examples
        --------
        >>> round(float(ZeroCurve([2.0], [0.05]).integral_forward(2.0)), 12)
        0.1
        """
        tt = _as_array(t)
        self._check_t(tt)
        return _out(self._log_discount(tt))

    # ---------------------------------------------------------------- shifts
    def shifted(self, bp: float) -> ZeroCurve:
        """Parallel shift of every zero rate (and forward) by ``bp`` basis points.

        Examples
        --------
        >>> ZeroCurve([1.0, 2.0], [0.03, 0.04]).shifted(25).zero_rates.tolist()
        [0.0325, 0.0425]
        """
        return ZeroCurve(self._tenors, self._rates + bp * _BP)

    def key_rate_shifted(
        self, tenor: float, bp: float, key_tenors: Sequence[float] = KEY_RATE_TENORS
    ) -> ZeroCurve:
        """Triangular key-rate bump of the zero curve at one key tenor.

        The bump is ``bp`` at ``tenor``, falls linearly to zero at the
        neighbouring key tenors, and is flat beyond the first / last key tenor
        (so the 1m bump covers the short end and the 30y bump the long end).
        It is applied to the zero rates at the union of the curve's nodes and
        the key tenors, then re-interpolated. The bumps for all key tenors add
        up to a parallel shift of ``bp`` exactly (in ``r(t)·t``, hence in every
        discount factor).

        Parameters
        ----------
        tenor : float
            One of ``key_tenors`` (years; matched to 1e-9).
        bp : float
            Size of the bump in basis points.
        key_tenors : sequence of float, optional
            The key-rate grid, default :data:`KEY_RATE_TENORS`.

        Examples
        --------
        >>> base = ZeroCurve([1.0, 10.0], [0.04, 0.04])
        >>> bumped = base.key_rate_shifted(5.0, 100)
        >>> [round(float(bumped.zero_rate(x)), 6) for x in (3.0, 5.0, 7.0, 10.0)]
        [0.04, 0.05, 0.04, 0.04]
        """
        keys = np.asarray(sorted(key_tenors), dtype=np.float64)
        hit = np.nonzero(np.abs(keys - tenor) < 1e-9)[0]
        if hit.size == 0:
            raise CurveError(
                f"key tenor {tenor!r} is not one of the key tenors "
                f"{[round(float(k), 6) for k in keys]}"
            )
        k = int(hit[0])
        grid = np.union1d(self._tenors, keys)
        weights = np.zeros_like(keys)
        weights[k] = 1.0
        bump = np.interp(grid, keys, weights) * bp * _BP  # flat beyond the ends
        return ZeroCurve(grid, self.zero_rate(grid) + bump)

# pragma version ==0.4.3
"""
@title TrancheMarket TWAP (a module of TrancheMarket.vy)
@custom:contract-name market_twap
@license Apache-2.0
@notice Time-weighted clean price per 100 of current face (1e18 scale),
        accumulated BEFORE the first change in a block (a sandwich inside
        one block leaves it unchanged), over at least TWAP_WINDOW seconds
        between two rolling checkpoints.
"""

_M40: constant(uint256) = 2**40 - 1

TWAP_WINDOW: public(immutable(uint256))
price_cumulative_stored: public(uint256)
# last update timestamp (low 40 bits) | last price per 100 face x 1e18 (above)
_last: uint256
# checkpoints (cumulative, timestamp): the older one is the TWAP's start
_ckpt_old: uint256
_ckpt_old_ts: uint256
_ckpt_new: uint256
_ckpt_new_ts: uint256


@deploy
def __init__(twap_window: uint256):
    """
    @notice Sets the window.
    @param twap_window Minimum seconds a TWAP spans (> 0).
    """
    assert twap_window > 0, "market: zero TWAP window"
    TWAP_WINDOW = twap_window


@internal
def _accumulate():
    """
    @notice Carries the last price forward to now and rolls the checkpoints.
    """
    last: uint256 = self._last
    ts: uint256 = last & _M40
    if block.timestamp == ts:
        return
    cum: uint256 = self.price_cumulative_stored + (last >> 40) * (block.timestamp - ts)
    self.price_cumulative_stored = cum
    self._last = (last >> 40 << 40) | block.timestamp
    if block.timestamp - self._ckpt_new_ts >= TWAP_WINDOW:
        self._ckpt_old = self._ckpt_new
        self._ckpt_old_ts = self._ckpt_new_ts
        self._ckpt_new = cum
        self._ckpt_new_ts = block.timestamp


@internal
def _set_price(price: uint256):
    """
    @notice The price the TWAP carries forward from now.
    @param price Per 100 of current face, 1e18 scale.
    """
    self._last = (price << 40) | block.timestamp


@internal
def _start():
    """
    @notice Seeding: starts the checkpoints now.
    """
    self._ckpt_old = self.price_cumulative_stored
    self._ckpt_old_ts = block.timestamp
    self._ckpt_new = self.price_cumulative_stored
    self._ckpt_new_ts = block.timestamp


@external
@view
def twap() -> uint256:
    """
    @notice Time-weighted clean price per 100 of current face (1e18 scale)
            since the older checkpoint (at least TWAP_WINDOW seconds ago once
            the pool is that old); the spot price when no time has passed.
    @return uint256 Price.
    """
    last: uint256 = self._last
    cum: uint256 = self.price_cumulative_stored + (last >> 40) * (block.timestamp - (last & _M40))
    dt: uint256 = block.timestamp - self._ckpt_old_ts
    if dt == 0:
        return last >> 40
    return (cum - self._ckpt_old) // dt

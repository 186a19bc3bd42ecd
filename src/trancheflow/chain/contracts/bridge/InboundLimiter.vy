# pragma version 0.4.3
"""
@title InboundLimiter
@notice A per-spoke inbound rate limit for cash arriving on the hub. The
        spoke's warp transfers name this contract as recipient; tokens wait
        here (the queue) and `release` forwards at most what a token bucket
        allows (capacity, refilled at `rate` units per second) to the
        beneficiary (the deal's collection account). Paused: nothing is
        released and nothing is lost; the queue waits.
"""

from ethereum.ercs import IERC20

event Released:
    amount: uint256
    queued: uint256

event LimitsSet:
    capacity: uint256
    rate: uint256

event PausedSet:
    paused: bool

TOKEN: public(immutable(address))
BENEFICIARY: public(immutable(address))
owner: public(address)
capacity: public(uint256)
rate: public(uint256)
level: public(uint256)
updated: public(uint256)
paused: public(bool)
released_total: public(uint256)


@deploy
def __init__(token: address, beneficiary: address, capacity: uint256, rate: uint256):
    """
    @notice Sets the token, where released cash goes, and the bucket (full at start).
    @param token The settlement token.
    @param beneficiary The hub account that receives released cash.
    @param capacity The bucket size (most released at once).
    @param rate Units added to the bucket per second.
    """
    assert token != empty(address) and beneficiary != empty(address), "limiter: zero address"
    assert capacity > 0, "limiter: zero capacity"
    TOKEN = token
    BENEFICIARY = beneficiary
    self.owner = msg.sender
    self.capacity = capacity
    self.rate = rate
    self.level = capacity
    self.updated = block.timestamp


@view
@internal
def _available() -> uint256:
    return min(self.capacity, self.level + (block.timestamp - self.updated) * self.rate)


@view
@external
def available() -> uint256:
    """
    @notice What the bucket would let through now.
    @return Token units.
    """
    return self._available()


@view
@external
def queued() -> uint256:
    """
    @notice Cash waiting for release.
    @return Token units held.
    """
    return staticcall IERC20(TOKEN).balanceOf(self)


@external
def release() -> uint256:
    """
    @notice Forwards min(bucket, queue) to the beneficiary. Anyone may call.
    @return The amount released.
    """
    assert not self.paused, "limiter: paused"
    bucket: uint256 = self._available()
    held: uint256 = staticcall IERC20(TOKEN).balanceOf(self)
    amount: uint256 = min(bucket, held)
    self.level = bucket - amount
    self.updated = block.timestamp
    self.released_total += amount
    if amount > 0:
        assert extcall IERC20(TOKEN).transfer(BENEFICIARY, amount, default_return_value=True), "limiter: transfer failed"
    log Released(amount=amount, queued=held - amount)
    return amount


@external
def set_limits(capacity: uint256, rate: uint256):
    """
    @notice Changes the bucket (the level refilled up to now first). Owner only.
    @param capacity New bucket size.
    @param rate New refill rate per second.
    """
    assert msg.sender == self.owner, "limiter: only owner"
    assert capacity > 0, "limiter: zero capacity"
    self.level = min(capacity, self._available())
    self.updated = block.timestamp
    self.capacity = capacity
    self.rate = rate
    log LimitsSet(capacity=capacity, rate=rate)


@external
def set_paused(paused: bool):
    """
    @notice Pauses or resumes releases (the queue is kept). Owner only.
    @param paused True to pause.
    """
    assert msg.sender == self.owner, "limiter: only owner"
    self.paused = paused
    log PausedSet(paused=paused)

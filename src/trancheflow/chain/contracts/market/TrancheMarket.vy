# pragma version ==0.4.3
"""
@title TrancheMarket
@custom:contract-name TrancheMarket
@license Apache-2.0
@notice One pool per tranche token against the deal's settlement token
        (issue 11; design argued in TECH_SPEC.md, "Secondary market"). An
        ordinary HOLDER of the tranche: the deal never calls it, so a broken
        pool cannot stop finalize or claims.
        Curve: constant product on virtual reserves `(T+A)(Y+B)`, offsets
        (AMP-1) x the seed; in current face between syncs (the factor is
        constant). When the tranche's balance falls from b0 to b1 the cash
        side (Y, B) is scaled by b1/b0 and the released cash, with the
        claimed distributions, is credited to LP shares: the price per 100
        of current face does not move. Accounting is internal (donations
        are never counted). Tranche tokens move only through the token's
        ERC-1404-checked transfers; LP shares pass the tranche's checks.
        The TWAP is accumulated before the first change in a block.
@custom:security Every division rounds in the pool's favour: swap outputs
                 and LP payouts DOWN, LP deposits UP, LP index DOWN with
                 the cash it commits rounded UP (the remainder carried as
                 dust for the next credit).
"""

from ethereum.ercs import IERC20

from . import ITrancheMarket

implements: ITrancheMarket

interface ITranche:
    def transfer(to: address, amount: uint256) -> bool: nonpayable
    def transferFrom(owner: address, to: address, amount: uint256) -> bool: nonpayable
    def claim() -> uint256: nonpayable
    def index() -> uint256: view
    def DEAL() -> address: view
    def TRANCHE_ID() -> uint256: view
    def FACE() -> uint256: view
    def detectTransferRestriction(sender: address, receiver: address, amount: uint256) -> uint8: view
    def messageForTransferRestriction(code: uint8) -> String[64]: view


interface IDealBalance:
    def tranche_balance(tranche_id: uint256) -> uint256: view


BPS: constant(uint256) = 10_000
LP_SCALE: constant(uint256) = 10**27
PRICE_SCALE: constant(uint256) = 10**18
_M128: constant(uint256) = 2**128 - 1
_M40: constant(uint256) = 2**40 - 1

TOKEN: public(immutable(address))
CASH: public(immutable(address))
DEAL: public(immutable(address))
TRANCHE_ID: public(immutable(uint256))
FACE: public(immutable(uint256))
# @dev Virtual reserves = AMP x real reserves at seeding (AMP >= 1; 1 = plain
# constant product). Prices reachable from the seed price p0: p0 (AMP-1)^2/AMP^2
# (no cash left) .. p0 AMP^2/(AMP-1)^2 (no tokens left).
AMP: public(immutable(uint256))
FEE_BPS: public(immutable(uint256))
TWAP_WINDOW: public(immutable(uint256))

# tokens T (high 128) | cash Y (low 128)
_reserves: uint256
# offset A in tokens (high 128) | offset B in cash (low 128)
_offsets: uint256
# tranche balance at the last sync (high 128) | token index at the last sync (low 128)
_seen: uint256

# ------------------------------------------------------------------ LP shares
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
# cumulative cash per share (x LP_SCALE); cash credited but not yet covered
lp_index: public(uint256)
lp_dust: public(uint256)
# per LP: index at last settlement (high 128) | owed cash (low 128)
_lp: HashMap[address, uint256]

# ------------------------------------------------------------------ TWAP
price_cumulative_stored: public(uint256)
# last update timestamp (low 40 bits) | last price per 100 face x 1e18 (above)
_last: uint256
# checkpoints (cumulative, timestamp): the older one is the TWAP's start
_ckpt_old: uint256
_ckpt_old_ts: uint256
_ckpt_new: uint256
_ckpt_new_ts: uint256


event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


event Swap:
    trader: indexed(address)
    tokens_in: uint256
    cash_in: uint256
    tokens_out: uint256
    cash_out: uint256


event Liquidity:
    provider: indexed(address)
    shares: uint256
    tokens: uint256
    cash: uint256
    added: bool


event Synced:
    claimed: uint256
    released: uint256
    tranche_balance: uint256


event LPClaimed:
    provider: indexed(address)
    amount: uint256


@deploy
def __init__(token: address, cash: address, amp: uint256, fee_bps: uint256, twap_window: uint256):
    """
    @notice One pool for tranche `token` against settlement token `cash`.
    @param token The TrancheToken.
    @param cash The deal's settlement token.
    @param amp Concentration (virtual = amp x real reserves at seeding), 1..1000.
    @param fee_bps Swap fee on the input, kept in the reserves (LPs'), < 1000.
    @param twap_window Minimum seconds a TWAP spans (> 0).
    """
    assert amp >= 1 and amp <= 1000, "market: amp outside 1..1000"
    assert fee_bps < 1000, "market: fee above 10%"
    assert twap_window > 0, "market: zero TWAP window"
    TOKEN = token
    CASH = cash
    DEAL = staticcall ITranche(token).DEAL()
    TRANCHE_ID = staticcall ITranche(token).TRANCHE_ID()
    FACE = staticcall ITranche(token).FACE()
    AMP = amp
    FEE_BPS = fee_bps
    TWAP_WINDOW = twap_window


# ------------------------------------------------------------------ swaps
@external
@nonreentrant
def sell(tokens_in: uint256, min_cash_out: uint256, deadline: uint256) -> uint256:
    """
    @notice Sells `tokens_in` tranche tokens to the pool for cash.
    @dev eff = floor(in (BPS-fee)/BPS); out = floor((Y+B) eff / (T+A+eff)),
         both DOWN (pool's favour); out <= Y (real cash).
    @param tokens_in Tranche token units (the caller approved the pool).
    @param min_cash_out Revert if fewer cash units come out.
    @param deadline Revert after this timestamp.
    @return uint256 Cash units paid.
    """
    assert block.timestamp <= deadline, "market: deadline passed"
    t: uint256 = 0
    y: uint256 = 0
    t, y = self._sync()
    assert t | y != 0, "market: no liquidity"
    assert self._seen >> 128 != 0, "market: tranche written off"
    off: uint256 = self._offsets
    eff: uint256 = tokens_in * (BPS - FEE_BPS) // BPS
    out: uint256 = (y + (off & _M128)) * eff // (t + (off >> 128) + eff)
    assert out <= y, "market: not enough cash in the pool"
    assert out > 0 and out >= min_cash_out, "market: output below minimum"
    extcall ITranche(TOKEN).transferFrom(msg.sender, self, tokens_in)
    self._store(t + tokens_in, y - out)
    assert extcall IERC20(CASH).transfer(msg.sender, out, default_return_value=True)
    log Swap(trader=msg.sender, tokens_in=tokens_in, cash_in=0, tokens_out=0, cash_out=out)
    return out


@external
@nonreentrant
def buy(cash_in: uint256, min_tokens_out: uint256, deadline: uint256) -> uint256:
    """
    @notice Buys tranche tokens with `cash_in`; the token checks that the
            caller may hold the tranche (its ERC-1404 message on refusal).
    @dev eff = floor(in (BPS-fee)/BPS); out = floor((T+A) eff / (Y+B+eff)),
         both DOWN (pool's favour); out <= T (real tokens).
    @param cash_in Settlement units (the caller approved the pool).
    @param min_tokens_out Revert if fewer tokens come out.
    @param deadline Revert after this timestamp.
    @return uint256 Tranche token units received.
    """
    assert block.timestamp <= deadline, "market: deadline passed"
    t: uint256 = 0
    y: uint256 = 0
    t, y = self._sync()
    assert t | y != 0, "market: no liquidity"
    assert self._seen >> 128 != 0, "market: tranche written off"
    off: uint256 = self._offsets
    eff: uint256 = cash_in * (BPS - FEE_BPS) // BPS
    out: uint256 = (t + (off >> 128)) * eff // (y + (off & _M128) + eff)
    assert out <= t, "market: not enough tokens in the pool"
    assert out > 0 and out >= min_tokens_out, "market: output below minimum"
    assert extcall IERC20(CASH).transferFrom(msg.sender, self, cash_in, default_return_value=True)
    self._store(t - out, y + cash_in)
    extcall ITranche(TOKEN).transfer(msg.sender, out)
    log Swap(trader=msg.sender, tokens_in=0, cash_in=cash_in, tokens_out=out, cash_out=0)
    return out


# ------------------------------------------------------------------ liquidity
@external
@nonreentrant
def add_liquidity(shares: uint256, max_tokens: uint256, max_cash: uint256, deadline: uint256) -> (uint256, uint256):
    """
    @notice Mints `shares` LP shares for tokens and cash in the pool's
            proportions. Seeding (no shares yet): deposits exactly
            `max_tokens` and `max_cash`, mints `max_tokens` shares and sets the
            offsets (AMP-1) x each (the seed price is max_cash/max_tokens per token).
    @dev Later deposits: tokens = ceil(T s/S), cash = ceil(Y s/S) (UP, pool's
         favour); offsets grow by floor(A s/S), floor(B s/S).
    @param shares Shares wanted (ignored when seeding).
    @param max_tokens Most tranche tokens to deposit.
    @param max_cash Most cash to deposit.
    @param deadline Revert after this timestamp.
    @return uint256 Tokens deposited.
    @return uint256 Cash deposited.
    """
    assert block.timestamp <= deadline, "market: deadline passed"
    self._check_holder(self, msg.sender)
    t: uint256 = 0
    y: uint256 = 0
    t, y = self._sync()
    assert self._seen >> 128 != 0, "market: tranche written off"
    supply: uint256 = self.totalSupply
    tin: uint256 = 0
    cin: uint256 = 0
    minted: uint256 = shares
    if supply == 0:
        assert max_tokens > 0 and max_cash > 0, "market: seed needs tokens and cash"
        tin = max_tokens
        cin = max_cash
        minted = max_tokens
        self._offsets = ((AMP - 1) * tin << 128) | ((AMP - 1) * cin)
        self._set_price(tin, cin)
    else:
        assert shares > 0, "market: zero shares"
        tin = (t * shares + supply - 1) // supply
        cin = (y * shares + supply - 1) // supply
        assert tin <= max_tokens and cin <= max_cash, "market: deposit above maximum"
        off: uint256 = self._offsets
        a: uint256 = off >> 128
        b: uint256 = off & _M128
        self._offsets = ((a + a * shares // supply) << 128) | (b + b * shares // supply)
    assert (t + tin) <= _M128 and (y + cin) <= _M128, "market: reserve exceeds 128 bits"
    self._lp_settle(msg.sender)
    self.totalSupply = supply + minted
    self.balanceOf[msg.sender] += minted
    if tin != 0:
        extcall ITranche(TOKEN).transferFrom(msg.sender, self, tin)
    if cin != 0:
        assert extcall IERC20(CASH).transferFrom(msg.sender, self, cin, default_return_value=True)
    self._store(t + tin, y + cin)
    log Transfer(sender=empty(address), receiver=msg.sender, value=minted)
    log Liquidity(provider=msg.sender, shares=minted, tokens=tin, cash=cin, added=True)
    return tin, cin


@external
@nonreentrant
def remove_liquidity(shares: uint256, min_tokens: uint256, min_cash: uint256, deadline: uint256) -> (uint256, uint256):
    """
    @notice Burns `shares` for the pool's tokens and cash pro rata (the
            token checks the caller may still hold the tranche). Accrued LP
            distributions stay claimable.
    @dev tokens = floor(T s/S), cash = floor(Y s/S) (DOWN, pool's favour);
         offsets shrink by floor(A s/S), floor(B s/S).
    @param shares Shares to burn.
    @param min_tokens Revert if fewer tokens come out.
    @param min_cash Revert if less cash comes out.
    @param deadline Revert after this timestamp.
    @return uint256 Tokens paid.
    @return uint256 Cash paid.
    """
    assert block.timestamp <= deadline, "market: deadline passed"
    t: uint256 = 0
    y: uint256 = 0
    t, y = self._sync()
    supply: uint256 = self.totalSupply
    assert shares > 0 and shares <= self.balanceOf[msg.sender], "market: shares above balance"
    tout: uint256 = t * shares // supply
    cout: uint256 = y * shares // supply
    assert tout >= min_tokens and cout >= min_cash, "market: withdrawal below minimum"
    off: uint256 = self._offsets
    a: uint256 = off >> 128
    b: uint256 = off & _M128
    self._offsets = ((a - a * shares // supply) << 128) | (b - b * shares // supply)
    self._lp_settle(msg.sender)
    self.balanceOf[msg.sender] -= shares
    self.totalSupply = supply - shares
    self._store(t - tout, y - cout)
    if tout != 0:
        extcall ITranche(TOKEN).transfer(msg.sender, tout)
    if cout != 0:
        assert extcall IERC20(CASH).transfer(msg.sender, cout, default_return_value=True)
    log Transfer(sender=msg.sender, receiver=empty(address), value=shares)
    log Liquidity(provider=msg.sender, shares=shares, tokens=tout, cash=cout, added=False)
    return tout, cout


@external
@nonreentrant
def claim() -> uint256:
    """
    @notice Syncs the pool (claims the tranche's distributions) and pays the
            caller the cash credited to its LP shares. Never asks compliance.
    @return uint256 Cash units paid.
    """
    self._sync()
    self._lp_settle(msg.sender)
    acct: uint256 = self._lp[msg.sender]
    amount: uint256 = acct & _M128
    if amount == 0:
        return 0
    self._lp[msg.sender] = acct ^ amount
    assert extcall IERC20(CASH).transfer(msg.sender, amount, default_return_value=True)
    log LPClaimed(provider=msg.sender, amount=amount)
    return amount


@external
@nonreentrant
def sync():
    """
    @notice Claims the pool's tranche distributions and rescales the cash
            side to the tranche's current balance (anyone may call).
    """
    self._sync()


# ------------------------------------------------------------------ LP shares (ERC-20)
@external
@nonreentrant
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice Moves LP shares; `to` must be allowed to hold the tranche.
    @param to Receiver.
    @param amount Shares.
    @return bool True.
    """
    self._move(msg.sender, to, amount)
    return True


@external
@nonreentrant
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @notice Moves LP shares on an allowance; `to` must be allowed to hold the tranche.
    @param owner From.
    @param to Receiver.
    @param amount Shares.
    @return bool True.
    """
    allowed: uint256 = self.allowance[owner][msg.sender]
    if allowed != max_value(uint256):
        assert allowed >= amount, "market: allowance exceeded"
        self.allowance[owner][msg.sender] = allowed - amount
    self._move(owner, to, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    """
    @notice Approves `spender` to move `amount` LP shares.
    @param spender Spender.
    @param amount Shares.
    @return bool True.
    """
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
@view
def decimals() -> uint8:
    """
    @notice Shares are minted 1:1 with seeded token units: 6 decimals
            like the settlement token used by trancheflow.
    @return uint8 6.
    """
    return 6


@external
@view
def detectTransferRestriction(sender: address, receiver: address, amount: uint256) -> uint8:
    """
    @notice ERC-1404 code of an LP share transfer: the tranche's own code
            for `receiver` holding the tranche (amount-independent checks).
    @param sender From.
    @param receiver To.
    @param amount Shares (not used: holdings rules apply to the tranche).
    @return uint8 0 when allowed.
    """
    return staticcall ITranche(TOKEN).detectTransferRestriction(sender, receiver, 0)


# ------------------------------------------------------------------ views
@external
@view
def reserves() -> (uint256, uint256, uint256, uint256):
    """
    @notice Stored tokens T, cash Y, offsets A, B (as of the last sync).
    @return uint256 T.
    @return uint256 Y.
    @return uint256 A.
    @return uint256 B.
    """
    r: uint256 = self._reserves
    o: uint256 = self._offsets
    return r >> 128, r & _M128, o >> 128, o & _M128


@external
@view
def seen() -> (uint256, uint256):
    """
    @notice Tranche balance and token index at the last sync.
    @return uint256 Balance.
    @return uint256 Index.
    """
    s: uint256 = self._seen
    return s >> 128, s & _M128


@external
@view
def lp_claimable(provider: address) -> uint256:
    """
    @notice LP cash owed to `provider` as of the last sync.
    @param provider The LP.
    @return uint256 Cash units.
    """
    acct: uint256 = self._lp[provider]
    return (acct & _M128) + self.balanceOf[provider] * (self.lp_index - (acct >> 128)) // LP_SCALE


@external
@view
def spot_price() -> uint256:
    """
    @notice Marginal price per 100 of current face, 1e18 scale, at the
            stored reserves (floor((Y+B) FACE 100e18 / ((T+A) balance))).
    @return uint256 Price (0 when empty or written off).
    """
    r: uint256 = self._reserves
    return self._price(r >> 128, r & _M128)


@external
@view
def twap() -> uint256:
    """
    @notice Time-weighted price per 100 of current face (1e18 scale) since
            the older checkpoint (at least TWAP_WINDOW seconds ago once the
            pool is that old); the spot price when no time has passed.
    @return uint256 Price.
    """
    last: uint256 = self._last
    cum: uint256 = self.price_cumulative_stored + (last >> 40) * (block.timestamp - (last & _M40))
    dt: uint256 = block.timestamp - self._ckpt_old_ts
    if dt == 0:
        return last >> 40
    return (cum - self._ckpt_old) // dt


# ------------------------------------------------------------------ internal
@internal
def _check_holder(sender: address, receiver: address):
    """
    @notice Reverts with the tranche's ERC-1404 message unless `receiver`
            may hold the tranche (amount-independent checks).
    @param sender From (the pool for new LPs).
    @param receiver To.
    """
    code: uint8 = staticcall ITranche(TOKEN).detectTransferRestriction(sender, receiver, 0)
    if code != 0:
        raise staticcall ITranche(TOKEN).messageForTransferRestriction(code)


@internal
def _move(owner: address, to: address, amount: uint256):
    """
    @notice LP share transfer: restriction check, settle both sides, move.
    @param owner From.
    @param to To.
    @param amount Shares.
    """
    assert to != self and to != empty(address), "market: bad receiver"
    self._check_holder(owner, to)
    self._lp_settle(owner)
    self._lp_settle(to)
    bal: uint256 = self.balanceOf[owner]
    assert bal >= amount, "market: shares above balance"
    self.balanceOf[owner] = bal - amount
    self.balanceOf[to] += amount
    log Transfer(sender=owner, receiver=to, value=amount)


@internal
def _lp_settle(provider: address):
    """
    @notice Accrues floor(shares (index - last) / LP_SCALE) (DOWN) to `provider`.
    @param provider The LP.
    """
    acct: uint256 = self._lp[provider]
    idx: uint256 = self.lp_index
    last: uint256 = acct >> 128
    if last == idx:
        return
    owed: uint256 = (acct & _M128) + self.balanceOf[provider] * (idx - last) // LP_SCALE
    assert owed <= _M128 and idx <= _M128, "market: owed exceeds 128 bits"
    self._lp[provider] = (idx << 128) | owed


@internal
def _sync() -> (uint256, uint256):
    """
    @notice Accumulates the TWAP, claims distributions when the token's
            index moved, scales (Y, B) by balance_now/balance_seen (DOWN) when
            the tranche's balance fell, and credits claimed + released cash
            to LP shares. Returns the (possibly rescaled) reserves.
    @return uint256 T.
    @return uint256 Y.
    """
    r: uint256 = self._reserves
    t: uint256 = r >> 128
    y: uint256 = r & _M128
    last: uint256 = self._last
    ts: uint256 = last & _M40
    if block.timestamp != ts:
        cum: uint256 = self.price_cumulative_stored + (last >> 40) * (block.timestamp - ts)
        self.price_cumulative_stored = cum
        self._last = (last >> 40 << 40) | block.timestamp
        if block.timestamp - self._ckpt_new_ts >= TWAP_WINDOW:
            self._ckpt_old = self._ckpt_new
            self._ckpt_old_ts = self._ckpt_new_ts
            self._ckpt_new = cum
            self._ckpt_new_ts = block.timestamp
    seen: uint256 = self._seen
    bal: uint256 = staticcall IDealBalance(DEAL).tranche_balance(TRANCHE_ID)
    idx: uint256 = staticcall ITranche(TOKEN).index()
    if bal == seen >> 128 and idx == seen & _M128:
        return t, y
    claimed: uint256 = 0
    if idx != seen & _M128:
        claimed = extcall ITranche(TOKEN).claim()
    released: uint256 = 0
    seen_bal: uint256 = seen >> 128
    if bal < seen_bal:
        ny: uint256 = y * bal // seen_bal
        released = y - ny
        y = ny
        off: uint256 = self._offsets
        self._offsets = (off >> 128 << 128) | ((off & _M128) * bal // seen_bal)
        self._reserves = (t << 128) | y
    self._seen = (bal << 128) | idx
    credit: uint256 = claimed + released
    if credit != 0:
        supply: uint256 = self.totalSupply
        pending: uint256 = credit + self.lp_dust
        if supply == 0:
            self.lp_dust = pending
        else:
            inc: uint256 = pending * LP_SCALE // supply
            self.lp_index += inc
            # the cash the increment commits is rounded UP, so the LPs'
            # floor-rounded accruals never exceed what was credited
            self.lp_dust = pending - (inc * supply + LP_SCALE - 1) // LP_SCALE
    log Synced(claimed=claimed, released=released, tranche_balance=bal)
    return t, y


@internal
def _store(t: uint256, y: uint256):
    """
    @notice Writes the reserves and the price the TWAP will carry forward.
    @param t Tokens.
    @param y Cash.
    """
    self._reserves = (t << 128) | y
    self._last = (self._price(t, y) << 40) | block.timestamp


@internal
def _set_price(t: uint256, y: uint256):
    """
    @notice Seeding: starts the TWAP checkpoints now.
    @param t Seed tokens.
    @param y Seed cash.
    """
    self._ckpt_old = self.price_cumulative_stored
    self._ckpt_old_ts = block.timestamp
    self._ckpt_new = self.price_cumulative_stored
    self._ckpt_new_ts = block.timestamp


@internal
@view
def _price(t: uint256, y: uint256) -> uint256:
    """
    @notice floor((Y+B) FACE 100e18 / ((T+A) balance)) at the seen balance.
    @param t Tokens.
    @param y Cash.
    @return uint256 Price per 100 of current face, 1e18 scale.
    """
    off: uint256 = self._offsets
    den: uint256 = (t + (off >> 128)) * (self._seen >> 128)
    if den == 0:
        return 0
    return (y + (off & _M128)) * FACE * 100 * PRICE_SCALE // den

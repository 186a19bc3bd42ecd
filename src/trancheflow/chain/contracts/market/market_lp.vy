# pragma version ==0.4.3
"""
@title TrancheMarket LP shares (a module of TrancheMarket.vy)
@custom:contract-name market_lp
@license Apache-2.0
@notice ERC-20 LP shares that pass the tranche's ERC-1404 holder checks,
        and the cash credited to them (distributions claimed by the pool,
        cash released by principal payments, net accrued interest) by a
        cumulative index per share.
@custom:security The index rounds DOWN with the cash it commits rounded
                 UP (the remainder carried as dust for the next credit);
                 each LP's accrual rounds DOWN: what LPs are owed never
                 exceeds what was credited.
"""

LP_SCALE: constant(uint256) = 10**27
_M128: constant(uint256) = 2**128 - 1

interface ITrancheRules:
    def detectTransferRestriction(sender: address, receiver: address, amount: uint256) -> uint8: view
    def messageForTransferRestriction(code: uint8) -> String[64]: view


_TRANCHE: immutable(address)

totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
# cumulative cash per share (x LP_SCALE); cash credited but not yet covered
lp_index: public(uint256)
lp_dust: public(uint256)
# per LP: index at last settlement (high 128) | owed cash (low 128)
_lp: HashMap[address, uint256]


event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


@deploy
def __init__(tranche: address):
    """
    @notice Shares of the pool of tranche token `tranche`.
    @param tranche The TrancheToken whose holder rules the shares follow.
    """
    _TRANCHE = tranche


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
    return staticcall ITrancheRules(_TRANCHE).detectTransferRestriction(sender, receiver, 0)


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


@internal
def _check_holder(sender: address, receiver: address):
    """
    @notice Reverts with the tranche's ERC-1404 message unless `receiver`
            may hold the tranche (amount-independent checks).
    @param sender From (the pool for new LPs).
    @param receiver To.
    """
    code: uint8 = staticcall ITrancheRules(_TRANCHE).detectTransferRestriction(sender, receiver, 0)
    if code != 0:
        raise staticcall ITrancheRules(_TRANCHE).messageForTransferRestriction(code)


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
    self._settle(owner)
    self._settle(to)
    bal: uint256 = self.balanceOf[owner]
    assert bal >= amount, "market: shares above balance"
    self.balanceOf[owner] = bal - amount
    self.balanceOf[to] += amount
    log Transfer(sender=owner, receiver=to, value=amount)


@internal
def _settle(provider: address):
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
def _credit(credit: uint256):
    """
    @notice Credits `credit` cash (plus the dust) to the shares by the index.
    @param credit Cash units.
    """
    supply: uint256 = self.totalSupply
    pending: uint256 = credit + self.lp_dust
    if supply == 0:
        self.lp_dust = pending
        return
    inc: uint256 = pending * LP_SCALE // supply
    self.lp_index += inc
    # the cash the increment commits is rounded UP, so the LPs'
    # floor-rounded accruals never exceed what was credited
    self.lp_dust = pending - (inc * supply + LP_SCALE - 1) // LP_SCALE


@internal
def _mint(to: address, shares: uint256):
    """
    @notice Settles `to` and mints it `shares`.
    @param to The LP.
    @param shares Shares.
    """
    self._settle(to)
    self.totalSupply += shares
    self.balanceOf[to] += shares
    log Transfer(sender=empty(address), receiver=to, value=shares)


@internal
def _burn(owner: address, shares: uint256):
    """
    @notice Settles `owner` and burns its `shares`.
    @param owner The LP.
    @param shares Shares.
    """
    self._settle(owner)
    self.balanceOf[owner] -= shares
    self.totalSupply -= shares
    log Transfer(sender=owner, receiver=empty(address), value=shares)


@internal
def _take_owed(provider: address) -> uint256:
    """
    @notice Settles `provider` and zeroes what it is owed.
    @param provider The LP.
    @return uint256 Cash units it was owed.
    """
    self._settle(provider)
    acct: uint256 = self._lp[provider]
    amount: uint256 = acct & _M128
    if amount != 0:
        self._lp[provider] = acct ^ amount
    return amount

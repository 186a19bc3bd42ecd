# pragma version 0.4.3
"""
@title SpokeTranche
@notice The spoke end of one tranche's token route: an ERC-20 minted when
        the hub's TrancheGateway locks tokens and burned to return them.
        Distributions: each hub message carries the hub TrancheToken's index
        (cumulative cash per token unit, scale 1e27) and the cash its locked
        tokens earned arrives over the warp route (synthetic settlement token,
        held here). A holder's claimable amount is
        `owed + floor(tokens * (index - index_at_last_settlement) / 1e27)`,
        the hub token's own rule, so a holder here is paid what it would have
        been paid holding on the hub, to the unit. Nothing loops over holders.

        Messages apply in the hub's order (`seq`): one out of order reverts
        and the relayer retries it later. `pause_inbound` makes deliveries
        revert, so they queue in the relayer (never dropped) until unpaused.

        Compliance: the spoke's own Compliance instance (same ERC-1404 codes)
        is asked on every transfer; a mint it refuses goes back to the hub
        sender (tokens are never stranded on a refused receiver). Claims are
        never asked.
@custom:security Rounding DOWN on every accrual (favours the token; dust
                 stays here). A claim whose cash is still in flight on the
                 warp route reverts ("cash in flight") and succeeds later.
                 Development contract (issue 13).
"""

from snekmate.auth import ownable
from snekmate.tokens import erc20

import token_msg
import ISpokeTranche

implements: ISpokeTranche

initializes: ownable
initializes: erc20[ownable := ownable]

exports: (
    erc20.balanceOf,
    erc20.allowance,
    erc20.totalSupply,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    erc20.approve,
    ownable.owner,
)

interface IMailbox:
    def dispatch(
        destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[token_msg.TO_HUB_BYTES]
    ) -> bytes32: payable

interface ICompliance:
    def on_transfer(sender: address, receiver: address, amount: uint256): nonpayable
    def detect(token: address, sender: address, receiver: address, amount: uint256) -> uint8: view
    def messageForTransferRestriction(code: uint8) -> String[64]: view

interface IERC20:
    def transfer(to: address, amount: uint256) -> bool: nonpayable
    def balanceOf(who: address) -> uint256: view

event Minted:
    to: indexed(address)
    amount: uint256
    seq: uint256

event IndexUpdated:
    seq: indexed(uint256)
    index: uint256
    cash: uint256

event MintRefused:
    to: indexed(address)
    amount: uint256
    code: uint8

event SentHome:
    holder: indexed(address)
    to: address
    amount: uint256
    nonce: uint256
    message_id: bytes32

event Claimed:
    holder: indexed(address)
    amount: uint256

MAILBOX: public(immutable(address))
HUB_DOMAIN: public(immutable(uint32))
GATEWAY: public(immutable(bytes32))
CASH: public(immutable(address))
COMPLIANCE: public(immutable(address))
index: public(uint256)
last_seq: public(uint256)
nonce: public(uint256)
inbound_paused: public(bool)
holder_count: public(uint256)
cash_received: public(uint256)
claimed_total: public(uint256)
_last: HashMap[address, uint256]
_owed: HashMap[address, uint256]


@deploy
def __init__(
    name_: String[25], symbol_: String[5], decimals_: uint8,
    mailbox: address, hub_domain: uint32, gateway: address, cash: address, compliance: address,
):
    """
    @notice Binds the token to the spoke Mailbox, the hub gateway, the
            synthetic settlement token and the spoke's Compliance (or zero).
    @param name_ Token name.
    @param symbol_ Token symbol.
    @param decimals_ Decimals (the hub token's).
    @param mailbox The spoke's Hyperlane Mailbox.
    @param hub_domain The hub's domain.
    @param gateway The hub TrancheGateway.
    @param cash The warp route's synthetic settlement token on this spoke.
    @param compliance The spoke's Compliance (zero: no restriction).
    """
    assert mailbox != empty(address) and gateway != empty(address) and cash != empty(address), "spoke: zero address"
    ownable.__init__()
    erc20.__init__(name_, symbol_, decimals_, name_, "1")
    MAILBOX = mailbox
    HUB_DOMAIN = hub_domain
    GATEWAY = convert(convert(gateway, uint160), bytes32)
    CASH = cash
    COMPLIANCE = compliance


@external
def pause_inbound(paused: bool):
    """
    @notice Owner: while paused, deliveries revert and queue in the relayer.
    @param paused The new state.
    """
    ownable._check_owner()
    self.inbound_paused = paused


@view
@external
def interchainSecurityModule() -> address:
    """
    @notice None set: the Mailbox's default ISM verifies.
    @return The zero address.
    """
    return empty(address)


@external
def handle(_origin: uint32, _sender: bytes32, _message: Bytes[token_msg.TO_SPOKE_BYTES]):
    """
    @notice Applies one hub message in order: the index (and the cash that
            came with it), a crossing credit, then a mint.
    @param _origin Must be the hub domain.
    @param _sender Must be the hub gateway.
    @param _message The abi-encoded ToSpoke.
    """
    assert msg.sender == MAILBOX, "spoke: only mailbox"
    assert _origin == HUB_DOMAIN and _sender == GATEWAY, "spoke: unknown sender"
    assert not self.inbound_paused, "spoke: route paused"
    m: token_msg.ToSpoke = abi_decode(_message, token_msg.ToSpoke)
    assert m.seq == self.last_seq + 1, "spoke: out of order"
    assert m.index >= self.index, "spoke: index went back"
    self.last_seq = m.seq
    self.index = m.index
    self.cash_received += m.cash
    log IndexUpdated(seq=m.seq, index=m.index, cash=m.cash)
    if m.credit > 0:
        self._settle(m.credit_to)
        self._owed[m.credit_to] += m.credit
    if m.amount == 0:
        return
    code: uint8 = 0
    if COMPLIANCE != empty(address):
        code = staticcall ICompliance(COMPLIANCE).detect(self, empty(address), m.to, m.amount)
    if code != 0:
        log MintRefused(to=m.to, amount=m.amount, code=code)
        self._send_home(empty(address), m.hub_sender, m.amount)
        return
    self._settle(m.to)
    if erc20.balanceOf[m.to] == 0:
        self.holder_count += 1
    erc20._mint(m.to, m.amount)
    log Minted(to=m.to, amount=m.amount, seq=m.seq)


@external
@nonreentrant
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transfer: compliance first, both sides settled.
    @param to The receiver.
    @param amount Token units.
    @return True.
    """
    self._move(msg.sender, to, amount)
    return True


@external
@nonreentrant
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transferFrom with the same checks as `transfer`.
    @param owner From.
    @param to The receiver.
    @param amount Token units.
    @return True.
    """
    erc20._spend_allowance(owner, msg.sender, amount)
    self._move(owner, to, amount)
    return True


@external
@nonreentrant
def send_home(to: address, amount: uint256) -> bytes32:
    """
    @notice Burns `amount` of the caller's tokens (its accrued distributions
            settled first, claimable here) and asks the hub gateway to
            release them to `to` on the hub.
    @param to The hub receiver.
    @param amount Token units.
    @return The Hyperlane message id.
    """
    assert amount > 0 and to != empty(address), "spoke: empty return"
    self._settle(msg.sender)
    if erc20.balanceOf[msg.sender] == amount:
        self.holder_count -= 1
    erc20._burn(msg.sender, amount)
    return self._send_home(msg.sender, to, amount)


@external
@nonreentrant
def claim() -> uint256:
    """
    @notice Pays the caller its accrued distributions in the spoke's
            settlement token. Never asks compliance.
    @return The amount paid.
    """
    self._settle(msg.sender)
    amount: uint256 = self._owed[msg.sender]
    if amount == 0:
        return 0
    assert staticcall IERC20(CASH).balanceOf(self) >= amount, "spoke: cash in flight"
    self._owed[msg.sender] = 0
    self.claimed_total += amount
    extcall IERC20(CASH).transfer(msg.sender, amount)
    log Claimed(holder=msg.sender, amount=amount)
    return amount


@view
@external
def claimable(holder: address) -> uint256:
    """
    @notice What `claim` would pay `holder` now.
    @param holder The holder.
    @return Settlement-token units (floored).
    """
    return self._owed[holder] + erc20.balanceOf[holder] * (self.index - self._last[holder]) // token_msg.INDEX_SCALE


@view
@external
def detectTransferRestriction(sender: address, receiver: address, amount: uint256) -> uint8:
    """
    @notice ERC-1404: the spoke Compliance's code (0 = allowed).
    @param sender From.
    @param receiver To.
    @param amount Token units.
    @return The code.
    """
    if COMPLIANCE == empty(address):
        return 0
    return staticcall ICompliance(COMPLIANCE).detect(self, sender, receiver, amount)


@view
@external
def messageForTransferRestriction(code: uint8) -> String[64]:
    """
    @notice ERC-1404 text of `code` (the spoke Compliance's).
    @param code The code.
    @return The message.
    """
    if code == 0 or COMPLIANCE == empty(address):
        return "no restriction"
    return staticcall ICompliance(COMPLIANCE).messageForTransferRestriction(code)


@internal
def _settle(holder: address):
    """
    @notice Brings `holder`'s record to the current index: accrues
            floor(tokens * (index - last) / INDEX_SCALE), rounded DOWN.
    @param holder The holder.
    """
    idx: uint256 = self.index
    last: uint256 = self._last[holder]
    if last == idx:
        return
    self._owed[holder] += erc20.balanceOf[holder] * (idx - last) // token_msg.INDEX_SCALE
    self._last[holder] = idx


@internal
def _move(sender: address, receiver: address, amount: uint256):
    """
    @notice Compliance (reverts with its ERC-1404 message), both sides
            settled, holder count kept, then the erc20 move.
    @param sender From.
    @param receiver To.
    @param amount Token units.
    """
    if COMPLIANCE != empty(address):
        extcall ICompliance(COMPLIANCE).on_transfer(sender, receiver, amount)
    self._settle(sender)
    self._settle(receiver)
    if amount != 0 and sender != receiver:
        joins: bool = erc20.balanceOf[receiver] == 0
        leaves: bool = erc20.balanceOf[sender] == amount
        if joins and not leaves:
            self.holder_count += 1
        elif leaves and not joins:
            self.holder_count -= 1
    erc20._transfer(sender, receiver, amount)


@internal
def _send_home(holder: address, to: address, amount: uint256) -> bytes32:
    """
    @notice Dispatches a ToHub (the next return nonce, the last applied seq).
    @param holder The spoke account burned from (zero for a refused mint).
    @param to The hub receiver.
    @param amount Token units.
    @return The message id.
    """
    n: uint256 = self.nonce + 1
    self.nonce = n
    body: Bytes[token_msg.TO_HUB_BYTES] = abi_encode(
        token_msg.ToHub(to=to, amount=amount, ack=self.last_seq, nonce=n, spoke_holder=holder)
    )
    mid: bytes32 = extcall IMailbox(MAILBOX).dispatch(HUB_DOMAIN, GATEWAY, body)
    log SentHome(holder=holder, to=to, amount=amount, nonce=n, message_id=mid)
    return mid

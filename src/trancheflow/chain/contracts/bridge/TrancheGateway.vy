# pragma version 0.4.3
"""
@title TrancheGateway
@notice The hub end of one tranche's token route over Hyperlane. A holder
        sends tranche tokens to a spoke: the gateway pulls them with
        `transferFrom` (the TrancheToken settles the holder's accrued
        distributions first: they stay claimable on the hub), locks them and
        dispatches a mint to the spoke's SpokeTranche. The locked tokens keep
        earning on the hub (the gateway is their holder): every message to a
        spoke first brings that spoke's share up to the token's index
        (`accrued += locked * (index - last)`, kept unrounded, scaled by
        INDEX_SCALE), claims from the token, bridges
        `floor(accrued / INDEX_SCALE) - bridged` over the spoke's warp
        route (HypERC20Collateral) to the spoke token and carries the index,
        so spoke holders claim there per token, exactly as hub holders would
        (nothing loops over holders).

        Return: the spoke burns and dispatches; `handle` (Mailbox only,
        origin + sender allowlisted, each return nonce once) releases the
        tokens. The returner is paid on the hub its share since the last
        message to that spoke, and, when hub messages crossed its return in
        flight (their cash for its tokens already sits on the spoke), a
        credit on the spoke of exactly those messages' shares.
@custom:security Rounding: a spoke receives the floor of its CUMULATIVE
                 unrounded accrual, so its holders' floored claims (each at
                 most its exact share) never exceed its cash. The token
                 floors the gateway's own accrual at every gateway
                 settlement (< 1 unit each); a small reserve the owner
                 transfers to the gateway covers that dust. Should the gateway still hold less
                 than is due, it bridges what it holds and the rest stays
                 `owed` (bridged with a later message), never lost. A refused
                 release (hub ERC-1404 code) is minted back to the burner.
                 Deal compliance must admit the gateway as a receiver.
                 Development contract (issue 13).
"""

import token_msg
import ITrancheGateway

implements: ITrancheGateway

interface IMailbox:
    def dispatch(
        destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[token_msg.TO_SPOKE_BYTES]
    ) -> bytes32: payable

interface IWarp:
    def transferRemote(destination: uint32, recipient: bytes32, amount: uint256) -> bytes32: payable

interface ITranche:
    def transferFrom(owner: address, to: address, amount: uint256) -> bool: nonpayable
    def transfer(to: address, amount: uint256) -> bool: nonpayable
    def claim() -> uint256: nonpayable
    def index() -> uint256: view
    def detectTransferRestriction(sender: address, receiver: address, amount: uint256) -> uint8: view

interface IERC20:
    def approve(spender: address, amount: uint256) -> bool: nonpayable
    def transfer(to: address, amount: uint256) -> bool: nonpayable
    def balanceOf(who: address) -> uint256: view

event Sent:
    domain: indexed(uint32)
    sender: indexed(address)
    to: address
    amount: uint256
    seq: uint256

event Synced:
    domain: indexed(uint32)
    seq: uint256
    index: uint256
    cash: uint256

event Released:
    domain: indexed(uint32)
    to: indexed(address)
    amount: uint256
    paid: uint256
    credit: uint256

event Rebounded:
    domain: indexed(uint32)
    spoke_holder: address
    amount: uint256
    code: uint8

MAX_CROSSING: constant(uint256) = 64
# @dev TrancheToken.TRANSFERS_PAUSED (the deal's pause, not a receiver restriction)
HUB_TRANSFERS_PAUSED: constant(uint8) = 16

MAILBOX: public(immutable(address))
TOKEN: public(immutable(address))
CASH: public(immutable(address))
owner: public(address)
router: public(HashMap[uint32, bytes32])
warp: public(HashMap[uint32, address])
locked: public(HashMap[uint32, uint256])
total_locked: public(uint256)
last_index: public(HashMap[uint32, uint256])
# @dev per spoke: unrounded accrual (token units x index, scale INDEX_SCALE), cash bridged
accrued: public(HashMap[uint32, uint256])
bridged: public(HashMap[uint32, uint256])
seq: public(HashMap[uint32, uint256])
sent_index: public(HashMap[uint32, HashMap[uint256, uint256]])
returned: public(HashMap[uint32, HashMap[uint256, bool]])


@deploy
def __init__(mailbox: address, token: address, cash: address):
    """
    @notice Binds the gateway to the hub Mailbox, one TrancheToken and the
            deal's settlement token; the deployer owns it.
    @param mailbox The hub's Hyperlane Mailbox.
    @param token The tranche token.
    @param cash The settlement token the deal pays in.
    """
    assert mailbox != empty(address) and token != empty(address) and cash != empty(address), "gateway: zero address"
    MAILBOX = mailbox
    TOKEN = token
    CASH = cash
    self.owner = msg.sender


@external
def enroll(domain: uint32, spoke_token: address, warp_router: address):
    """
    @notice Registers a spoke (once): its SpokeTranche and the warp route's
            hub router that carries cash to it.
    @param domain The spoke's Hyperlane domain.
    @param spoke_token The SpokeTranche on the spoke.
    @param warp_router The HypERC20Collateral on the hub enrolled with the spoke.
    """
    assert msg.sender == self.owner, "gateway: only owner"
    assert self.router[domain] == empty(bytes32), "gateway: spoke enrolled"
    assert spoke_token != empty(address) and warp_router != empty(address), "gateway: zero address"
    self.router[domain] = convert(convert(spoke_token, uint160), bytes32)
    self.warp[domain] = warp_router
    idx: uint256 = staticcall ITranche(TOKEN).index()
    self.last_index[domain] = idx
    self.sent_index[domain][0] = idx
    extcall IERC20(CASH).approve(warp_router, max_value(uint256))


@external
def send(domain: uint32, to: address, amount: uint256) -> bytes32:
    """
    @notice Locks `amount` of the caller's tranche tokens (approve first)
            and mints them to `to` on spoke `domain`. The token settles the
            caller's accrued distributions first (they stay claimable here).
    @param domain The spoke.
    @param to The holder on the spoke.
    @param amount Token units.
    @return The Hyperlane message id.
    """
    assert self.router[domain] != empty(bytes32), "gateway: unknown spoke"
    assert amount > 0 and to != empty(address), "gateway: empty send"
    extcall ITranche(TOKEN).transferFrom(msg.sender, self, amount)
    self._settle(domain)
    self.locked[domain] += amount
    self.total_locked += amount
    s: uint256 = self.seq[domain] + 1
    log Sent(domain=domain, sender=msg.sender, to=to, amount=amount, seq=s)
    return self._dispatch(domain, to, amount, msg.sender, empty(address), 0)


@external
def sync(domain: uint32) -> bytes32:
    """
    @notice Anyone: brings spoke `domain` up to the token's index, bridging
            the cash its locked tokens earned. Does nothing when the index
            has not moved and nothing is owed.
    @param domain The spoke.
    @return The message id (zero when nothing was sent).
    """
    assert self.router[domain] != empty(bytes32), "gateway: unknown spoke"
    self._settle(domain)
    if self.last_index[domain] == self.sent_index[domain][self.seq[domain]] and self._owed(domain) == 0:
        return empty(bytes32)
    return self._dispatch(domain, empty(address), 0, empty(address), empty(address), 0)


@view
@external
def interchainSecurityModule() -> address:
    """
    @notice None set: the Mailbox's default ISM verifies.
    @return The zero address.
    """
    return empty(address)


@external
def handle(_origin: uint32, _sender: bytes32, _message: Bytes[token_msg.TO_HUB_BYTES]):
    """
    @notice Releases tokens returned from a spoke (Mailbox only; the origin
            and sender must be an enrolled spoke token; each nonce once).
    @param _origin The origin domain.
    @param _sender The spoke token, left-padded.
    @param _message The abi-encoded ToHub.
    """
    assert msg.sender == MAILBOX, "gateway: only mailbox"
    assert self.router[_origin] != empty(bytes32) and self.router[_origin] == _sender, "gateway: unknown sender"
    m: token_msg.ToHub = abi_decode(_message, token_msg.ToHub)
    assert not self.returned[_origin][m.nonce], "gateway: return replayed"
    self.returned[_origin][m.nonce] = True
    assert m.amount > 0 and m.amount <= self.locked[_origin], "gateway: more than locked"
    assert m.ack <= self.seq[_origin], "gateway: unknown ack"
    # messages that left after its ack already carried its share to the spoke
    credit: uint256 = 0
    last_seq: uint256 = self.seq[_origin]
    first: uint256 = m.ack
    if last_seq > m.ack + MAX_CROSSING:
        # beyond MAX_CROSSING messages the oldest ones are taken as one step (floored once)
        first = last_seq - MAX_CROSSING
        credit = m.amount * (self.sent_index[_origin][first] - self.sent_index[_origin][m.ack]) // token_msg.INDEX_SCALE
    for s: uint256 in range(first + 1, last_seq + 1, bound=MAX_CROSSING):
        credit += m.amount * (self.sent_index[_origin][s] - self.sent_index[_origin][s - 1]) // token_msg.INDEX_SCALE
    prev: uint256 = self.last_index[_origin]
    self._settle(_origin)
    # the returner's share since the last message (floored)
    share: uint256 = m.amount * (self.last_index[_origin] - prev) // token_msg.INDEX_SCALE
    code: uint8 = staticcall ITranche(TOKEN).detectTransferRestriction(self, m.to, m.amount)
    # the deal paused transfers: revert, so the return queues in the relayer until unpaused
    assert code != HUB_TRANSFERS_PAUSED, "gateway: hub transfers paused"
    if code != 0:
        # a refused spoke mint coming home (no spoke holder) to a refused hub sender:
        # revert, so it waits in the relayer until the receiver is admitted (a mint
        # to nobody would block the spoke's ordered messages)
        assert m.spoke_holder != empty(address), "gateway: receiver refused"
        # the hub receiver is refused: the tokens stay locked and are minted back to
        # the burner, credited on the spoke with all they earned in flight
        log Rebounded(domain=_origin, spoke_holder=m.spoke_holder, amount=m.amount, code=code)
        self._dispatch(_origin, m.spoke_holder, m.amount, empty(address), m.spoke_holder, credit + share)
        return
    # the share since the last message is paid here, out of the spoke's accrual
    self.accrued[_origin] -= m.amount * (self.last_index[_origin] - prev)
    self.locked[_origin] -= m.amount
    self.total_locked -= m.amount
    extcall ITranche(TOKEN).transfer(m.to, m.amount)
    if share > 0:
        extcall IERC20(CASH).transfer(m.to, share)
    log Released(domain=_origin, to=m.to, amount=m.amount, paid=share, credit=credit)
    if credit > 0 or self.last_index[_origin] != self.sent_index[_origin][last_seq]:
        self._dispatch(_origin, empty(address), 0, empty(address), m.spoke_holder, credit)


@view
@external
def claimable_by_spoke(domain: uint32) -> uint256:
    """
    @notice Cash spoke `domain`'s locked tokens earned and not yet bridged.
    @param domain The spoke.
    @return Settlement-token units (floored).
    """
    idx: uint256 = staticcall ITranche(TOKEN).index()
    acc: uint256 = self.accrued[domain] + self.locked[domain] * (idx - self.last_index[domain])
    return acc // token_msg.INDEX_SCALE - self.bridged[domain]


@view
@external
def owed(domain: uint32) -> uint256:
    """
    @notice Cash due to spoke `domain` at its last settlement, not yet bridged.
    @param domain The spoke.
    @return Settlement-token units.
    """
    return self._owed(domain)


@view
@internal
def _owed(domain: uint32) -> uint256:
    """
    @notice floor(accrued / INDEX_SCALE) - bridged, rounded DOWN.
    @param domain The spoke.
    @return Settlement-token units.
    """
    return self.accrued[domain] // token_msg.INDEX_SCALE - self.bridged[domain]


@internal
def _settle(domain: uint32):
    """
    @notice Brings spoke `domain`'s share to the token's index and claims
            the gateway's distributions from the token.
    @param domain The spoke.
    """
    idx: uint256 = staticcall ITranche(TOKEN).index()
    last: uint256 = self.last_index[domain]
    if idx != last:
        self.accrued[domain] += self.locked[domain] * (idx - last)
        self.last_index[domain] = idx
    extcall ITranche(TOKEN).claim()


@internal
def _dispatch(
    domain: uint32, to: address, amount: uint256, hub_sender: address, credit_to: address, credit: uint256
) -> bytes32:
    """
    @notice Bridges spoke `domain`'s owed cash (as far as the gateway holds
            it) and dispatches the next ToSpoke carrying the index.
    @param domain The spoke.
    @param to Spoke holder to mint to (zero: none).
    @param amount Tokens to mint.
    @param hub_sender Hub account a refused mint returns to.
    @param credit_to Spoke holder credited with in-flight distributions.
    @param credit The credit (settlement-token units).
    @return The message id.
    """
    cash: uint256 = min(self._owed(domain), staticcall IERC20(CASH).balanceOf(self))
    if cash > 0:
        self.bridged[domain] += cash
        extcall IWarp(self.warp[domain]).transferRemote(domain, self.router[domain], cash)
    s: uint256 = self.seq[domain] + 1
    self.seq[domain] = s
    idx: uint256 = self.last_index[domain]
    self.sent_index[domain][s] = idx
    body: Bytes[token_msg.TO_SPOKE_BYTES] = abi_encode(
        token_msg.ToSpoke(
            seq=s, index=idx, cash=cash, to=to, amount=amount, hub_sender=hub_sender,
            credit_to=credit_to, credit=credit,
        )
    )
    log Synced(domain=domain, seq=s, index=idx, cash=cash)
    return extcall IMailbox(MAILBOX).dispatch(domain, self.router[domain], body)

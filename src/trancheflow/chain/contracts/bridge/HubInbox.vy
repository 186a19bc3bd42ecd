# pragma version 0.4.3
"""
@title HubInbox
@notice The hub's Hyperlane recipient for spoke sub-pool reports. Per deal it
        keeps an allowlist (origin domain -> spoke outbox), one open period
        with a deadline, and the running sum of the reports counted in each
        hub period. The rule (docs/waterfall.md, "Hub and spokes"): a spoke's
        on-time report counts in its own period; a spoke with no report at
        the deadline is delinquent: its last reported sub-pool balance enters
        that period's 60+ delinquent balance and its late report's cash and
        losses count in the hub period open when it arrives.
"""

import spoke_report

MAX_SPOKES: constant(uint256) = 16

event SpokeReportReceived:
    deal: indexed(bytes32)
    period: indexed(uint256)
    origin: indexed(uint32)
    counted_in: uint256
    late: bool

event SpokeDelinquent:
    deal: indexed(bytes32)
    period: indexed(uint256)
    origin: indexed(uint32)
    balance: uint256

event PeriodClosed:
    deal: indexed(bytes32)
    period: indexed(uint256)
    delinquent_spokes: uint256

MAILBOX: public(immutable(address))
owner: public(address)
router: public(HashMap[bytes32, HashMap[uint32, bytes32]])
spokes: HashMap[bytes32, DynArray[uint32, MAX_SPOKES]]
open_period: public(HashMap[bytes32, uint256])
deadline: public(HashMap[bytes32, uint256])
period_seconds: public(HashMap[bytes32, uint256])
received: public(HashMap[bytes32, HashMap[uint256, HashMap[uint32, bool]]])
delinquent: public(HashMap[bytes32, HashMap[uint256, HashMap[uint32, bool]]])
last_balance: public(HashMap[bytes32, HashMap[uint32, uint256]])
root_of: public(HashMap[bytes32, HashMap[uint256, HashMap[uint32, bytes32]]])
totals: HashMap[bytes32, HashMap[uint256, spoke_report.Report]]


@deploy
def __init__(mailbox: address):
    """
    @notice Binds the inbox to the hub's Mailbox; the deployer owns it.
    @param mailbox The hub chain's Hyperlane Mailbox.
    """
    assert mailbox != empty(address), "inbox: zero mailbox"
    MAILBOX = mailbox
    self.owner = msg.sender


@external
def open_deal(
    deal: bytes32,
    origins: DynArray[uint32, MAX_SPOKES],
    senders: DynArray[address, MAX_SPOKES],
    first_deadline: uint256,
    period_seconds: uint256,
):
    """
    @notice Registers a deal's spokes (origin domain and outbox) and opens period 1.
    @param deal The deal id.
    @param origins The spokes' Hyperlane domains (no repeats).
    @param senders Each spoke's SpokeOutbox address.
    @param first_deadline Timestamp at which period 1 may be closed.
    @param period_seconds Seconds between later deadlines.
    """
    assert msg.sender == self.owner, "inbox: only owner"
    assert self.open_period[deal] == 0, "inbox: deal already open"
    assert deal != empty(bytes32), "inbox: zero deal"
    assert len(origins) == len(senders) and len(origins) > 0, "inbox: origins/senders mismatch"
    assert period_seconds > 0, "inbox: zero period"
    for i: uint256 in range(MAX_SPOKES):
        if i >= len(origins):
            break
        assert senders[i] != empty(address), "inbox: zero sender"
        assert self.router[deal][origins[i]] == empty(bytes32), "inbox: origin repeated"
        self.router[deal][origins[i]] = convert(convert(senders[i], uint160), bytes32)
    self.spokes[deal] = origins
    self.open_period[deal] = 1
    self.deadline[deal] = first_deadline
    self.period_seconds[deal] = period_seconds


@view
@external
def interchainSecurityModule() -> address:
    """
    @notice The ISM for this recipient: none set, so the Mailbox's default.
    @return The zero address.
    """
    return empty(address)


@external
def handle(_origin: uint32, _sender: bytes32, _message: Bytes[spoke_report.BODY_BYTES]):
    """
    @notice Accepts one spoke report delivered by the Mailbox (after its ISM
            verified the validators' signatures).
    @param _origin The origin domain.
    @param _sender The origin sender (the spoke outbox), left-padded.
    @param _message The abi-encoded SpokeReport.
    """
    assert msg.sender == MAILBOX, "inbox: only mailbox"
    sr: spoke_report.SpokeReport = abi_decode(_message, spoke_report.SpokeReport)
    allowed: bytes32 = self.router[sr.deal][_origin]
    assert allowed != empty(bytes32) and allowed == _sender, "inbox: unknown sender"
    r: spoke_report.Report = sr.report
    assert r.loans_root != empty(bytes32), "inbox: zero loans root"
    open_p: uint256 = self.open_period[sr.deal]
    assert r.period >= 1 and r.period <= open_p, "inbox: wrong period"
    assert not self.received[sr.deal][r.period][_origin], "inbox: period already reported"
    late: bool = r.period < open_p
    if late:
        assert self.delinquent[sr.deal][r.period][_origin], "inbox: wrong period"
    t: spoke_report.Report = self.totals[sr.deal][open_p]
    t.interest += r.interest
    t.scheduled_principal += r.scheduled_principal
    t.prepayments += r.prepayments
    t.recoveries += r.recoveries
    t.losses += r.losses
    if not late:
        t.dq30_count += r.dq30_count
        t.dq30_balance += r.dq30_balance
        t.dq60_count += r.dq60_count
        t.dq60_balance += r.dq60_balance
        t.dq90_count += r.dq90_count
        t.dq90_balance += r.dq90_balance
        t.foreclosure_count += r.foreclosure_count
        t.foreclosure_balance += r.foreclosure_balance
        t.reo_count += r.reo_count
        t.reo_balance += r.reo_balance
    self.totals[sr.deal][open_p] = t
    self.received[sr.deal][r.period][_origin] = True
    self.root_of[sr.deal][r.period][_origin] = r.loans_root
    self.last_balance[sr.deal][_origin] = sr.subpool_balance
    log SpokeReportReceived(deal=sr.deal, period=r.period, origin=_origin, counted_in=open_p, late=late)


@external
def close_period(deal: bytes32):
    """
    @notice Closes the deal's open period at its deadline: every spoke without
            a report is marked delinquent and its last sub-pool balance enters
            the period's 60+ balance. Anyone may call.
    @param deal The deal id.
    """
    p: uint256 = self.open_period[deal]
    assert p > 0, "inbox: unknown deal"
    assert block.timestamp >= self.deadline[deal], "inbox: before deadline"
    t: spoke_report.Report = self.totals[deal][p]
    n: uint256 = 0
    for origin: uint32 in self.spokes[deal]:
        if not self.received[deal][p][origin]:
            self.delinquent[deal][p][origin] = True
            bal: uint256 = self.last_balance[deal][origin]
            t.dq60_balance += bal
            n += 1
            log SpokeDelinquent(deal=deal, period=p, origin=origin, balance=bal)
    self.totals[deal][p] = t
    self.open_period[deal] = p + 1
    self.deadline[deal] += self.period_seconds[deal]
    log PeriodClosed(deal=deal, period=p, delinquent_spokes=n)


@view
@external
def summed_report(deal: bytes32, period: uint256) -> spoke_report.Report:
    """
    @notice The hub's period report: the sum of what counts in `period` (final
            once the period is closed). Its loans_root chains the on-time
            spokes' roots in allowlist order: h = keccak256(h || root), from
            h = 0 (zero when none).
    @param deal The deal id.
    @param period The hub period.
    @return The summed report.
    """
    t: spoke_report.Report = self.totals[deal][period]
    t.period = period
    acc: bytes32 = empty(bytes32)
    for origin: uint32 in self.spokes[deal]:
        rt: bytes32 = self.root_of[deal][period][origin]
        if rt != empty(bytes32) and not self.delinquent[deal][period][origin]:
            acc = keccak256(concat(acc, rt))
    t.loans_root = acc
    return t


@view
@external
def spoke_list(deal: bytes32) -> DynArray[uint32, MAX_SPOKES]:
    """
    @notice The deal's spoke domains in allowlist order.
    @param deal The deal id.
    @return The origin domains.
    """
    return self.spokes[deal]

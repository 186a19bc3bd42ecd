# pragma version 0.4.3
"""
@title SpokeOutbox
@notice Sends one deal's sub-pool reports from a spoke chain to the hub's
        HubInbox through the spoke's Hyperlane Mailbox. Only the spoke's
        servicer may send.
"""

import spoke_report

interface IMailbox:
    def dispatch(
        destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[spoke_report.BODY_BYTES]
    ) -> bytes32: payable

event ReportSent:
    period: indexed(uint256)
    message_id: indexed(bytes32)
    subpool_balance: uint256

MAILBOX: public(immutable(address))
HUB_DOMAIN: public(immutable(uint32))
HUB_INBOX: public(immutable(bytes32))
DEAL: public(immutable(bytes32))
servicer: public(address)


@deploy
def __init__(mailbox: address, hub_domain: uint32, hub_inbox: address, deal: bytes32, servicer: address):
    """
    @notice Binds the outbox to a mailbox, the hub inbox and one deal.
    @param mailbox The spoke chain's Hyperlane Mailbox.
    @param hub_domain The hub's Hyperlane domain.
    @param hub_inbox The HubInbox on the hub.
    @param deal The deal id (as the hub inbox knows it).
    @param servicer The only account allowed to send reports.
    """
    assert mailbox != empty(address) and hub_inbox != empty(address), "outbox: zero address"
    assert deal != empty(bytes32), "outbox: zero deal"
    MAILBOX = mailbox
    HUB_DOMAIN = hub_domain
    HUB_INBOX = convert(convert(hub_inbox, uint160), bytes32)
    DEAL = deal
    self.servicer = servicer


@external
def send_report(report: spoke_report.Report, subpool_balance: uint256) -> bytes32:
    """
    @notice Dispatches `report` (and the ending sub-pool balance) to the hub.
    @param report The spoke's period report (loans_root must not be zero).
    @param subpool_balance The spoke's sub-pool balance after the period.
    @return The Hyperlane message id.
    """
    assert msg.sender == self.servicer, "outbox: only servicer"
    assert report.loans_root != empty(bytes32), "outbox: zero loans root"
    body: Bytes[spoke_report.BODY_BYTES] = abi_encode(
        spoke_report.SpokeReport(deal=DEAL, subpool_balance=subpool_balance, report=report)
    )
    mid: bytes32 = extcall IMailbox(MAILBOX).dispatch(HUB_DOMAIN, HUB_INBOX, body)
    log ReportSent(period=report.period, message_id=mid, subpool_balance=subpool_balance)
    return mid

# pragma version 0.4.3
"""
@title spoke_report
@custom:contract-name spoke_report
@notice The sub-pool report a spoke sends the hub: the deal's report fields
        (as core/report_types.Report) plus the deal id and the spoke's
        ending sub-pool balance. Shared by SpokeOutbox and HubInbox so their
        encodings agree by construction.
"""

struct Report:
    period: uint256
    interest: uint256
    scheduled_principal: uint256
    prepayments: uint256
    recoveries: uint256
    losses: uint256
    dq30_count: uint256
    dq30_balance: uint256
    dq60_count: uint256
    dq60_balance: uint256
    dq90_count: uint256
    dq90_balance: uint256
    foreclosure_count: uint256
    foreclosure_balance: uint256
    reo_count: uint256
    reo_balance: uint256
    loans_root: bytes32


struct SpokeReport:
    deal: bytes32
    subpool_balance: uint256
    report: Report


#: 19 words, abi_encode of SpokeReport
BODY_BYTES: constant(uint256) = 608

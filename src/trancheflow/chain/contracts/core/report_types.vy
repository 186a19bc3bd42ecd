# pragma version ==0.4.3
"""
@title Report types
@custom:contract-name report_types
@license Apache-2.0
@notice The servicer report and the waterfall inputs derived from it,
        shared by `Deal.vy` and `core/ReportOracle.vy` (one definition, so
        the two contracts' ABIs agree by construction).
"""


# @dev The servicer report (EIP-712 typed data "Report"). dq90 = 90+ days.
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


# @dev What the waterfall needs from a report; its keccak is committed at
# submission and re-checked at `finalize`, which takes it as calldata.
struct PeriodInput:
    period: uint256
    interest: uint256
    scheduled_principal: uint256
    prepayments: uint256
    recoveries: uint256
    losses: uint256
    delinquent_60_plus: uint256

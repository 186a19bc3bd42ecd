# pragma version ==0.4.3
"""
@title Deal administration (module)
@custom:contract-name admin
@license Apache-2.0
@notice Governance setters that touch neither cash nor reports: guardian,
        dispute window of future reports, trigger thresholds (within the
        bounds fixed at deployment), the tranche tokens' compliance hook,
        and the guardian pause. Owner = the governance timelock (snekmate
        ownable, two-step in `Deal.vy`).
"""

from snekmate.auth import ownable

from . import ledger
from ..interfaces import IWaterfallEngine

uses: ledger
uses: ownable


interface ITokenConfig:
    def set_config(paused: uint256, compliance: address): nonpayable


# @dev Dispute windows are stored in 61 bits of the pending-report word.
WINDOW_MASK: constant(uint256) = 2**61 - 1

guardian: public(address)
# @dev Seconds a NEW report stays vetoable (a submitted report keeps its own).
dispute_window: public(uint256)
# @dev The tranche tokens' transfer-restriction hook (0 = none).
compliance: public(address)
# @dev Receives the residual (claimable by pull, `Deal.claim_residual`).
residual_holder: public(address)


event GuardianSet:
    guardian: indexed(address)


event Paused:
    by: indexed(address)
    paused: uint256


event Unpaused:
    by: indexed(address)
    paused: uint256


event DisputeWindowSet:
    dispute_window: uint256


event TriggerThresholdSet:
    trigger: indexed(uint256)
    threshold: uint256


event ComplianceSet:
    compliance: indexed(address)


event ResidualHolderSet:
    holder: indexed(address)


event InsuranceFundSet:
    fund: indexed(address)
    premium_rate: uint256


event LiquidationSet:
    liquidation: indexed(address)


@external
def set_guardian(guardian: address):
    """
    @notice Replaces the guardian. Owner only.
    @param guardian The new guardian.
    """
    ownable._check_owner()
    assert guardian != empty(address), "deal: zero guardian"
    self.guardian = guardian
    log GuardianSet(guardian=guardian)


@external
def set_dispute_window(dispute_window: uint256):
    """
    @notice Sets the dispute window of reports submitted from now on (a
            pending report keeps its own). Owner (governance) only.
    @param dispute_window Seconds, < 2**61.
    """
    ownable._check_owner()
    self._set_window(dispute_window)
    log DisputeWindowSet(dispute_window=dispute_window)


@external
def set_trigger_threshold(trigger_id: uint256, threshold: uint256):
    """
    @notice Moves trigger `trigger_id`'s threshold within the bounds fixed
            at deployment (`trigger_threshold`). Owner only. A trigger
            already breached stays breached (sticky).
    @param trigger_id The trigger (spec order).
    @param threshold New threshold at RATE_SCALE.
    """
    ownable._check_owner()
    ledger._check_trigger(trigger_id)
    tw: uint256 = staticcall IWaterfallEngine(ledger.ENGINE).trigger_word(trigger_id)
    assert (tw >> 64) & ledger.MASK64 <= threshold and threshold <= (tw >> 128) & ledger.MASK64, "deal: threshold out of bounds"
    w: uint256 = trigger_id // 4
    bit: uint256 = 64 * (trigger_id % 4)
    ledger.trig_threshold[w] = (ledger.trig_threshold[w] & ~(ledger.MASK64 << bit)) | (threshold << bit)
    log TriggerThresholdSet(trigger=trigger_id, threshold=threshold)


@external
def set_compliance(compliance: address):
    """
    @notice Replaces the tranche tokens' transfer-restriction hook (0 =
            none). Owner only; allowed while a report is pending. Claims
            are never gated.
    @param compliance The new hook.
    """
    ownable._check_owner()
    self.compliance = compliance
    self._push_token_config(ledger._paused(), compliance)
    log ComplianceSet(compliance=compliance)


@external
def pause(what: uint256):
    """
    @notice Pauses issuance (PAUSE_ISSUANCE), tranche transfers
            (PAUSE_TRANSFERS) and/or new reports (PAUSE_REPORTS). The
            guardian or the owner. Never pauses claims, payouts or
            finalizing a submitted report. Only the owner unpauses.
    @param what OR of the PAUSE_* bits to add.
    """
    assert msg.sender == self.guardian or msg.sender == ownable.owner, "deal: caller is not the guardian"
    assert what != 0, "deal: nothing to pause"
    self._check_pause_bits(what)
    st: uint256 = ledger.state
    paused: uint256 = ((st >> ledger.PAUSE_SHIFT) & ledger.PAUSE_ALL) | what
    ledger.state = st | (what << ledger.PAUSE_SHIFT)
    self._push_token_config(paused, self.compliance)
    log Paused(by=msg.sender, paused=paused)


@external
def unpause(what: uint256):
    """
    @notice Lifts the PAUSE_* bits in `what`. Owner only.
    @param what OR of the PAUSE_* bits to clear.
    """
    ownable._check_owner()
    self._check_pause_bits(what)
    st: uint256 = ledger.state & ~(what << ledger.PAUSE_SHIFT)
    ledger.state = st
    paused: uint256 = (st >> ledger.PAUSE_SHIFT) & ledger.PAUSE_ALL
    self._push_token_config(paused, self.compliance)
    log Unpaused(by=msg.sender, paused=paused)


@external
def set_insurance_fund(fund: address, premium_rate: uint256):
    """
    @notice Attaches, replaces or (0) detaches the first-loss fund and sets
            its premium rate. Owner only; allowed while a report is pending
            (escape hatch). Premium still owed is pushed to whichever fund
            is attached at the next push.
    @param fund InsuranceFund bound to this deal, or 0.
    @param premium_rate Annual premium at RATE_SCALE (0 without a fund).
    """
    ownable._check_owner()
    self._set_fund(fund, premium_rate)
    st: uint256 = ledger.state & ~ledger.FLAG_FUND
    if fund != empty(address):
        st |= ledger.FLAG_FUND
    ledger.state = st
    log InsuranceFundSet(fund=fund, premium_rate=premium_rate)


@external
def set_liquidation(liquidation: address):
    """
    @notice Attaches, replaces or (0) detaches the liquidation contract.
            Proceeds already taken and not yet applied stay with the deal.
            Owner only; allowed while a report is pending (escape hatch).
    @param liquidation Liquidation.vy deployed for this deal, or 0.
    """
    ownable._check_owner()
    ledger.liquidation = liquidation
    st: uint256 = ledger.state & ~ledger.FLAG_LIQ
    if liquidation != empty(address):
        st |= ledger.FLAG_LIQ
    ledger.state = st
    log LiquidationSet(liquidation=liquidation)


@external
def set_residual_holder(holder: address):
    """
    @notice Transfers the residual interest. Current residual holder only.
    @param holder The new residual holder.
    """
    assert msg.sender == self.residual_holder, "deal: caller is not the residual holder"
    assert holder != empty(address), "deal: zero residual holder"
    self.residual_holder = holder
    log ResidualHolderSet(holder=holder)


@internal
def _set_fund(fund: address, premium_rate: uint256):
    """
    @notice Stores the first-loss fund (0 = none) and its premium rate.
    @param fund The fund, or 0.
    @param premium_rate Annual rate at RATE_SCALE (0 without a fund).
    """
    assert premium_rate <= ledger.RATE_SCALE, "deal: premium rate above 100%"
    assert fund != empty(address) or premium_rate == 0, "deal: premium without a fund"
    ledger.insurance_fund = fund
    ledger.insurance_premium_rate = premium_rate


@internal
def _set_window(dispute_window: uint256):
    """
    @notice Stores the dispute window of future reports.
    @param dispute_window Seconds, < 2**61.
    """
    assert dispute_window <= WINDOW_MASK, "deal: dispute window out of range"
    self.dispute_window = dispute_window


@internal
@pure
def _check_pause_bits(what: uint256):
    """
    @notice Reverts unless `what` holds only PAUSE_* bits.
    @param what The bits.
    """
    assert what & ledger.PAUSE_ALL == what, "deal: unknown pause bits"


@internal
def _push_token_config(paused: uint256, compliance: address):
    """
    @notice Tells every tranche token the pause bits and compliance hook.
    @param paused PAUSE_* bits.
    @param compliance The hook (or 0).
    """
    for i: uint256 in range(ledger.N_TRANCHES, bound=ledger.MAX_TRANCHES):
        extcall ITokenConfig(ledger._token(i)).set_config(paused, compliance)

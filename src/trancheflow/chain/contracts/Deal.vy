# pragma version ==0.4.3
"""
@title Deal
@custom:contract-name Deal
@license Apache-2.0
@notice The on-chain execution of a trancheflow deal and the address its
        tranche tokens, first-loss fund and liquidation contract know as
        "the deal": holds the settlement token, takes one servicer report
        per period (attested by M-of-N oracle signers through its
        `ReportOracle`), keeps it open for a dispute window, then runs the
        waterfall of docs/waterfall.md to the unit (`core/waterfall.vy`
        over `core/ledger.vy`) and credits each tranche token's holder
        index. Holders, fee recipients, the residual holder and the
        servicer (refunds) are paid by PULL.

        Contracts of a deal: this one; `core/ReportOracle.vy` (signers,
        EIP-712 digest, banned digests, loan-root registry), deployed from
        a blueprint in the constructor; one `TrancheToken` per tranche
        (blueprint). Integrations (fund, liquidation) are reached only
        through `core/isolation.vy`.
@custom:security Fault isolation (TECH_SPEC.md I17): no attached contract
                 and no token behaviour can stop a period from finalizing
                 or a holder from claiming. A veto disputes a report (it
                 cannot finalize and its loss stays pending) until
                 governance upholds or discards it; a discarded report's
                 digest is banned forever. All state-changing functions
                 share one non-reentrancy lock.
"""

from ethereum.ercs import IERC20
from snekmate.auth import ownable
from snekmate.auth import ownable_2step

from .core import admin
from .core import isolation
from .core import ledger
from .core import oracle_link
from .core import report_types
from .core import settle
from .interfaces import IDeal
from .interfaces import ITrancheToken

implements: IDeal

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: ledger
initializes: settle[ledger := ledger]
initializes: admin[ledger := ledger, ownable := ownable]
initializes: oracle_link[ledger := ledger, ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    ledger.MAX_TRANCHES,
    ledger.RATE_SCALE,
    ledger.PAUSE_ISSUANCE,
    ledger.PAUSE_TRANSFERS,
    ledger.PAUSE_REPORTS,
    ledger.SETTLEMENT,
    ledger.SPEC_HASH,
    ledger.TAPE_ROOT,
    ledger.ORIGINAL_POOL_BALANCE,
    ledger.ENGINE,
    ledger.residual_owed,
    ledger.premium_owed,
    ledger.insurance_fund,
    ledger.insurance_premium_rate,
    ledger.liquidation,
    ledger.auction_proceeds_carried,
    ledger.tranche_count,
    ledger.tranche_token,
    ledger.tranche_balance,
    ledger.interest_shortfall,
    ledger.tranche_params,
    ledger.fee_count,
    ledger.fee_state,
    ledger.pool_balance,
    ledger.cumulative_loss,
    ledger.reserve,
    ledger.period,
    ledger.breached,
    ledger.principal_rule,
    ledger.paused,
    ledger.trigger_threshold,
    admin.guardian,
    admin.dispute_window,
    admin.compliance,
    admin.set_guardian,
    admin.set_dispute_window,
    admin.set_trigger_threshold,
    admin.set_compliance,
    admin.pause,
    admin.unpause,
    admin.residual_holder,
    admin.set_residual_holder,
    admin.set_insurance_fund,
    admin.set_liquidation,
    oracle_link.ORACLE,
    oracle_link.set_signer,
    oracle_link.set_quorum,
    oracle_link.verify_loan,
    oracle_link.latest_loan_root,
    oracle_link.root_period,
    oracle_link.is_signer,
    oracle_link.quorum,
    oracle_link.signer_count,
    isolation.isolated_step,
)

MAX_SIGNERS: constant(uint256) = 16
# @dev `_pending`: flag (bit 255) | disputed (bit 254) | loss (bit 253) |
# dispute window (bits 192..252) | submitted_at (bits 128..191) | cash (low
# 128). One word: finalize reads and clears only it and `pending_hash`.
_PENDING_FLAG: constant(uint256) = 2**255
_DISPUTED: constant(uint256) = 2**254
_LOSS: constant(uint256) = 2**253
# @dev After its window plus this long, governance may discard a report
# that has not finalized (liveness escape hatch).
DISCARD_AFTER: public(constant(uint256)) = 7 * 86_400

servicer: public(address)
closed: public(bool)
# @dev keccak256(abi_encode(PeriodInput)) of the report awaiting finalization.
pending_hash: public(bytes32)
_pending: uint256
# @dev EIP-712 digest of the pending report (banned if discarded after a veto).
pending_digest: public(bytes32)
# @dev Cash of discarded reports, owed back to the servicer that sent it.
refund_owed: public(HashMap[address, uint256])


event Closed:
    issuer: indexed(address)


event ReportDisputed:
    period: indexed(uint256)
    by: indexed(address)


event ReportUpheld:
    period: indexed(uint256)
    by: indexed(address)


event ReportVetoed:
    period: indexed(uint256)
    by: indexed(address)
    cash_returned: uint256


event Paid:
    tranche: indexed(uint256)
    holder: indexed(address)
    amount: uint256


event FeeClaimed:
    fee: indexed(uint256)
    recipient: indexed(address)
    amount: uint256


event ResidualClaimed:
    holder: indexed(address)
    amount: uint256


event RefundClaimed:
    servicer: indexed(address)
    amount: uint256


event ServicerSet:
    servicer: indexed(address)


@deploy
def __init__(
    settlement: address,
    token_blueprint: address,
    engine_blueprint: address,
    oracle_blueprint: address,
    spec_hash: bytes32,
    tape_root: bytes32,
    pool_balance: uint256,
    tranches: DynArray[ledger.TrancheParams, ledger.MAX_TRANCHES],
    fees: DynArray[ledger.FeeParams, ledger.MAX_FEES],
    principal_rule: uint8,
    reserve_target: uint256,
    reserve_floor: uint256,
    oc_target: uint256,
    triggers: DynArray[ledger.TriggerParams, ledger.MAX_TRIGGERS],
    signers: DynArray[address, MAX_SIGNERS],
    quorum: uint256,
    dispute_window: uint256,
    servicer: address,
    guardian: address,
    residual_holder: address,
    compliance: address,
    insurance_fund: address,
    premium_rate: uint256,
    liquidation: address,
    trigger_bounds: DynArray[ledger.ThresholdBounds, ledger.MAX_TRIGGERS],
):
    """
    @notice Creates the deal, its ReportOracle (from `oracle_blueprint`)
            and one TrancheToken per tranche (from `token_blueprint`). The
            deployer becomes the owner (hand it to the governance timelock
            with `transfer_ownership` / `accept_ownership`).
    @param settlement The settlement token (e.g. USDC); amounts are its units.
    @param token_blueprint Blueprint of TrancheToken.
    @param engine_blueprint Blueprint of core/WaterfallEngine.
    @param oracle_blueprint Blueprint of core/ReportOracle.
    @param spec_hash keccak256 of the canonical JSON of the deal spec.
    @param tape_root Merkle root of the loan tape at closing.
    @param pool_balance Initial pool balance (units), > 0.
    @param tranches Non-residual tranches, most senior first.
    @param fees Fees in spec order (rate at RATE_SCALE on the pool balance).
    @param principal_rule 0 sequential, 1 pro rata.
    @param reserve_target Reserve target at RATE_SCALE of the pool balance.
    @param reserve_floor Reserve floor (units).
    @param oc_target OC target at RATE_SCALE of the pool balance.
    @param triggers Triggers in spec order.
    @param signers Oracle signers (distinct, non-zero).
    @param quorum M of the M-of-N attestation, 1 <= M <= N.
    @param dispute_window Seconds a report stays vetoable before finalizing.
    @param servicer The only address that may submit reports.
    @param guardian May veto reports and pause.
    @param residual_holder Receives the residual.
    @param compliance Transfer-restriction hook for the tranche tokens (or 0).
    @param insurance_fund First-loss fund or 0 for none.
    @param premium_rate Annual premium at RATE_SCALE (0 without a fund).
    @param liquidation Liquidation contract or 0 for none.
    @param trigger_bounds Per trigger, the range governance may move its
           threshold within; empty = every threshold fixed.
    """
    assert servicer != empty(address), "deal: zero servicer"
    assert guardian != empty(address), "deal: zero guardian"
    assert residual_holder != empty(address), "deal: zero residual holder"
    ownable.__init__()
    ownable_2step.__init__()
    ledger.__init__(
        settlement, token_blueprint, engine_blueprint, spec_hash, tape_root, pool_balance, tranches, fees,
        principal_rule, reserve_target, reserve_floor, oc_target, triggers, trigger_bounds,
        compliance,
    )
    oracle_link.__init__(oracle_blueprint, signers, quorum)
    admin._set_window(dispute_window)
    admin.guardian = guardian
    admin.compliance = compliance
    self.servicer = servicer
    admin.residual_holder = residual_holder
    admin._set_fund(insurance_fund, premium_rate)
    ledger.liquidation = liquidation
    flags: uint256 = 0
    if insurance_fund != empty(address):
        flags |= ledger.FLAG_FUND
    if liquidation != empty(address):
        flags |= ledger.FLAG_LIQ
    ledger.state = flags


# ------------------------------------------------------------------ admin
@external
@nonreentrant
def close(issuer: address):
    """
    @notice Closing: mints every tranche's original face to `issuer`.
            Owner only, once.
    @param issuer Receives all tranche tokens.
    """
    ownable._check_owner()
    assert not self.closed, "deal: already closed"
    assert issuer != empty(address), "deal: zero issuer"
    assert ledger._paused() & ledger.PAUSE_ISSUANCE == 0, "deal: issuance paused"
    self.closed = True
    for i: uint256 in range(ledger.N_TRANCHES, bound=ledger.MAX_TRANCHES):
        extcall ITrancheToken(ledger._token(i)).mint_face(issuer)
    log Closed(issuer=issuer)


@external
def set_servicer(servicer: address):
    """
    @notice Replaces the servicer. Owner only; refused while a report is
            pending (discard it first: its cash is owed back to the sender).
    @param servicer The new servicer.
    """
    ownable._check_owner()
    assert servicer != empty(address), "deal: zero servicer"
    assert self._pending == 0, "deal: report pending"
    self.servicer = servicer
    log ServicerSet(servicer=servicer)


# ------------------------------------------------------------------ reports
@external
@nonreentrant
def stage(
    servicer: address, period: uint256, cash: uint256, outflow: uint256, losses: bool,
    inputs_hash: bytes32, digest: bytes32
):
    """
    @notice Makes an attested report pending: the ReportOracle calls it from
            `submit_report` after checking the signatures and the auction
            proceeds bound. Checks the servicer, closing, the report pause,
            the period and reported principal + losses <= pool balance,
            then pulls exactly `cash` from the servicer and checks the
            balance rose by that much. ReportOracle only.
    @param servicer The caller of `ReportOracle.submit_report`.
    @param period The report's period.
    @param cash interest + scheduled principal + prepayments + recoveries.
    @param outflow scheduled principal + prepayments + recoveries + losses.
    @param losses Whether the report carries realized losses.
    @param inputs_hash keccak256(abi_encode(PeriodInput)).
    @param digest The report's EIP-712 digest.
    """
    assert msg.sender == oracle_link.ORACLE, "deal: caller is not the oracle"
    assert servicer == self.servicer, "deal: caller is not the servicer"
    assert self.closed, "deal: not closed"
    assert self._pending == 0, "deal: report pending"
    st: uint256 = ledger.state
    assert (st >> ledger.PAUSE_SHIFT) & ledger.PAUSE_REPORTS == 0, "deal: reports paused"
    assert period == ((st >> 128) & ledger.MASK64) + 1, "deal: wrong period"
    assert outflow <= ledger.pool & ledger.MASK128, "deal: principal and losses exceed pool balance"
    assert cash <= ledger.MASK128, "deal: cash exceeds 128 bits"
    self.pending_hash = inputs_hash
    self.pending_digest = digest
    pending: uint256 = _PENDING_FLAG | (admin.dispute_window << 192) | (block.timestamp << 128) | cash
    if losses:
        pending |= _LOSS
    self._pending = pending
    if cash > 0:
        before: uint256 = staticcall IERC20(ledger.SETTLEMENT).balanceOf(self)
        assert extcall IERC20(ledger.SETTLEMENT).transferFrom(
            servicer, self, cash, default_return_value=True
        ), "deal: transferFrom failed"
        after: uint256 = staticcall IERC20(ledger.SETTLEMENT).balanceOf(self)
        assert after - before == cash, "deal: deposited cash differs from reported cash"


@external
@nonreentrant
def veto():
    """
    @notice Disputes the pending report during its dispute window: it
            cannot finalize, and its loss stays pending (no fund exit
            ahead of it), until governance upholds (`uphold_report`) or
            discards (`discard_report`) it. A registered signer or the
            guardian only.
    """
    assert msg.sender == admin.guardian or oracle_link._is_signer(msg.sender), "deal: caller cannot veto"
    pending: uint256 = self._pending
    assert pending != 0, "deal: no pending report"
    assert pending & _DISPUTED == 0, "deal: report already disputed"
    assert block.timestamp < self._window_end(pending), "deal: dispute window closed"
    self._pending = pending | _DISPUTED
    log ReportDisputed(period=ledger._period() + 1, by=msg.sender)


@external
@nonreentrant
def uphold_report():
    """
    @notice Governance rejects a dispute: the report may finalize once its
            window has passed. Owner only.
    """
    ownable._check_owner()
    pending: uint256 = self._pending
    assert pending & _DISPUTED != 0, "deal: report not disputed"
    self._pending = pending & ~_DISPUTED
    log ReportUpheld(period=ledger._period() + 1, by=msg.sender)


@external
@nonreentrant
def discard_report():
    """
    @notice Governance drops the pending report: a disputed one at any
            time (its digest is then banned forever), any other one only
            DISCARD_AFTER seconds after its window closed (liveness escape
            hatch). Its cash is owed back to the servicer (`claim_refund`);
            the period stays open. Owner only.
    """
    ownable._check_owner()
    pending: uint256 = self._pending
    assert pending != 0, "deal: no pending report"
    if pending & _DISPUTED != 0:
        oracle_link._ban(self.pending_digest)
    else:
        assert block.timestamp >= self._window_end(pending) + DISCARD_AFTER, "deal: report not stale"
    cash: uint256 = pending & ledger.MASK128
    self._pending = 0
    self.pending_hash = empty(bytes32)
    self.pending_digest = empty(bytes32)
    if cash > 0:
        self.refund_owed[self.servicer] += cash
    log ReportVetoed(period=ledger._period() + 1, by=msg.sender, cash_returned=cash)


@external
@nonreentrant
def finalize(inputs: report_types.PeriodInput):
    """
    @notice After the dispute window anyone may finalize the pending,
            undisputed report: runs the waterfall and credits the tranche
            indexes. `inputs` must hash to the commitment stored at
            submission. Never paused; no attached contract can make it
            revert (isolation), but the caller must leave the integration
            stipend when a fund or liquidation is attached.
    @param inputs The pending report's PeriodInput.
    """
    pending: uint256 = self._pending
    assert pending != 0, "deal: no pending report"
    assert pending & _DISPUTED == 0, "deal: report disputed"
    assert block.timestamp >= self._window_end(pending), "deal: dispute window open"
    assert keccak256(abi_encode(inputs)) == self.pending_hash, "deal: inputs differ from the pending report"
    self._pending = 0
    self.pending_hash = empty(bytes32)
    auction: uint256 = 0
    if ledger.state & ledger.FLAG_LIQ != 0:
        auction = self._take_proceeds(inputs)
    settle._finalize(inputs, auction)


@external
@nonreentrant
def push_premium() -> uint256:
    """
    @notice Retries pushing the premium still owed to the attached fund
            (after a failed push at finalize). Anyone.
    @return uint256 Premium still owed afterwards.
    """
    fund: address = ledger.insurance_fund
    if fund != empty(address):
        settle._push_premium(fund, 0)
    return ledger.premium_owed


# ------------------------------------------------------------------ payouts
@external
@nonreentrant
def pay(tranche_id: uint256, holder: address, amount: uint256):
    """
    @notice Transfers `amount` to `holder` on behalf of tranche
            `tranche_id`. Only that tranche's token may call.
    @param tranche_id The tranche.
    @param holder The claiming holder.
    @param amount Units to pay.
    """
    assert tranche_id < ledger.N_TRANCHES and msg.sender == ledger._token(tranche_id), "deal: caller is not the tranche token"
    ledger._send(holder, amount)


@external
@nonreentrant
def claim_fee(fee_id: uint256) -> uint256:
    """
    @notice Pays fee `fee_id`'s accrued amount to its fixed recipient.
    @param fee_id The fee (spec order).
    @return uint256 Units paid.
    """
    ledger._check_fee(fee_id)
    state: uint256 = ledger.fees_state[fee_id]
    amount: uint256 = state >> 128
    if amount == 0:
        return 0
    ledger.fees_state[fee_id] = state & ledger.MASK128
    recipient: address = convert(ledger.FEE[fee_id] & ledger.MASK160, address)
    ledger._send(recipient, amount)
    log FeeClaimed(fee=fee_id, recipient=recipient, amount=amount)
    return amount


@external
@nonreentrant
def claim_residual() -> uint256:
    """
    @notice Pays the accrued residual to the residual holder.
    @return uint256 Units paid.
    """
    amount: uint256 = ledger.residual_owed
    if amount == 0:
        return 0
    ledger.residual_owed = 0
    holder: address = admin.residual_holder
    ledger._send(holder, amount)
    log ResidualClaimed(holder=holder, amount=amount)
    return amount


@external
@nonreentrant
def claim_refund() -> uint256:
    """
    @notice Pays the caller the cash of its discarded reports.
    @return uint256 Units paid.
    """
    amount: uint256 = self.refund_owed[msg.sender]
    if amount == 0:
        return 0
    self.refund_owed[msg.sender] = 0
    ledger._send(msg.sender, amount)
    log RefundClaimed(servicer=msg.sender, amount=amount)
    return amount


# ------------------------------------------------------------------ views
@external
@view
def pending_report() -> (bool, uint256, uint256, bytes32):
    """
    @notice The pending report, if any.
    @return bool Whether one is pending.
    @return uint256 Its submission timestamp.
    @return uint256 The cash it deposited.
    @return bytes32 Its PeriodInput commitment.
    """
    p: uint256 = self._pending
    return p != 0, (p >> 128) & ledger.MASK64, p & ledger.MASK128, self.pending_hash


@external
@view
def loss_pending() -> bool:
    """
    @notice True while a submitted report carrying realized losses has not
            finalized, including while it is disputed (the insurance fund
            blocks withdrawals meanwhile: no exit ahead of a known loss).
    @return bool The flag.
    """
    return self._pending & _LOSS != 0


@external
@view
def disputed() -> bool:
    """
    @notice Whether the pending report is disputed (awaits governance).
    @return bool The flag.
    """
    return self._pending & _DISPUTED != 0


@external
@view
def DISPUTE_WINDOW() -> uint256:
    """
    @notice Seconds the pending report stays vetoable, or, when none is
            pending, the window the next report will get.
    @return uint256 Seconds.
    """
    p: uint256 = self._pending
    if p != 0:
        return (p >> 192) & admin.WINDOW_MASK
    return admin.dispute_window


# ------------------------------------------------------------------ internal
@internal
@pure
def _window_end(pending: uint256) -> uint256:
    """
    @notice End of the pending report's dispute window.
    @param pending The `_pending` word.
    @return uint256 Timestamp.
    """
    return ((pending >> 128) & ledger.MASK64) + ((pending >> 192) & admin.WINDOW_MASK)


@internal
def _take_proceeds(inp: report_types.PeriodInput) -> uint256:
    """
    @notice Takes the liquidation's held proceeds (isolated: when the take
            fails they stay there, for the next period) and returns the
            part applied as recoveries: min(carried + taken, pool balance -
            reported principal - losses); the rest is carried.
    @param inp The period's reported inputs.
    @return uint256 Auction proceeds applied (units).
    """
    ok: bool = False
    taken: uint256 = 0
    ok, taken = isolation._try(isolation.OP_PROCEEDS, ledger.SETTLEMENT, ledger.liquidation, 0)
    carried_before: uint256 = ledger.auction_proceeds_carried
    avail: uint256 = carried_before + taken
    # submission checked principal + losses <= pool, so this cannot underflow
    room: uint256 = (ledger.pool & ledger.MASK128) - inp.scheduled_principal - inp.prepayments - inp.recoveries - inp.losses
    applied: uint256 = min(avail, room)
    carried: uint256 = avail - applied
    if carried != carried_before:
        ledger.auction_proceeds_carried = carried
    return applied

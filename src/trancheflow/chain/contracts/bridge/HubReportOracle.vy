# pragma version ==0.4.3
"""
@title HubReportOracle
@custom:contract-name HubReportOracle
@license Apache-2.0
@notice The report oracle of a hub deal (a deal pooling spoke sub-pools over
        Hyperlane). Deployed by the deal from its EIP-5202 blueprint exactly
        as core/ReportOracle.vy (same constructor, same interface, same
        EIP-712 signed path, same root registry and ReportSubmitted event),
        with one more path: the HUB-REPORTER path. Once the deal's owner has
        bound a HubInbox and deal id (`bind_inbox`, once), anyone may call
        `push_report(period)` after the inbox closed `period`: the oracle
        reads the inbox's summed report (each spoke report in it was
        verified by that spoke's own Hyperlane validator quorum), and, being
        the deal's servicer, approves the deal for exactly the report's cash
        (which the spokes bridged here through the warp routes and their
        InboundLimiters) and has the deal stage it. Veto, dispute window,
        governance and finalize are the deal's, unchanged; a report pushed
        here can be vetoed like any other.
@custom:security The signed path is untouched: an EOA servicer with M-of-N
                 signatures can still report (the deal owner sets the
                 servicer back with `Deal.set_servicer`), so a stuck inbox or
                 a limiter holding cash cannot freeze the deal. The binding is
                 one-time and owner-only; nothing here loops over holders.
"""

from snekmate.utils import ecdsa
from snekmate.utils import merkle_proof_verification as merkle

from ..core import report_types
from ..interfaces import IReportOracle
from ..interfaces import IReportSink
from ethereum.ercs import IERC20
import spoke_report

interface IHubInbox:
    def open_period(deal: bytes32) -> uint256: view
    def summed_report(deal: bytes32, period: uint256) -> spoke_report.Report: view

interface IOwnedDeal:
    def owner() -> address: view
    def SETTLEMENT() -> address: view
    def claim_refund() -> uint256: nonpayable

implements: IReportOracle

MAX_SIGNERS: constant(uint256) = 16

_DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_NAME_HASH: constant(bytes32) = keccak256("trancheflow Deal")
_VERSION_HASH: constant(bytes32) = keccak256("1")
# @dev EIP-712 type of the servicer report; field order == struct Report.
_REPORT_TYPEHASH: constant(bytes32) = keccak256(
    "Report(uint256 period,uint256 interest,uint256 scheduledPrincipal,uint256 prepayments,uint256 recoveries,uint256 losses,uint256 dq30Count,uint256 dq30Balance,uint256 dq60Count,uint256 dq60Balance,uint256 dq90Count,uint256 dq90Balance,uint256 foreclosureCount,uint256 foreclosureBalance,uint256 reoCount,uint256 reoBalance,bytes32 loansRoot)"
)

event ReportSubmitted:
    period: indexed(uint256)
    digest: bytes32
    inputs_hash: bytes32
    cash: uint256
    report: report_types.Report


# @dev The deal this oracle attests for (its EIP-712 verifying contract).
DEAL: public(immutable(address))

is_signer: public(HashMap[address, bool])
signer_count: public(uint256)
quorum: public(uint256)
# @dev Digests of reports governance discarded after a veto: never again.
banned: public(HashMap[bytes32, bool])
# @dev Loan-level root -> the period it was last attached to.
root_period: public(HashMap[bytes32, uint256])
# @dev Period -> the loan-level root of its last submitted report.
period_root: public(HashMap[uint256, bytes32])
# @dev The bound HubInbox (zero until `bind_inbox`) and the deal id there.
inbox: public(address)
inbox_deal: public(bytes32)
# @dev No events of its own: indexers decode this oracle with ReportOracle's
#      ABI; a push is its ReportSubmitted, a binding the deal's ServicerSet.


@deploy
def __init__(deal: address, signers: DynArray[address, MAX_SIGNERS], quorum: uint256):
    """
    @notice Registers the signers and quorum of `deal`.
    @param deal The deal (the EIP-712 verifying contract).
    @param signers Oracle signers (distinct, non-zero).
    @param quorum M of the M-of-N attestation, 1 <= M <= N.
    """
    assert quorum > 0 and quorum <= len(signers), "deal: quorum out of range"
    DEAL = deal
    for s: address in signers:
        assert s != empty(address), "deal: zero signer"
        assert not self.is_signer[s], "deal: duplicate signer"
        self.is_signer[s] = True
    self.signer_count = len(signers)
    self.quorum = quorum


@external
@nonreentrant
def submit_report(report: report_types.Report, signatures: DynArray[Bytes[65], MAX_SIGNERS]):
    """
    @notice The servicer submits the next period's report, attested by at
            least `quorum` registered signers (EIP-712 over the deal and
            this chain; signatures in strictly ascending signer order, so a
            repeated signer is rejected); a digest governance discarded
            after a veto is refused forever. The deal (`Deal.stage`) then
            checks the servicer, period, pause and bounds and pulls exactly
            interest + scheduled principal + prepayments + recoveries (the
            servicer approves THE DEAL).
    @param report The report.
    @param signatures 65-byte secp256k1 signatures over `report_digest(report)`.
    """
    digest: bytes32 = self._digest(report)
    assert not self.banned[digest], "deal: report was vetoed"
    last: uint256 = 0
    count: uint256 = 0
    for sig: Bytes[65] in signatures:
        signer: address = ecdsa._recover_sig(digest, sig)
        assert self.is_signer[signer], "deal: signature from a non-signer"
        as_int: uint256 = convert(signer, uint256)
        assert as_int > last, "deal: signers not strictly ascending"
        last = as_int
        count += 1
    assert count >= self.quorum, "deal: quorum not met"
    self._accept(report, digest, msg.sender)


@external
def bind_inbox(inbox: address, deal_id: bytes32):
    """
    @notice Binds the HubInbox whose summed reports this deal accepts on the
            hub-reporter path, and the deal's id there. The deal's owner,
            once.
    @param inbox The HubInbox on this (hub) chain.
    @param deal_id The deal id the inbox keys the deal by.
    """
    assert msg.sender == staticcall IOwnedDeal(DEAL).owner(), "hub oracle: only deal owner"
    assert self.inbox == empty(address), "hub oracle: inbox already bound"
    assert inbox != empty(address) and deal_id != empty(bytes32), "hub oracle: zero inbox or deal"
    self.inbox = inbox
    self.inbox_deal = deal_id


@external
@nonreentrant
def push_report(period: uint256):
    """
    @notice The hub-reporter path: stages the inbox's summed report for
            `period` (closed there) on the deal, paying its cash from the
            spokes' bridged collections held here. Anyone may call; the
            deal checks period order, servicer (this contract), pause and
            bounds; a digest banned after a veto stays banned.
    @param period The hub period (closed in the inbox).
    """
    inbox: address = self.inbox
    assert inbox != empty(address), "hub oracle: no inbox bound"
    assert staticcall IHubInbox(inbox).open_period(self.inbox_deal) > period, "hub oracle: period not closed in the inbox"
    s: spoke_report.Report = staticcall IHubInbox(inbox).summed_report(self.inbox_deal, period)
    report: report_types.Report = report_types.Report(
        period=s.period,
        interest=s.interest,
        scheduled_principal=s.scheduled_principal,
        prepayments=s.prepayments,
        recoveries=s.recoveries,
        losses=s.losses,
        dq30_count=s.dq30_count,
        dq30_balance=s.dq30_balance,
        dq60_count=s.dq60_count,
        dq60_balance=s.dq60_balance,
        dq90_count=s.dq90_count,
        dq90_balance=s.dq90_balance,
        foreclosure_count=s.foreclosure_count,
        foreclosure_balance=s.foreclosure_balance,
        reo_count=s.reo_count,
        reo_balance=s.reo_balance,
        loans_root=s.loans_root,
    )
    digest: bytes32 = self._digest(report)
    assert not self.banned[digest], "deal: report was vetoed"
    cash: uint256 = s.interest + s.scheduled_principal + s.prepayments + s.recoveries
    token: address = staticcall IOwnedDeal(DEAL).SETTLEMENT()
    assert staticcall IERC20(token).balanceOf(self) >= cash, "hub oracle: bridged cash not yet released"
    assert extcall IERC20(token).approve(DEAL, cash, default_return_value=True), "hub oracle: approve failed"
    self._accept(report, digest, self)


@external
def reclaim_refund() -> uint256:
    """
    @notice Takes back, from the deal, the cash of pushed reports governance
            discarded (they were paid from here). Anyone may call.
    @return The amount returned to this contract.
    """
    return extcall IOwnedDeal(DEAL).claim_refund()


@internal
def _accept(report: report_types.Report, digest: bytes32, servicer: address):
    """
    @notice Registers the report's root and has the deal stage it, paying
            its cash from `servicer` (shared by both paths).
    @param report The report.
    @param digest Its EIP-712 digest.
    @param servicer Who pays the cash (the caller, or this contract).
    """
    root: bytes32 = report.loans_root
    self.period_root[report.period] = root
    q: uint256 = self.root_period[root]
    # attach the root to this period only when it is not the live root of
    # an earlier period (a reused root keeps its earlier period provable)
    if q == 0 or q == report.period or self.period_root[q] != root:
        self.root_period[root] = report.period

    inputs: report_types.PeriodInput = report_types.PeriodInput(
        period=report.period,
        interest=report.interest,
        scheduled_principal=report.scheduled_principal,
        prepayments=report.prepayments,
        recoveries=report.recoveries,
        losses=report.losses,
        delinquent_60_plus=report.dq60_balance
        + report.dq90_balance
        + report.foreclosure_balance
        + report.reo_balance,
    )
    inputs_hash: bytes32 = keccak256(abi_encode(inputs))
    principal: uint256 = report.scheduled_principal + report.prepayments + report.recoveries
    cash: uint256 = report.interest + principal
    outflow: uint256 = principal + report.losses
    liq: address = staticcall IReportSink(DEAL).liquidation()
    if liq != empty(address) and outflow > 0:
        # auction proceeds held or carried enter this period as recoveries; a
        # report without principal or losses is exempt, and a liquidation
        # that fails to answer (or answers garbage) counts as holding nothing
        held: uint256 = staticcall IReportSink(DEAL).auction_proceeds_carried() + self._held(liq)
        assert outflow + held <= staticcall IReportSink(DEAL).pool_balance(), "deal: auction proceeds exceed pool balance"
    extcall IReportSink(DEAL).stage(
        servicer, report.period, cash, outflow, report.losses > 0, inputs_hash, digest
    )
    log ReportSubmitted(
        period=report.period, digest=digest, inputs_hash=inputs_hash, cash=cash, report=report
    )


@external
def ban(digest: bytes32):
    """
    @notice Bans `digest` forever. Deal only (governance discarding a
            vetoed report).
    @param digest The report digest.
    """
    self._only_deal()
    self.banned[digest] = True


@external
def set_signer(signer: address, active: bool):
    """
    @notice Registers or removes an oracle signer; the quorum must stay
            reachable. Deal only (the deal checks its owner).
    @param signer The signer.
    @param active True to register, False to remove.
    """
    self._only_deal()
    assert signer != empty(address), "deal: zero signer"
    if active != self.is_signer[signer]:
        self.is_signer[signer] = active
        if active:
            self.signer_count += 1
        else:
            self.signer_count -= 1
            assert self.quorum <= self.signer_count, "deal: quorum would exceed signers"


@external
def set_quorum(quorum: uint256):
    """
    @notice Sets M of the M-of-N attestation. Deal only.
    @param quorum 1 <= quorum <= signer_count.
    """
    self._only_deal()
    assert quorum > 0 and quorum <= self.signer_count, "deal: quorum out of range"
    self.quorum = quorum


@external
@view
def report_digest(report: report_types.Report) -> bytes32:
    """
    @notice The EIP-712 digest signers sign for `report` on the deal/chain.
    @param report The report.
    @return bytes32 keccak256(0x1901, domainSeparator, hashStruct(report)).
    """
    return self._digest(report)


@external
@view
def domain_separator() -> bytes32:
    """
    @notice The EIP-712 domain separator (name "trancheflow Deal", version
            "1", this chain id, the deal).
    @return bytes32 The separator.
    """
    return self._domain()


@external
@view
def verify_loan(
    leaf: bytes32, proof: DynArray[bytes32, 255], root: bytes32, finalized: uint256, tape_root: bytes32
) -> bool:
    """
    @notice True when `root` is `tape_root` or the live loan-level root of a
            period in 1..`finalized`, and `proof` proves `leaf` under it
            (sorted-pair keccak tree, snekmate merkle_proof_verification).
    @param leaf The leaf hash.
    @param proof Sibling hashes from leaf to root.
    @param root The claimed root.
    @param finalized The deal's last finalized period.
    @param tape_root The deal's loan-tape root at closing.
    @return bool Whether the proof holds against a known root.
    """
    if root != tape_root:
        p: uint256 = self.root_period[root]
        if p == 0 or p > finalized or self.period_root[p] != root:
            return False
    return merkle._verify(proof, root, leaf)


@internal
@view
def _held(liq: address) -> uint256:
    """
    @notice `recoveries_held()` of the liquidation contract, 0 when the call
            fails or answers anything but one word, at most 2**128 - 1.
    @param liq The liquidation contract.
    @return uint256 Units held.
    """
    ok: bool = False
    resp: Bytes[32] = b""
    ok, resp = raw_call(
        liq, method_id("recoveries_held()"), max_outsize=32, gas=50_000, is_static_call=True, revert_on_failure=False
    )
    if not ok or len(resp) != 32:
        return 0
    return min(extract32(resp, 0, output_type=uint256), 2**128 - 1)


@internal
@view
def _only_deal():
    """
    @notice Reverts unless the caller is the deal.
    """
    assert msg.sender == DEAL, "oracle: caller is not the deal"


@internal
@view
def _domain() -> bytes32:
    """
    @notice EIP-712 domain separator with the deal as verifying contract.
    @return bytes32 The separator.
    """
    return keccak256(abi_encode(_DOMAIN_TYPEHASH, _NAME_HASH, _VERSION_HASH, chain.id, DEAL))


@internal
@view
def _digest(report: report_types.Report) -> bytes32:
    """
    @notice EIP-712 digest of `report` for the deal and this chain.
    @param report The report.
    @return bytes32 The digest.
    """
    struct_hash: bytes32 = keccak256(
        abi_encode(
            _REPORT_TYPEHASH,
            report.period,
            report.interest,
            report.scheduled_principal,
            report.prepayments,
            report.recoveries,
            report.losses,
            report.dq30_count,
            report.dq30_balance,
            report.dq60_count,
            report.dq60_balance,
            report.dq90_count,
            report.dq90_balance,
            report.foreclosure_count,
            report.foreclosure_balance,
            report.reo_count,
            report.reo_balance,
            report.loans_root,
        )
    )
    return keccak256(concat(b"\x19\x01", self._domain(), struct_hash))

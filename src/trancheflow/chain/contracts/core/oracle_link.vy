# pragma version ==0.4.3
"""
@title Deal side of the report oracle (module)
@custom:contract-name oracle_link
@license Apache-2.0
@notice Holds the address of the deal's `ReportOracle` and exposes, on
        the deal's address, what used to live in the deal itself: signer
        and quorum governance (owner only; the deal logs the events so an
        indexer following the deal sees them) and the oracle's views
        (digest, signers, loan-root registry, `verify_loan`,
        `latest_loan_root`).
"""

from snekmate.auth import ownable

from . import ledger
from . import report_types
from ..interfaces import IReportOracle

uses: ledger
uses: ownable

ORACLE: public(immutable(address))


event SignerSet:
    signer: indexed(address)
    active: bool


event QuorumSet:
    quorum: uint256


@deploy
def __init__(oracle_blueprint: address, signers: DynArray[address, 16], quorum: uint256):
    """
    @notice Deploys the deal's ReportOracle from `oracle_blueprint`.
    @param oracle_blueprint Blueprint of core/ReportOracle.vy.
    @param signers Oracle signers.
    @param quorum M of the M-of-N attestation.
    """
    ORACLE = create_from_blueprint(oracle_blueprint, self, signers, quorum)
    for s: address in signers:
        log SignerSet(signer=s, active=True)


@external
def set_signer(signer: address, active: bool):
    """
    @notice Registers or removes an oracle signer. Owner only; the quorum
            must stay reachable.
    @param signer The signer.
    @param active True to register, False to remove.
    """
    ownable._check_owner()
    extcall IReportOracle(ORACLE).set_signer(signer, active)
    log SignerSet(signer=signer, active=active)


@external
def set_quorum(quorum: uint256):
    """
    @notice Sets M of the M-of-N attestation. Owner only.
    @param quorum 1 <= quorum <= signer_count.
    """
    ownable._check_owner()
    extcall IReportOracle(ORACLE).set_quorum(quorum)
    log QuorumSet(quorum=quorum)


@external
@view
def verify_loan(leaf: bytes32, proof: DynArray[bytes32, 255], root: bytes32) -> bool:
    """
    @notice True when `root` is the tape root or the live loan-level root
            of a finalized period, and `proof` proves `leaf` under it.
    @param leaf The leaf hash.
    @param proof Sibling hashes from leaf to root.
    @param root The claimed root.
    @return bool Whether the proof holds against a known root.
    """
    return staticcall IReportOracle(ORACLE).verify_loan(leaf, proof, root, ledger._period(), ledger.TAPE_ROOT)


@external
@view
def latest_loan_root() -> bytes32:
    """
    @notice The loan-level root of the last finalized period (the tape
            root before the first).
    @return bytes32 The root.
    """
    p: uint256 = ledger._period()
    if p == 0:
        return ledger.TAPE_ROOT
    return staticcall IReportOracle(ORACLE).period_root(p)


@external
@view
def root_period(root: bytes32) -> uint256:
    """
    @notice The period whose report last carried `root` (0 = none).
    @param root The root.
    @return uint256 The period.
    """
    return staticcall IReportOracle(ORACLE).root_period(root)


@external
@view
def is_signer(signer: address) -> bool:
    """
    @notice Whether `signer` is a registered oracle signer.
    @param signer The address.
    @return bool The flag.
    """
    return self._is_signer(signer)


@external
@view
def quorum() -> uint256:
    """
    @notice M of the M-of-N attestation.
    @return uint256 The quorum.
    """
    return staticcall IReportOracle(ORACLE).quorum()


@external
@view
def signer_count() -> uint256:
    """
    @notice Number of registered oracle signers.
    @return uint256 The count.
    """
    return staticcall IReportOracle(ORACLE).signer_count()


@internal
@view
def _is_signer(signer: address) -> bool:
    """
    @notice Whether `signer` is a registered oracle signer.
    @param signer The address.
    @return bool The flag.
    """
    return staticcall IReportOracle(ORACLE).is_signer(signer)


@internal
def _ban(digest: bytes32):
    """
    @notice Bans `digest` forever in the oracle.
    @param digest The digest.
    """
    extcall IReportOracle(ORACLE).ban(digest)

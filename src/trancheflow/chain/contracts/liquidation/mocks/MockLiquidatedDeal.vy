# pragma version ==0.4.3
"""
@title MockLiquidatedDeal
@custom:contract-name MockLiquidatedDeal
@license Apache-2.0
@notice Test double of the deal as the liquidation contract sees it: a
        list of finalized loan-level roots (`finalize_root`), the latest one
        (`latest_loan_root`), `verify_loan` accepting ANY finalized root (as
        `Deal.verify_loan` does, for proofs of history) and a caller of
        `take_recoveries`.
"""

from snekmate.utils import merkle_proof_verification as merkle


interface ILiquidation:
    def take_recoveries() -> uint256: nonpayable


known: public(HashMap[bytes32, bool])
latest_loan_root: public(bytes32)
taken: public(uint256)


@external
def finalize_root(root: bytes32):
    """
    @notice Records `root` as the latest finalized period's loan-level root.
    @param root The root.
    """
    self.known[root] = True
    self.latest_loan_root = root


@external
@view
def verify_loan(leaf: bytes32, proof: DynArray[bytes32, 255], root: bytes32) -> bool:
    """
    @notice True when `root` is any finalized root and `proof` proves `leaf`.
    @param leaf The leaf.
    @param proof The proof.
    @param root The root.
    @return bool Proven.
    """
    return self.known[root] and merkle._verify(proof, root, leaf)


@external
def take(liquidation: address) -> uint256:
    """
    @notice Takes the held proceeds as the deal does at finalize.
    @param liquidation The liquidation contract.
    @return uint256 Units taken.
    """
    got: uint256 = extcall ILiquidation(liquidation).take_recoveries()
    self.taken += got
    return got

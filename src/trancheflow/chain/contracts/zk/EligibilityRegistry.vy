# pragma version ~=0.4.3
"""
@title Loan eligibility registry (zero-knowledge)
@notice Bound to one deal. At closing the deal's owner commits the tape's
        Poseidon Merkle root together with the deal's keccak tape root
        (`Deal.TAPE_ROOT`, checked here: the pair is recorded, so a reader
        sees both roots belong to this deal), the number of loans and the
        eligibility criteria, once. Anyone then submits a Groth16
        proof that the loan with a given id, at a given position of the
        committed tree, meets the criteria; it is verified once and recorded.
        Nothing about the loan but its id and position is revealed.
        Random audit: anyone requests one; k positions are drawn from the
        hash of a block that did not exist when the audit was requested; the
        issuer must prove those positions before the window ends, or
        `settle_audit` records the failure (event AuditFailed).
@dev The circuit's public inputs are [root, criteria, loan_id, position];
     `criteria` packs min FICO (bits 0-15), max LTV bps (16-31), max DTI bps
     (32-47), max balance cents (48-111) and the state mask (112-175).
     Because loan_id and position are public inputs, a proof cannot be
     replayed for another loan id or position, and a proof made for another
     root or other criteria does not verify against the committed ones.
     The chain cannot check that the two roots commit the SAME loans (one is
     Poseidon over salted attributes, the other keccak over id and balance):
     the pair is the deal owner's signed statement, and an audit of the
     tape (a loan opened under both roots) catches a mismatch.
     Proven loans are keyed by `keccak256(loan id bytes)`, the same 32-byte
     loan id `Liquidation` uses, so the liquidation contract can require a
     marked loan to be proven in the committed pool (`proven_key`) without
     learning anything else about it. Proven positions are a bitmap (256 a
     storage word) to keep each proof's transaction cheap.
"""

interface IVerifier:
    def verify(proof: uint256[8], inputs: uint256[4]) -> bool: view


interface IDeal:
    def owner() -> address: view
    def closed() -> bool: view
    def TAPE_ROOT() -> bytes32: view


#: Most positions one audit draws.
MAX_AUDIT_K: public(constant(uint256)) = 64
#: Blocks between the request and the block whose hash seeds the draw.
AUDIT_DELAY: public(constant(uint256)) = 2
#: Scalar field modulus of BN254.
R: constant(uint256) = 21888242871839275222246405745257275088548364400416034343698204186575808495617

AUDIT_NONE: public(constant(uint8)) = 0
AUDIT_REQUESTED: public(constant(uint8)) = 1
AUDIT_OPEN: public(constant(uint8)) = 2
AUDIT_PASSED: public(constant(uint8)) = 3
AUDIT_FAILED: public(constant(uint8)) = 4

deal: public(immutable(address))
verifier: public(immutable(address))
audit_k: public(immutable(uint256))
audit_window: public(immutable(uint256))

committed: public(bool)
root: public(uint256)
#: The deal's keccak tape root (`Deal.TAPE_ROOT`) the Poseidon root was committed beside.
tape_root: public(bytes32)
loan_count: public(uint256)
criteria: public(uint256)
min_fico: public(uint256)
max_ltv_bps: public(uint256)
max_dti_bps: public(uint256)
max_balance_cents: public(uint256)
state_mask: public(uint256)

#: keccak256(loan id UTF-8 bytes) -> proven eligible (Liquidation's loan id)
proven_key: public(HashMap[bytes32, bool])
#: bit (position % 256) of word (position // 256): proven eligible
_position_bits: HashMap[uint256, uint256]
proven_count: public(uint256)

audit_state: public(uint8)
audit_block: public(uint256)
audit_deadline: public(uint256)
audit_positions: DynArray[uint256, MAX_AUDIT_K]
#: Settled audits by outcome (a failure stays counted after a new audit starts).
audits_passed: public(uint256)
audits_failed: public(uint256)


event Committed:
    root: uint256
    tape_root: bytes32
    loan_count: uint256
    criteria: uint256


event LoanProven:
    loan_id: indexed(uint256)
    position: indexed(uint256)
    by: indexed(address)


event AuditRequested:
    seed_block: uint256


event AuditDrawn:
    positions: DynArray[uint256, MAX_AUDIT_K]
    deadline: uint256


event AuditPassed:
    k: uint256


event AuditFailed:
    missing: DynArray[uint256, MAX_AUDIT_K]


@deploy
def __init__(deal_: address, verifier_: address, k: uint256, window: uint256):
    """
    @notice Bind the registry to a deal and a verifier.
    @param deal_ The deal whose owner commits the root.
    @param verifier_ The generated Groth16 verifier.
    @param k Positions an audit draws (1 to MAX_AUDIT_K).
    @param window Seconds the issuer has to prove drawn positions.
    """
    assert deal_ != empty(address) and verifier_ != empty(address), "zk: zero address"
    assert k >= 1 and k <= MAX_AUDIT_K, "zk: audit k out of range"
    assert window > 0, "zk: zero audit window"
    deal = deal_
    verifier = verifier_
    audit_k = k
    audit_window = window


@external
def commit(
    root: uint256,
    tape_root: bytes32,
    loan_count: uint256,
    min_fico: uint256,
    max_ltv_bps: uint256,
    max_dti_bps: uint256,
    max_balance_cents: uint256,
    state_mask: uint256,
):
    """
    @notice Commit the tape's Poseidon root and the criteria. Deal owner only,
            after the deal closed, once.
    @param root Poseidon Merkle root (depth 20) of the loan leaves.
    @param tape_root The deal's keccak tape root (`TAPE_ROOT`), restated by
           the owner: the pair says both roots commit this deal's tape.
    @param loan_count Loans committed (positions 0 .. loan_count - 1).
    @param min_fico Lowest FICO allowed.
    @param max_ltv_bps Highest LTV, basis points.
    @param max_dti_bps Highest DTI, basis points.
    @param max_balance_cents Highest current balance, cents.
    @param state_mask Allowed states, bit i = state index i.
    """
    assert msg.sender == staticcall IDeal(deal).owner(), "zk: caller is not the deal owner"
    assert staticcall IDeal(deal).closed(), "zk: deal not closed"
    assert not self.committed, "zk: already committed"
    assert root < R, "zk: root >= field modulus"
    assert tape_root == staticcall IDeal(deal).TAPE_ROOT(), "zk: tape root is not the deal's"
    assert loan_count >= 1 and loan_count <= 2**20, "zk: loan count out of range"
    assert min_fico < 2**16 and max_ltv_bps < 2**16 and max_dti_bps < 2**16, "zk: criterion over 16 bits"
    assert max_balance_cents < 2**64 and state_mask < 2**64, "zk: criterion over 64 bits"
    self.committed = True
    self.root = root
    self.tape_root = tape_root
    self.loan_count = loan_count
    self.min_fico = min_fico
    self.max_ltv_bps = max_ltv_bps
    self.max_dti_bps = max_dti_bps
    self.max_balance_cents = max_balance_cents
    self.state_mask = state_mask
    packed: uint256 = (
        min_fico
        | (max_ltv_bps << 16)
        | (max_dti_bps << 32)
        | (max_balance_cents << 48)
        | (state_mask << 112)
    )
    self.criteria = packed
    log Committed(root=root, tape_root=tape_root, loan_count=loan_count, criteria=packed)


@external
def prove(loan_id: uint256, position: uint256, proof: uint256[8]):
    """
    @notice Verify and record that loan `loan_id` at `position` of the committed
            tree meets the criteria. Anyone may submit; each loan once.
    @dev Reverts with a reason and records nothing when the proof is wrong,
         was made for another root, criteria, loan id or position, a public
         input is not below the field modulus, or the loan is already proven.
    @param loan_id The loan id's field encoding (UTF-8 bytes, big-endian).
    @param position The loan's leaf index.
    @param proof Groth16 proof (A, B, C; see the verifier).
    """
    assert self.committed, "zk: nothing committed"
    assert loan_id < R, "zk: public input >= field modulus"
    assert loan_id > 0, "zk: zero loan id"
    assert position < self.loan_count, "zk: position not committed"
    key: bytes32 = self._key(loan_id)
    assert not self.proven_key[key], "zk: loan already proven"
    word: uint256 = self._position_bits[position >> 8]
    bit: uint256 = 1 << (position & 255)
    assert word & bit == 0, "zk: position already proven"
    ok: bool = staticcall IVerifier(verifier).verify(
        proof, [self.root, self.criteria, loan_id, position]
    )
    assert ok, "zk: proof does not verify"
    self.proven_key[key] = True
    self._position_bits[position >> 8] = word | bit
    self.proven_count += 1
    log LoanProven(loan_id=loan_id, position=position, by=msg.sender)


@view
@external
def proven(loan_id: uint256) -> bool:
    """
    @notice Whether the loan with this id (field encoding) is proven eligible.
    @param loan_id The loan id's field encoding (UTF-8 bytes, big-endian).
    @return True once a proof for it was recorded.
    """
    if loan_id == 0 or loan_id >= 2**248:
        return False
    return self.proven_key[self._key(loan_id)]


@view
@external
def position_proven(position: uint256) -> bool:
    """
    @notice Whether the loan at this position of the committed tree is proven.
    @param position A leaf index.
    @return True once a proof for it was recorded.
    """
    return self._position_proven(position)


@view
@internal
def _position_proven(position: uint256) -> bool:
    return (self._position_bits[position >> 8] >> (position & 255)) & 1 == 1


@pure
@internal
def _key(loan_id: uint256) -> bytes32:
    # The id's bytes are its big-endian encoding without leading zero bytes
    # (UTF-8 ids never start with NUL); ids reach 31 bytes (< 2**248).
    n: uint256 = 0
    for i: uint256 in range(32):
        if loan_id >> (8 * i) == 0:
            break
        n = i + 1
    return keccak256(slice(convert(loan_id, bytes32), 32 - n, n))


@external
def request_audit():
    """
    @notice Start a random audit: the draw uses the hash of block
            `block.number + AUDIT_DELAY`, unknown now. Anyone, after the commit,
            when no audit is pending.
    """
    assert self.committed, "zk: nothing committed"
    assert self.audit_state != AUDIT_REQUESTED and self.audit_state != AUDIT_OPEN, "zk: audit pending"
    self.audit_state = AUDIT_REQUESTED
    self.audit_block = block.number + AUDIT_DELAY
    self.audit_positions = []
    log AuditRequested(seed_block=self.audit_block)


@external
def draw_audit():
    """
    @notice Draw the audit's k positions (with replacement) from the seed
            block's hash and open the proving window. Anyone.
    @dev The seed block must be in the past and among the last 256 blocks;
         past that its hash is gone and the audit must be requested again
         (the request is cleared).
    """
    assert self.audit_state == AUDIT_REQUESTED, "zk: no audit requested"
    assert block.number > self.audit_block, "zk: seed block not mined yet"
    if block.number - self.audit_block > 256:
        self.audit_state = AUDIT_NONE
        return
    seed: bytes32 = blockhash(self.audit_block)
    positions: DynArray[uint256, MAX_AUDIT_K] = []
    for j: uint256 in range(audit_k, bound=MAX_AUDIT_K):
        word: uint256 = convert(keccak256(concat(seed, convert(j, bytes32))), uint256)
        positions.append(word % self.loan_count)
    self.audit_positions = positions
    self.audit_deadline = block.timestamp + audit_window
    self.audit_state = AUDIT_OPEN
    log AuditDrawn(positions=positions, deadline=self.audit_deadline)


@view
@external
def audit_positions_drawn() -> DynArray[uint256, MAX_AUDIT_K]:
    """
    @notice The positions the open (or settled) audit drew.
    @return The positions, in draw order.
    """
    return self.audit_positions


@view
@external
def audit_missing() -> DynArray[uint256, MAX_AUDIT_K]:
    """
    @notice Drawn positions not yet proven.
    @return The positions still to prove.
    """
    return self._missing()


@view
@internal
def _missing() -> DynArray[uint256, MAX_AUDIT_K]:
    missing: DynArray[uint256, MAX_AUDIT_K] = []
    for p: uint256 in self.audit_positions:
        if not self._position_proven(p):
            missing.append(p)
    return missing


@external
def settle_audit():
    """
    @notice Settle the open audit: passed once every drawn position is proven;
            failed (event AuditFailed with the missing positions) when the
            window has ended with some unproven. Anyone.
    """
    assert self.audit_state == AUDIT_OPEN, "zk: no open audit"
    missing: DynArray[uint256, MAX_AUDIT_K] = self._missing()
    if len(missing) == 0:
        self.audit_state = AUDIT_PASSED
        self.audits_passed += 1
        log AuditPassed(k=audit_k)
        return
    assert block.timestamp > self.audit_deadline, "zk: audit window still open"
    self.audit_state = AUDIT_FAILED
    self.audits_failed += 1
    log AuditFailed(missing=missing)

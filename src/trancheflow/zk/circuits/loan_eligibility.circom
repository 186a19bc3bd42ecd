pragma circom 2.1.0;

// Loan eligibility: a loan committed in a Poseidon Merkle tree meets a deal's criteria.
//
// Public inputs (in this order): root, criteria, loanId, position.
//   criteria packs the deal's criteria into one field element, least significant first:
//     bits   0..15  min FICO
//     bits  16..31  max LTV  (basis points)
//     bits  32..47  max DTI  (basis points)
//     bits  48..111 max current balance (cents)
//     bits 112..175 allowed-state bitmask (bit i = state index i, see trancheflow.zk.leaf)
//   position is the loan's leaf index in the tree (tape order).
// Private: the loan's other attributes, its salt and the Merkle siblings.
// The leaf is Poseidon(loanId, balance, noteRate, fico, ltv, dti, state, occupancy, salt).

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/bitify.circom";

template Unpack(offset, width) {
    signal input bits[176];
    signal output out;
    var acc = 0;
    for (var i = 0; i < width; i++) {
        acc += bits[offset + i] * (1 << i);
    }
    out <== acc;
}

template LoanEligibility(depth) {
    signal input root;
    signal input criteria;
    signal input loanId;
    signal input position;

    signal input balance;
    signal input noteRate;
    signal input fico;
    signal input ltv;
    signal input dti;
    signal input state;
    signal input occupancy;
    signal input salt;
    signal input siblings[depth];

    // Criteria: 176 bits (unique decomposition: 176 < 254).
    component cbits = Num2Bits(176);
    cbits.in <== criteria;
    component minFico = Unpack(0, 16);
    component maxLtv = Unpack(16, 16);
    component maxDti = Unpack(32, 16);
    component maxBalance = Unpack(48, 64);
    minFico.bits <== cbits.out;
    maxLtv.bits <== cbits.out;
    maxDti.bits <== cbits.out;
    maxBalance.bits <== cbits.out;

    // Range checks make the comparators sound.
    component ficoBits = Num2Bits(16);
    ficoBits.in <== fico;
    component ltvBits = Num2Bits(16);
    ltvBits.in <== ltv;
    component dtiBits = Num2Bits(16);
    dtiBits.in <== dti;
    component balanceBits = Num2Bits(64);
    balanceBits.in <== balance;
    component stateBits = Num2Bits(6);
    stateBits.in <== state;

    component ficoOk = GreaterEqThan(16);
    ficoOk.in[0] <== fico;
    ficoOk.in[1] <== minFico.out;
    ficoOk.out === 1;

    component ltvOk = LessEqThan(16);
    ltvOk.in[0] <== ltv;
    ltvOk.in[1] <== maxLtv.out;
    ltvOk.out === 1;

    component dtiOk = LessEqThan(16);
    dtiOk.in[0] <== dti;
    dtiOk.in[1] <== maxDti.out;
    dtiOk.out === 1;

    component balanceOk = LessEqThan(64);
    balanceOk.in[0] <== balance;
    balanceOk.in[1] <== maxBalance.out;
    balanceOk.out === 1;

    // State in the allowed mask: exactly one index matches, and its mask bit is set.
    component isState[64];
    signal hit[64];
    var allowed = 0;
    for (var i = 0; i < 64; i++) {
        isState[i] = IsEqual();
        isState[i].in[0] <== state;
        isState[i].in[1] <== i;
        hit[i] <== isState[i].out * cbits.out[112 + i];
        allowed += hit[i];
    }
    allowed === 1;

    // Leaf and Merkle path.
    component leaf = Poseidon(9);
    leaf.inputs[0] <== loanId;
    leaf.inputs[1] <== balance;
    leaf.inputs[2] <== noteRate;
    leaf.inputs[3] <== fico;
    leaf.inputs[4] <== ltv;
    leaf.inputs[5] <== dti;
    leaf.inputs[6] <== state;
    leaf.inputs[7] <== occupancy;
    leaf.inputs[8] <== salt;

    component pathBits = Num2Bits(depth);
    pathBits.in <== position;
    component node[depth];
    signal cur[depth + 1];
    signal left[depth];
    signal right[depth];
    cur[0] <== leaf.out;
    for (var i = 0; i < depth; i++) {
        // bit 0: (cur, sibling); bit 1: (sibling, cur)
        left[i] <== cur[i] + pathBits.out[i] * (siblings[i] - cur[i]);
        right[i] <== siblings[i] + cur[i] - left[i];
        node[i] = Poseidon(2);
        node[i].inputs[0] <== left[i];
        node[i].inputs[1] <== right[i];
        cur[i + 1] <== node[i].out;
    }
    root === cur[depth];
}

component main {public [root, criteria, loanId, position]} = LoanEligibility(20);

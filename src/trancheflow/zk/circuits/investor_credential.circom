pragma circom 2.1.0;

// Investor credential: a KYC provider's EdDSA-Poseidon signature (Baby Jubjub) on
// (holder, jurisdiction, classes, expiry) satisfies a tranche's rules, revealing neither the
// jurisdiction, the classes nor the exact expiry.
//
// Public inputs (in this order): binding, kycAx, kycAy, rule[0], rule[1].
//   binding     holder + validUntil * 2^160 (one input instead of two: each public input
//               costs the verifier an ecMul, about 6,000 gas):
//     holder      the investor's address (160 bits) the credential is bound to;
//     validUntil  (64 bits) the prover's choice, <= the credential's expiry; the chain records
//                 the holder eligible until then and checks validUntil > block.timestamp.
//   kycAx/Ay    the KYC provider's public key (the chain passes the key it registered).
//   rule[0]     25 allowed jurisdictions, ISO 3166-1 numeric, 10 bits each (bits 10i..10i+9);
//   rule[1]     24 more (bits 0..239) and the allowed investor-class mask (bits 240..247).
//               A slot holding 0 is empty (a credential's jurisdiction is never 0).
// Private: jurisdiction, classes (bitmask, as trancheflow's Compliance contract uses), expiry
// and the signature (R8x, R8y, S).
// Signed message: M = Poseidon(DOMAIN, holder, jurisdiction, classes, expiry), DOMAIN being
// the big-endian integer of the ASCII bytes "trancheflow-credential-v1".

include "circomlib/circuits/eddsaposeidon.circom";
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/bitify.circom";

template InvestorCredential() {
    var DOMAIN = 730948405226781615005569115748303024204532686270067223918129;
    var SLOTS0 = 25;
    var SLOTS1 = 24;

    signal input binding;
    signal input kycAx;
    signal input kycAy;
    signal input rule[2];

    signal input jurisdiction;
    signal input classes;
    signal input expiry;
    signal input R8x;
    signal input R8y;
    signal input S;

    // Range checks: every compared or unpacked value has a fixed bit width.
    // binding: 224 bits, unique decomposition (224 < 254).
    component bindBits = Num2Bits(224);
    bindBits.in <== binding;
    var holderAcc = 0;
    for (var i = 0; i < 160; i++) {
        holderAcc += bindBits.out[i] * (1 << i);
    }
    var untilAcc = 0;
    for (var i = 0; i < 64; i++) {
        untilAcc += bindBits.out[160 + i] * (1 << i);
    }
    signal holder;
    signal validUntil;
    holder <== holderAcc;
    validUntil <== untilAcc;
    component jurBits = Num2Bits(10);
    jurBits.in <== jurisdiction;
    component jurZero = IsZero();
    jurZero.in <== jurisdiction;
    jurZero.out === 0;
    component classBits = Num2Bits(8);
    classBits.in <== classes;
    component expiryBits = Num2Bits(64);
    expiryBits.in <== expiry;
    component rule0 = Num2Bits(250);
    rule0.in <== rule[0];
    component rule1 = Num2Bits(248);
    rule1.in <== rule[1];

    // Not expired at validUntil (the chain checks validUntil > block.timestamp).
    component notExpired = LessEqThan(64);
    notExpired.in[0] <== validUntil;
    notExpired.in[1] <== expiry;
    notExpired.out === 1;

    // Jurisdiction in the allowed set: at least one slot equals it.
    component isJur[SLOTS0 + SLOTS1];
    var hits = 0;
    for (var i = 0; i < SLOTS0 + SLOTS1; i++) {
        var code = 0;
        for (var b = 0; b < 10; b++) {
            if (i < SLOTS0) {
                code += rule0.out[10 * i + b] * (1 << b);
            } else {
                code += rule1.out[10 * (i - SLOTS0) + b] * (1 << b);
            }
        }
        isJur[i] = IsEqual();
        isJur[i].in[0] <== jurisdiction;
        isJur[i].in[1] <== code;
        hits += isJur[i].out;
    }
    component noJur = IsZero();
    noJur.in <== hits;
    noJur.out === 0;

    // Some class of the holder is in the allowed mask.
    signal classHit[8];
    var classHits = 0;
    for (var i = 0; i < 8; i++) {
        classHit[i] <== classBits.out[i] * rule1.out[240 + i];
        classHits += classHit[i];
    }
    component noClass = IsZero();
    noClass.in <== classHits;
    noClass.out === 0;

    // The KYC provider signed this holder's credential.
    component msg = Poseidon(5);
    msg.inputs[0] <== DOMAIN;
    msg.inputs[1] <== holder;
    msg.inputs[2] <== jurisdiction;
    msg.inputs[3] <== classes;
    msg.inputs[4] <== expiry;

    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== 1;
    sig.Ax <== kycAx;
    sig.Ay <== kycAy;
    sig.S <== S;
    sig.R8x <== R8x;
    sig.R8y <== R8y;
    sig.M <== msg.out;
}

component main {public [binding, kycAx, kycAy, rule]} = InvestorCredential();

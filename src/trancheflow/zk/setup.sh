#!/usr/bin/env bash
# DEVELOPMENT Groth16 setup for the loan-eligibility circuit. Reproducible, and NOT secure:
# every "contribution" is a public beacon, so anyone can recompute the toxic waste and forge
# proofs. Good for tests and the demo; never for a real deal (see src/trancheflow/zk/README.md
# for a production setup with a public ceremony file).
#
# Usage (from the repository root, after `npm install`):
#   bash src/trancheflow/zk/setup.sh            # rebuild src/trancheflow/zk/artifacts/
# Steps: compile (circom2 wasm, --O2) -> powers of tau 2^13 (new + beacon) -> prepare phase 2
# -> groth16 setup -> zkey beacon -> export verification key -> regenerate the Vyper verifier.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$ROOT"
BIN="$ROOT/node_modules/.bin"
ZK="$ROOT/src/trancheflow/zk"
OUT="$ZK/artifacts"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# Public, fixed beacon values (development only: they make the setup reproducible and insecure).
PTAU_BEACON="7472616e636865666c6f772d7a6b2d646576656c6f706d656e742d7074617500"
ZKEY_BEACON="7472616e636865666c6f772d7a6b2d646576656c6f706d656e742d7a6b657900"
POWER=13

"$BIN/circom2" "$ZK/circuits/loan_eligibility.circom" --O2 --r1cs --wasm -l "$ROOT/node_modules" -o "$WORK"
"$BIN/snarkjs" powersoftau new bn128 "$POWER" "$WORK/pot_0.ptau"
"$BIN/snarkjs" powersoftau beacon "$WORK/pot_0.ptau" "$WORK/pot_1.ptau" "$PTAU_BEACON" 10 -n="trancheflow dev beacon"
"$BIN/snarkjs" powersoftau prepare phase2 "$WORK/pot_1.ptau" "$WORK/pot_final.ptau"
"$BIN/snarkjs" groth16 setup "$WORK/loan_eligibility.r1cs" "$WORK/pot_final.ptau" "$WORK/le_0.zkey"
"$BIN/snarkjs" zkey beacon "$WORK/le_0.zkey" "$WORK/le_final.zkey" "$ZKEY_BEACON" 10 -n="trancheflow dev zkey beacon"
"$BIN/snarkjs" zkey export verificationkey "$WORK/le_final.zkey" "$WORK/verification_key.json"

mkdir -p "$OUT"
cp "$WORK/le_final.zkey" "$OUT/loan_eligibility.zkey"
cp "$WORK/loan_eligibility_js/loan_eligibility.wasm" "$OUT/loan_eligibility.wasm"
cp "$WORK/verification_key.json" "$OUT/verification_key.json"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
"$PY" -m trancheflow.zk.verifier_gen "$OUT/verification_key.json" "$ROOT/src/trancheflow/chain/contracts/zk/Groth16Verifier.vy"
CONSTRAINTS="$("$BIN/snarkjs" r1cs info "$WORK/loan_eligibility.r1cs" | sed -n 's/.*# of Constraints: *\([0-9]*\).*/\1/p')"
"$PY" -m trancheflow.zk.artifacts --write-manifest "$CONSTRAINTS"
echo "development setup written to $OUT"

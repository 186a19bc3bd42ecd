#!/usr/bin/env bash
# DEVELOPMENT Groth16 setup for the investor-credential circuit (sibling of setup.sh, same
# method). Reproducible, and NOT secure: every "contribution" is a public beacon, so anyone
# can recompute the toxic waste and forge credential proofs. Good for tests and the demo;
# never for a real deal (see src/trancheflow/zk/README.md for a production setup).
#
# Usage (from the repository root, after `npm install`):
#   bash src/trancheflow/zk/setup_credential.sh
# Steps: compile (circom2 wasm, --O2) -> powers of tau 2^13 (new + beacon) -> prepare phase 2
# -> groth16 setup -> zkey beacon -> export verification key -> regenerate the Vyper verifier
# (contracts/zk/CredentialVerifier.vy) -> credential_manifest.json (SHA-256 of each file).
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
ZKEY_BEACON="7472616e636865666c6f772d63726564656e7469616c2d7a6b65792d64657600"
POWER=13

"$BIN/circom2" "$ZK/circuits/investor_credential.circom" --O2 --r1cs --wasm -l "$ROOT/node_modules" -o "$WORK"
"$BIN/snarkjs" powersoftau new bn128 "$POWER" "$WORK/pot_0.ptau"
"$BIN/snarkjs" powersoftau beacon "$WORK/pot_0.ptau" "$WORK/pot_1.ptau" "$PTAU_BEACON" 10 -n="trancheflow dev beacon"
"$BIN/snarkjs" powersoftau prepare phase2 "$WORK/pot_1.ptau" "$WORK/pot_final.ptau"
"$BIN/snarkjs" groth16 setup "$WORK/investor_credential.r1cs" "$WORK/pot_final.ptau" "$WORK/ic_0.zkey"
"$BIN/snarkjs" zkey beacon "$WORK/ic_0.zkey" "$WORK/ic_final.zkey" "$ZKEY_BEACON" 10 -n="trancheflow credential dev zkey beacon"
"$BIN/snarkjs" zkey export verificationkey "$WORK/ic_final.zkey" "$WORK/credential_verification_key.json"

mkdir -p "$OUT"
cp "$WORK/ic_final.zkey" "$OUT/investor_credential.zkey"
cp "$WORK/investor_credential_js/investor_credential.wasm" "$OUT/investor_credential.wasm"
cp "$WORK/credential_verification_key.json" "$OUT/credential_verification_key.json"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
"$PY" -m trancheflow.zk.verifier_gen "$OUT/credential_verification_key.json" "$ROOT/src/trancheflow/chain/contracts/zk/CredentialVerifier.vy"
CONSTRAINTS="$("$BIN/snarkjs" r1cs info "$WORK/investor_credential.r1cs" | sed -n 's/.*# of Constraints: *\([0-9]*\).*/\1/p')"
"$PY" -m trancheflow.zk.credential_artifacts --write-manifest "$CONSTRAINTS"
echo "development credential setup written to $OUT"

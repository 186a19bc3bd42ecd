#!/usr/bin/env bash
# A deal's life on a local node with the trancheflow CLI alone, from remittance files.
#
#   anvil &                                   # or: node_modules/.bin/anvil
#   examples/cli_life/run.sh [WORKDIR]
#
# The remittance files are SIMULATED from the model (`servicer
# simulate-remittance`): this rehearses the workflow; a real servicer writes
# them from its servicing system. Roles, all keys from the environment (the
# defaults are anvil's public development keys 0, 7 and 8, never real ones):
#   TRANCHEFLOW_PRIVATE_KEY   deployer, issuer, servicer and holder
#   ORACLE_1_KEY, ORACLE_2_KEY the two oracle signers (quorum 2)
# PERIODS (default 24), DISPUTE_WINDOW (seconds, default 600), TRANCHEFLOW (the
# command) and PYTHON (an interpreter with eth-account) may be set.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${1:-$(mktemp -d -t tf-cli-life-XXXX)}"
mkdir -p "$WORK"
export TRANCHEFLOW_RPC_URL="${TRANCHEFLOW_RPC_URL:-http://127.0.0.1:8545}"
export TRANCHEFLOW_PRIVATE_KEY="${TRANCHEFLOW_PRIVATE_KEY:-0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80}"
export ORACLE_1_KEY="${ORACLE_1_KEY:-0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356}"
export ORACLE_2_KEY="${ORACLE_2_KEY:-0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97}"
PERIODS="${PERIODS:-24}"
WINDOW="${DISPUTE_WINDOW:-600}"
TF="${TRANCHEFLOW:-trancheflow}"
SPEC="$HERE/deal.yaml"
DEAL=CLI-LIFE-1
DEP=(--deployments "$WORK/deployments")
DB="sqlite:///$WORK/index.db"

PY="${PYTHON:-python3}"   # a Python with eth-account (the one trancheflow is installed in)
addr() { "$PY" -c "from eth_account import Account; print(Account.from_key('$1').address)"; }
O1="$(addr "$ORACLE_1_KEY")"
O2="$(addr "$ORACLE_2_KEY")"

echo "== remittance files (SIMULATED from the model) into $WORK/remittances"
$TF servicer simulate-remittance --spec "$SPEC" --out "$WORK/remittances" --periods "$PERIODS" --seed 3

echo "== deploy, fund the servicer, register in the indexer"
mkdir -p "$WORK/deployments"
$TF chain deploy "$SPEC" --signer "$O1" --signer "$O2" --quorum 2 \
    --dispute-window "$WINDOW" "${DEP[@]}"
$TF chain fund "$DEAL" --amount 6,000,000 --mint --spec "$SPEC" "${DEP[@]}"
$TF index add --deal "$DEAL" --spec "$SPEC" --db "$DB" "${DEP[@]}"

prev=()
for n in $(seq 1 "$PERIODS"); do
    f="$WORK/remittances/remittance-$(printf %03d "$n").csv"
    p="$WORK/proposals/period-$n.json"
    mkdir -p "$WORK/proposals"
    echo "== period $n"
    # 1. the servicer proposes the report computed from its remittance file
    $TF servicer report --deal "$DEAL" --period "$n" --remittance "$f" "${prev[@]}" \
        --spec "$SPEC" --propose "$p" "${DEP[@]}"
    # 2. each oracle recomputes it from the same file and signs only if it matches
    $TF oracle attest --deal "$DEAL" --period "$n" --remittance "$f" "${prev[@]}" \
        --spec "$SPEC" --proposal "$p" --out "$p.o1.sig" --oracle-key-env ORACLE_1_KEY "${DEP[@]}"
    $TF oracle attest --deal "$DEAL" --period "$n" --remittance "$f" "${prev[@]}" \
        --spec "$SPEC" --proposal "$p" --out "$p.o2.sig" --oracle-key-env ORACLE_2_KEY "${DEP[@]}"
    # 3. the servicer submits with both signatures and the deposit
    $TF servicer report --deal "$DEAL" --period "$n" --remittance "$f" "${prev[@]}" \
        --spec "$SPEC" --signature "$p.o1.sig" --signature "$p.o2.sig" \
        --books "$WORK/books" "${DEP[@]}"
    # 4. past the dispute window (local node: move its clock), anyone finalizes
    $TF chain wait "$DEAL" --advance "${DEP[@]}"
    $TF chain finalize "$DEAL" --period "$n" --spec "$SPEC" "${DEP[@]}"
    prev=(--previous "$f")
done

echo "== holders, fees and residual are paid; the index and the audit agree"
$TF chain claim "$DEAL" --tranche A --spec "$SPEC" "${DEP[@]}"
$TF chain claim "$DEAL" --tranche B --spec "$SPEC" "${DEP[@]}"
$TF chain claim-fee "$DEAL" --fee 0 --spec "$SPEC" "${DEP[@]}"
$TF chain claim-residual "$DEAL" --spec "$SPEC" "${DEP[@]}"
$TF chain status "$DEAL" --spec "$SPEC" "${DEP[@]}"
$TF index sync --db "$DB" "${DEP[@]}"
$TF audit --deal "$DEAL" --spec "$SPEC" --db "$DB" --loans-dir "$WORK/books"
echo "done: $WORK"

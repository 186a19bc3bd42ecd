// A long-lived snarkjs worker: one JSON request per stdin line, one JSON reply per stdout line.
//   {"op": "prove", "input": {...}}            -> {"proof": ..., "publicSignals": [...], "ms": n}
//   {"op": "verify", "proof": ..., "publicSignals": [...]} -> {"ok": true|false}
// Errors come back as {"error": "..."}; the worker keeps going.
// argv: <circuit.wasm> <circuit.zkey> <verification_key.json> [threads]
//
// Everything that does not depend on the loan is done once, at start:
//   - the witness calculator is compiled from the circuit's wasm once (snarkjs's
//     fullProve compiles it again for every proof);
//   - the proving key is read into memory once (fullProve re-reads the file);
//   - the BN254 curve is built once. With threads = 1 (the default) it is a
//     single-threaded curve: the batch prover runs one worker per core, which
//     avoids every worker spawning a thread per core of its own.
// The proof itself is snarkjs's groth16.prove on the same key and witness, so it
// is byte-for-byte the protocol snarkjs's fullProve runs.
const fs = require("fs");
const readline = require("readline");
const snarkjs = require("snarkjs");

function requireDep(name) {
  // circom_runtime and ffjavascript are snarkjs's own dependencies: resolve them from it.
  try {
    return require(name);
  } catch (_err) {
    return require(require.resolve(name, { paths: [require.resolve("snarkjs")] }));
  }
}

const { WitnessCalculatorBuilder } = requireDep("circom_runtime");
const ffjavascript = requireDep("ffjavascript");

const [wasmPath, zkeyPath, vkeyPath, threadsArg] = process.argv.slice(2);
const threads = Number(threadsArg || "1");
const vkey = JSON.parse(fs.readFileSync(vkeyPath, "utf8"));
const zkey = { type: "mem", data: new Uint8Array(fs.readFileSync(zkeyPath)) };
let calculator = null;

async function setup() {
  if (threads === 1) {
    // snarkjs looks the curve up in this global before building its own (multi-threaded) one.
    globalThis.curve_bn128 = await ffjavascript.buildBn128(true);
  }
  calculator = await WitnessCalculatorBuilder(fs.readFileSync(wasmPath));
}

async function handle(line) {
  const req = JSON.parse(line);
  if (req.op === "prove") {
    const t0 = Date.now();
    const wtns = await calculator.calculateWTNSBin(req.input, 0);
    const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, { type: "mem", data: wtns });
    return { proof, publicSignals, ms: Date.now() - t0 };
  }
  if (req.op === "verify") {
    return { ok: await snarkjs.groth16.verify(vkey, req.publicSignals, req.proof) };
  }
  return { error: `unknown op ${req.op}` };
}

async function main() {
  await setup();
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let reply;
    try {
      reply = await handle(line);
    } catch (err) {
      reply = { error: String((err && err.message) || err).split("\n")[0] };
    }
    process.stdout.write(JSON.stringify(reply) + "\n");
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

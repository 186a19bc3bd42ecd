// A long-lived snarkjs worker: one JSON request per stdin line, one JSON reply per stdout line.
//   {"op": "prove", "input": {...}}            -> {"proof": ..., "publicSignals": [...]}
//   {"op": "verify", "proof": ..., "publicSignals": [...]} -> {"ok": true|false}
// Errors come back as {"error": "..."}; the worker keeps going.
// argv: <circuit.wasm> <circuit.zkey> <verification_key.json>
const fs = require("fs");
const readline = require("readline");
const snarkjs = require("snarkjs");

const [wasm, zkey, vkeyPath] = process.argv.slice(2);
const vkey = JSON.parse(fs.readFileSync(vkeyPath, "utf8"));

async function handle(line) {
  const req = JSON.parse(line);
  if (req.op === "prove") {
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(req.input, wasm, zkey);
    return { proof, publicSignals };
  }
  if (req.op === "verify") {
    return { ok: await snarkjs.groth16.verify(vkey, req.publicSignals, req.proof) };
  }
  return { error: `unknown op ${req.op}` };
}

async function main() {
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

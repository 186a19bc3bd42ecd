// Reads {"inputs": [[x, ...], ...]} (decimal strings) on stdin; prints one circomlibjs
// Poseidon hash per line (decimal). Used by tests/unit/zk/test_poseidon.py.
const { buildPoseidon } = require("circomlibjs");

async function main() {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  const poseidon = await buildPoseidon();
  const lines = JSON.parse(text).inputs.map((xs) =>
    poseidon.F.toString(poseidon(xs.map((x) => BigInt(x)))),
  );
  process.stdout.write(lines.join("\n") + "\n");
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

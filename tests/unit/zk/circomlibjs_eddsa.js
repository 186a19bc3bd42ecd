// Reads {"cases": [{"key": hex32, "msg": decimal}, ...]} on stdin; prints one JSON line per
// case: circomlibjs's EdDSA-Poseidon public key and signature (decimal strings), and its own
// verifyPoseidon verdict. Used by tests/unit/zk/test_credential_eddsa.py.
const { buildEddsa } = require("circomlibjs");

async function main() {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  const eddsa = await buildEddsa();
  const F = eddsa.babyJub.F;
  const out = JSON.parse(text).cases.map((c) => {
    const prv = Buffer.from(c.key, "hex");
    const A = eddsa.prv2pub(prv);
    const msg = F.e(BigInt(c.msg));
    const sig = eddsa.signPoseidon(prv, msg);
    return JSON.stringify({
      A: [F.toObject(A[0]).toString(), F.toObject(A[1]).toString()],
      R8: [F.toObject(sig.R8[0]).toString(), F.toObject(sig.R8[1]).toString()],
      S: sig.S.toString(),
      ok: eddsa.verifyPoseidon(msg, sig, A),
    });
  });
  process.stdout.write(out.join("\n") + "\n");
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

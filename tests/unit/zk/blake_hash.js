// Reads a JSON list of hex strings on stdin; prints the npm blake-hash BLAKE-512 digest of
// each (hex), one per line. Used by tests/unit/zk/test_credential_eddsa.py.
const createBlakeHash = require("blake-hash");
const inputs = JSON.parse(require("fs").readFileSync(0, "utf8"));
for (const h of inputs) {
  console.log(createBlakeHash("blake512").update(Buffer.from(h, "hex")).digest("hex"));
}

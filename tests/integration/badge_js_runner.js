// Runs the scanner's badge.js (and the vendored scrypt-js) in Node for tests/integration/test_web_verifier.py.
// stdin: {"anchor": PEM, "trust": b64, "status": b64, "now": seconds, "cases": [{"text", "id_number"?}]}
// stdout: [{"verdict", "name"?, "id_match"?}]
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const web = path.join(__dirname, "..", "..", "services", "credential", "web");
vm.runInThisContext(fs.readFileSync(path.join(web, "vendor", "scrypt.js"), "utf8"));
vm.runInThisContext(fs.readFileSync(path.join(web, "badge.js"), "utf8") + "\nglobalThis.CareBadge = CareBadge;");

(async () => {
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  const bytes = (b64) => new Uint8Array(Buffer.from(b64, "base64"));
  const trust = await CareBadge.parseTrustList(bytes(input.trust), input.anchor);
  const status = await CareBadge.parseStatusList(bytes(input.status), trust);
  const out = [];
  for (const c of input.cases) {
    const r = await CareBadge.verify(c.text, trust, status, input.now);
    const row = { verdict: r.verdict };
    if (r.claims) {
      row.name = r.claims.name; row.id_masked = r.claims.idMasked; row.roles = r.claims.roles;
      row.certificates = r.claims.certificates;
      if (c.id_number !== undefined) row.id_match = await CareBadge.idMatches(r.claims, c.id_number);
    }
    out.push(row);
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });

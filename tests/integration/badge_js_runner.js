// Runs the scanner's wire.js and badge.js in Node for tests/integration/test_web_verifier.py (Web Crypto and
// DecompressionStream are Node globals, as in the browser).
// stdin: {"anchor": PEM, "trust": b64, "status": b64 | null, "now": seconds, "max_status_age"?: seconds,
//         "cases": [{"text", "id_number"?}], "vectors"?: [{"canonical", "kid", "status_index", "iterations"}]}
// stdout: {"anchor": PEM pinned after the trust list, "rolled_over", "results": [{"verdict", "holder_check", ...}],
//          "vectors": [{"salt", "check"}]}
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const web = path.join(__dirname, "..", "..", "services", "credential", "web");
for (const file of ["wire.js", "badge.js"]) {
  vm.runInThisContext(fs.readFileSync(path.join(web, file), "utf8") + "\nglobalThis.CareWire = CareWire;"
    + (file === "badge.js" ? "\nglobalThis.CareBadge = CareBadge;" : ""));
}

const hex = (b) => Buffer.from(b).toString("hex");

(async () => {
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  const bytes = (b64) => new Uint8Array(Buffer.from(b64, "base64"));
  const trust = await CareBadge.parseTrustList(bytes(input.trust), input.anchor);
  const status = input.status ? await CareBadge.parseStatusList(bytes(input.status), trust) : null;
  const results = [];
  for (const c of input.cases || []) {
    const r = await CareBadge.verify(c.text, trust, status,
      { now: input.now, idNumber: c.id_number, maxStatusAge: input.max_status_age });
    const row = { verdict: r.verdict, reason: r.reason, holder_check: r.holderCheck, stale: r.status.stale };
    if (r.claims) {
      row.name = r.claims.name; row.roles = r.claims.roles; row.certificates = r.claims.certificates;
      row.id_check = r.claims.binding !== null;
    }
    results.push(row);
  }
  const vectors = [];
  for (const v of input.vectors || []) {
    const salt = await CareBadge.holderSalt(new Uint8Array(Buffer.from(v.kid, "hex")), v.status_index);
    vectors.push({ salt: hex(salt), check: hex(await CareBadge.checkOf(v.canonical, salt, v.iterations)),
      canonical: CareBadge.normaliseId(v.id_number) });
  }
  process.stdout.write(JSON.stringify({ anchor: trust.anchorPem, rolled_over: trust.rolledOver, results, vectors }));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });

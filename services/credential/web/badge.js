// Offline badge verification in the browser: the same steps and verdicts as services/credential/badges/verifier.py.
// wire.js (Base45 -> zlib -> deterministic CBOR) -> COSE_Sign1 with tag 18 (RFC 9052) -> Web Crypto ES256/EdDSA ->
// CWT claims (key -65537) -> iat/exp with skew -> status list bits -> holder binding (Web Crypto PBKDF2) -> the
// status data's age. Lists are COSE_Sign1 over CBOR; the trust list may carry signed anchor handovers.
"use strict";

const CareBadge = (() => {
  const { b45decode, inflate, decode, head, concat, Tag, Malformed } = CareWire;
  const PREFIX = "TY1:";
  const SKEW = 300;
  const BADGE_CLAIM = -65537;
  const VERSION = 2;
  const ES256 = -7, EDDSA = -8;
  const MIN_ITERATIONS = 100000, MAX_ITERATIONS = 5000000, CHECK_BYTES = 2;
  const CODEBOOK = ["infant_caregiver", "nursery_worker", "health_worker", "institution_head", "finance_staff",
    "security_guard", "teacher", "infant_care", "finance", "health"];

  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  // COSE_Sign1, strict: tag 18, empty unprotected header, alg and kid protected ------------------
  function parseSign1(bytes) {
    const obj = decode(bytes, { tags: [18] });
    if (!(obj instanceof Tag)) throw new Malformed("cose: untagged; a COSE_Sign1 must carry CBOR tag 18");
    const body = obj.value;
    if (!Array.isArray(body) || body.length !== 4) throw new Malformed("cose: COSE_Sign1 must be an array of four items");
    const [protectedBytes, unprotected, payload, signature] = body;
    if (!(protectedBytes instanceof Uint8Array && unprotected instanceof Map && payload instanceof Uint8Array
      && signature instanceof Uint8Array)) throw new Malformed("cose: COSE_Sign1 items have the wrong types");
    if (unprotected.size) throw new Malformed("cose: the unprotected header must be empty");
    const prot = protectedBytes.length ? decode(protectedBytes) : new Map();
    if (!(prot instanceof Map)) throw new Malformed("cose: protected header is not a map");
    const kid = prot.get(4);
    return { protectedBytes, payload, signature, kid: kid instanceof Uint8Array ? kid : null, alg: prot.get(1) };
  }

  function sigStructure(protectedBytes, payload) {  // ["Signature1", protected, h'', payload] (RFC 9052 4.4)
    const context = new TextEncoder().encode("Signature1");
    return concat([[0x84], head(3, context.length), context, head(2, protectedBytes.length), protectedBytes,
      [0x40], head(2, payload.length), payload].map((p) => Uint8Array.from(p)));
  }

  async function importKey(spki, alg) {
    if (alg === ES256) return crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    if (alg === EDDSA) return crypto.subtle.importKey("spki", spki, { name: "Ed25519" }, false, ["verify"]);
    throw new Malformed(`unsupported algorithm ${alg}`);
  }

  async function verifySign1(sign1, key) {
    if (sign1.alg !== key.alg) return false; // the message never chooses the algorithm
    const data = sigStructure(sign1.protectedBytes, sign1.payload);
    try {
      if (key.alg === ES256) {
        if (sign1.signature.length !== 64) return false;
        return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key.cryptoKey, sign1.signature, data);
      }
      return await crypto.subtle.verify({ name: "Ed25519" }, key.cryptoKey, sign1.signature, data);
    } catch (e) {
      return false;
    }
  }

  // An anchor is { der, alg }; its algorithm is the one its signatures name (a key has one type).
  async function signedBy(sign1, anchor) {
    const alg = anchor.alg ?? sign1.alg;
    let cryptoKey;
    try { cryptoKey = await importKey(anchor.der, alg); } catch (e) { return false; }
    return verifySign1(sign1, { alg, cryptoKey });
  }

  function pemToDer(pem) {
    const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
    return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  }
  function derToPem(der) {
    const b64 = btoa(String.fromCharCode(...der)).replace(/(.{64})/g, "$1\n");
    return `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`;
  }

  // Lists ---------------------------------------------------------------------------------------
  async function successor(handover, anchor) {  // the anchor a handover names, when `anchor` signed it
    const sign1 = parseSign1(handover);
    if (!(await signedBy(sign1, anchor))) return null;
    const body = decode(sign1.payload);
    const der = body.get(3), alg = body.get(4);
    if (!(der instanceof Uint8Array) || typeof alg !== "number") throw new Malformed("an anchor handover has the wrong shape");
    return { der, alg };
  }

  // Checks the signature of the pinned anchor or of a successor reached through signed handovers; `anchorPem` of the
  // result is the anchor to pin from now on.
  async function parseTrustList(bytes, pinnedPem) {
    const sign1 = parseSign1(bytes);
    const body = decode(sign1.payload);
    if (!(body instanceof Map)) throw new Malformed("the trust list is not a map");
    let anchor = { der: pemToDer(pinnedPem), alg: null };
    for (const handover of body.get(5) || []) {
      if (!(handover instanceof Uint8Array)) throw new Malformed("the trust list's anchor handovers have the wrong shape");
      anchor = (await successor(handover, anchor)) || anchor;
    }
    if (!(await signedBy(sign1, anchor))) {
      throw new Malformed("the trust list is not signed by the pinned trust anchor (nor by an anchor it handed over to)");
    }
    const keys = new Map();
    for (const entry of body.get(4)) {
      const alg = entry.get(2);
      let cryptoKey = null;
      try { cryptoKey = await importKey(entry.get(3), alg); } catch (e) { continue; } // a browser without Ed25519
      keys.set(hex(entry.get(1)), { kid: entry.get(1), alg, cryptoKey, validFrom: entry.get(4),
        signsUntil: entry.get(5) ?? null, validUntil: entry.get(6) ?? null });
    }
    return { issuer: body.get(1), issuedAt: body.get(2), expiresAt: body.get(3), keys, anchorPem: derToPem(anchor.der),
      rolledOver: !equalBytes(anchor.der, pemToDer(pinnedPem)) };
  }

  async function parseStatusList(bytes, trust) {
    const sign1 = parseSign1(bytes);
    const key = trust.keys.get(sign1.kid ? hex(sign1.kid) : "");
    if (!key) throw new Malformed("the status list is signed by a key that is not in the trust list");
    if (!(await verifySign1(sign1, key))) throw new Malformed("the status list's signature is invalid");
    const body = decode(sign1.payload);
    const size = body.get(5);
    const revoked = await inflate(body.get(6)), suspended = await inflate(body.get(7));
    if (revoked.length * 8 < size || suspended.length * 8 < size) throw new Malformed("status list bitstrings too short");
    return { issuer: body.get(1), issuedAt: body.get(2), expiresAt: body.get(3), ttl: body.get(4), size, revoked, suspended };
  }

  const bit = (data, i) => Math.floor(i / 8) < data.length && ((data[Math.floor(i / 8)] >> (i % 8)) & 1) === 1;

  // Badge claims ----------------------------------------------------------------------------------
  const EPOCH_DAY = 86400000;
  function uncode(v) {
    if (typeof v === "number") {
      if (v < 1 || v > CODEBOOK.length) throw new Malformed(`unknown code number ${v}`);
      return CODEBOOK[v - 1];
    }
    if (typeof v !== "string") throw new Malformed("code is neither number nor text");
    return v;
  }
  function uuidFromBytes(b) {
    const h = hex(b);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  function binding(value) {
    if (value === undefined) return null;
    if (!Array.isArray(value) || value.length !== 2) throw new Malformed("the holder binding is not [iterations, check]");
    const [iterations, check] = value;
    if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new Malformed(`the holder binding's iterations ${iterations} are outside ${MIN_ITERATIONS}..${MAX_ITERATIONS}`);
    }
    if (!(check instanceof Uint8Array) || check.length !== CHECK_BYTES) {
      throw new Malformed(`the holder binding's check is not ${CHECK_BYTES} bytes`);
    }
    return { iterations, check };
  }
  function decodeClaims(payload) {
    const cwt = decode(payload);
    if (!(cwt instanceof Map)) throw new Malformed("the CWT claims are not a map");
    const b = cwt.get(BADGE_CLAIM);
    if (!(b instanceof Map)) throw new Malformed("no badge claim in the CWT");
    if (b.get(1) !== VERSION) throw new Malformed(`unsupported badge claims version ${b.get(1)}`);
    const text = (x) => { if (typeof x !== "string") throw new Malformed("expected text"); return x; };
    const int = (x) => { if (!Number.isInteger(x)) throw new Malformed("expected an integer"); return x; };
    const index = int(b.get(9));
    if (index < 0) throw new Malformed("negative status-list index");
    return {
      issuer: text(cwt.get(1)), issuedAt: int(cwt.get(6)), expiresAt: int(cwt.get(4)),
      statusIndex: index,
      staffId: uuidFromBytes(b.get(3)),
      name: text(b.get(4)),
      nurseryName: text(b.get(6)),
      roles: b.get(7).map(uncode),
      certificates: b.get(8).map(([t, n, d]) => ({ type: uncode(t), number: text(n),
        expiresOn: new Date(int(d) * EPOCH_DAY).toISOString().slice(0, 10) })),
      binding: binding(b.get(10)),
    };
  }

  // 人证合一 offline: PBKDF2-HMAC-SHA256(canonical ID number, salt = key id || badge id), first 2 bytes ----------
  async function uuid5(namespace, name) {
    const data = new Uint8Array([...namespace, ...new TextEncoder().encode(name)]);
    const h = new Uint8Array(await crypto.subtle.digest("SHA-1", data)).slice(0, 16);
    h[6] = (h[6] & 0x0f) | 0x50; h[8] = (h[8] & 0x3f) | 0x80;
    return h;
  }
  const NAMESPACE_URL = Uint8Array.from("6ba7b8119dad11d180b400c04fd430c8".match(/../g), (x) => parseInt(x, 16));
  async function badgeIdBytes(index) {
    return uuid5(await uuid5(NAMESPACE_URL, "urn:carecred:badge"), String(index));
  }
  async function holderSalt(kid, index) { return concat([kid, await badgeIdBytes(index)]); }

  const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  // The canonical ID number (GB 11643-1999: 17 digits, check character, a real birth date), or null.
  function normaliseId(text) {
    const n = String(text).trim().toUpperCase();
    if (!/^[0-9]{17}[0-9X]$/.test(n)) return null;
    const y = Number(n.slice(6, 10)), m = Number(n.slice(10, 12)), d = Number(n.slice(12, 14));
    const born = new Date(Date.UTC(y, m - 1, d));
    if (y < 1 || born.getUTCFullYear() !== y || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d) return null;
    const total = WEIGHTS.reduce((s, w, i) => s + w * Number(n[i]), 0);
    return "10X98765432"[total % 11] === n[17] ? n : null;
  }
  async function checkOf(canonical, salt, iterations) {
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(canonical), "PBKDF2", false, ["deriveBits"]);
    return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key,
      CHECK_BYTES * 8));
  }
  // [holderCheck, reason] as verifier.py's Verifier._holder says it (without the registry, which is online only).
  async function holderCheck(claims, kid, idNumber) {
    if (idNumber === null || idNumber === undefined) return ["not_checked", "; the holder is NOT checked: no ID number was typed"];
    const n = normaliseId(idNumber);
    if (!n) return ["mismatch", "the typed ID number is not a valid ID number"];
    if (!claims.binding) return ["unavailable", "; the holder CANNOT be checked: the badge carries no holder binding"];
    const got = await checkOf(n, await holderSalt(kid, claims.statusIndex), claims.binding.iterations);
    return equalBytes(got, claims.binding.check) ? ["match", "; the ID number typed is the holder's"]
      : ["mismatch", "the ID number typed is not the badge holder's (人证不一)"];
  }

  // The verdict ----------------------------------------------------------------------------------
  // options: now (seconds), idNumber (typed), maxStatusAge (seconds; can shorten the list's own time-to-live).
  async function verify(text, trust, status, options = {}) {
    const now = options.now ?? Math.floor(Date.now() / 1000);
    const statusExpires = status ? Math.min(status.expiresAt, status.issuedAt + (options.maxStatusAge ?? Infinity)) : null;
    const fresh = { issuedAt: status ? status.issuedAt : null, expiresAt: statusExpires,
      stale: !status || now > statusExpires || now > trust.expiresAt };
    const result = (verdict, reason, extra = {}) => ({ verdict, reason, status: fresh, holderCheck: "not_checked", ...extra });
    let sign1;
    try {
      if (!text.startsWith(PREFIX)) return result("malformed", `prefix: the text does not start with '${PREFIX}'`);
      sign1 = parseSign1(await inflate(b45decode(text.slice(PREFIX.length))));
    } catch (e) {
      return result("malformed", e.message);
    }
    const kid = sign1.kid ? hex(sign1.kid) : null;
    const key = trust.keys.get(kid || "");
    if (!key) return result("unknown_key", `key id ${kid || "none"} is not in the trust list`);
    if (!(await verifySign1(sign1, key))) return result("invalid_signature", "the signature does not verify with the trusted key");
    let claims;
    try { claims = decodeClaims(sign1.payload); } catch (e) { return result("malformed", e.message); }
    if (key.signsUntil !== null && claims.issuedAt > key.signsUntil + SKEW) {
      return result("invalid_signature", "signed after its key was retired");
    }
    const details = { claims, keyId: kid };
    if (claims.issuedAt > now + SKEW) return result("not_yet_valid", "issued after now", details);
    if (claims.expiresAt < now - SKEW) return result("expired", `expired at ${new Date(claims.expiresAt * 1000).toISOString()}`, details);
    if (key.validUntil !== null && key.validUntil < now - SKEW) return result("expired", "its signing key's validity has ended", details);
    const i = claims.statusIndex;
    const listed = !!status && i < status.size;
    const asOf = status ? `status as of ${new Date(status.issuedAt * 1000).toISOString()}` : "";
    if (listed && bit(status.revoked, i)) return result("revoked", `the badge or a certificate on it is revoked (${asOf})`, details);
    if (listed && !fresh.stale && bit(status.suspended, i)) {
      return result("suspended", `the badge or a certificate on it is suspended (${asOf})`, details);
    }
    const [check, why] = await holderCheck(claims, key.kid, options.idNumber);
    details.holderCheck = check;
    if (check === "mismatch") return result("holder_mismatch", why, details);
    if (!status) return result("status_unknown", "genuine and current, but there is no status list", details);
    if (fresh.stale) {
      const was = listed && bit(status.suspended, i) ? "; it was suspended then" : "";
      return result("status_unknown", `genuine and current, but the ${asOf} is older than its maximum age${was}: refresh the lists`, details);
    }
    const newer = listed ? "" : "; issued after this status list";
    return result("valid", `genuine, current, not revoked or suspended${newer}; ${asOf}${why}`, details);
  }

  return { verify, parseTrustList, parseStatusList, normaliseId, checkOf, holderSalt, Malformed };
})();

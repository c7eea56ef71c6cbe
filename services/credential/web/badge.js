// Offline badge verification in the browser: the same steps as services/credential/badges/verifier.py.
// Base45 (RFC 9285) -> zlib (DecompressionStream) -> COSE_Sign1 (RFC 9052) -> Web Crypto ES256 ->
// CWT claims (key -65537) -> iat/exp with skew -> status list bits. Lists are COSE_Sign1 over CBOR.
"use strict";

const CareBadge = (() => {
  const PREFIX = "TY1:";
  const SKEW = 300;
  const BADGE_CLAIM = -65537;
  const ES256 = -7, EDDSA = -8;
  const CODEBOOK = ["infant_caregiver", "nursery_worker", "health_worker", "institution_head", "finance_staff",
    "security_guard", "teacher", "infant_care", "finance", "health"];
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

  class Malformed extends Error {}

  // Base45 ------------------------------------------------------------------------------------
  function b45decode(text) {
    const out = [];
    const v = (c) => { const i = B45.indexOf(c); if (i < 0) throw new Malformed("base45: invalid character"); return i; };
    for (let i = 0; i < text.length; i += 3) {
      const chunk = text.slice(i, i + 3);
      if (chunk.length === 1) throw new Malformed("base45: dangling character");
      let n = v(chunk[0]) + v(chunk[1]) * 45;
      if (chunk.length === 3) {
        n += v(chunk[2]) * 2025;
        if (n > 0xffff) throw new Malformed("base45: value out of range");
        out.push(n >> 8, n & 0xff);
      } else {
        if (n > 0xff) throw new Malformed("base45: value out of range");
        out.push(n);
      }
    }
    return new Uint8Array(out);
  }

  // zlib ----------------------------------------------------------------------------------------
  async function inflate(bytes, limit = 64 * 1024) {
    try {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
      const reader = stream.getReader();
      const parts = []; let total = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > limit) throw new Malformed("zlib: inflates beyond the limit");
        parts.push(value);
      }
      const out = new Uint8Array(total); let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    } catch (e) {
      if (e instanceof Malformed) throw e;
      throw new Malformed("zlib: not a complete zlib stream");
    }
  }

  // CBOR (RFC 8949): definite lengths only, one item, nothing after it -------------------------
  class Tag { constructor(tag, value) { this.tag = tag; this.value = value; } }

  function cborDecode(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    const need = (n) => { if (pos + n > bytes.length) throw new Malformed("cbor: truncated"); };
    function arg(info) {
      if (info < 24) return info;
      if (info === 24) { need(1); return bytes[pos++]; }
      if (info === 25) { need(2); const x = view.getUint16(pos); pos += 2; return x; }
      if (info === 26) { need(4); const x = view.getUint32(pos); pos += 4; return x; }
      if (info === 27) {
        need(8); const x = view.getBigUint64(pos); pos += 8;
        if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed("cbor: integer too large");
        return Number(x);
      }
      throw new Malformed("cbor: indefinite lengths are not accepted");
    }
    function item(depth) {
      if (depth > 32) throw new Malformed("cbor: nested too deeply");
      need(1);
      const first = bytes[pos++];
      const major = first >> 5, info = first & 31;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 23) return undefined;
        if (info === 25) { need(2); const h = view.getUint16(pos); pos += 2; return halfFloat(h); }
        if (info === 26) { need(4); const f = view.getFloat32(pos); pos += 4; return f; }
        if (info === 27) { need(8); const f = view.getFloat64(pos); pos += 8; return f; }
        throw new Malformed("cbor: unsupported simple value");
      }
      const n = arg(info);
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: { need(n); const b = bytes.slice(pos, pos + n); pos += n; return b; }
        case 3: { need(n); const t = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(pos, pos + n)); pos += n; return t; }
        case 4: { const a = []; for (let i = 0; i < n; i++) a.push(item(depth + 1)); return a; }
        case 5: {
          const m = new Map();
          for (let i = 0; i < n; i++) {
            const k = item(depth + 1);
            if (typeof k !== "number" && typeof k !== "string") throw new Malformed("cbor: unsupported map key");
            m.set(k, item(depth + 1));
          }
          return m;
        }
        case 6: return new Tag(n, item(depth + 1));
      }
      throw new Malformed("cbor: bad major type");
    }
    function halfFloat(h) {
      const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
      if (e === 0) return s * 2 ** -14 * (f / 1024);
      if (e === 31) return f ? NaN : s * Infinity;
      return s * 2 ** (e - 15) * (1 + f / 1024);
    }
    const value = item(0);
    if (pos !== bytes.length) throw new Malformed(`cbor: ${bytes.length - pos} bytes after the item`);
    return value;
  }

  function cborHead(major, n) {
    if (n < 24) return [major << 5 | n];
    if (n < 0x100) return [major << 5 | 24, n];
    if (n < 0x10000) return [major << 5 | 25, n >> 8, n & 0xff];
    return [major << 5 | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  }

  function sigStructure(protectedBytes, payload) {
    // ["Signature1", protected, h'', payload] as CBOR (RFC 9052 section 4.4)
    const context = new TextEncoder().encode("Signature1");
    const parts = [[0x84], cborHead(3, context.length), context, cborHead(2, protectedBytes.length), protectedBytes,
      [0x40], cborHead(2, payload.length), payload];
    const total = parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(total); let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  // COSE_Sign1 --------------------------------------------------------------------------------
  function parseSign1(bytes) {
    let obj = cborDecode(bytes);
    if (obj instanceof Tag && obj.tag === 61) obj = obj.value;
    if (obj instanceof Tag) {
      if (obj.tag !== 18) throw new Malformed(`cose: CBOR tag ${obj.tag} is not COSE_Sign1`);
      obj = obj.value;
    }
    if (!Array.isArray(obj) || obj.length !== 4) throw new Malformed("cose: COSE_Sign1 must be an array of four items");
    const [protectedBytes, unprotected, payload, signature] = obj;
    if (!(protectedBytes instanceof Uint8Array && unprotected instanceof Map && payload instanceof Uint8Array
      && signature instanceof Uint8Array)) throw new Malformed("cose: items have the wrong types");
    const prot = protectedBytes.length ? cborDecode(protectedBytes) : new Map();
    if (!(prot instanceof Map)) throw new Malformed("cose: protected header is not a map");
    const kid = prot.has(4) ? prot.get(4) : unprotected.get(4);
    const alg = prot.has(1) ? prot.get(1) : unprotected.get(1);
    return { protectedBytes, payload, signature, kid: kid instanceof Uint8Array ? kid : null, alg };
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

  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

  function pemToDer(pem) {
    const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
    return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  }

  // Lists ---------------------------------------------------------------------------------------
  async function parseTrustList(bytes, anchorPem) {
    const sign1 = parseSign1(bytes);
    const alg = sign1.alg;
    const anchor = { alg, cryptoKey: await importKey(pemToDer(anchorPem), alg) };
    if (!(await verifySign1(sign1, anchor))) throw new Malformed("the trust list is not signed by the pinned trust anchor");
    const body = cborDecode(sign1.payload);
    const keys = new Map();
    for (const entry of body.get(4)) {
      const alg = entry.get(2);
      let cryptoKey = null;
      try { cryptoKey = await importKey(entry.get(3), alg); } catch (e) { continue; } // a browser without Ed25519
      keys.set(hex(entry.get(1)), { alg, cryptoKey, validFrom: entry.get(4), signsUntil: entry.get(5) ?? null,
        validUntil: entry.get(6) ?? null });
    }
    return { issuer: body.get(1), issuedAt: body.get(2), expiresAt: body.get(3), keys };
  }

  async function parseStatusList(bytes, trust) {
    const sign1 = parseSign1(bytes);
    const key = trust.keys.get(sign1.kid ? hex(sign1.kid) : "");
    if (!key) throw new Malformed("the status list is signed by a key that is not in the trust list");
    if (!(await verifySign1(sign1, key))) throw new Malformed("the status list's signature is invalid");
    const body = cborDecode(sign1.payload);
    const size = body.get(5);
    const revoked = await inflate(body.get(6)), suspended = await inflate(body.get(7));
    if (revoked.length * 8 < size || suspended.length * 8 < size) throw new Malformed("status list bitstrings too short");
    return { issuer: body.get(1), issuedAt: body.get(2), expiresAt: body.get(3), size, revoked, suspended };
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
  function decodeClaims(payload) {
    const cwt = cborDecode(payload);
    if (!(cwt instanceof Map)) throw new Malformed("the CWT claims are not a map");
    const b = cwt.get(BADGE_CLAIM);
    if (!(b instanceof Map)) throw new Malformed("no badge claim in the CWT");
    if (b.get(1) !== 1) throw new Malformed("unsupported badge claims version");
    const text = (x) => { if (typeof x !== "string") throw new Malformed("expected text"); return x; };
    const int = (x) => { if (!Number.isInteger(x)) throw new Malformed("expected an integer"); return x; };
    const visible = text(b.get(5));
    const digest = b.get(10);
    return {
      issuer: text(cwt.get(1)), issuedAt: int(cwt.get(6)), expiresAt: int(cwt.get(4)),
      statusIndex: int(b.get(9)),
      staffId: uuidFromBytes(b.get(3)),
      name: text(b.get(4)),
      idMasked: visible.slice(0, 3) + "*".repeat(11) + visible.slice(3),
      nurseryName: text(b.get(6)),
      roles: b.get(7).map(uncode),
      certificates: b.get(8).map(([t, n, d]) => ({ type: uncode(t), number: text(n),
        expiresOn: new Date(int(d) * EPOCH_DAY).toISOString().slice(0, 10) })),
      idDigest: digest instanceof Uint8Array && digest.length === 8 ? digest : null,
    };
  }

  // 人证合一 offline: scrypt(canonical ID number, salt = badge id) ---------------------------------
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
  const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  function normaliseId(text) {
    const n = text.trim().toUpperCase();
    if (!/^[0-9]{17}[0-9X]$/.test(n)) return null;
    const total = WEIGHTS.reduce((s, w, i) => s + w * Number(n[i]), 0);
    return "10X98765432"[total % 11] === n[17] ? n : null;
  }
  async function idMatches(claims, typed) {
    if (!claims.idDigest) return null;
    const n = normaliseId(typed);
    if (!n) return false;
    if (typeof scrypt === "undefined") return null;
    const salt = await badgeIdBytes(claims.statusIndex);
    const got = await scrypt.scrypt(new TextEncoder().encode(n), salt, 16384, 8, 1, 8);
    return hex(got) === hex(claims.idDigest);
  }

  // The verdict ----------------------------------------------------------------------------------
  async function verify(text, trust, status, nowSeconds = Math.floor(Date.now() / 1000)) {
    const result = (verdict, reason, extra = {}) => ({ verdict, reason, ...extra });
    let sign1;
    try {
      const t = text.trim();
      if (!t.startsWith(PREFIX)) return result("malformed", `prefix: the text does not start with '${PREFIX}'`);
      sign1 = parseSign1(await inflate(b45decode(t.slice(PREFIX.length))));
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
    if (claims.issuedAt > nowSeconds + SKEW) return result("not_yet_valid", "issued after now", details);
    if (claims.expiresAt < nowSeconds - SKEW) return result("expired", `expired at ${new Date(claims.expiresAt * 1000).toISOString()}`, details);
    if (key.validUntil !== null && key.validUntil < nowSeconds - SKEW) return result("expired", "its signing key's validity has ended", details);
    const i = claims.statusIndex;
    if (!status) return result("valid", "genuine and current; no status list to check revocation", details);
    if (i >= status.size) return result("valid", "genuine and current; issued after this status list", details);
    if (bit(status.revoked, i)) return result("revoked", "the badge or a certificate on it is revoked", details);
    if (bit(status.suspended, i)) return result("suspended", "the badge or a certificate on it is suspended", details);
    return result("valid", "genuine, current, not revoked or suspended", details);
  }

  return { verify, parseTrustList, parseStatusList, idMatches, normaliseId, cborDecode, b45decode, inflate, Malformed };
})();

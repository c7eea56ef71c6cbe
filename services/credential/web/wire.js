// The transport layers of a badge in the browser, read strictly as services/credential/badges/transport.py and
// cbor.py read them: Base45 (RFC 9285), zlib (DecompressionStream) with nothing after the stream, and CBOR
// (RFC 8949) in the deterministic encoding only (shortest heads, definite lengths, map keys sorted length-first
// with no duplicates; integers, byte and text strings, arrays, maps, true/false/null, and only the tags allowed).
"use strict";

const CareWire = (() => {
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
  async function decompress(bytes, limit) {
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
  }

  async function inflate(bytes, limit = 64 * 1024) {
    let out;
    try {
      out = await decompress(bytes, limit);
    } catch (e) {
      if (e instanceof Malformed) throw e;
      throw new Malformed("zlib: not a complete zlib stream");
    }
    // Some DecompressionStreams ignore bytes after the stream. Without them, the input one byte shorter is a
    // truncated stream (its Adler-32 cut) and fails; with them it still holds the whole stream and succeeds.
    let shorterWorks = true;
    try { await decompress(bytes.subarray(0, bytes.length - 1), limit); } catch (e) { shorterWorks = false; }
    if (shorterWorks) throw new Malformed("trailing: bytes after the zlib stream");
    return out;
  }

  // CBOR ----------------------------------------------------------------------------------------
  class Tag { constructor(tag, value) { this.tag = tag; this.value = value; } }
  const MINIMUM = { 24: 24, 25: 0x100, 26: 0x10000, 27: 0x100000000 };

  function compareKeys(a, b) {  // length-first, then bytewise (RFC 8949 section 4.2.3)
    if (a.length !== b.length) return a.length - b.length;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  }

  function decode(bytes, { tags = [] } = {}) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    const need = (n) => { if (pos + n > bytes.length) throw new Malformed("cbor: truncated"); };
    function arg(info) {
      let x;
      if (info < 24) return info;
      if (info === 24) { need(1); x = bytes[pos]; pos += 1; }
      else if (info === 25) { need(2); x = view.getUint16(pos); pos += 2; }
      else if (info === 26) { need(4); x = view.getUint32(pos); pos += 4; }
      else if (info === 27) {
        need(8); const big = view.getBigUint64(pos); pos += 8;
        if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed("cbor: integer too large");
        x = Number(big);
      } else {
        throw new Malformed("cbor: indefinite lengths are not accepted");
      }
      if (x < MINIMUM[info]) throw new Malformed("cbor: not the deterministic encoding (a longer head than needed)");
      return x;
    }
    function item(depth, allowed) {
      if (depth > 32) throw new Malformed("cbor: nested too deeply");
      need(1);
      const first = bytes[pos++];
      const major = first >> 5, info = first & 31;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        throw new Malformed("cbor: unexpected simple value or float");
      }
      const n = arg(info);
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: { need(n); const b = bytes.slice(pos, pos + n); pos += n; return b; }
        case 3: {
          need(n);
          let t;
          try { t = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(pos, pos + n)); }
          catch (e) { throw new Malformed("cbor: text is not UTF-8"); }
          pos += n; return t;
        }
        case 4: { const a = []; for (let i = 0; i < n; i++) a.push(item(depth + 1, allowed)); return a; }
        case 5: {
          const m = new Map();
          let previous = null;
          for (let i = 0; i < n; i++) {
            const start = pos;
            const k = item(depth + 1, []);
            const encoded = bytes.subarray(start, pos);
            if (typeof k !== "number" && typeof k !== "string") throw new Malformed("cbor: map keys must be integers or text");
            if (previous && compareKeys(previous, encoded) >= 0) {
              throw new Malformed("cbor: not the deterministic encoding (map keys out of order or repeated)");
            }
            previous = encoded;
            m.set(k, item(depth + 1, allowed));
          }
          return m;
        }
        case 6: {
          if (!allowed.includes(n)) throw new Malformed(`cbor: unexpected CBOR tag ${n}`);
          return new Tag(n, item(depth + 1, []));
        }
      }
      throw new Malformed("cbor: bad major type");
    }
    const value = item(0, tags);
    if (pos !== bytes.length) throw new Malformed(`cbor: ${bytes.length - pos} bytes after the CBOR item`);
    return value;
  }

  function head(major, n) {
    if (n < 24) return [major << 5 | n];
    if (n < 0x100) return [major << 5 | 24, n];
    if (n < 0x10000) return [major << 5 | 25, n >> 8, n & 0xff];
    return [major << 5 | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  }

  function concat(parts) {
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0)); let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  return { b45decode, inflate, decode, head, concat, Tag, Malformed };
})();

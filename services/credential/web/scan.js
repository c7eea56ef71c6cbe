// The inspector's scanner: camera / photo / pasted text -> verdict, offline with cached signed lists.
"use strict";

(() => {
  const { el, api, getKey } = Care;
  const $ = (id) => document.getElementById(id);
  const WK = "/.well-known/carecred";
  const STORE = "carecred.lists";
  const PIN = "carecred.trustAnchor";

  const REFRESH_AFTER_MS = 5 * 60 * 1000; // online, the lists are fetched again once they are this old
  const WORDS = {
    valid: ["VALID", "有效", "valid"],
    expired: ["EXPIRED", "已过期", "expired"],
    not_yet_valid: ["NOT YET VALID", "尚未生效", "invalid"],
    revoked: ["REVOKED", "已吊销", "revoked"],
    suspended: ["SUSPENDED", "已暂停", "suspended"],
    invalid_signature: ["INVALID", "签名无效", "invalid"],
    unknown_key: ["INVALID", "签发密钥未知", "invalid"],
    malformed: ["INVALID", "不是有效的证码", "invalid"],
    holder_mismatch: ["NOT THE HOLDER", "人证不符", "invalid"],
    status_unknown: ["STATUS UNKNOWN", "状态未知", "unknown"],
  };
  const QUALIFIERS = {
    not_checked: "Holder NOT checked (人证未核): type the ID number from the ID card.",
    unavailable: "This badge cannot confirm its holder offline (no holder binding): compare the ID card with care, or check online.",
  };

  let trust = null, status = null, listsSource = "none", fetchedAt = 0;
  let current = null; // { text, claims }

  // Lists: fetch online, keep the bytes for offline, always verify signatures before use ----------
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
  const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const when = (seconds) => new Date(seconds * 1000).toLocaleString("zh-CN", { hour12: false });

  let fromCache = false; // the service worker answered from its cache: we are offline
  async function fetchChecked(path) {
    const r = await fetch(path, { cache: "no-store", credentials: "omit" });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    if (r.headers.get("X-Carecred-Served-From") === "cache") fromCache = true;
    return r;
  }
  const fetchBytes = async (path) => new Uint8Array(await (await fetchChecked(path)).arrayBuffer());

  // A trust list signed through a handover from the pinned anchor moves the pin to the new anchor.
  function pin(t) {
    if (t.rolledOver) { localStorage.setItem(PIN, t.anchorPem); return "The trust anchor rolled over (signed handover); pinned the new one."; }
    return "";
  }

  async function loadLists() {
    let saved = null;
    try { saved = JSON.parse(localStorage.getItem(STORE) || "null"); } catch (e) { saved = null; }
    let pinned = localStorage.getItem(PIN);
    let warning = "";
    fromCache = false;
    try {
      const [anchorPem, trustBytes, statusBytes] = await Promise.all([
        fetchChecked(`${WK}/trust-anchor`).then((r) => r.text()),
        fetchBytes(`${WK}/trust-list`), fetchBytes(`${WK}/status-list`),
      ]);
      if (!pinned) { localStorage.setItem(PIN, anchorPem); pinned = anchorPem; }
      const t = await CareBadge.parseTrustList(trustBytes, pinned);
      const s = await CareBadge.parseStatusList(statusBytes, t);
      warning = pin(t);
      trust = t; status = s; listsSource = fromCache ? "cached" : "online";
      if (!fromCache) {
        fetchedAt = Date.now();
        localStorage.setItem(STORE, JSON.stringify({ trust: b64(trustBytes), status: b64(statusBytes), fetchedAt }));
      }
    } catch (e) {
      if (saved && pinned) {
        try {
          trust = await CareBadge.parseTrustList(unb64(saved.trust), pinned);
          status = await CareBadge.parseStatusList(unb64(saved.status), trust);
          warning = pin(trust);
          listsSource = "cached";
        } catch (e2) { warning = `Cached lists unusable: ${e2.message}`; }
      } else {
        warning = pinned ? `Lists refused: ${e.message}` : "No trust list yet: open this page once while online.";
      }
    }
    showLists(warning);
  }

  // Online, fetch the lists again when they are old; offline this fails fast and the cached copy stands.
  async function refreshIfDue() {
    if (navigator.onLine && Date.now() - fetchedAt > REFRESH_AFTER_MS) await loadLists();
  }

  function age(seconds) {
    if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
    if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
    return `${Math.round(seconds / 86400)} days`;
  }

  function showLists(warning) {
    const p = $("lists");
    const now = Date.now() / 1000;
    const parts = [];
    if (trust) {
      parts.push(el("span", { class: now > trust.expiresAt ? "stale" : "" },
        `Trust list ${age(now - trust.issuedAt)} old${now > trust.expiresAt ? " (EXPIRED — go online)" : ""}`));
    }
    if (status) {
      const stale = now > status.expiresAt;
      parts.push(el("span", { id: "lists-status", class: stale ? "stale" : "" },
        `Status as of ${when(status.issuedAt)} (${age(now - status.issuedAt)} old; good for ${age(status.ttl)})`
        + (stale ? " — TOO OLD: verdicts say STATUS UNKNOWN until the lists are refreshed online" : "")));
    }
    parts.push(el("span", { id: "lists-source", "data-source": listsSource },
      listsSource === "online" ? "fresh from the server" : listsSource === "cached" ? "offline: cached copy" : "no lists"));
    if (warning) parts.push(el("span", { class: "stale" }, warning));
    p.replaceChildren(...parts.flatMap((x, i) => (i ? [" · ", x] : [x])));
    p.dataset.ready = trust ? "yes" : "no";
  }

  // Verdict rendering ----------------------------------------------------------------------------
  function holderFromOnline(h) {
    return { name: h.name, nurseryName: h.nursery_name, roles: h.roles, idCheck: h.id_check,
      certificates: h.certificates.map((c) => ({ type: c.type, number: c.number, expiresOn: c.expires_on })) };
  }
  function holderFromClaims(c) {
    return { name: c.name, nurseryName: c.nurseryName, roles: c.roles, certificates: c.certificates, idCheck: !!c.binding };
  }

  // v: { verdict, reason, holder, holderCheck, statusAsOf (seconds or null), expiresAt (text), source }
  function render(v) {
    const [word, zh, kind] = WORDS[v.verdict] || ["INVALID", "无效", "invalid"];
    const box = $("verdict");
    box.className = `verdict ${kind}`;
    box.dataset.verdict = v.verdict;
    box.dataset.source = v.source;
    box.dataset.holderCheck = v.holderCheck || "not_checked";
    const qualifier = v.holder && v.verdict === "valid" ? QUALIFIERS[v.holderCheck] : null;
    const confirmed = v.verdict === "valid" && v.holderCheck === "match" ? "Holder confirmed: the ID number is the badge holder's (人证合一)" : null;
    let asOf = null;
    if (v.holder && v.statusAsOf) {
      asOf = v.verdict === "status_unknown"
        ? `Status data from ${when(v.statusAsOf)} is too old: go online to refresh the lists`
        : `Status as of ${when(v.statusAsOf)}`;
    }
    box.replaceChildren(...[
      el("p", { class: "verdict-word" }, word, " ", el("span", { class: "zh" }, zh)),
      qualifier ? el("p", { id: "holder-qualifier", class: "qualifier" }, qualifier) : null,
      confirmed ? el("p", { id: "holder-confirmed", class: "verdict-holder" }, confirmed) : null,
      asOf ? el("p", { id: "status-as-of", class: "verdict-asof" }, asOf) : null,
      el("p", { class: "verdict-reason" }, v.reason),
      el("p", { class: "verdict-source" }, v.source === "online" ? "Checked online, with live status"
        : listsSource === "online" ? "Checked on this device with the signed lists just downloaded"
          : "Checked OFFLINE on this device with the cached signed lists"),
    ].filter(Boolean));
    const card = $("holder");
    const holder = v.holder;
    if (!holder) { card.hidden = true; card.replaceChildren(); return; }
    card.hidden = false;
    card.replaceChildren(
      el("h2", { id: "holder-name" }, holder.name),
      el("dl", {},
        el("dt", {}, "Nursery"), el("dd", { id: "holder-nursery" }, holder.nurseryName),
        el("dt", {}, "Roles"), el("dd", { id: "holder-roles" }, holder.roles.map((r) => Care.label("role", r)).join(", ")),
        el("dt", {}, "Holder binding"), el("dd", { id: "holder-binding" }, holder.idCheck ? "yes: the ID number can be checked offline" : "none"),
        v.expiresAt ? [el("dt", {}, "Badge expires"), el("dd", {}, v.expiresAt)] : null),
      el("h3", {}, "Certificates"),
      el("ul", { class: "certs" }, holder.certificates.map((c) =>
        el("li", {}, el("strong", {}, Care.label("certificate", c.type)), ` ${c.number} — valid until ${c.expiresOn}`))),
    );
  }

  function showIdResult(check) {
    const out = $("id-result");
    out.dataset.match = check === "match" ? "true" : check === "mismatch" ? "false" : "null";
    out.className = `id-result ${check === "match" ? "yes" : check === "mismatch" ? "no" : ""}`;
    out.textContent = check === "match" ? "✔ The ID number matches this badge."
      : check === "mismatch" ? "✘ The ID number does NOT match this badge (人证不符)."
        : check === "unavailable" ? "Cannot tell offline: this badge carries no holder binding; sign in and go online to check."
          : "";
  }

  // The verdict on `text`, offline first, then online when signed in; with the typed ID number when there is one.
  async function handle(text) {
    text = text.replace(/^[\r\n\t]+|[\r\n\t]+$/g, ""); // a pasted line break is not part of the badge (a space is Base45)
    if (!text) return;
    const typed = $("id-number").value.trim() || null;
    await refreshIfDue();
    if (!trust) await loadLists();
    let offline;
    if (trust) {
      offline = await CareBadge.verify(text, trust, status, { idNumber: typed });
    } else {
      offline = { verdict: "malformed", reason: "No trust list on this device yet: open the page online once.", holderCheck: "not_checked" };
    }
    current = { text, claims: offline.claims || null };
    const c = offline.claims;
    render({ verdict: offline.verdict, reason: offline.reason, holder: c ? holderFromClaims(c) : null,
      holderCheck: offline.holderCheck, statusAsOf: status ? status.issuedAt : null, source: "offline",
      expiresAt: c ? new Date(c.expiresAt * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC" : null });
    showIdResult(typed ? offline.holderCheck : "not_checked");
    if (CareVisit.isOpen()) await CareVisit.record(text, offline.verdict, typed); // queued first, uploaded when online
    if (getKey() && navigator.onLine) {
      try {
        const live = await api("/v1/verify", { method: "POST", body: typed ? { qr: text, id_number: typed } : { qr: text } });
        if (current && current.text === text) {
          render({ verdict: live.verdict, reason: live.reason, holder: live.holder ? holderFromOnline(live.holder) : null,
            holderCheck: live.holder_check, statusAsOf: live.status && live.status.issued_at ? Date.parse(live.status.issued_at) / 1000 : null,
            source: "online", expiresAt: live.expires_at ? live.expires_at.slice(0, 16).replace("T", " ") + " UTC" : null });
          showIdResult(typed ? live.holder_check : "not_checked");
        }
      } catch (e) { /* offline or the key lapsed: the offline verdict stands */ }
    }
  }

  // 人证合一: the typed ID number is part of the verdict -------------------------------------------------
  async function checkId() {
    if (!current) { $("id-result").textContent = "Scan a badge first."; return; }
    await handle(current.text);
  }

  // Camera, photo, text --------------------------------------------------------------------------
  let detector = null;
  async function makeDetector() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) return new BarcodeDetector({ formats: ["qr_code"] });
      } catch (e) { /* fall back to jsQR */ }
    }
    return null;
  }

  async function decodeFrom(source, width, height) {
    if (detector) {
      try {
        const codes = await detector.detect(source);
        if (codes.length) return codes[0].rawValue;
      } catch (e) { /* try jsQR */ }
    }
    const canvas = $("frame");
    canvas.width = width; canvas.height = height;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(source, 0, 0, width, height);
    if (typeof jsQR === "undefined") return null; // not fetched at set-up (python -m carecred.webdeps)
    const img = ctx.getImageData(0, 0, width, height);
    const code = jsQR(img.data, width, height, { inversionAttempts: "attemptBoth" });
    return code ? code.data : null;
  }

  let stream = null, scanning = false;
  async function startCamera() {
    const video = $("video");
    if (stream) { stopCamera(); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      render({ verdict: "malformed", reason: `No camera: ${e.message}. Paste the text or choose a photo instead.`, source: "offline" });
      return;
    }
    $("camera-box").hidden = false;
    video.srcObject = stream;
    await video.play();
    $("camera").textContent = "Stop camera";
    scanning = true;
    const tick = async () => {
      if (!scanning) return;
      if (video.readyState >= 2 && video.videoWidth) {
        const text = await decodeFrom(video, video.videoWidth, video.videoHeight);
        if (text) { stopCamera(); await handle(text); return; }
      }
      setTimeout(tick, 150);
    };
    tick();
  }
  function stopCamera() {
    scanning = false;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    $("camera-box").hidden = true;
    $("camera").textContent = "Start camera";
  }

  async function fromFile(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
    const text = await decodeFrom(bitmap, Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
    if (text) await handle(text);
    else render({ verdict: "malformed", reason: "No QR code found in that picture.", source: "offline" });
  }

  // Inspector key for live checks (optional) -------------------------------------------------------
  function account() {
    const box = $("account");
    Care.session(box, {
      roles: ["inspector", "registrar", "hr", "auditor"], title: "Live checks (optional)",
      onLogin: (me) => {
        box.replaceChildren(el("p", {}, `Live checks on: signed in as ${me.role}.`), Care.signOutButton(account));
        CareVisit.start(me);
      },
    });
  }

  document.addEventListener("DOMContentLoaded", async () => {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
    }
    $("camera").addEventListener("click", startCamera);
    $("file").addEventListener("change", (e) => { if (e.target.files[0]) fromFile(e.target.files[0]); });
    $("verify-text").addEventListener("click", () => handle($("qr-text").value));
    $("check-id").addEventListener("click", checkId);
    await CareVisit.resume();
    account();
    Care.loadLabels();
    detector = await makeDetector();
    await loadLists();
    window.addEventListener("online", () => loadLists());
    setInterval(() => { if (document.visibilityState === "visible") refreshIfDue(); }, 60 * 1000);
  });
})();

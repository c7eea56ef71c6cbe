// The inspector's scanner: camera / photo / pasted text -> verdict, offline with cached signed lists.
"use strict";

(() => {
  const { el, api, getKey } = Care;
  const $ = (id) => document.getElementById(id);
  const WK = "/.well-known/carecred";
  const STORE = "carecred.lists";
  const PIN = "carecred.trustAnchor";

  const WORDS = {
    valid: ["VALID", "有效", "valid"],
    expired: ["EXPIRED", "已过期", "expired"],
    not_yet_valid: ["NOT YET VALID", "尚未生效", "invalid"],
    revoked: ["REVOKED", "已吊销", "revoked"],
    suspended: ["SUSPENDED", "已暂停", "suspended"],
    invalid_signature: ["INVALID", "签名无效", "invalid"],
    unknown_key: ["INVALID", "签发密钥未知", "invalid"],
    malformed: ["INVALID", "不是有效的证码", "invalid"],
  };

  let trust = null, status = null, listsSource = "none";
  let current = null; // { text, claims }

  // Lists: fetch online, keep the bytes for offline, always verify signatures before use ----------
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
  const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

  let fromCache = false; // the service worker answered from its cache: we are offline
  async function fetchChecked(path) {
    const r = await fetch(path, { cache: "no-store", credentials: "omit" });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    if (r.headers.get("X-Carecred-Served-From") === "cache") fromCache = true;
    return r;
  }
  const fetchBytes = async (path) => new Uint8Array(await (await fetchChecked(path)).arrayBuffer());

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
      else if (pinned.trim() !== anchorPem.trim()) warning = "The server's trust anchor differs from the one pinned on this device; using the pinned one.";
      const t = await CareBadge.parseTrustList(trustBytes, pinned);
      const s = await CareBadge.parseStatusList(statusBytes, t);
      trust = t; status = s; listsSource = fromCache ? "cached" : "online";
      if (!fromCache) localStorage.setItem(STORE, JSON.stringify({ trust: b64(trustBytes), status: b64(statusBytes), fetchedAt: Date.now() }));
    } catch (e) {
      if (saved && pinned) {
        try {
          trust = await CareBadge.parseTrustList(unb64(saved.trust), pinned);
          status = await CareBadge.parseStatusList(unb64(saved.status), trust);
          listsSource = "cached";
        } catch (e2) { warning = `Cached lists unusable: ${e2.message}`; }
      } else {
        warning = "No trust list yet: open this page once while online.";
      }
    }
    showLists(warning);
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
      parts.push(el("span", { class: now > status.expiresAt ? "stale" : "" },
        `Status list ${age(now - status.issuedAt)} old${now > status.expiresAt ? " (stale — revocations may be missing)" : ""}`));
    }
    parts.push(el("span", { id: "lists-source", "data-source": listsSource },
      listsSource === "online" ? "fresh from the server" : listsSource === "cached" ? "offline: cached copy" : "no lists"));
    if (warning) parts.push(el("span", { class: "stale" }, warning));
    p.replaceChildren(...parts.flatMap((x, i) => (i ? [" · ", x] : [x])));
    p.dataset.ready = trust ? "yes" : "no";
  }

  // Verdict rendering ----------------------------------------------------------------------------
  function holderFromOnline(h) {
    return { name: h.name, idMasked: h.id_masked, nurseryName: h.nursery_name, roles: h.roles,
      certificates: h.certificates.map((c) => ({ type: c.type, number: c.number, expiresOn: c.expires_on })) };
  }

  function render(verdict, reason, holder, source, expiresAt) {
    const [word, zh, kind] = WORDS[verdict] || ["INVALID", "无效", "invalid"];
    const box = $("verdict");
    box.className = `verdict ${kind}`;
    box.dataset.verdict = verdict;
    box.dataset.source = source;
    box.replaceChildren(
      el("p", { class: "verdict-word" }, word, " ", el("span", { class: "zh" }, zh)),
      el("p", { class: "verdict-reason" }, reason),
      el("p", { class: "verdict-source" }, source === "online" ? "Checked online, with live status"
        : listsSource === "online" ? "Checked on this device with the signed lists just downloaded"
          : "Checked OFFLINE on this device with the cached signed lists"),
    );
    const card = $("holder");
    if (!holder) { card.hidden = true; card.replaceChildren(); return; }
    card.hidden = false;
    card.replaceChildren(
      el("h2", { id: "holder-name" }, holder.name),
      el("dl", {},
        el("dt", {}, "ID number"), el("dd", { id: "holder-id" }, holder.idMasked),
        el("dt", {}, "Nursery"), el("dd", { id: "holder-nursery" }, holder.nurseryName),
        el("dt", {}, "Roles"), el("dd", { id: "holder-roles" }, holder.roles.map((r) => Care.label("role", r)).join(", ")),
        expiresAt ? [el("dt", {}, "Badge expires"), el("dd", {}, expiresAt)] : null),
      el("h3", {}, "Certificates"),
      el("ul", { class: "certs" }, holder.certificates.map((c) =>
        el("li", {}, el("strong", {}, Care.label("certificate", c.type)), ` ${c.number} — valid until ${c.expiresOn}`))),
    );
  }

  async function handle(text) {
    text = text.trim();
    if (!text) return;
    $("id-result").textContent = "";
    if (!trust) await loadLists();
    let offline;
    if (trust) {
      offline = await CareBadge.verify(text, trust, status);
    } else {
      offline = { verdict: "malformed", reason: "No trust list on this device yet: open the page online once." };
    }
    current = { text, claims: offline.claims || null };
    const c = offline.claims;
    render(offline.verdict, offline.reason, c || null, "offline",
      c ? new Date(c.expiresAt * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC" : null);
    if (getKey() && navigator.onLine) {
      try {
        const live = await api("/v1/verify", { method: "POST", body: { qr: text } });
        if (current && current.text === text) {
          render(live.verdict, live.reason, live.holder ? holderFromOnline(live.holder) : null, "online",
            live.expires_at ? live.expires_at.slice(0, 16).replace("T", " ") + " UTC" : null);
        }
      } catch (e) { /* offline or the key lapsed: the offline verdict stands */ }
    }
  }

  // 人证合一 ---------------------------------------------------------------------------------------
  async function checkId() {
    const out = $("id-result");
    const typed = $("id-number").value;
    if (!current) { out.textContent = "Scan a badge first."; return; }
    if (!CareBadge.normaliseId(typed)) { out.className = "id-result no"; out.textContent = "Not a valid 18-character ID number (check the last character)."; return; }
    out.className = "id-result"; out.textContent = "Checking…";
    let match = null, how = "";
    if (current.claims && current.claims.idDigest) {
      match = await CareBadge.idMatches(current.claims, typed); how = "on this device";
    }
    if (match === null && getKey() && navigator.onLine) {
      try {
        const live = await api("/v1/verify", { method: "POST", body: { qr: current.text, id_number: typed } });
        match = live.id_match; how = "online";
      } catch (e) { /* stays unknown */ }
    }
    out.dataset.match = String(match);
    if (match === true) { out.className = "id-result yes"; out.textContent = `✔ The ID number matches this badge (${how}).`; }
    else if (match === false) { out.className = "id-result no"; out.textContent = `✘ The ID number does NOT match this badge (${how}).`; }
    else { out.className = "id-result"; out.textContent = "Cannot tell offline: this badge carries no ID check; go online and sign in with an inspector key."; }
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
      render("malformed", `No camera: ${e.message}. Paste the text or choose a photo instead.`, null, "offline");
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
    else render("malformed", "No QR code found in that picture.", null, "offline");
  }

  // Inspector key for live checks (optional) -------------------------------------------------------
  function account() {
    const box = $("account");
    Care.session(box, {
      roles: ["inspector", "registrar", "hr", "auditor"], title: "Live checks (optional)",
      onLogin: (me) => box.replaceChildren(el("p", {}, `Live checks on: signed in as ${me.role}.`),
        Care.signOutButton(account)),
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
    account();
    Care.loadLabels();
    detector = await makeDetector();
    await loadLists();
    window.addEventListener("online", () => loadLists());
  });
})();

// The inspector's visit on the scan page: open a visit (online), queue every scan in IndexedDB, upload the queue
// whenever the network is there (at once, when it comes back, on reload). Each scan keeps its device id and time,
// so an upload repeated after a lost answer is recorded once. The typed ID number is never stored: a queued scan
// carries the device's own verdict (incl. holder_mismatch) instead.
"use strict";

const CareVisit = (() => {
  const { el, api, getKey } = Care;
  const $ = (id) => document.getElementById(id);
  const OPEN = "carecred.visit";
  const DB = "carecred-visits", STORE = "scans";
  let visit = null; // { visit_id, nursery_id, nursery_name }
  let uploading = false;

  function db() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "client_scan_id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async function tx(mode, work) {
    const conn = await db();
    return new Promise((resolve, reject) => {
      const t = conn.transaction(STORE, mode);
      const result = work(t.objectStore(STORE));
      t.oncomplete = () => { conn.close(); resolve(result && "result" in result ? result.result : undefined); };
      t.onerror = () => { conn.close(); reject(t.error); };
    });
  }
  const queued = async () => ((await tx("readonly", (s) => s.getAll())) || []).filter((q) => visit && q.visit_id === visit.visit_id);
  const remove = (ids) => tx("readwrite", (s) => ids.forEach((id) => s.delete(id)));

  function saved() {
    try { return JSON.parse(localStorage.getItem(OPEN) || "null"); } catch (e) { return null; }
  }

  async function show(note = "") {
    const box = $("visit");
    if (!visit) return;
    const pending = (await queued()).length;
    const closeButton = el("button", { type: "button", id: "visit-close", class: "secondary" }, "Close the visit");
    closeButton.addEventListener("click", closeVisit);
    const uploadButton = el("button", { type: "button", id: "visit-upload" }, "Upload now");
    uploadButton.addEventListener("click", () => upload());
    box.hidden = false;
    box.replaceChildren(
      el("h2", {}, "Visit open ", el("small", {}, "巡查中")),
      el("p", { id: "visit-nursery" }, visit.nursery_name),
      el("p", {}, "Scans waiting to upload: ", el("strong", { id: "visit-pending", "data-count": pending }, String(pending)),
        pending && !navigator.onLine ? " (offline: they upload when the network is back)" : ""),
      note ? el("p", { id: "visit-note", class: "muted" }, note) : null,
      el("div", { class: "row" }, uploadButton, closeButton),
    );
  }

  async function openForm(me) {
    const box = $("visit");
    box.hidden = false;
    if (!me.scope) {
      box.replaceChildren(el("p", { class: "muted" }, "Visits need an inspector key scoped to a registered inspector."));
      return;
    }
    let nurseries = [];
    try { nurseries = await api("/v1/nurseries"); } catch (e) { /* offline: no visit can be opened now */ }
    const select = el("select", { id: "visit-nursery-choice" },
      nurseries.map((n) => el("option", { value: n.nursery_id }, `${n.name} (${n.town})`)));
    const kind = el("select", { id: "visit-kind" }, el("option", { value: "routine" }, "Routine 日常"),
      el("option", { value: "random" }, "Random 双随机"));
    const month = el("input", { id: "visit-month", placeholder: "2027-01", maxlength: "7" });
    const error = el("p", { class: "error", role: "alert", id: "visit-error" });
    const button = el("button", { type: "button", id: "visit-open" }, "Open a visit");
    button.addEventListener("click", async () => {
      const body = { nursery_id: select.value, kind: kind.value };
      if (kind.value === "random") body.draw_month = month.value.trim();
      try {
        const opened = await api("/v1/inspections/visits", { method: "POST", body });
        const chosen = nurseries.find((n) => n.nursery_id === opened.nursery_id);
        visit = { visit_id: opened.visit_id, nursery_id: opened.nursery_id, nursery_name: chosen ? chosen.name : "" };
        localStorage.setItem(OPEN, JSON.stringify(visit));
        await show("Scans are now recorded against this visit.");
      } catch (e) { error.textContent = e.message; }
    });
    box.replaceChildren(el("h2", {}, "Visit ", el("small", {}, "实地巡查")),
      el("label", { for: "visit-nursery-choice" }, "Nursery"), select,
      el("label", { for: "visit-kind" }, "Kind"), kind,
      el("label", { for: "visit-month" }, "Draw month (random visits)"), month, button, error);
  }

  // A scan made during the visit: into the queue first, then an upload try (the ID number only in memory, once).
  async function record(text, deviceVerdict, idNumber) {
    if (!visit) return;
    const scan = { visit_id: visit.visit_id, client_scan_id: crypto.randomUUID(), scanned_at: new Date().toISOString(),
      qr: text, device_verdict: deviceVerdict };
    await tx("readwrite", (s) => s.put(scan));
    await upload(idNumber ? { [scan.client_scan_id]: idNumber } : {});
  }

  async function upload(idNumbers = {}) {
    if (!visit || uploading || !getKey()) { await show(); return; }
    uploading = true;
    let note = "";
    try {
      const scans = (await queued()).map((q) => {
        const body = { client_scan_id: q.client_scan_id, scanned_at: q.scanned_at, qr: q.qr, device_verdict: q.device_verdict };
        if (idNumbers[q.client_scan_id]) body.id_number = idNumbers[q.client_scan_id];
        return body;
      });
      if (scans.length && navigator.onLine) {
        const receipt = await api(`/v1/inspections/visits/${visit.visit_id}/scans`, { method: "POST", body: { scans } });
        await remove([...receipt.recorded, ...receipt.already_recorded]);
        note = `Uploaded: ${receipt.recorded.length} new, ${receipt.already_recorded.length} already recorded.`;
      }
    } catch (e) {
      note = e.status ? `Upload refused: ${e.message}` : "Offline: the scans wait on this device.";
    } finally {
      uploading = false;
    }
    await show(note);
  }

  async function closeVisit() {
    await upload();
    if ((await queued()).length) { await show("Upload the waiting scans (online) before closing."); return; }
    try {
      await api(`/v1/inspections/visits/${visit.visit_id}/close`, { method: "POST", body: {} });
    } catch (e) { await show(`Not closed: ${e.message}`); return; }
    visit = null;
    localStorage.removeItem(OPEN);
    $("visit").replaceChildren(el("p", { id: "visit-closed" }, "Visit closed."));
  }

  // Signed in as an inspector: the open visit (kept across reloads, offline too) or the form to open one.
  async function start(me) {
    if (me.role !== "inspector") return;
    visit = saved();
    if (visit) { await show(); await upload(); } else { await openForm(me); }
  }

  // On load, offline too: a visit opened earlier goes on (its scans queue) while the key is in this tab.
  async function resume() {
    visit = getKey() ? saved() : null;
    if (visit) await show();
  }

  window.addEventListener("online", () => upload());
  setInterval(() => { if (visit && navigator.onLine) upload(); }, 30 * 1000);
  return { start, resume, record, upload, isOpen: () => visit !== null };
})();

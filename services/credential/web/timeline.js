// An auditor's timeline of a person: every recorded fact in order, each with its event and its inclusion proof.
"use strict";

(() => {
  const { el, api } = Care;
  const main = () => document.getElementById("main");

  async function showProof(entry, cell) {
    try {
      const proof = await api(entry.proof);
      cell.replaceChildren(el("span", { class: "pill ok" }, `leaf ${proof.leaf_index} of ${proof.tree_size}`),
        el("code", { class: "muted" }, ` root ${proof.root_hash.slice(0, 16)}…`));
    } catch (e) {
      cell.replaceChildren(el("span", { class: "pill bad" }, e.message));
    }
  }

  function row(entry) {
    const proofCell = el("td", {});
    if (entry.proof) {
      const button = el("button", { type: "button", class: "proof" }, "Proof");
      button.addEventListener("click", () => showProof(entry, proofCell));
      proofCell.append(button);
    } else if (entry.source_position !== null) {
      proofCell.append(el("span", { class: "muted" }, `training feed #${entry.source_position}`));
    }
    return el("tr", { "data-kind": entry.kind },
      el("td", {}, entry.recorded_at.slice(0, 19).replace("T", " ")), el("td", {}, entry.kind),
      el("td", {}, entry.summary),
      el("td", { class: "optional" }, entry.position === null ? "" :
        `#${entry.position} · ${entry.originator_id.slice(0, 8)} v${entry.version}`),
      proofCell);
  }

  async function load(staffId, asOf) {
    const out = document.getElementById("timeline-out");
    out.replaceChildren(el("p", { class: "muted" }, "Loading…"));
    try {
      const query = asOf ? `?as_of=${encodeURIComponent(new Date(asOf).toISOString())}` : "";
      const t = await api(`/v1/audit/people/${encodeURIComponent(staffId)}/timeline${query}`);
      out.replaceChildren(
        el("h2", { id: "person" }, `${t.name} — ${t.entries.length} entries${t.as_of ? ` as recorded at ${t.as_of}` : ""}`),
        el("table", { id: "timeline" },
          el("thead", {}, el("tr", {}, el("th", {}, "Recorded"), el("th", {}, "What"), el("th", {}, "Summary"),
            el("th", { class: "optional" }, "Event"), el("th", {}, "Proof"))),
          el("tbody", {}, t.entries.map(row))));
    } catch (e) {
      out.replaceChildren(el("p", { class: "error", role: "alert" }, `Could not load: ${e.message}`));
    }
  }

  function render() {
    const staff = el("input", { id: "staff-id", name: "staff", required: true, placeholder: "staff id (UUID)", size: 40 });
    const asOf = el("input", { id: "as-of", name: "as_of", type: "datetime-local" });
    const form = el("form", { class: "card", id: "ask" }, el("label", {}, "Person ", staff),
      el("label", {}, " as recorded at ", asOf), el("button", { type: "submit" }, "Show"));
    form.addEventListener("submit", (event) => { event.preventDefault(); load(staff.value.trim(), asOf.value); });
    main().replaceChildren(form, el("section", { class: "card", id: "timeline-out" }));
    const wanted = new URLSearchParams(location.search).get("staff");
    if (wanted) { staff.value = wanted; load(wanted, ""); }
  }

  function start() {
    Care.session(main(), {
      roles: ["auditor", "registrar"], title: "Sign in with an auditor or registrar key",
      onLogin: () => {
        document.getElementById("nav").replaceChildren(Care.signOutButton(() => { document.getElementById("nav").replaceChildren(); start(); }));
        render();
      },
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

// District dashboard: 持证上岗率 per nursery and overall, teachers with 育婴员证 against 75%, as bars; CSV export.
"use strict";

(() => {
  const { el, api, pct, bar } = Care;
  const main = () => document.getElementById("main");
  let figures = null;

  function csvCell(value) {
    let s = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`; // no formulas when opened in a spreadsheet
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }

  function toCsv(f) {
    const rows = [["scope", "nursery_id", "name", "town", "people", "compliant_people", "certified_rate", "on"]];
    rows.push(["district", "", "", "", f.people, f.compliant_people, f.certified_rate, f.on]);
    for (const n of f.nurseries) rows.push(["nursery", n.nursery_id, n.name, n.town, n.people, n.compliant_people, n.certified_rate, f.on]);
    const t = f.public_kindergarten_teachers;
    rows.push([], ["public_kindergarten_teachers", "teachers", "with_infant_care", "share", "target", "meets_target"],
      ["", t.teachers, t.with_infant_care, t.share, t.target, t.meets_target]);
    rows.push([], ["expiring_within_30", "expiring_within_60", "expiring_within_90"],
      [f.expiring_within_30, f.expiring_within_60, f.expiring_within_90]);
    rows.push([], ["training_year", "training_complete_people", "people", "training_completion_rate", "training_as_of"],
      [f.training_year, f.training_complete_people, f.people, f.training_completion_rate, f.training_as_of]);
    return "\ufeff" + rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
  }

  function download() {
    const blob = new Blob([toCsv(figures)], { type: "text/csv;charset=utf-8" });
    const a = el("a", { href: URL.createObjectURL(blob), download: `carecred-district-${figures.on}.csv` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  const rateKind = (r) => (r === null ? "" : r >= 0.95 ? "ok" : r >= 0.75 ? "warn" : "bad");

  function render(f) {
    const t = f.public_kindergarten_teachers;
    const overall = el("section", { class: "card" },
      el("h2", {}, `持证上岗率 — the whole district (as on ${f.on})`),
      el("p", { class: "big", id: "overall-rate" }, pct(f.certified_rate)),
      el("p", {}, `${f.compliant_people} of ${f.people} people at work hold every certificate their role needs.`),
      bar((f.certified_rate || 0) * 100, 100, { kind: rateKind(f.certified_rate) }));
    overall.lastChild.classList.add("wide");

    const teachers = el("section", { class: "card", id: "teachers" },
      el("h2", {}, "Public kindergarten teachers with the infant-care certificate (育婴员证)"),
      el("p", { class: "big" }, pct(t.share)),
      el("p", {}, `${t.with_infant_care} of ${t.teachers} teachers · target ${pct(t.target)} · `,
        el("span", { class: `pill ${t.meets_target ? "ok" : "bad"}` }, t.meets_target ? "target met" : "below target")),
      bar((t.share || 0) * 100, 100, { target: t.target * 100, kind: t.meets_target ? "ok" : "bad" }));
    teachers.lastChild.classList.add("wide");

    const perNursery = el("section", { class: "card" }, el("h2", {}, "持证上岗率 per nursery (lowest first)"),
      el("table", { id: "nurseries" },
        el("thead", {}, el("tr", {}, el("th", {}, "Nursery"), el("th", { class: "optional" }, "Town"), el("th", {}, "People"), el("th", {}, "Rate"), el("th", {}, ""))),
        el("tbody", {}, f.nurseries.map((n) => el("tr", { "data-nursery": n.nursery_id },
          el("td", {}, n.name), el("td", { class: "optional" }, n.town), el("td", {}, `${n.compliant_people} / ${n.people}`),
          el("td", {}, pct(n.certified_rate)), el("td", {}, bar((n.certified_rate || 0) * 100, 100, { kind: rateKind(n.certified_rate) })))))));

    const expiring = el("section", { class: "card" }, el("h2", {}, "Certificates expiring"),
      el("div", { class: "tiles" }, [30, 60, 90].map((d) => el("div", { class: "tile" },
        el("p", { class: "muted" }, `within ${d} days`), el("p", { class: "big" }, String(f[`expiring_within_${d}`]))))));

    const training = el("section", { class: "card", id: "training" }, el("h2", {}, "Training completion (72 h skills / 40 h ethics)"),
      f.training_completion_rate === null || f.training_completion_rate === undefined
        ? el("p", { class: "muted" }, "No training data from the training service yet.")
        : [el("p", { class: "big", id: "training-rate" }, pct(f.training_completion_rate)),
          el("p", {}, `${f.training_complete_people} of ${f.people} people at work completed both in ${f.training_year}`,
            f.training_as_of ? ` · training data as of ${f.training_as_of.slice(0, 16).replace("T", " ")}` : ""),
          bar(f.training_completion_rate * 100, 100, { kind: rateKind(f.training_completion_rate) })]);
    if (training.lastChild.classList.contains("bar")) training.lastChild.classList.add("wide");

    const exportButton = el("button", { type: "button", id: "export-csv" }, "Export CSV");
    exportButton.addEventListener("click", download);
    main().replaceChildren(...[el("div", { class: "row" }, exportButton), overall, teachers, perNursery, expiring, training,
      CareInspections.districtSection(f.inspections)].filter(Boolean));
  }

  async function load() {
    main().replaceChildren(el("p", { class: "muted" }, "Loading…"));
    try {
      figures = await api("/v1/district/figures");
      render(figures);
    } catch (e) {
      main().replaceChildren(el("p", { class: "card error", role: "alert" }, `Could not load: ${e.message}`));
    }
  }

  function start() {
    Care.session(main(), {
      roles: ["registrar", "auditor", "inspector"], title: "Sign in with a registrar or auditor key",
      onLogin: () => {
        document.getElementById("nav").replaceChildren(Care.signOutButton(() => { document.getElementById("nav").replaceChildren(); start(); }));
        load();
      },
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

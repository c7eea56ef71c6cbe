// District dashboard: the plan's targets with a trend by month (plain SVG), 持证上岗率 per nursery and overall,
// teachers with 育婴员证 against 75%, staff left at closed nurseries; CSV export.
"use strict";

(() => {
  const { el, api, pct, bar } = Care;
  const main = () => document.getElementById("main");
  let figures = null;
  let planTargets = null;

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
    if (planTargets) {
      rows.push([], ["target", "title", "numerator", "denominator", "rate", "target_rate", "met", "on"]);
      for (const t of planTargets.targets) rows.push([t.code, t.title_zh, t.numerator, t.denominator, t.rate, t.target, t.met, planTargets.on]);
    }
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

  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = ["#1b6ec2", "#2e8540", "#b35c00", "#7b3fa0", "#c0392b", "#0f7c7c"];

  function svg(tag, attrs = {}, text = null) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== null) node.textContent = text;
    return node;
  }

  function targetsCard(t) {
    const rows = t.targets.map((f) => el("tr", { "data-target": f.code },
      el("td", {}, f.title_zh), el("td", { class: "count" }, `${f.numerator} / ${f.denominator}`),
      el("td", {}, pct(f.rate)), el("td", { class: "optional" }, f.target === null ? "—" : pct(f.target)),
      el("td", {}, f.met === null ? el("span", { class: "muted" }, f.target === null ? "a count to follow" : "nothing to count")
        : el("span", { class: `pill ${f.met ? "ok" : "bad"}` }, f.met ? "met" : "not met"))));
    const towns = el("ul", { id: "towns", class: "towns" }, t.towns.map((c) =>
      el("li", { class: c.covered ? "ok" : "bad", "data-covered": String(c.covered) },
        `${c.town} ${c.covered ? `✓ ${c.facilities}` : "✗"}`)));
    return el("section", { class: "card", id: "plan-targets" },
      el("h2", {}, `The plan's targets (三年行动计划) — as on ${t.on}`),
      el("table", { id: "targets" },
        el("thead", {}, el("tr", {}, el("th", {}, "Target"), el("th", {}, "Count"), el("th", {}, "Share"),
          el("th", { class: "optional" }, "Target"), el("th", {}, ""))),
        el("tbody", {}, rows)),
      el("p", {}, `${t.open_facilities} open facilities · ${t.suspended_facilities} suspended · ${t.closed_facilities} closed`),
      el("p", { id: "random-checks" }, `“双随机” random checks by month: ${Object.entries(t.random_checks_per_month || {})
        .map(([m, n]) => `${m}: ${n}`).join(" · ") || "none this year"}`),
      towns);
  }

  function monthEnds(today, count) {
    const ends = [];
    for (let i = count - 1; i >= 0; i--) {
      const end = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - i + 1, 0));
      ends.push((end > today ? today : end).toISOString().slice(0, 10));
    }
    return ends;
  }

  function trendChart(series) {
    const width = 640, height = 240, left = 40, right = 12, top = 12, bottom = 28;
    const x = (i) => left + (series.length > 1 ? (i * (width - left - right)) / (series.length - 1) : 0);
    const y = (r) => top + (1 - r) * (height - top - bottom);
    const chart = svg("svg", { id: "trend-chart", viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": "The plan's targets by month" });
    for (const r of [0, 0.25, 0.5, 0.75, 1]) {
      chart.append(svg("line", { x1: left, x2: width - right, y1: y(r), y2: y(r), stroke: "#ddd" }),
        svg("text", { x: 4, y: y(r) + 4, "font-size": 11 }, `${Math.round(r * 100)}%`));
    }
    series.forEach((point, i) => chart.append(svg("text", { x: x(i) - 14, y: height - 8, "font-size": 10 }, point.on.slice(0, 7))));
    // Figures with a target share (a count to follow, such as overdue findings, is in the table only).
    const latestTargets = series.length ? series[series.length - 1].targets.filter((f) => f.target !== null) : [];
    const codes = latestTargets.map((f) => f.code);
    const legend = el("ul", { class: "legend" });
    codes.forEach((code, k) => {
      const colour = COLOURS[k % COLOURS.length];
      const points = series.map((point, i) => {
        const f = point.targets.find((g) => g.code === code);
        return f && f.rate !== null ? `${x(i).toFixed(1)},${y(f.rate).toFixed(1)}` : null;
      }).filter(Boolean);
      chart.append(svg("polyline", { points: points.join(" "), fill: "none", stroke: colour, "stroke-width": 2,
        "data-target": code }));
      const latest = latestTargets[k];
      const item = el("li", {}, `■ ${latest.title_zh}`);
      item.style.color = colour;
      legend.append(item);
    });
    return [chart, legend];
  }

  async function loadTrend() {
    const card = document.getElementById("trend");
    try {
      const series = [];
      for (const on of monthEnds(new Date(), 12)) series.push(await api(`/v1/district/targets?on=${on}`));
      card.replaceChildren(el("h2", {}, "The targets by month (each month's last day)"), ...trendChart(series));
    } catch (e) {
      card.replaceChildren(el("p", { class: "error", role: "alert" }, `Could not load the trend: ${e.message}`));
    }
  }

  async function loadFlags() {
    const card = document.getElementById("flags");
    try {
      const flagged = await api("/v1/nurseries/staff-at-closed");
      card.replaceChildren(el("h2", {}, "Staff still assigned at a closed or suspended nursery"),
        flagged.length === 0 ? el("p", { class: "muted" }, "Nobody.")
          : el("table", { id: "flagged" }, el("tbody", {}, flagged.map((f) => el("tr", {},
            el("td", {}, f.name), el("td", {}, f.role), el("td", {}, f.nursery_name),
            el("td", {}, el("span", { class: "pill bad" }, `${f.status} since ${f.status_since}`)))))));
    } catch (e) {
      card.remove(); // an inspector's key does not see them
    }
  }

  async function load() {
    main().replaceChildren(el("p", { class: "muted" }, "Loading…"));
    try {
      const [loaded, targets] = await Promise.all([api("/v1/district/figures"), api("/v1/district/targets")]);
      figures = loaded;
      planTargets = targets;
      render(figures);
      main().insertBefore(targetsCard(targets), main().children[1]);
      main().insertBefore(el("section", { class: "card", id: "trend" }, el("p", { class: "muted" }, "Loading the trend…")), main().children[2]);
      main().append(el("section", { class: "card", id: "flags" }));
      loadTrend();
      loadFlags();
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

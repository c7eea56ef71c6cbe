// Inspections on the dashboards: the district's visits per month (a plain SVG chart), nurseries below 2 visits a year,
// open and overdue findings; a nursery's own visits and findings on the HR page.
"use strict";

const CareInspections = (() => {
  const { el, api } = Care;
  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  // Columns for the 12 months of the year: all visits, and of them the random (双随机) ones.
  function monthChart(year, visits, random) {
    const months = Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, "0")}`);
    const top = Math.max(1, ...months.map((m) => visits[m] || 0));
    const W = 480, H = 160, left = 28, bottom = 20, step = (W - left) / 12, h = H - bottom - 10;
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", id: "visits-chart", class: "chart",
      "aria-label": `Visits per month in ${year}` });
    chart.append(svg("line", { x1: left, y1: H - bottom, x2: W, y2: H - bottom, stroke: "#8a94a6" }));
    chart.append(svg("text", { x: 2, y: 14, "font-size": 10 }, String(top)));
    months.forEach((m, i) => {
      const all = visits[m] || 0, drawn = random[m] || 0;
      const x = left + i * step + 4, width = step - 8;
      const bar = (value, fill, cls) => svg("rect", { x, width, y: H - bottom - (value / top) * h, height: (value / top) * h,
        fill, class: cls, "data-month": m, "data-value": value });
      chart.append(bar(all, "#1d3557", "visits"), bar(drawn, "#e9a23b", "random"));
      chart.append(svg("text", { x: x + width / 2, y: H - 6, "font-size": 9, "text-anchor": "middle" }, String(i + 1)));
      if (all) chart.append(svg("text", { x: x + width / 2, y: H - bottom - (all / top) * h - 2, "font-size": 9,
        "text-anchor": "middle" }, String(all)));
    });
    return chart;
  }

  function districtSection(f) {
    if (!f) return null;
    const below = f.visits_per_nursery.filter((n) => n.visits < n.required);
    return el("section", { class: "card", id: "inspections" },
      el("h2", {}, `On-site inspections ${f.year} (每年至少实地巡查2次, as on ${f.on})`),
      el("div", { class: "tiles" },
        el("div", { class: "tile" }, el("p", { class: "muted" }, "Nurseries below 2 visits"),
          el("p", { class: "big", id: "below-required" }, String(f.nurseries_below_required))),
        el("div", { class: "tile" }, el("p", { class: "muted" }, "Open findings"),
          el("p", { class: "big", id: "open-findings" }, String(f.open_findings))),
        el("div", { class: "tile" }, el("p", { class: "muted" }, "Overdue findings"),
          el("p", { class: `big ${f.overdue_findings ? "stale" : ""}`, id: "overdue-findings" }, String(f.overdue_findings)))),
      el("h3", {}, "Visits per month (blue) and random checks 双随机 (orange)"),
      monthChart(f.year, f.visits_per_month, f.random_checks_per_month),
      below.length ? el("table", { id: "below" }, el("thead", {}, el("tr", {}, el("th", {}, "Nursery"), el("th", {}, "Visits"))),
        el("tbody", {}, below.map((n) => el("tr", { "data-nursery": n.nursery_id }, el("td", {}, n.name),
          el("td", {}, `${n.visits} / ${n.required}`))))) : el("p", { class: "muted" }, "Every nursery has its 2 visits."));
  }

  const KINDS = { no_valid_badge: "No valid badge 无有效工作证", holder_mismatch: "Holder mismatch 人证不符",
    not_on_roster: "Not on the roster 不在花名册", lapsed_certificate: "Lapsed certificate 证书失效" };

  // The HR page: this nursery's visits this year and its findings not yet closed (the API shows HR nothing else).
  async function nurserySection(nurseryId) {
    const [visits, findings] = await Promise.all([
      api(`/v1/inspections/visits?nursery_id=${nurseryId}`), api(`/v1/inspections/findings?status=unresolved`)]);
    const year = new Date().getFullYear();
    const thisYear = visits.filter((v) => v.opened_on.startsWith(String(year)));
    return el("section", { class: "card", id: "inspections" },
      el("h2", {}, "Inspections 督导检查"),
      el("p", {}, el("strong", { id: "visits-this-year" }, String(thisYear.length)), ` on-site visits in ${year} (at least 2 a year)`),
      findings.length
        ? el("table", { id: "findings" }, el("thead", {}, el("tr", {}, ["Finding", "Who", "Details", "Rectify by", ""].map((h) => el("th", {}, h)))),
          el("tbody", {}, findings.map((f) => el("tr", { "data-finding": f.finding_id, class: f.overdue ? "noncompliant" : "" },
            el("td", {}, KINDS[f.kind] || f.kind), el("td", {}, f.person_name || f.staff_id || ""), el("td", {}, f.detail),
            el("td", {}, f.due_on), el("td", {}, el("span", { class: `pill ${f.overdue ? "bad" : "warn"}` },
              f.overdue ? "overdue" : f.status))))))
        : el("p", { class: "muted", id: "no-findings" }, "No open findings."));
  }

  return { districtSection, nurserySection };
})();

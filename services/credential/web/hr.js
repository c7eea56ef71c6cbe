// HR dashboard: one nursery's roster with certificate status, expiries and training hours; a person's page.
"use strict";

(() => {
  const { el, api, pct, bar } = Care;
  const main = () => document.getElementById("main");
  let me = null, nurseryId = null;

  const PROBLEM = { missing: "missing", expired: "expired", not_yet_valid: "not yet valid", suspended: "suspended", revoked: "revoked",
    failed: "check failed", level_too_low: "level too low", recheck_due: "re-check overdue" };
  const KIND = { health_check: "health", background_check: "background", certificate: "certificate" };

  function failure(e) {
    main().replaceChildren(el("p", { class: "card error", role: "alert" }, `Could not load: ${e.message}`));
  }

  function shortfallPills(entry) {
    const pills = [];
    for (const a of entry.assignments) {
      for (const req of (a.compliance ? a.compliance.requirements : [])) {
        for (const s of req.shortfalls) {
          // The date is the expiry: say so, so that "suspended" is not read as "suspended until".
          const when = s.expires_on ? (s.problem === "expired" ? ` on ${s.expires_on}` : ` (expires ${s.expires_on})`) : "";
          pills.push(el("span", { class: "pill bad" }, `${Care.label("certificate", s.cert_type)} ${PROBLEM[s.problem] || s.problem}${when}`));
        }
      }
    }
    return pills;
  }

  function trainingCell(t) {
    if (!t) return el("span", { class: "muted" }, "no training data yet");
    const line = (label, hours, required) => el("div", { class: "training" },
      el("span", {}, `${label} `), bar(hours, required, { kind: hours >= required ? "ok" : "warn" }),
      el("span", { class: "hours" }, `${hours} / ${required} h`));
    return el("div", {}, line("Skills", t.skills_hours, t.skills_required), line("Ethics", t.ethics_hours, t.ethics_required),
      el("div", { class: `hours ${t.complete ? "" : "short"}` }, t.complete ? `${t.year}: complete`
        : `${t.year}: short by ${t.skills_shortfall} h skills, ${t.ethics_shortfall} h ethics`));
  }

  async function roster() {
    main().replaceChildren(el("p", { class: "muted" }, "Loading…"));
    const [nursery, roster, expiring, upcoming, due, inspections] = await Promise.all([
      api(`/v1/nurseries/${nurseryId}`), api(`/v1/nurseries/${nurseryId}/roster`),
      api("/v1/certificates/expiring?within=90"), api(`/v1/nurseries/${nurseryId}/upcoming-notices`),
      api("/v1/checks/due?within=90"), CareInspections.nurserySection(nurseryId),
    ]);
    const mine = new Set(roster.entries.map((e) => e.staff_id));
    const soon = expiring.filter((c) => mine.has(c.holder_id));
    const byPerson = new Map();
    for (const c of soon) { if (!byPerson.has(c.holder_id)) byPerson.set(c.holder_id, []); byPerson.get(c.holder_id).push(c); }
    // Not compliant first; then those short of training hours; the server's order otherwise.
    const short = (e) => (e.training ? Number(e.training.skills_shortfall > 0 || e.training.ethics_shortfall > 0) : 1);
    const entries = [...roster.entries].sort((a, b) => Number(a.compliant) - Number(b.compliant) || short(b) - short(a));

    const tiles = el("div", { class: "tiles" },
      el("div", { class: "tile" }, el("p", { class: "muted" }, "持证上岗率 (certified at work)"),
        el("p", { class: "big", id: "rate" }, pct(roster.certified_rate)),
        el("p", {}, `${roster.compliant_people} of ${roster.people} people`)),
      el("div", { class: "tile" }, el("p", { class: "muted" }, `Training complete ${roster.training_year || ""}`),
        el("p", { class: "big", id: "training-complete" }, roster.training_complete_people === null || roster.training_complete_people === undefined
          ? "–" : `${roster.training_complete_people} / ${roster.people}`),
        el("p", { class: "hours" }, roster.training_as_of ? `as of ${roster.training_as_of.slice(0, 16).replace("T", " ")}` : "no training data yet")),
      ...[30, 60, 90].map((d) => el("div", { class: "tile" }, el("p", { class: "muted" }, `Expiring within ${d} days`),
        el("p", { class: "big", id: `expiring-${d}` }, String(soon.filter((c) => c.days_left <= d).length)))));

    const rows = entries.map((e) => {
      const pills = shortfallPills(e);
      for (const c of byPerson.get(e.staff_id) || []) {
        pills.push(el("span", { class: "pill warn" }, `${Care.label("certificate", c.cert_type)} expires in ${c.days_left} d`));
      }
      if (!pills.length) pills.push(el("span", { class: "pill ok" }, "all certificates valid"));
      const link = el("a", { href: `#person/${e.staff_id}` }, e.name);
      return el("tr", { class: e.compliant ? "compliant" : "noncompliant", "data-staff": e.staff_id },
        el("td", {}, link, el("div", { class: "hours" }, e.compliant ? "compliant" : "NOT compliant")),
        el("td", { class: "optional" }, e.assignments.map((a) => Care.label("role", a.role)).join(", ")),
        el("td", {}, pills),
        el("td", {}, trainingCell(e.training)));
    });

    const expiringTable = soon.length
      ? el("table", { id: "expiring" }, el("thead", {}, el("tr", {}, ["Who", "Certificate", "Number", "Expires", "Days left"].map((h) => el("th", {}, h)))),
        el("tbody", {}, soon.map((c) => el("tr", {}, el("td", {}, c.holder_name), el("td", {}, Care.label("certificate", c.cert_type)),
          el("td", {}, c.number), el("td", {}, c.expires_on), el("td", {}, String(c.days_left))))))
      : el("p", { class: "muted" }, "Nothing expires in the next 90 days.");

    // Health re-checks and background checks falling due (policy v2): from the due day the person is not compliant.
    const dueTable = (within) => {
      const shown = due.filter((c) => c.days_left <= within);
      return shown.length
        ? el("table", { id: "checks-due" }, el("thead", {}, el("tr", {}, ["Who", "Check", "Kind", "Last checked", "By", "Due", "Days left"].map((h) => el("th", {}, h)))),
          el("tbody", {}, shown.map((c) => el("tr", {}, el("td", {}, c.holder_name), el("td", {}, Care.label("certificate", c.cert_type)),
            el("td", {}, KIND[c.kind] || c.kind), el("td", {}, c.checked_on), el("td", {}, c.checked_by), el("td", {}, c.due_on),
            el("td", {}, String(c.days_left))))))
        : el("p", { class: "muted" }, `No check falls due in the next ${within} days.`);
    };
    const dueHolder = el("div", {}, dueTable(30));
    const dueWindow = el("select", { id: "checks-due-within", "aria-label": "Days ahead" },
      [30, 60, 90].map((d) => el("option", { value: String(d) }, `${d} days`)));
    dueWindow.addEventListener("change", () => dueHolder.replaceChildren(dueTable(Number(dueWindow.value))));

    main().replaceChildren(
      el("section", { class: "card" }, el("h2", { id: "nursery-name" }, nursery.name), el("p", { class: "muted" }, `${nursery.town} · as on ${roster.on}`), tiles),
      el("section", { class: "card" }, el("h2", {}, "Roster — not compliant first"),
        el("table", { id: "roster" },
          el("thead", {}, el("tr", {}, el("th", {}, "Person"), el("th", { class: "optional" }, "Role"),
            el("th", {}, "Certificates"), el("th", {}, "Training this year (72 h skills / 40 h ethics)"))),
          el("tbody", {}, rows))),
      el("section", { class: "card" }, el("h2", {}, "Health and background checks due"), dueWindow, dueHolder),
      el("section", { class: "card" }, el("h2", {}, "Certificates expiring in 90 days"), expiringTable),
      el("section", { class: "card" }, el("h2", {}, "Upcoming reminders (sent once to your webhooks)"), remindersTable(upcoming)),
      inspections,
    );
  }

  // The same list the daily notice pass sends: certificates falling due in 90/60/30 days, training short from Q3.
  function reminder(n) {
    const d = n.data;
    if (n.type === "certificate.due") {
      return `${Care.label("certificate", d.cert_type)} ${d.number} expires ${d.expires_on} (${d.days_left} d; the ${d.threshold_days}-day reminder)`;
    }
    if (n.type === "training.short") {
      return `${d.year} Q${d.quarter}: short by ${d.skills_shortfall} h skills, ${d.ethics_shortfall} h ethics`;
    }
    return n.subject;
  }

  function remindersTable(upcoming) {
    if (!upcoming.length) return el("p", { class: "muted" }, "No reminders due.");
    return el("table", { id: "upcoming" },
      el("thead", {}, el("tr", {}, ["Who", "Reminder", "Details"].map((h) => el("th", {}, h)))),
      el("tbody", {}, upcoming.map((n) => el("tr", { "data-type": n.type },
        el("td", {}, el("a", { href: `#person/${n.staff_id}` }, n.name)),
        el("td", {}, n.type === "certificate.due" ? "Certificate falling due" : "Training hours short"),
        el("td", {}, reminder(n))))));
  }

  async function person(staffId) {
    main().replaceChildren(el("p", { class: "muted" }, "Loading…"));
    const [p, badges] = await Promise.all([
      api(`/v1/staff/${staffId}/profile`),
      api(`/v1/badges?staff_id=${encodeURIComponent(staffId)}`).catch(() => []),
    ]);
    const standing = (s) => el("span", { class: `pill ${s === "valid" ? "ok" : "bad"}` }, s);
    main().replaceChildren(
      el("p", {}, el("a", { href: "#" }, "← roster")),
      el("section", { class: "card" }, el("h2", { id: "person-name" }, p.name),
        el("dl", {}, el("dt", {}, "ID number"), el("dd", {}, p.id_masked), el("dt", {}, "As on"), el("dd", {}, p.on)),
        el("h3", {}, "Training this year (年度培训学时)"), el("div", { id: "person-training" }, trainingCell(p.training))),
      el("section", { class: "card" }, el("h2", {}, "Certificates"),
        el("table", { id: "certificates" }, el("thead", {}, el("tr", {}, ["Type", "Number", "Issued by", "Valid", "Standing"].map((h) => el("th", {}, h)))),
          el("tbody", {}, p.certificates.map((c) => el("tr", {}, el("td", {}, Care.label("certificate", c.cert_type)), el("td", {}, c.number),
            el("td", {}, c.issuing_body), el("td", {}, `${c.issued_on} – ${c.expires_on}`), el("td", {}, standing(c.standing))))))),
      el("section", { class: "card" }, el("h2", {}, "Assignments (history)"),
        el("table", { id: "assignments" }, el("thead", {}, el("tr", {}, ["Role", "From", "To", "Compliant now"].map((h) => el("th", {}, h)))),
          el("tbody", {}, p.assignments.map((a) => el("tr", {}, el("td", {}, Care.label("role", a.role)), el("td", {}, a.start_on),
            el("td", {}, a.end_on ? `${a.end_on} (${a.end_reason || ""})` : "—"),
            el("td", {}, a.compliance ? standing(a.compliance.compliant ? "valid" : "not compliant") : "—")))))),
      el("section", { class: "card" }, el("h2", {}, "Badges"),
        badges.length ? el("ul", {}, badges.map((b) => el("li", {}, `${b.issued_at.slice(0, 10)} → ${b.expires_at.slice(0, 10)}: `, standing(b.status === "active" ? "valid" : b.status))))
          : el("p", { class: "muted" }, "No badges.")),
      el("section", { class: "card" }, el("h2", {}, "Integrity record (诚信记录)"),
        p.integrity_record === null ? el("p", { class: "muted" }, "Not visible to this key.")
          : p.integrity_record.length ? el("ul", {}, p.integrity_record.map((v) => el("li", {}, `${v.occurred_on}: ${v.what} (${v.action})`)))
            : el("p", { class: "muted" }, "No entries.")),
    );
  }

  async function route() {
    if (!me) return;
    const m = location.hash.match(/^#person\/([0-9a-fA-F-]{32,36})$/);
    try {
      if (m) await person(m[1]); else await roster();
    } catch (e) { failure(e); }
  }

  async function choose(me) {
    if (me.role === "hr") { nurseryId = me.scope; return; }
    const list = await api("/v1/nurseries");
    const select = el("select", { id: "nursery" }, list.map((n) => el("option", { value: n.nursery_id }, `${n.name} (${n.town})`)));
    nurseryId = list.length ? list[0].nursery_id : null;
    select.addEventListener("change", () => { nurseryId = select.value; location.hash = ""; route(); });
    document.getElementById("nav").replaceChildren(el("label", { for: "nursery" }, "Nursery"), select);
  }

  function start() {
    Care.session(main(), {
      roles: ["hr", "registrar", "auditor"], title: "Sign in with your nursery's HR key",
      onLogin: async (who) => {
        me = who;
        await Promise.all([choose(who), Care.loadLabels()]);
        document.getElementById("nav").append(Care.signOutButton(() => { me = null; document.getElementById("nav").replaceChildren(); start(); }));
        route();
      },
    });
  }

  window.addEventListener("hashchange", route);
  document.addEventListener("DOMContentLoaded", start);
})();

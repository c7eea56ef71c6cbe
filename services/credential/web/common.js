// Shared by the pages: the API key in sessionStorage (never in URLs), Bearer requests, safe DOM building.
"use strict";

const Care = (() => {
  const KEY = "carecred.apiKey";

  // Build DOM with textContent only: el("p", {class: "x"}, "text", child, ...)
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "style") throw new Error("no inline styles (CSP)");
      else if (name.startsWith("on")) throw new Error("no inline handlers (CSP)");
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const getKey = () => sessionStorage.getItem(KEY);
  const setKey = (k) => sessionStorage.setItem(KEY, k);
  const clearKey = () => sessionStorage.removeItem(KEY);

  class ApiError extends Error {
    constructor(status, body) {
      super((body && (body.detail || body.title)) || `HTTP ${status}`);
      this.status = status; this.body = body;
    }
  }

  async function api(path, { method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    const key = getKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store", credentials: "omit" });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  // A login form in `container`; calls onLogin(whoami) once a key is accepted.
  function loginForm(container, { roles, title, onLogin }) {
    const input = el("input", { type: "password", id: "api-key", autocomplete: "off", required: "required",
      placeholder: "API key" });
    const error = el("p", { class: "error", role: "alert" });
    const form = el("form", { class: "login card" }, el("h2", {}, title),
      el("label", { for: "api-key" }, `API key (${roles.join(" / ")})`), input,
      el("button", { type: "submit" }, "Sign in"), error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      setKey(input.value.trim());
      input.value = "";
      try {
        const me = await api("/app/whoami");
        if (!roles.includes(me.role)) { clearKey(); error.textContent = `This page needs a ${roles.join(" or ")} key; yours is ${me.role}.`; return; }
        onLogin(me);
      } catch (e) {
        clearKey(); error.textContent = e.status === 401 ? "The key is unknown, revoked or expired." : e.message;
      }
    });
    container.replaceChildren(form);
    return form;
  }

  // Sign in from sessionStorage if a key is there, else show the form.
  async function session(container, options) {
    if (getKey()) {
      try {
        const me = await api("/app/whoami");
        if (options.roles.includes(me.role)) { options.onLogin(me); return; }
      } catch (e) {
        if (!(e instanceof ApiError)) { // no network: keep the key for when it is back
          container.replaceChildren(el("p", { class: "muted", id: "offline-note" },
            "Offline: signed-in features resume when the network is back."));
          window.addEventListener("online", () => session(container, options), { once: true });
          return;
        }
      }
      clearKey();
    }
    loginForm(container, options);
  }

  function signOutButton(onOut) {
    const b = el("button", { type: "button", class: "secondary" }, "Sign out");
    b.addEventListener("click", () => { clearKey(); onOut(); });
    return b;
  }

  const pct = (x) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)}%`);

  // A horizontal bar: value/max with an optional target marker (plain CSS, width set via the CSSOM).
  function bar(value, max, { target = null, kind = "" } = {}) {
    const fill = el("span", { class: `fill ${kind}` });
    fill.style.width = `${Math.max(0, Math.min(100, max ? (value / max) * 100 : 0))}%`;
    const track = el("span", { class: "bar", role: "img" }, fill);
    if (target !== null) {
      const mark = el("span", { class: "target", title: `target ${target}` });
      mark.style.left = `${(target / max) * 100}%`;
      track.append(mark);
    }
    return track;
  }

  // Names of roles and certificate types from the current policy (public; cached by the scanner's worker).
  let names = { roles: {}, certificate_types: {} };
  async function loadLabels() {
    try {
      const r = await fetch("/app/labels.json", { credentials: "omit" });
      if (r.ok) names = await r.json();
    } catch (e) { /* codes are shown as they are */ }
  }
  const label = (kind, code) => {
    const n = names[kind === "role" ? "roles" : "certificate_types"][code];
    return n ? `${n.zh} ${n.en}` : code;
  };

  return { el, api, ApiError, loadLabels, label, getKey, setKey, clearKey, session, signOutButton, pct, bar };
})();

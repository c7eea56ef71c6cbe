// Service worker of the scanner: keeps the page, its scripts and the signed lists for offline use.
// Network first (fresh lists and code when online), the cached copy when the network is gone.
"use strict";

const CACHE = "carecred-scanner-v4";
const SHELL = [
  "/app/scan", "/app/style.css", "/app/common.js", "/app/wire.js", "/app/badge.js", "/app/visit.js", "/app/scan.js",
  "/app/manifest.webmanifest", "/app/icon.svg",
  "/app/icon-192.png", "/app/labels.json", "/.well-known/carecred/trust-anchor", "/.well-known/carecred/trust-list",
  "/.well-known/carecred/status-list",
];
// Fetched from the npm registry at set-up (web/npm-lock.json); a server without them still gets a working scanner
// (pasted text, BarcodeDetector), so their absence must not fail the install.
const LIBRARIES = ["/app/lib/jsQR.js", "/app/lib/jsQR.LICENSE"];
const CACHED = [...SHELL, ...LIBRARIES];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((c) => c.addAll(SHELL).then(() => Promise.all(LIBRARIES.map((path) => c.add(path).catch(() => null)))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const cacheable = CACHED.includes(url.pathname);
  if (!cacheable) return; // API calls (with keys) never touch the cache
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(event.request, { cache: "no-store" });
      if (response.ok) await cache.put(url.pathname, response.clone());
      return response;
    } catch (e) {
      const cached = await cache.match(url.pathname);
      if (cached) {  // say so: the scanner shows that its lists are a cached copy
        const headers = new Headers(cached.headers);
        headers.set("X-Carecred-Served-From", "cache");
        return new Response(cached.body, { status: cached.status, statusText: cached.statusText, headers });
      }
      throw e;
    }
  })());
});

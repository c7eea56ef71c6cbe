"""The web pages: the inspector's scanner, the HR and district dashboards (static files, keys in the browser)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException

from contracts.keys import Role
from services.credential.application.policy import Policies
from shared.auth.roles import Principal
from shared.http.auth import PUBLIC, allow
from shared.http.params import path_text

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
PAGES = {"scan": "scan.html", "hr": "hr.html", "district": "district.html", "timeline": "timeline.html"}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml", ".png": "image/png",
    ".LICENSE": "text/plain; charset=utf-8",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; media-src 'self' blob: mediastream:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}


AssetName = path_text("A page or one of its files", max_length=64, pattern=r"^[A-Za-z0-9._-]+$")


def _asset(relative: str, *, cache: str = "no-cache", extra: dict[str, str] | None = None) -> Response[bytes]:
    path = (WEB_DIR / relative).resolve()
    media_type = MEDIA_TYPES.get(path.suffix)
    if media_type is None or WEB_DIR not in path.parents or not path.is_file():
        raise NotFoundException(f"no page asset {relative}")
    return Response(path.read_bytes(), media_type=media_type,
                    headers={**SECURITY_HEADERS, "Cache-Control": cache, **(extra or {})})


class WebPagesController(Controller):
    """The pages and their scripts (public: they sign in in the browser with an API key)."""

    path = "/app"
    opt = {PUBLIC: True}
    include_in_schema = False

    @get("/labels.json", sync_to_thread=True)
    def labels(self, policies: NamedDependency[Policies], request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """Names of roles and certificate types (Chinese and English) from the current policy, for display."""
        policy = policies.current_policy()
        body = {
            "policy_version": policy.version,
            "roles": {code: {"zh": r.name_zh, "en": r.name_en} for code, r in policy.roles.items()},
            "certificate_types": {code: {"zh": t.name_zh, "en": t.name_en} for code, t in policy.types.items()},
        }
        return Response(body, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    @get("/{page:str}", sync_to_thread=True)
    def page(self, page: AssetName) -> Response[bytes]:
        """A page (scan, hr, district), or one of its files (scripts, styles, manifest, icons)."""
        if page in PAGES:
            return _asset(PAGES[page])
        if page == "sw.js":  # the scanner's service worker controls all of /app/
            return _asset(page, extra={"Service-Worker-Allowed": "/app/"})
        if page.endswith(".html"):
            raise NotFoundException("pages are served without .html")
        return _asset(page)

    @get("/lib/{name:str}", sync_to_thread=True)
    def library(self, name: AssetName) -> Response[bytes]:
        """A third-party script or its licence, fetched from the npm registry at set-up (web/npm-lock.json)."""
        return _asset(f"lib/{name}", cache="public, max-age=86400")


class WhoAmIController(Controller):
    """Which role and scope the browser's key has, so a page can show the right view."""

    path = "/app/whoami"
    include_in_schema = False

    @get("/", guards=[allow(*Role)], sync_to_thread=False)
    def whoami(self, request: Request[Principal, Any, Any]) -> dict[str, Any]:
        """The key's role and scope (an hr key's scope is its nursery)."""
        return {"role": str(request.user.role), "scope": request.user.scope}


WEB_CONTROLLERS = [WebPagesController, WhoAmIController]

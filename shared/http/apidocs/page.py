"""The docs page (``/schema/docs``): Swagger UI from files this service serves, so it works offline.

Litestar's Swagger plugin loads Swagger UI, its stylesheet and a favicon from a CDN: with no
internet the page stays blank. Here the same page points at ``/schema/assets/``, where the
service serves the files ``python -m carecred.webdeps`` fetched at set-up from the npm registry
(``swagger-ui-dist``, pinned by version and sha512 in ``npm-lock.json`` beside this file; git
ignores them). The page names no other origin. Without the files, the page says how to fetch
them instead of staying blank.
"""

from __future__ import annotations

import json
from pathlib import Path

from litestar import Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.response import File

LIB = Path(__file__).resolve().parent / "lib"
LOCK = LIB.parent / "npm-lock.json"
ASSETS = "/assets"
_TYPES = {".js": "text/javascript", ".css": "text/css", ".LICENSE": "text/plain"}  # Litestar adds the charset
_MISSING = ("<p style='font-family:sans-serif;margin:2em'>The docs page's files are not installed: run "
            "<code>python -m carecred.webdeps</code>. The OpenAPI document is at <a href='openapi.json'>openapi.json</a>.</p>")


def installed_assets(lib: Path | None = None) -> frozenset[str]:
    """The asset names the lock names (``npm-lock.json``, shipped with the package) that are in ``lib``."""
    lib = lib or LIB
    lock = json.loads(LOCK.read_text())
    names = {target for package in lock["packages"].values() for target in package["files"].values()}
    return frozenset(name for name in names if (lib / name).is_file())


class OfflineSwagger(SwaggerRenderPlugin):
    """Swagger UI whose scripts, stylesheet and icon come from this service (``/schema/assets/``)."""

    def __init__(self, path: str = "/docs", schema_path: str = "/schema") -> None:
        base = schema_path.rstrip("/") + ASSETS
        super().__init__(
            path=path,
            js_url=f"{base}/swagger-ui-bundle.js",
            css_url=f"{base}/swagger-ui.css",
            standalone_preset_js_url=f"{base}/swagger-ui-standalone-preset.js",
            favicon="<link rel='icon' href='data:,'>",  # no request for an icon, nor any other origin
        )

    def render(self, request, openapi_schema) -> bytes:  # type: ignore[no-untyped-def]
        page = super().render(request, openapi_schema)
        if "swagger-ui-bundle.js" not in installed_assets():
            page = page.replace(b"<div id='swagger-container'/>", b"<div id='swagger-container'>" + _MISSING.encode() + b"</div>", 1)
        return page.replace(b"<div id='swagger-container'/>", b"<div id='swagger-container'></div>", 1)

    def receive_router(self, router: Router) -> None:
        super().receive_router(router)
        router.register(serve_asset)


@get(ASSETS + "/{name:str}", include_in_schema=False, sync_to_thread=False, cache=False)
def serve_asset(name: FromPath[str]) -> File:
    """One of the docs page's files, by name; only those the set-up fetched."""
    if name not in installed_assets():
        raise NotFoundException(f"No docs asset {name!r}.")
    media_type = next((t for suffix, t in _TYPES.items() if name.endswith(suffix)), "application/octet-stream")
    return File(LIB / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"},
                content_disposition_type="inline")

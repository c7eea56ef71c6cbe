"""An integrator on a machine with no internet opens the API docs page and reads every operation."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import make_settings
from tests.e2e.processes import District

from .conftest import shot, watch_console

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """Both services as processes on SQLite, nothing seeded: the docs need no data."""
    tmp = tmp_path_factory.mktemp("apidocs")
    district = District(make_settings("sqlite", tmp), tmp)
    try:
        district.start("credential")
        district.start("training")
        yield district
    finally:
        district.stop_all()


@pytest.mark.parametrize("service", ["credential", "training"])
def test_the_docs_page_shows_every_operation_with_every_other_origin_cut_off(services, launch, service):
    base = services.url(service)
    origin = urlsplit(base).netloc
    context = launch().new_context(viewport={"width": 1280, "height": 900})
    refused: list[str] = []

    def only_the_service(route):
        if urlsplit(route.request.url).netloc == origin or route.request.url.startswith("data:"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_the_service)
    page = context.new_page()
    problems = watch_console(page)
    page.goto(f"{base}/schema/docs")
    page.wait_for_selector(".opblock-summary", timeout=20_000)
    spec = page.evaluate("fetch('/schema/openapi.json').then(r => r.json())")
    operations = sum(1 for item in spec["paths"].values() for method in item if method in ("get", "post", "put", "delete", "patch"))
    assert page.locator(".opblock").count() == operations
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".responses-table")
    shot(page, f"api-docs-{service}")
    assert refused == []
    assert not [p for p in problems if "Failed to load resource" in p], problems

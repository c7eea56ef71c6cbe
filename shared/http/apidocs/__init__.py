"""The API documents itself: the OpenAPI document both services publish, and its offline docs page.

Litestar builds the document from the routes (paths, parameters, bodies, success answers). This
package completes it in one step after that, without touching any route handler:

- every operation: a summary and description from its handler's docstring, and who may call it;
- every status it really answers (``operations``: derived from the route, plus a small table),
  as RFC 9457 problem details (``problems``) with an example each, the 422 with its ``errors``;
- examples for request and response bodies (``examples``);
- ``/schema/docs`` rendered from files the service serves itself (``page``).

``tests/api_statuses.py`` holds the document to what the test suite saw the services answer.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute

from contracts.recorded import Recorded
from shared.http.apidocs import problems
from shared.http.apidocs.examples import example_of
from shared.http.apidocs.operations import describe, operations
from shared.http.apidocs.page import OfflineSwagger

SCHEMA_PATH = "/schema"
_REF = "#/components/schemas/{name}"
_HEADERS = {
    401: {"WWW-Authenticate": "The scheme to use: `Bearer realm=\"carecred\"`."},
    429: {"Retry-After": "Seconds to wait before trying again."},
    503: {"Retry-After": "Seconds to wait before trying again."},
}
RECORDED_EXAMPLE = {
    "status": "recorded",
    "detail": "The change is stored. The usual answer could not be built now; read it again later.",
    "stored": [{"aggregate_id": "6f1c0e0a-3c1d-4b7e-9a51-2f0c8d9e1a01", "version": 1,
                "topic": "services.credential.domain.certificate:Certificate.Issued", "position": 42}],
    "unavailable": {"status": 503, "code": "read_model_stalled", "detail": "The certificates read model is stalled.",
                    "read_model": "certification"},
}


def openapi_config(title: str, description: str) -> OpenAPIConfig:
    """The OpenAPI document at ``/schema/openapi.json`` and the offline docs page at ``/schema/docs``."""
    return OpenAPIConfig(
        title=title,
        version="1.0.0",
        description=description,
        path=SCHEMA_PATH,
        use_handler_docstrings=True,
        render_plugins=[JsonRenderPlugin(path="/openapi.json"), OfflineSwagger(path="/docs", schema_path=SCHEMA_PATH)],
        components=Components(
            security_schemes={"apiKey": SecurityScheme(type="http", scheme="bearer", description="API key")}
        ),
        security=[{"apiKey": []}],
    )


class _DocumentedOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, whose published document is completed by ``complete``."""

    __slots__ = ()

    def provide_openapi_schema(self) -> dict[str, Any]:
        if not self._openapi_schema:
            self._openapi_schema = complete(self.provide_openapi().to_schema(), list(self.included_routes.values()))
        return self._openapi_schema


def documented(app: Litestar) -> Litestar:
    """Have ``app`` publish the completed document (Litestar makes its OpenAPI plugin itself; this
    gives that very instance the subclass above, which only adds a step to building the document)."""
    app.plugins.get(OpenAPIPlugin).__class__ = _DocumentedOpenAPIPlugin
    return app


def openapi_document(app: Litestar) -> dict[str, Any]:
    """The document as ``/schema/openapi.json`` publishes it."""
    return app.plugins.get(OpenAPIPlugin).provide_openapi_schema()


def complete(spec: dict[str, Any], routes: list[HTTPRoute]) -> dict[str, Any]:
    """Add summaries, descriptions, every error status, and examples to Litestar's document."""
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components.update(problems.SCHEMAS)
    _, recorded = msgspec.json.schema_components([Recorded], ref_template=_REF)
    for name, schema in recorded.items():
        components.setdefault(name, schema)
    for (method, path), (route, handler) in operations(routes).items():
        operation = spec["paths"][path][method.lower()]
        told = describe(route, method, handler, has_body="requestBody" in operation,
                        has_parameters=bool(operation.get("parameters")))
        operation["summary"], operation["description"] = told.summary, told.description
        responses = {status: answer for status, answer in operation.setdefault("responses", {}).items()
                     if int(status) < 400}  # Litestar's own 400 is not what the service answers
        success = next((answer for status, answer in sorted(responses.items()) if status.startswith("2")), {})
        for status, why in told.statuses.items():
            responses[str(status)] = {**success, "description": why} if status < 400 else _problem_response(status, why)
        if told.recorded:
            responses["202"] = {
                "description": "The change is stored, but the usual answer could not be built (a read model"
                               " is stalled, or the storage failed after the save): do not retry; read it again later.",
                "content": {"application/json": {"schema": {"$ref": _REF.format(name="Recorded")},
                                                 "examples": {"recorded": {"value": RECORDED_EXAMPLE}}}},
            }
        operation["responses"] = dict(sorted(responses.items()))
        for media in [*operation.get("requestBody", {}).get("content", {}).values(),
                      *(m for r in responses.values() for m in r.get("content", {}).values())]:
            _give_example(media, components)
    return spec


def _problem_response(status: int, why: str) -> dict[str, Any]:
    generic, example = problems.STATUSES[status]
    schema = "ValidationProblem" if status == 422 else "Problem"
    response: dict[str, Any] = {
        "description": why or generic,
        "content": {problems.PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _REF.format(name=schema)},
                                                  "examples": {example["code"]: {"value": example}}}},
    }
    if status in _HEADERS:
        response["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                               for name, text in _HEADERS[status].items()}
    return response


def _give_example(media: dict[str, Any], components: dict[str, Any]) -> None:
    if "example" in media or media.get("examples") or "schema" not in media:
        return
    media["examples"] = {"example": {"value": example_of(media["schema"], components)}}

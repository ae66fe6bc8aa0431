"""The HTTP API (FastAPI, mounted into the BentoML service): one router per resource in :mod:`serving.api`
(regions and geometry, profiles and reports, stored classes, types and forecasts, early warnings and their
explanations, the guarded reload), joined here with the shared error handling, size limit, CORS and the
dashboard.

Every error has one body: ``{"status", "error", "message", "field", "value"}`` — 400 names the field and value,
404 an unknown region or period, 413 a request over ``serving.max_request_bytes``, 503 until the models and data
are loaded.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ml.config import Settings
from serving.api import admin, early_warnings, measures, profiles, regions, results
from serving.api.common import ApiError, Context, error_body
from serving.report import error_page
from serving.schemas import ErrorBody
from serving.state import NotReady, ServiceState

STATIC = Path(__file__).with_name("static")


class BodySizeLimit:
    """413 for request bodies over ``limit`` bytes, declared (``Content-Length``) or streamed (chunked): the body
    is read up to the limit before the application sees it, so the answer is the same either way."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._too_large(declared.decode())(scope, receive, send)
        if declared is None and b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            return await self.app(scope, receive, send)
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, receive, send)   # the client went away: nothing to answer
            body = message.get("body", b"")
            seen += len(body)
            if seen > self.limit:
                return await self._too_large(f"more than {self.limit}")(scope, receive, send)
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": whole, "more_body": False}

        return await self.app(scope, replay, send)

    def _too_large(self, size: str):
        return error_body(413, "request_too_large", f"request body over {self.limit} bytes", "body", size)


ERROR_RESPONSES = {400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 413: {"model": ErrorBody},
                   503: {"model": ErrorBody}}
"""Declared in the OpenAPI document for every operation (403 only for /reload)."""


def create_app(state: ServiceState, settings: Settings) -> FastAPI:
    """The FastAPI read API over ``state``'s snapshots: every endpoint, the shared error body, the size limit,
    CORS, reload and the dashboard."""
    app = FastAPI(title="sozialradar", version="1",
                  description="Regionsprofile, Sozialraumtypen, Prognosen und erklärte Frühwarnung",
                  responses=ERROR_RESPONSES)
    if settings.serving.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.serving.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "X-API-Key"])
    app.add_middleware(BodySizeLimit, limit=settings.serving.max_request_bytes)
    ctx = Context(state, settings)

    def answer(request: Request, status: int, error: str, message: str, field=None, value=None):
        if request.url.path == "/report":   # the report is a page: its errors are pages too
            return HTMLResponse(error_page(status, message), status_code=status)
        return error_body(status, error, message, field, value)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return answer(request, exc.status, exc.error, exc.message, exc.field, exc.value)

    @app.exception_handler(NotReady)
    async def not_ready(request: Request, exc: NotReady):
        return answer(request, 503, "not_ready", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        err = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query")]
        value = err.get("input")
        return answer(request, 400, "invalid_request", f"{'.'.join(loc) or 'request'}: {err.get('msg', 'invalid')}",
                      ".".join(loc) or None, None if value is None else str(value)[:200])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = error_body(exc.status_code, error, str(exc.detail))
        for key, value in (getattr(exc, "headers", None) or {}).items():
            response.headers[key] = value   # 405 names the allowed methods in Allow
        return response

    for build in (regions.router, profiles.router, results.router, measures.router, early_warnings.router, admin.router):
        app.include_router(build(ctx))

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/dashboard/")

    app.mount("/dashboard", StaticFiles(directory=STATIC, html=True), name="dashboard")
    return app



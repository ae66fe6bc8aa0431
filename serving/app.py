"""The HTTP API (FastAPI, mounted into the BentoML service): regions, profiles, classes, types, forecasts,
early warnings and their explanations, plus a guarded reload.

Every error has one body: ``{"status", "error", "message", "field", "value"}`` — 400 names the field and value,
404 an unknown region or period, 413 a request over ``serving.max_request_bytes``, 503 until the models and data
are loaded.
"""

from __future__ import annotations

import hmac
import json
import threading
from pathlib import Path

import pandas as pd
from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ml.columns import DIM, Z, column, ids
from ml.config import Settings
from serving.schemas import (
    PERIOD_PATTERN, REGION_PATTERN, ClassifyRequest, Classification, EarlyWarningAnswer, EarlyWarningRequest,
    ErrorBody, Explanation, ForecastAnswer, ForecastPoint, GeometryAnswer, Profile, ProfileValue, Region,
    RegionList, RegionShape, ReloadAnswer, TypologyAnswer,
)
from serving.report import ReportBuilder, ReportError, error_page
from serving.state import (
    LoadError, NotReady, ServiceState, Snapshot, UnknownHorizon, UnknownPeriod, finite, stored_row, withheld,
)

STATIC = Path(__file__).with_name("static")


class ApiError(Exception):
    """An error answer with the shared body (status, error, message, field, value)."""
    def __init__(self, status: int, error: str, message: str, field: str | None = None, value=None):
        self.status, self.error, self.message, self.field = status, error, message, field
        self.value = None if value is None else str(value)[:200]


def _body(status, error, message, field=None, value=None) -> JSONResponse:
    return JSONResponse(status_code=status, content=ErrorBody(status=status, error=error, message=message,
                                                              field=field, value=value).model_dump())


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
        return _body(413, "request_too_large", f"request body over {self.limit} bytes", "body", size)


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
    reload_key = settings.serving.reload_key()  # read once: an unsafe key file stops the start with its reason

    def answer(request: Request, status: int, error: str, message: str, field=None, value=None):
        if request.url.path == "/report":   # the report is a page: its errors are pages too
            return HTMLResponse(error_page(status, message), status_code=status)
        return _body(status, error, message, field, value)

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
        response = _body(exc.status_code, error, str(exc.detail))
        for key, value in (getattr(exc, "headers", None) or {}).items():
            response.headers[key] = value   # 405 names the allowed methods in Allow
        return response

    def snap() -> Snapshot:
        return state.current()

    def region(s: Snapshot, region_id: str) -> pd.Series:
        hit = s.regions[s.regions["region_id"] == region_id]
        if hit.empty:
            raise ApiError(404, "unknown_region", f"no region {region_id!r}", "region_id", region_id)
        return hit.iloc[0]

    def period_of(s: Snapshot, period: str | None) -> str:
        try:
            return s.period_of(period)
        except UnknownPeriod as exc:
            if exc.period is None:
                raise ApiError(404, "no_period", str(exc)) from None
            raise ApiError(404, "unknown_period", str(exc), "period", exc.period) from None

    def profile_row(s: Snapshot, region_id: str, period: str) -> pd.Series:
        region(s, region_id)
        p = s.profiles[(s.profiles["region_id"] == region_id) & (s.profiles["period"] == period)]
        if p.empty:
            raise ApiError(404, "no_profile", f"region {region_id!r} has no profile in {period}", "region_id", region_id)
        return p.iloc[0]

    RegionId = Query(pattern=REGION_PATTERN, description="Gebietskennziffer")
    Period = Query(None, pattern=PERIOD_PATTERN, description="Jahr; leer: letzte Periode mit Statusindex")

    def level_regions(s: Snapshot, level: str | None) -> tuple[str, pd.DataFrame]:
        lv = level or s.level
        regs = s.regions[s.regions["level"] == lv]
        if regs.empty:
            raise ApiError(404, "unknown_level", f"no regions of level {lv!r}", "level", lv)
        return lv, regs

    @app.get("/regions", response_model=RegionList)
    def regions(level: str | None = Query(None, max_length=40, description="Ebene; leer: die der Profile")) -> RegionList:
        s = snap()
        _, regs = level_regions(s, level)
        period = s.latest_period
        p = s.profiles[s.profiles["period"] == period].set_index("region_id") if period else pd.DataFrame()
        w = state.explain_period(s, period) if (s.has_warnings and period in s.warning_periods()) else None
        ranking = settings.features.index.ranking
        out = []
        for r in regs.itertuples():
            row = p.loc[r.region_id] if r.region_id in p.index else None
            label = row["status_label"] if row is not None and isinstance(row["status_label"], str) else None
            rank = row.get("status_rank") if (row is not None and ranking) else None
            warn = w.loc[r.region_id] if (w is not None and r.region_id in w.index) else None
            out.append(Region(region_id=r.region_id, name=r.name, level=r.level,
                              parent_id=r.parent_id if isinstance(r.parent_id, str) else None, status_label=label,
                              warning_level=None if warn is None else warn["level"],
                              warning_probability=None if warn is None else float(warn["probability"]),
                              status_rank=int(rank) if rank is not None and pd.notna(rank) else None))
        return RegionList(period=period, ranking=ranking, regions=out)

    @app.get("/geometry", response_model=GeometryAnswer)
    def geometry(level: str | None = Query(None, max_length=40, description="Ebene; leer: die der Profile")):
        """Flächen der Gebiete (GeoJSON) mit Statusklasse und Frühwarnstufe der letzten Periode, für die Karte."""
        s = snap()
        lv, regs = level_regions(s, level)
        listed = regions(lv)
        info = {r.region_id: r for r in listed.regions}
        geo = regs[regs["geometry"].notna()] if "geometry" in regs.columns else regs.iloc[:0]
        features = [RegionShape(id=g.region_id, geometry=json.loads(g.geometry), properties={
            "region_id": g.region_id, "name": info[g.region_id].name, "status_label": info[g.region_id].status_label,
            "warning_level": info[g.region_id].warning_level}) for g in geo.itertuples()]
        if not features:
            raise ApiError(404, "no_geometry", f"no geometry for the regions of level {lv!r}: run "
                           "'sozialradar geometry FILE'", "level", lv)
        missing = sorted(set(info) - set(geo["region_id"]))
        return GeometryAnswer(level=lv, period=listed.period, features=features, missing=missing)

    # one builder and its rendered pages per snapshot: a page is rendered once and served until a reload
    reports: dict[str, object] = {"snap": None, "builder": None, "pages": {}}
    reports_lock = threading.Lock()
    html_error = {"content": {"text/html": {}}, "description": "Fehlerseite (HTML)"}

    @app.get("/report", response_class=HTMLResponse,
             responses={200: {"content": {"text/html": {}}, "description": "Gebietsbericht als HTML-Seite"},
                        400: html_error, 404: html_error, 503: html_error})
    async def report(region_id: str = RegionId, period: str | None = Period) -> HTMLResponse:
        """Der Gebietsbericht einer Region als eigenständige HTML-Seite (wie ``sozialradar report``)."""
        s = snap()
        region(s, region_id)
        per = period_of(s, period)
        with reports_lock:
            if reports["snap"] is not s:
                reports.update(snap=s, builder=None, pages={})
            pages = reports["pages"]
        page = pages.get((region_id, per))
        if page is None:   # rendered once, off the event loop; later requests take it from the cache
            page = await run_in_threadpool(render_report, s, region_id, per)
        return HTMLResponse(page)

    def render_report(s: Snapshot, region_id: str, period: str) -> str:
        with reports_lock:
            if reports["snap"] is s and reports["builder"] is None:
                reports["builder"] = ReportBuilder(settings, s)
            builder = reports["builder"] if reports["snap"] is s else ReportBuilder(settings, s)
            pages = reports["pages"] if reports["snap"] is s else {}
        try:
            page = builder.region_page(region_id, period)
        except ReportError as exc:
            raise ApiError(404, "no_report", str(exc), "region_id", region_id) from None
        pages[(region_id, period)] = page
        return page

    @app.get("/profile", response_model=Profile)
    def profile(region_id: str = RegionId, period: str | None = Period) -> Profile:
        s = snap()
        per = period_of(s, period)
        row = profile_row(s, region_id, per)
        v = s.values[(s.values["region_id"] == region_id) & (s.values["period"] == per)]
        suppressed = set(v.loc[v["flag"] == "suppressed", "indicator_id"])
        values = []
        for ind in ids(s.profiles.columns, Z):
            col = column(Z, ind)
            if ind not in s.catalog:
                continue
            hidden = ind in suppressed
            values.append(ProfileValue(indicator_id=ind, name=s.catalog[ind].name, dimension=s.catalog[ind].dimension,
                                       z=None if hidden else finite(row[col]), suppressed=hidden))
        dims = {d: finite(row[column(DIM, d)]) for d in ids(s.profiles.columns, DIM)}
        return Profile(region_id=region_id, period=per, status_index=finite(row["status_index"]),
                       status_label=row["status_label"] if isinstance(row["status_label"], str) else None,
                       dynamics_index=finite(row["dynamics_index"]),
                       dynamics_label=row["dynamics_label"] if isinstance(row["dynamics_label"], str) else None,
                       dimensions=dims, values=values, flags=row["flags"] if isinstance(row["flags"], str) else None)

    def assigned(s: Snapshot, table: str, region_id: str, period: str) -> pd.Series:
        """The stored class or type of a region in a period, as its training job wrote it."""
        stored = getattr(s, table)
        if stored is None:
            job = "classifier" if table == "classes" else "typology"
            raise NotReady(f"the store holds no {table} yet: run 'sozialradar train {job}'")
        if withheld(profile_row(s, region_id, period)):
            raise ApiError(404, "values_withheld", f"the values of region {region_id!r} in {period} are withheld "
                           "(too few residents or suppressed cells): no class or type", "region_id", region_id)
        row = stored_row(stored, region_id, period)
        if row is None:
            raise ApiError(404, "no_model_input", f"region {region_id!r} has no complete model input in {period}",
                           "region_id", region_id)
        return row

    @app.post("/classify", response_model=Classification)
    def classify(request: ClassifyRequest) -> Classification:
        s = snap()
        per = period_of(s, request.period)
        row = assigned(s, "classes", request.region_id, per)
        return Classification(region_id=request.region_id, period=per, prediction=str(row["prediction"]),
                              probabilities=json.loads(row["probabilities"]))

    @app.get("/typology", response_model=TypologyAnswer)
    def typology(region_id: str = RegionId, period: str | None = Period) -> TypologyAnswer:
        s = snap()
        per = period_of(s, period)
        row = assigned(s, "types", region_id, per)
        return TypologyAnswer(region_id=region_id, period=per, type=int(row["type"]), description=str(row["description"]))

    @app.get("/forecast", response_model=ForecastAnswer)
    def forecast(region_id: str = RegionId,
                 indicator_id: str | None = Query(None, pattern=r"^[a-z0-9_]{1,60}$")) -> ForecastAnswer:
        s = snap()
        region(s, region_id)
        if s.forecasts is None:
            raise NotReady("no forecasts in the store: run 'sozialradar forecast'")
        f = s.forecasts[s.forecasts["region_id"] == region_id]
        if indicator_id is not None:
            if indicator_id not in set(s.forecasts["indicator_id"]):
                raise ApiError(404, "unknown_indicator", f"no forecasts for indicator {indicator_id!r}",
                               "indicator_id", indicator_id)
            f = f[f["indicator_id"] == indicator_id]
        points = []
        for r in f.sort_values(["indicator_id", "period"]).itertuples():
            hidden = r.flag == "suppressed"
            points.append(ForecastPoint(indicator_id=r.indicator_id, name=s.catalog[r.indicator_id].name,
                                        period=r.period, h=int(r.h), model=r.model, suppressed=hidden,
                                        **{k: None if hidden else finite(getattr(r, k))
                                           for k in ("yhat", "lo80", "hi80", "lo95", "hi95")}))
        return ForecastAnswer(region_id=region_id, points=points)

    def warnings_for(s: Snapshot, period: str | None, horizon: int | None) -> tuple[str, int, pd.DataFrame]:
        if not s.has_warnings:
            raise NotReady("no early warnings in the store: run 'sozialradar train early-warning'")
        per = period_of(s, period)
        try:
            h = state.horizon_of(s, horizon)
        except UnknownHorizon as exc:
            raise ApiError(404, "unknown_horizon", str(exc), "horizon", exc.horizon) from None
        if per not in s.warning_periods():
            raise ApiError(404, "unknown_period", f"no early warnings for period {per!r}", "period", per)
        return per, h, state.explain_period(s, per, h)

    @app.post("/early_warning", response_model=EarlyWarningAnswer)
    async def early_warning(request: EarlyWarningRequest):
        # answers are stored and cached per snapshot, period and horizon; with explanations the cached JSON is
        # joined as is (the dashboard's most frequent call), so this runs on the event loop without a thread hop
        s = snap()
        per, h, _ = warnings_for(s, request.period, request.horizon)
        answers = s.answers[(per, h)]
        ids = request.region_ids if request.region_ids is not None else list(answers)
        for rid in ids:
            if rid not in answers:
                region(s, rid)
                raise ApiError(404, "no_warning", f"region {rid!r} has no early warning in {per}", "region_ids", rid)
        m = s.warning_models[h]
        head = {"period": per, "horizon": h, "horizons": s.horizons, "model": m["model"],
                "model_label": m["model_label"], "rule": bool(m["rule"]), "note": m["note"],
                "model_version": m["model_version"] if isinstance(m["model_version"], str) else None,
                "thresholds": m["thresholds"], "unavailable": m["unavailable"]}
        if request.explain:
            cached = s.answer_json[(per, h)]
            return Response(json.dumps(head, ensure_ascii=False).encode()[:-1] + b', "warnings": ['
                            + b", ".join(cached[r] for r in ids) + b"]}", media_type="application/json")
        out = [{**answers[r], "sentence": "", "drivers": []} for r in ids]
        return EarlyWarningAnswer(**head, warnings=out)

    @app.get("/explain", response_model=Explanation)
    def explain(region_id: str = RegionId, period: str | None = Period,
                horizon: int | None = Query(None, ge=1, le=20, description="Jahre voraus; leer: der kürzeste")
                ) -> Explanation:
        s = snap()
        per, h, w = warnings_for(s, period, horizon)
        if region_id not in w.index:
            region(s, region_id)
            raise ApiError(404, "no_warning", f"region {region_id!r} has no early warning in {per}", "region_id", region_id)
        row = w.loc[region_id]
        e = state.explanation(s, per, region_id, h)
        return Explanation(region_id=region_id, period=per, horizon=h, model=str(row["model"]),
                           probability=float(row["probability"]), level=row["level"], sentence=row["sentence"], **e)

    @app.post("/reload", response_model=ReloadAnswer, responses={403: {"model": ErrorBody}})
    def reload(x_api_key: str | None = Header(None, max_length=200)) -> ReloadAnswer:
        expected = reload_key
        if not expected:
            raise ApiError(404, "reload_disabled", "reload is disabled: no key configured (SOZIALRADAR_SERVING__API_KEY or serving.api_key_file)")
        if x_api_key is None or not hmac.compare_digest(x_api_key.encode(), expected.encode()):
            raise ApiError(403, "invalid_api_key", "X-API-Key is missing or wrong", "X-API-Key")
        try:
            snapshot = state.reload()
        except LoadError as exc:
            raise ApiError(503, "reload_failed", f"{exc}; the data loaded before is still served"
                           if state.snapshot is not None else str(exc)) from None
        return ReloadAnswer(loaded=dict(snapshot.versions))

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/dashboard/")

    app.mount("/dashboard", StaticFiles(directory=STATIC, html=True), name="dashboard")
    return app



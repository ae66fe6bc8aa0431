"""A region's profile (``/profile``), its Belastungsindizes per Lebenslage (``/lebenslagen``) and its report page
(``/report``, rendered once per snapshot)."""

from __future__ import annotations

import threading

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ml.columns import DIM, Z, column, ids
from serving.api.common import PERIOD, REGION_ID, ApiError, Context
from serving.key_figures import index_indicators, no_status_reason, thin_index_note
from serving.report import ReportBuilder, ReportError
from serving.schemas import LebenslageValue, LebenslagenAnswer, Profile, ProfileValue, finite
from serving.state import NotReady, Snapshot


def _status_note(ctx: Context, s: Snapshot, region_id: str, period: str, row, values) -> str | None:
    """What the page says beside the status index: the indicators it lacks in the period, or why there is none."""
    if isinstance(row["status_label"], str):
        return thin_index_note(row, ctx.settings.features.index.status_indicators, s.catalog, period)
    cells = {r.indicator_id: (r.value, r.flag) for r in values.itertuples()}

    def cell(region: str, indicator: str, per: str) -> tuple[float | None, str]:   # as ReportBuilder.cell
        value, flag = cells.get(indicator, (None, "missing"))
        return (None, flag) if flag == "suppressed" or value is None or value != value else (float(value), flag)

    return "nicht berechnet: " + no_status_reason(cell, s.catalog, ctx.settings, region_id, period, row, s.left_out)


def router(ctx: Context) -> APIRouter:
    """The routes of this resource, answering from ``ctx``."""
    router = APIRouter()

    # one builder and its rendered pages per snapshot: a page is rendered once and served until a reload
    reports: dict[str, object] = {"snap": None, "builder": None, "pages": {}}
    reports_lock = threading.Lock()
    html_error = {"content": {"text/html": {}}, "description": "Fehlerseite (HTML)"}

    @router.get("/report", response_class=HTMLResponse,
             responses={200: {"content": {"text/html": {}}, "description": "Gebietsbericht als HTML-Seite"},
                        400: html_error, 404: html_error, 503: html_error})
    async def report(region_id: str = REGION_ID, period: str | None = PERIOD) -> HTMLResponse:
        """Der Gebietsbericht einer Region als eigenständige HTML-Seite (wie ``sozialradar report``)."""
        s = ctx.snap()
        ctx.region(s, region_id)
        per = ctx.period_of(s, period)
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
                reports["builder"] = ReportBuilder(ctx.settings, s)
            builder = reports["builder"] if reports["snap"] is s else ReportBuilder(ctx.settings, s)
            pages = reports["pages"] if reports["snap"] is s else {}
        try:
            page = builder.region_page(region_id, period)
        except ReportError as exc:
            raise ApiError(404, "no_report", str(exc), "region_id", region_id) from None
        pages[(region_id, period)] = page
        return page

    @router.get("/profile", response_model=Profile)
    def profile(region_id: str = REGION_ID, period: str | None = PERIOD) -> Profile:
        s = ctx.snap()
        per = ctx.period_of(s, period)
        row = ctx.profile_row(s, region_id, per)
        v = s.values[(s.values["region_id"] == region_id) & (s.values["period"] == per)]
        withheld = v[v["flag"] == "suppressed"]
        suppressed = dict(zip(withheld["indicator_id"], withheld["suppressed_by"]))
        values = []
        for ind in ids(s.profiles.columns, Z):
            col = column(Z, ind)
            if ind not in s.catalog:
                continue
            hidden = ind in suppressed
            values.append(ProfileValue(indicator_id=ind, name=s.catalog[ind].name, dimension=s.catalog[ind].dimension,
                                       z=None if hidden else finite(row[col]), suppressed=hidden,
                                       suppressed_by=suppressed.get(ind) or None))
        dims = {d: finite(row[column(DIM, d)]) for d in ids(s.profiles.columns, DIM)}
        return Profile(region_id=region_id, period=per, status_index=finite(row["status_index"]),
                       status_label=row["status_label"] if isinstance(row["status_label"], str) else None,
                       dynamics_index=finite(row["dynamics_index"]),
                       dynamics_label=row["dynamics_label"] if isinstance(row["dynamics_label"], str) else None,
                       dimensions=dims, values=values, flags=row["flags"] if isinstance(row["flags"], str) else None,
                       status_indicators=index_indicators(row),
                       status_note=_status_note(ctx, s, region_id, per, row, v))

    @router.get("/lebenslagen", response_model=LebenslagenAnswer)
    def lebenslagen(region_id: str = REGION_ID, period: str | None = PERIOD) -> LebenslagenAnswer:
        s = ctx.snap()
        ctx.region(s, region_id)
        if s.lebenslagen is None or s.lebenslagen.empty:
            raise NotReady("no Belastungsindizes in the store: run 'sozialradar features'")
        per = ctx.period_of(s, period)
        f = s.lebenslagen[(s.lebenslagen["region_id"] == region_id) & (s.lebenslagen["period"].astype(str) == per)]
        if f.empty:
            raise ApiError(404, "no_lebenslagen", f"no Belastungsindex for region {region_id!r} in {per}",
                           "region_id", region_id)
        checks = ({} if s.lebenslagen_checks is None or s.lebenslagen_checks.empty
                  else s.lebenslagen_checks.set_index("lebenslage")["verdict"].to_dict())
        ranked = ctx.settings.lebenslagen.ranking
        values = [LebenslageValue(lebenslage=r.lebenslage, index=finite(r.index),
                                  label=r.label if isinstance(r.label, str) else None, indicators=int(r.indicators),
                                  imputed_share=float(r.imputed_share),
                                  rank=int(r.rank) if ranked and finite(r.rank) is not None else None,
                                  verdict=checks.get(r.lebenslage)) for r in f.itertuples()]
        return LebenslagenAnswer(region_id=region_id, period=per, values=values)

    return router

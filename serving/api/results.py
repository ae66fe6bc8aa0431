"""What the model jobs stored: ``/classify`` (classes), ``/typology`` (types), ``/forecast`` (forecasts),
``/projection`` (residents by age group projected), ``/coverage`` and ``/coverage_map`` (Bestand und Bedarf)."""

from __future__ import annotations

import json

import pandas as pd
from fastapi import APIRouter, Query

from serving.api.common import PERIOD, REGION_ID, ApiError, Context
from serving.key_figures import CLASS_TEXTS, interval_note, refused_training, standing_types
from serving.schemas import (Classification, ClassifyRequest, CoverageAnswer, CoverageMap, CoverageMapEntry,
                             CoveragePoint, ForecastAnswer, ForecastPoint, ProjectionAnswer, ProjectionPoint,
                             TypologyAnswer, finite)
from serving.state import NotReady


TYPE = Query(None, pattern=r"^[\w .\-]{1,60}$", description="Einrichtungsart (Kita, Pflegeheim …); leer: alle")


def router(ctx: Context) -> APIRouter:
    """The routes of this resource, answering from ``ctx``."""
    router = APIRouter()

    @router.post("/classify", response_model=Classification)
    def classify(request: ClassifyRequest) -> Classification:
        s = ctx.snap()
        per = ctx.period_of(s, request.period)
        row = ctx.assigned(s, "classes", request.region_id, per)
        extra = {k: str(row[k]) for k in CLASS_TEXTS if k in row.index and isinstance(row[k], str)}
        refused = refused_training(s, "classifier")       # the results of the training before stay served
        return Classification(region_id=request.region_id, period=per, prediction=str(row["prediction"]),
                              probabilities=json.loads(row["probabilities"]), note=refused and refused["text"],
                              **extra)

    @router.get("/typology", response_model=TypologyAnswer)
    def typology(region_id: str = REGION_ID, period: str | None = PERIOD) -> TypologyAnswer:
        s = ctx.snap()
        # a year without the typology's inputs (the residents alone after a census year): its last year's type
        per, standing = standing_types(s, ctx.period_of(s, period))
        row = ctx.assigned(s, "types", region_id, per)
        distinct, refused = row.get("distinct"), refused_training(s, "typology")
        return TypologyAnswer(region_id=region_id, period=per, type=int(row["type"]), description=str(row["description"]),
                              distinct=None if distinct is None or pd.isna(distinct) else bool(distinct),
                              structure=row["structure"] if isinstance(row.get("structure"), str) else None,
                              note=" ".join(filter(None, [standing, refused and refused["text"]])) or None)

    @router.get("/forecast", response_model=ForecastAnswer)
    def forecast(region_id: str = REGION_ID,
                 indicator_id: str | None = Query(None, pattern=r"^[a-z0-9_]{1,60}$")) -> ForecastAnswer:
        s = ctx.snap()
        ctx.region(s, region_id)
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
            reliable = getattr(r, "interval_reliable", None)
            reliable = None if reliable is None or pd.isna(reliable) else bool(reliable)
            points.append(ForecastPoint(indicator_id=r.indicator_id, name=s.catalog[r.indicator_id].name,
                                        period=r.period, h=int(r.h), model=r.model, suppressed=hidden,
                                        interval_reliable=reliable,
                                        interval_note=None if hidden else interval_note(
                                            reliable, finite(r.lo80) is not None),
                                        **{k: None if hidden else finite(getattr(r, k))
                                           for k in ("yhat", "lo80", "hi80", "lo95", "hi95")}))
        return ForecastAnswer(region_id=region_id, points=points)

    @router.get("/projection", response_model=ProjectionAnswer)
    def projection(region_id: str = REGION_ID,
                   group: str | None = Query(None, pattern=r"^[0-9]{2,3}_([0-9]{2,3}|plus)$")) -> ProjectionAnswer:
        s = ctx.snap()
        if s.projection is None:
            raise NotReady("no projection in the store: import residents by age and run 'sozialradar project'")
        f = s.projection[s.projection["region_id"] == region_id]
        if f.empty:
            ctx.region(s, region_id)
            raise ApiError(404, "no_projection", f"no projection for region {region_id!r} (not at the projected "
                           "level, or without residents by age)", "region_id", region_id)
        if group is not None:
            if group not in set(s.projection["group"]):
                raise ApiError(404, "unknown_group", f"no projected age group {group!r}", "group", group)
            f = f[f["group"] == group]
        points = [ProjectionPoint(group=r.group, label=r.group_label, period=str(r.period), horizon=int(r.horizon),
                                  served_by=r.served_by, suppressed=r.flag == "suppressed",
                                  **{k: finite(getattr(r, k)) for k in ("served", "projected", "lower", "upper")})
                  for r in f.itertuples()]
        return ProjectionAnswer(region_id=region_id, points=points,
                                checks={k: v for k, v in s.projection_verdict.items()
                                        if k in set(f["group_label"])})

    def coverage_table(s):
        if s.coverage is None or s.coverage.empty:
            raise NotReady("no coverage in the store: import a facility register and run 'sozialradar coverage'")
        return s.coverage

    def of_type(c: pd.DataFrame, type_: str | None) -> pd.DataFrame:
        if type_ is None:
            return c
        hit = c[c["type"].str.casefold() == type_.casefold()]
        if hit.empty:
            raise ApiError(404, "unknown_type", f"no coverage for facility type {type_!r}; the store has "
                           f"{', '.join(sorted(set(c['type'])))}", "type", type_)
        return hit

    @router.get("/coverage", response_model=CoverageAnswer)
    def coverage(region_id: str = REGION_ID, type: str | None = TYPE) -> CoverageAnswer:  # noqa: A002
        s = ctx.snap()
        ctx.region(s, region_id)
        c = of_type(coverage_table(s), type)
        f = c[c["region_id"] == region_id]
        if f.empty:
            raise ApiError(404, "no_coverage", f"no coverage for region {region_id!r} (not at the projected level)",
                           "region_id", region_id)
        points = [CoveragePoint(type=r.type, group=r.group_label, period=str(r.period), horizon=int(r.horizon),
                                in_region=float(r.in_region), suppressed=r.flag == "suppressed",
                                **{k: finite(getattr(r, k)) for k in ("demand", "accessible", "ratio", "gap")})
                  for r in f.sort_values(["type", "horizon"]).itertuples()]
        return CoverageAnswer(region_id=region_id, points=points)

    @router.get("/coverage_map", response_model=CoverageMap)
    def coverage_map(type: str | None = TYPE, horizon: int = Query(0, ge=0, le=30)) -> CoverageMap:  # noqa: A002
        s = ctx.snap()
        table = coverage_table(s)
        c = of_type(table, type or str(table["type"].iloc[0]))
        f = c[c["horizon"] == horizon]
        if f.empty:
            raise ApiError(404, "unknown_horizon", f"no coverage {horizon} years ahead", "horizon", horizon)
        return CoverageMap(type=str(f["type"].iloc[0]), period=str(f["period"].iloc[0]),
                           regions=[CoverageMapEntry(region_id=r.region_id, ratio=finite(r.ratio), gap=finite(r.gap))
                                    for r in f.itertuples()],
                           types=sorted(set(table["type"])), horizons=sorted(int(h) for h in set(table["horizon"])))

    return router

"""The register of measures and their estimated effects: ``/measures`` (per region, field or status) and
``/impact`` (one measure's estimates), as the impact job stored them."""

from __future__ import annotations

import json

import pandas as pd
from fastapi import APIRouter, Query

from serving.api.common import ApiError, Context
from serving.demography import covering
from serving.schemas import ImpactEstimate, Measure, MeasuresAnswer, finite
from serving.state import NotReady, Snapshot

MEASURE_ID = Query(pattern=r"^[\w.\-]{1,60}$", description="Kennung der Maßnahme")


def impacts_of(s: Snapshot, measure_id: str, region_id: str | None = None) -> list[ImpactEstimate]:
    """The stored estimates of a measure (in one region)."""
    if s.impacts is None or s.impacts.empty:
        return []
    f = s.impacts[s.impacts["measure_id"] == measure_id]
    if region_id is not None:
        f = f[f["region_id"] == region_id]
    return [ImpactEstimate(measure_id=r.measure_id, region_id=r.region_id, indicator_id=r.indicator_id,
                           effect=finite(r.effect), lower=finite(r.lower), upper=finite(r.upper),
                           p_value=finite(r.p_value), distinguishable=bool(r.distinguishable),
                           withheld=r.withheld if isinstance(r.withheld, str) else None,
                           comparison=json.loads(r.weights) if isinstance(r.weights, str) else {},
                           window_end=_text(getattr(r, "window_end", None)),
                           net_of=[m for m in str(_text(getattr(r, "net_of", None)) or "").split(",") if m],
                           sentence=r.sentence) for r in f.itertuples()]


def _text(x) -> str | None:
    """A stored text cell, None where empty (tables written before the column existed have none)."""
    return x if isinstance(x, str) and x else None


def measure_of(s: Snapshot, row: pd.Series, region_id: str | None = None) -> Measure:
    """One register row as the API answers it."""
    return Measure(measure_id=row["measure_id"], title=row["title"],
                   field=row["field"] if isinstance(row["field"], str) and row["field"] else None,
                   regions=[r for r in str(row["regions"]).split(",") if r], start=int(row["start"]),
                   end=None if pd.isna(row["end"]) else int(row["end"]), cost_per_year=finite(row["cost_per_year"]),
                   status=row["status"], indicators=[i for i in str(row["indicators"]).split(",") if i],
                   impacts=impacts_of(s, row["measure_id"], region_id))


def router(ctx: Context) -> APIRouter:
    """The routes of this resource, answering from ``ctx``."""
    router = APIRouter()

    def register(s: Snapshot) -> pd.DataFrame:
        if s.measures is None or s.measures.empty:
            raise NotReady("no measures in the store: import a register of measures (sozialradar ingest FILE)")
        return s.measures

    @router.get("/measures", response_model=MeasuresAnswer)
    def measures(region_id: str | None = Query(None, pattern=r"^[\w.\-]{1,60}$", description="Gebietskennziffer"),
                 field: str | None = Query(None, max_length=80, description="Handlungsfeld / Lebenslage"),
                 status: str | None = Query(None, pattern=r"^(vorgeschlagen|beschlossen|umgesetzt|abgelehnt)$")
                 ) -> MeasuresAnswer:
        s = ctx.snap()
        f = register(s)
        if region_id is not None:
            ctx.region(s, region_id)
            f = f[f["regions"].str.split(",").map(covering(s, region_id).intersection).astype(bool)]
        if field is not None:
            f = f[f["field"].fillna("").str.casefold() == field.casefold()]
        if status is not None:
            f = f[f["status"] == status]
        rows = [measure_of(s, r, region_id) for _, r in f.sort_values(["start", "measure_id"]).iterrows()]
        running = f[f["status"].isin(["beschlossen", "umgesetzt"])]["cost_per_year"].fillna(0).sum()
        return MeasuresAnswer(region_id=region_id, measures=rows, cost_per_year=float(running))

    @router.get("/impact", response_model=Measure)
    def impact(measure_id: str = MEASURE_ID) -> Measure:
        s = ctx.snap()
        f = register(s)
        hit = f[f["measure_id"] == measure_id]
        if hit.empty:
            raise ApiError(404, "unknown_measure", f"no measure {measure_id!r}", "measure_id", measure_id)
        return measure_of(s, hit.iloc[0])

    return router

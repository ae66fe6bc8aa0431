"""Regions and their shapes: ``/regions`` (with status class and warning level) and ``/geometry`` (GeoJSON)."""

from __future__ import annotations

import json

import pandas as pd
from fastapi import APIRouter, Query

from models.explanations import unscored, years_ahead
from serving.api.common import ApiError, Context
from serving.key_figures import later_edition, refused_training, standing_types
from serving.own_values import elsewhere
from serving.schemas import GeometryAnswer, OtherRegion, Region, RegionList, RegionShape


def router(ctx: Context) -> APIRouter:
    """The routes of this resource, answering from ``ctx``."""
    router = APIRouter()

    @router.get("/regions", response_model=RegionList)
    def regions(level: str | None = Query(None, max_length=40, description="Ebene; leer: die der Profile")) -> RegionList:
        s = ctx.snap()
        _, regs = ctx.level_regions(s, level)
        period = s.default_period
        p = s.profiles[s.profiles["period"] == period].set_index("region_id") if period else pd.DataFrame()
        # the shortest horizon's level; none where that horizon has no level available (nobody could be flagged)
        w = ctx.state.explain_period(s, period) if (s.has_warnings and period in s.warning_periods()) else None
        graded = s.has_warnings and s.warning_models[s.horizons[0]]["graded"]
        ranking = ctx.settings.features.index.ranking
        parents = s.regions.set_index("region_id")[["name", "level"]]
        shown = standing_types(s, period)[0]       # a year without the typology's inputs: its last year's types
        types = (s.types[s.types["period"].astype(str) == str(shown)].set_index("region_id")
                 if s.types is not None and period else pd.DataFrame())
        out = []
        for r in regs.itertuples():
            row = p.loc[r.region_id] if r.region_id in p.index else None
            label = row["status_label"] if row is not None and isinstance(row["status_label"], str) else None
            rank = row.get("status_rank") if (row is not None and ranking) else None
            warn = w.loc[r.region_id] if (w is not None and r.region_id in w.index) else None
            out.append(Region(region_id=r.region_id, name=r.name, level=r.level,
                              parent_id=r.parent_id if isinstance(r.parent_id, str) else None, status_label=label,
                              warning_level=None if warn is None or not graded else warn["level"],
                              warning_probability=None if warn is None else float(warn["probability"]),
                              status_rank=int(rank) if rank is not None and pd.notna(rank) else None,
                              **_parent(parents, r.parent_id), **_type(types, r.region_id)))
        # no warning for the period shown: the last training refused, or it predates this edition
        later = unscored(period, s.warning_periods(), s.indexed_periods) if s.has_warnings and period else None
        others = elsewhere(s, period) if period and (level is None or level == s.level) else []
        return RegionList(period=period, ranking=ranking, regions=out, elsewhere=[OtherRegion(**o) for o in others],
                          warning_note=s.warning_refused.get("text") or (later or {}).get("text"),
                          level_note=None if w is None or graded else _level_note(s), type_note=_type_note(s, period))

    @router.get("/geometry", response_model=GeometryAnswer)
    def geometry(level: str | None = Query(None, max_length=40, description="Ebene; leer: die der Profile")):
        """Flächen der Gebiete (GeoJSON) mit Statusklasse und Frühwarnstufe der letzten Periode, für die Karte."""
        s = ctx.snap()
        lv, regs = ctx.level_regions(s, level)
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

    return router


def _level_note(s) -> str:
    """Why the list shows no warning levels though regions are scored: the shortest horizon's first level and the
    reason it is not available (German, for the dashboard)."""
    h = s.horizons[0]
    levels = s.warning_models[h].get("levels") or {}
    name, first = next(iter(levels.items()), ("beobachten", {}))
    reason = first.get("reason") or s.warning_models[h].get("unavailable", {}).get(name)
    said = f": „{name}“ – {reason}" if reason else ""
    return (f"Für {years_ahead(h)} voraus ist keine Frühwarnstufe verfügbar{said}. Die Wahrscheinlichkeit je Gebiet "
            "und ihre Treiber zeigt die Gebietsansicht.")


def _type_note(s, period: str | None) -> str | None:
    """Why the list's period shows no types, or older ones: an edition after the typology's last period, and the
    typology's last training refused (German, for the dashboard); None where neither applies."""
    last = str(s.types["period"].max()) if s.types is not None and len(s.types) else None
    standing = standing_types(s, period)[1]
    said = [standing or later_edition("typology", period, last), (refused_training(s, "typology") or {}).get("text")]
    return " ".join(t for t in said if t) or None


def _parent(parents: pd.DataFrame, parent_id: object) -> dict:
    """A region's parent's name and level, for the list (empty where it has none)."""
    if not isinstance(parent_id, str) or parent_id not in parents.index:
        return {}
    return {"parent_name": str(parents.at[parent_id, "name"]), "parent_level": str(parents.at[parent_id, "level"])}


def _type(types: pd.DataFrame, region_id: str) -> dict:
    """A region's stored type in the period and its description, for the list (empty where it has none)."""
    if region_id not in types.index:
        return {}
    row = types.loc[region_id]
    row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
    return {"type": int(row["type"]), "type_description": str(row["description"])}

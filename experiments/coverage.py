"""The coverage job (Bestand und Bedarf): per region, facility type and year, the places needed, the places in
the region, the places it can reach (2SFCA, ``models.coverage``) and the gap.

Demand comes from the stored projection (the served count of each norm's age group, the latest stand included);
supply from the facility register, each facility counted in the years it is open. Store table ``coverage``
(region, type, period, horizon, demand, in_region, accessible, ratio, gap, served_by, flag). A region whose
age-group count is withheld as small has no demand figures either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.age_groups import planner_group
from ml.config import Settings
from ml.geometry import centroid
from models.coverage import decay_weights, distances_km, in_region, two_step


class CoverageError(ValueError):
    """Coverage cannot be computed from what the store holds; the message says what is missing."""


@dataclass
class CoverageSummary:
    """The coverage table, the facility types found without a norm, and whether distances were used."""
    table: pd.DataFrame
    types_without_norm: list[str]
    by_distance: bool


def _places(frame: pd.DataFrame, geometry: dict[str, tuple[float, float] | None]) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude of facilities: their own coordinates, else their region's centre."""
    lat, lon = frame["lat"].to_numpy(float).copy(), frame["lon"].to_numpy(float).copy()
    for i, region in enumerate(frame["region_id"]):
        if np.isnan(lat[i]) and isinstance(region, str) and geometry.get(region):
            lat[i], lon[i] = geometry[region]
    return lat, lon


def run_coverage(projection: pd.DataFrame, facilities: pd.DataFrame, regions: pd.DataFrame,
                 settings: Settings) -> CoverageSummary:
    """The coverage of every norm's facility type for the projected regions and years."""
    cfg = settings.coverage
    if projection is None or projection.empty:
        raise CoverageError("no projection in the store: import residents by age and run 'sozialradar project'")
    if facilities is None or facilities.empty:
        raise CoverageError("no facilities in the store: import a facility register (sozialradar ingest FILE)")
    ids = pd.Index(sorted(projection["region_id"].unique()))
    centre = {r: centroid(g) for r, g in zip(regions["region_id"], regions["geometry"])}
    have = np.array([centre.get(r) is not None for r in ids])
    by_distance = bool(have.all())
    rows = []
    for norm in cfg.norms:
        label = planner_group(norm.group).label
        counts = projection[projection["group_label"] == label]
        if counts.empty:
            raise CoverageError(f"the projection has no group {label!r} for the norm of {norm.type!r} (run "
                                "'sozialradar project' again after changing coverage.norms)")
        fac = facilities[facilities["type"].str.casefold() == norm.type.casefold()]
        lat, lon = _places(fac, centre)
        if by_distance:
            located = ~np.isnan(lat)
            r_lat = np.array([centre[r][0] for r in ids])
            r_lon = np.array([centre[r][1] for r in ids])
            d = np.full((len(ids), len(fac)), np.inf)
            d[:, located] = distances_km(r_lat, r_lon, lat[located], lon[located])
            weights = decay_weights(d, norm.distance_km or cfg.distance_km, cfg.decay)
        else:   # no centres: a region's own facilities only
            weights = (fac["region_id"].to_numpy()[None, :] == ids.to_numpy()[:, None]).astype(float)
        for (period, horizon), g in counts.groupby(["period", "horizon"], sort=True):
            year = int(str(period)[:4])
            people = g.set_index("region_id")["served"].reindex(ids)
            withheld = people.isna().to_numpy()
            demand = people.fillna(0).to_numpy(float) * norm.per_person
            open_ = ((fac["opened"].isna() | (fac["opened"] <= year)) &
                     (fac["closed"].isna() | (fac["closed"] > year))).to_numpy()
            capacity = np.where(open_, fac["capacity"].to_numpy(float), 0.0)
            _, access = two_step(demand, capacity, weights)
            inside = in_region(capacity, fac["region_id"].to_numpy(), ids.to_numpy())
            accessible = np.nan_to_num(access) * demand
            frame = pd.DataFrame({
                "region_id": ids, "type": norm.type, "group_label": label, "period": str(period), "horizon": int(horizon),
                "demand": demand.round(1), "in_region": inside, "accessible": accessible.round(1),
                "ratio": access.round(3), "gap": np.maximum(demand - accessible, 0).round(1),
                "served_by": g.set_index("region_id")["served_by"].reindex(ids).to_numpy(),
                "flag": np.where(withheld, "suppressed", "ok")})
            frame.loc[withheld, ["demand", "accessible", "ratio", "gap"]] = np.nan
            rows.append(frame)
    known = {n.type.casefold() for n in cfg.norms}
    without = sorted({t for t in facilities["type"] if t.casefold() not in known})
    return CoverageSummary(pd.concat(rows, ignore_index=True), without, by_distance)


def area_coverage(table: pd.DataFrame, members: set[str], type_: str, horizon: int) -> dict[str, float]:
    """Demand, accessible places, ratio and gap of a set of regions (a Sozialregion's Gemeinden) together."""
    f = table[table["region_id"].isin(members) & (table["type"] == type_) & (table["horizon"] == horizon)]
    demand, accessible = float(f["demand"].sum()), float(f["accessible"].sum())
    return {"demand": demand, "accessible": accessible, "ratio": accessible / demand if demand else float("nan"),
            "gap": float(f["gap"].sum()), "withheld": int(f["flag"].eq("suppressed").sum()),
            "period": str(f["period"].iloc[0]) if len(f) else ""}

"""The values of a region of another level than the profiles': shown as they are held, without a comparison.

The profiles compare the regions of one level (``features.level``). A county also keeps figures of the whole city or
county, or of a coarser level, that no region of the profiles' level has: the Jugendamt's Hilfen zur Erziehung by
kind for the whole city, a Kreis's own key figures. The page of such a region shows them as a table of its
indicators over its last periods: what ``features`` stored of them (``other_level_values``: the observations with the
shares the catalog derives from their counts, small numbers withheld as for the profiles; a withheld cell reads
'gesperrt', never its value). Nothing is computed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ml.catalog import Catalog
from ml.formatting import MISSING, de

if TYPE_CHECKING:
    from serving.report import ReportBuilder
    from serving.state import Snapshot

PERIODS = 6
"""The most periods the table shows: the report's period and those before it."""


SUMMED = "¹"
"""The mark of a value summed from the region's parts (and of a share computed from such a sum)."""
REASON_MARKS = "²³⁴⁵⁶⁷⁸⁹"
"""The marks of the reasons a cell is withheld, in the order they first appear in the table: each cell reads
'gesperrt' and its mark, and the legend says the reason once (a table of six years, one reason in every cell, would
otherwise repeat it in each)."""


def own_values(builder: "ReportBuilder", region_id: str, period: str) -> dict | None:
    """:func:`own_table` of a region of another level than the builder's profiles, from the values ``features``
    stored of those regions; a value summed from its parts is marked, and the legend names them (its Stadtteile)."""
    return own_table(_other_levels(builder.snap), builder.catalog, region_id, period, parts_plural(builder, region_id),
                     builder.snap.left_out)


def parts_plural(builder: "ReportBuilder", region_id: str) -> str:
    """What a region's parts are called ('Gemeinden', 'Stadtteile'): the level most of its parts are on."""
    from serving.key_figures import LEVEL_PLURAL

    regions = builder.snap.regions
    below = regions.loc[regions["parent_id"].astype(str) == region_id, "level"].astype(str)
    return LEVEL_PLURAL.get(below.mode().iloc[0], "Teilgebiete") if len(below) else "Teilgebiete"


def summed_cells(snap: "Snapshot") -> set[tuple[str, str, str]]:
    """(region_id, indicator_id, period) of every value ``features`` marked ``summed``, of the profiles' level and
    of the others: a count summed from the region's parts, and a share computed from one (none in a store of an
    older run)."""
    out: set[tuple[str, str, str]] = set()
    for held in (snap.values, snap.other_values):
        if held is not None and "summed" in held.columns:
            marked = held.loc[held["summed"].fillna(False).astype(bool), ["region_id", "indicator_id", "period"]]
            out |= set(map(tuple, marked.astype(str).to_numpy()))
    return out


def summed_note(builder: "ReportBuilder", region_id: str, indicators: list[dict]) -> str:
    """The legend under a page's table of indicators where a value in it is marked :data:`SUMMED`; '' otherwise."""
    marked = any(str(r["value"]).endswith(SUMMED) for d in indicators for r in d["rows"])
    return summed_legend(parts_plural(builder, region_id)) if marked else ""


def summed_legend(parts: str) -> str:
    """The legend of :data:`SUMMED`: the value is the sum of the region's ``parts``, not reported by the region."""
    return (f"{SUMMED} Summe der {parts}, nicht vom Gebiet selbst gemeldet; ein Anteil daraus ist aus dieser Summe "
            "berechnet.")


def _other_levels(snap: "Snapshot") -> pd.DataFrame:
    """The values of the regions of other levels than the profiles', as ``features`` stored them (none in a store
    whose 'features' ran before they were kept)."""
    v = snap.other_values
    return v if v is not None else pd.DataFrame(columns=["region_id", "indicator_id", "period", "value", "flag",
                                                         "suppressed_by"])


def other_cells(builder: "ReportBuilder", region_id: str) -> pd.DataFrame:
    """The stored values of a region of another level (value, flag, suppressed_by), indexed by (indicator_id,
    period): its key figures (its residents) read from them; empty for a region without any."""
    v = _other_levels(builder.snap)
    return v.loc[v["region_id"] == region_id].set_index(["indicator_id", "period"])[
        ["value", "flag", "suppressed_by"]]


def page_flags(snap: "Snapshot", catalog: Catalog, region_id: str, period: str) -> list[dict]:
    """A page's data notes: the period's non-ok flags with the names of the indicators they concern (never values);
    of a region of another level (the whole city), those of its own values as stored (a count withheld because it
    would tell a part's, a value withheld at the source)."""
    from serving.key_figures import earlier_only, estimated_before, flagged, uncatalogued

    v = snap.values
    rows = v[(v["region_id"] == region_id) & (v["period"].astype(str) == period)]
    if rows.empty and region_id not in snap.level_regions["region_id"].to_numpy():
        other = _other_levels(snap)
        return flagged(other[(other["region_id"] == region_id) & (other["period"].astype(str) == str(period))],
                       catalog)
    return (flagged(rows, catalog) + estimated_before(v, catalog, region_id, period) + uncatalogued(rows, catalog)
            + earlier_only(v, catalog, region_id, period, snap.left_out))


def held_elsewhere(snap: "Snapshot", period: str) -> list[str]:
    """The regions of other levels than the snapshot's profiles that hold values up to ``period`` (the whole city,
    its Stadtbezirke), by level (the coarsest first) and name: the pages ``report --all`` writes besides the level's,
    and the dashboard links to."""
    from ml.contracts import LEVELS

    v = _other_levels(snap)
    held = set(v.loc[(v["period"].astype(str) <= str(period)) & (v["value"].notna() | v["flag"].eq("suppressed")),
                     "region_id"].astype(str))
    regions = snap.regions[snap.regions["region_id"].astype(str).isin(held)]
    rank = {level: i for i, level in enumerate(LEVELS)}
    return [str(r.region_id) for r in sorted(regions.itertuples(), key=lambda r: (rank.get(r.level, len(rank)),
                                                                                   str(r.name)))]


def elsewhere(snap: "Snapshot", period: str) -> list[dict]:
    """Those regions (:func:`held_elsewhere`) as the dashboard and the index list them: code, name, level and the
    level in German ('Kreis')."""
    from serving.key_figures import LEVEL_SINGULAR

    regions = snap.regions.assign(region_id=snap.regions["region_id"].astype(str)).set_index("region_id")
    out = []
    for r in held_elsewhere(snap, period):
        level = str(regions.at[r, "level"])
        out.append({"region_id": r, "name": str(regions.at[r, "name"]), "level": level,
                    "level_name": LEVEL_SINGULAR.get(level, level)})
    return out


def elsewhere_rows(builder: "ReportBuilder", period: str, links: dict[str, str]) -> list[dict]:
    """The index's list of those regions' pages: name, code, level (German) and link."""
    return [{"name": str(builder.names.get(r["region_id"], r["name"])), "region_id": r["region_id"],
             "href": links.get(r["region_id"]), "level": r["level_name"]} for r in elsewhere(builder.snap, period)]


def _summed(cell) -> bool:
    """Whether a stored value is a sum of the region's parts (a table stored before the mark was kept: none is)."""
    mark = getattr(cell, "summed", False)
    return isinstance(mark, (bool, np.bool_)) and bool(mark)


def own_table(values: pd.DataFrame, catalog: Catalog, region_id: str, period: str,
              parts: str = "Teilgebiete", left_out: dict | None = None) -> dict | None:
    """The region's indicators (catalog order, grouped by dimension) over its last :data:`PERIODS` periods up to
    ``period``: ``{'periods': [...], 'dimensions': [{'name', 'rows': [{'name', 'unit', 'cells'}]}], 'summed':
    legend or '', 'withheld': [legend lines]}``, a value summed from the region's ``parts`` (column ``summed``) marked
    :data:`SUMMED`, a withheld one 'gesperrt' with the mark of its reason (:data:`REASON_MARKS`), one ``features``
    left out (``left_out``: (region, indicator, period) → why, the store's ``left_out_values``) 'ausgelassen' with
    its mark, each reason said once in ``withheld``; None where the region holds no value up to that period."""
    from serving.key_figures import WITHHELD_TEXT

    mine = values[(values["region_id"] == region_id) & (values["period"].astype(str) <= str(period))
                  & (values["value"].notna() | values["flag"].eq("suppressed"))]
    if mine.empty:
        return None
    # the years, where it holds any: a month's count (the unemployed of each month) is no column beside them
    stands = sorted(mine["period"].astype(str).unique())
    periods = ([p for p in stands if len(p) == 4] or stands)[-PERIODS:]
    cells = {(r.indicator_id, str(r.period)): r for r in mine.itertuples(index=False)}
    held = set(mine["indicator_id"])
    groups = []
    marks: dict[str, str] = {}       # reason → its mark, in the order of first appearance

    def withheld(reason) -> str:
        reason = reason if isinstance(reason, str) and reason in WITHHELD_TEXT else ""
        if reason not in marks:
            marks[reason] = REASON_MARKS[min(len(marks), len(REASON_MARKS) - 1)]
        return "gesperrt" + marks[reason]

    def dropped(indicator: str, p: str) -> str:
        why = (left_out or {}).get((str(region_id), indicator, p))
        if why is None:
            return MISSING
        key = "ausgelassen: " + str(why)
        if key not in marks:
            marks[key] = REASON_MARKS[min(len(marks), len(REASON_MARKS) - 1)]
        return "ausgelassen" + marks[key]

    for dim_id, dim in catalog.dimensions.items():
        rows = []
        for ind in catalog:
            if ind.dimension != dim_id or ind.indicator_id not in held:
                continue
            shown = []
            for p in periods:
                c = cells.get((ind.indicator_id, p))
                shown.append(dropped(ind.indicator_id, p) if c is None else withheld(c.suppressed_by)
                             if c.flag == "suppressed" else de(c.value, ind.decimals) + (
                                 SUMMED if _summed(c) and pd.notna(c.value) else ""))
            if any(s != MISSING for s in shown):
                unit = "" if f"({ind.unit})" in ind.name else ind.unit      # 'Hilfen zur Erziehung (Fälle)'
                rows.append({"name": ind.name, "unit": unit, "cells": shown})
        if rows:
            groups.append({"name": dim.name, "rows": rows})
    marked = any(SUMMED in c for g in groups for r in g["rows"] for c in r["cells"])
    legend = (summed_legend(parts) + " Eine Summe fehlt, wo ein Teilgebiet keinen Wert hat; wo sein Wert gesperrt "
              "ist, ist auch die Summe gesperrt (sie verriete ihn).") if marked else ""
    why = [f"{mark} {reason}." if reason.startswith("ausgelassen: ") else f"{mark} {WITHHELD_TEXT[reason]}."
           if reason else f"{mark} gesperrt." for reason, mark in marks.items()]
    if not groups:
        return None
    return {"periods": periods, "dimensions": groups, "summed": legend, "withheld": why}

"""The values of a region of another level than the profiles': shown as they are held, without a comparison.

The profiles compare the regions of one level (``features.level``). A county also keeps figures of the whole city or
county, or of a coarser level, that no region of the profiles' level has: the Jugendamt's Hilfen zur Erziehung by
kind for the whole city, a Kreis's own key figures. The page of such a region shows them as a table of its
indicators over its last periods: the store's observations with the shares the catalog derives from their counts,
and the small-number rule applied as ``features`` applies it (a withheld cell reads 'gesperrt', never its value).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from features.steps import VALUE_COLUMNS, derive_indicators, suppress_small_numbers
from ml.catalog import Catalog
from ml.config import Settings
from ml.formatting import MISSING, de
from ml.store import Store

if TYPE_CHECKING:
    from serving.report import ReportBuilder

PERIODS = 6
"""The most periods the table shows: the report's period and those before it."""


def read_other_levels(settings: Settings, catalog: Catalog, region_ids: list[str]) -> pd.DataFrame:
    """The observations of ``region_ids`` with the derived shares, small numbers withheld (``suppressed_by`` says
    why), read from the store once for every page that needs them."""
    if not region_ids:
        return pd.DataFrame(columns=[*VALUE_COLUMNS, "suppressed_by"])
    with Store(settings.store.path, read_only=True) as store:
        obs = store.observations(region_ids=region_ids)
    obs["period"] = obs["period"].astype(str)
    derived = derive_indicators(obs.loc[:, VALUE_COLUMNS], catalog)
    return suppress_small_numbers(derived, catalog, settings.privacy, settings.features.population_indicator)


def own_values(builder: "ReportBuilder", region_id: str, period: str) -> dict | None:
    """:func:`own_table` of a region of another level than the builder's profiles (the regions of every other level
    read once per builder)."""
    if builder.other_levels is None:
        levels = builder.snap.regions.set_index("region_id")["level"].astype(str)
        other = levels[levels != builder.profiled_level].index.tolist()
        builder.other_levels = read_other_levels(builder.settings, builder.catalog, other)
    return own_table(builder.other_levels, builder.catalog, region_id, period)


def own_table(values: pd.DataFrame, catalog: Catalog, region_id: str, period: str) -> dict | None:
    """The region's indicators (catalog order, grouped by dimension) over its last :data:`PERIODS` periods up to
    ``period``: ``{'periods': [...], 'dimensions': [{'name', 'rows': [{'name', 'unit', 'cells'}]}]}``; None where
    the region holds no value up to that period."""
    from serving.key_figures import flag_text

    mine = values[(values["region_id"] == region_id) & (values["period"].astype(str) <= str(period))
                  & (values["value"].notna() | values["flag"].eq("suppressed"))]
    if mine.empty:
        return None
    periods = sorted(mine["period"].astype(str).unique())[-PERIODS:]
    cells = {(r.indicator_id, str(r.period)): r for r in mine.itertuples(index=False)}
    held = set(mine["indicator_id"])
    groups = []
    for dim_id, dim in catalog.dimensions.items():
        rows = []
        for ind in catalog:
            if ind.dimension != dim_id or ind.indicator_id not in held:
                continue
            shown = []
            for p in periods:
                c = cells.get((ind.indicator_id, p))
                shown.append(MISSING if c is None else flag_text("suppressed", c.suppressed_by)
                             if c.flag == "suppressed" else de(c.value, ind.decimals))
            if any(s != MISSING for s in shown):
                unit = "" if f"({ind.unit})" in ind.name else ind.unit      # 'Hilfen zur Erziehung (Fälle)'
                rows.append({"name": ind.name, "unit": unit, "cells": shown})
        if rows:
            groups.append({"name": dim.name, "rows": rows})
    return {"periods": periods, "dimensions": groups} if groups else None

"""Composition of the feature steps, on the local engine (pandas) or on Apache Spark.

    observations ─harmonise─▶ ─(per reference group)─ derive ─▶ suppress ─▶ profiles (+ model matrix)

The per-group work is two functions, ``prepare_values`` and ``profile_group``; the local engine calls
them group by group, the Spark engine through ``groupBy(reference_group).applyInPandas``. Both give the
same numbers. What needs every group at once comes before (the counts withheld besides, ``privacy.secondary``) or
after (the values of the regions of other levels, as their pages show them).

Longer than 450 lines because the pipeline's composition, the values of the other levels and the withholding
besides all decide what a page may show from the same privacy rules, and read best side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from features.age_counts import age_counts
from features.copied_cells import withhold_copied
from features.disclosure import (
    SECONDARY, complement_reasons, computed_from, secondary_cells, secondary_reasons, which_regions, withheld_sums,
    withhold_complements,
)
from features.grid import onto_new_grid
from features.level_sums import ancestors_at, sum_up
from features.copied_blocks import copied_block_notes, copied_blocks, copied_keys
from features.misplaced import (LEFT_OUT_COLUMNS, ancestor_groupings, leave_out, misplaced_editions, misplaced_notes,
                               withhold)
from features.relations import BALANCE, audit_balances
from features.wrong_edition import wrong_edition_notes, wrong_edition_rows, wrong_editions
from features.steps import (
    ProfileSpec, VALUE_COLUMNS, build_profiles, copied_years, derive_indicators, derived_out_of_range,
    model_columns, profile_columns, suppress_small_numbers,
)
from ml.age_groups import PREFIX as AGE_PREFIX
from ml.catalog import Catalog
from ml.grid_change import grid_change_notes, grid_changes, presence
from ml.config import FeaturesConfig, PrivacyConfig, Settings
from ml.formatting import de, years_text

GROUP_COLUMN = "reference_group"
LOCAL_CHUNK_GROUPS = 40
VALUE_OUTPUT_COLUMNS = VALUE_COLUMNS + ["suppressed_by", GROUP_COLUMN]


class FeatureError(ValueError):
    """The inputs do not allow building profiles (no regions at the level, unknown indicators ...)."""


@dataclass
class FeatureResult:
    """What the features pipeline produces: long ``values`` (region_id, indicator_id, period, value, z,
    suppressed_by …), ``profiles`` (one row per region and period: status and dynamics index and classes,
    dimension scores, flags), the ``model`` matrix (region_id, period and one imputed z column per model
    indicator), the ``engine`` that ran and notes for the user. The features job adds ``warning_inputs``
    (None without two periods with a status index), the Belastungsindizes per Lebenslage with their checks
    (``features.lebenslagen``) and ``seconds``."""

    values: pd.DataFrame
    profiles: pd.DataFrame
    model: pd.DataFrame
    engine: str
    notes: list[str] = field(default_factory=list)
    warning_inputs: pd.DataFrame | None = None
    lebenslagen: pd.DataFrame | None = None
    lebenslagen_checks: pd.DataFrame | None = None
    seconds: float = 0.0
    copies: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Indicator → years whose values repeat the year before (:func:`features.steps.copied_years`)."""
    copied_cells: frozenset = frozenset()
    """(region_id, indicator_id, period) of the values a block copied in one group repeats
    (:mod:`features.copied_blocks`)."""
    left_out: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LEFT_OUT_COLUMNS))
    """Values the profiles leave out, and why: an edition's rows gone to the wrong regions
    (:mod:`features.misplaced`), a count another region's row gave (:mod:`features.copied_cells`), a share its two
    counts put outside its valid range."""
    crosswalk: pd.DataFrame | None = None     # the crosswalk as applied, its empty weights completed
    secondary: set = field(default_factory=set)
    """The counts of the profiles withheld besides a withheld one (``privacy.secondary``): (region_id, indicator_id,
    period) as text."""
    counted: pd.DataFrame | None = None
    """The observations with the counts by age summed from their groups, before a crosswalk: what the values of the
    other levels' regions are built from (:func:`other_level_values`), not stored."""

    def copied_table(self) -> pd.DataFrame:
        """The values that repeat the year before, as the store keeps them (table ``copied_years``): region_id ''
        for an edition copied in every region (``copies``), a region's own for a block copied in one group
        (``copied_cells``). A page shows no change into them nor measures one from them."""
        everywhere = [("", i, str(y)) for i, years in self.copies.items() for y in years]
        return pd.DataFrame(everywhere + sorted(self.copied_cells), columns=["region_id", "indicator_id", "period"])


def reference_groups(regions: pd.DataFrame, level: str, reference_level: str | None, valued=None) -> pd.Series:
    """For each region at ``level``: its ancestor at ``reference_level`` (the set it is standardised in); all
    regions of the level form one group ``alle`` with no reference level or no such ancestor. Where the store has
    no region at ``level``, the error names the level most of ``valued`` (the observations' regions) are on."""
    at_level = regions[regions["level"] == level]
    if at_level.empty:
        held = regions.loc[regions["region_id"].isin(set(() if valued is None else valued)), "level"].value_counts()
        raise FeatureError(f"no regions at level {level!r}; levels in the store: " + ", ".join(
            f"{lv} {n}" for lv, n in sorted(regions["level"].value_counts().items())) + (
            f"; the values are at level {held.index[0]!r}: set it in sozialradar.yaml (features: level: "
            f"{held.index[0]}) or with SOZIALRADAR_FEATURES__LEVEL" if len(held) else ""))
    if reference_level is None:
        return pd.Series("alle", index=at_level["region_id"].to_numpy(), name=GROUP_COLUMN)
    group = ancestors_at(regions, at_level["region_id"].to_numpy(), reference_level)
    return group.fillna("alle").rename(GROUP_COLUMN).astype("str")


def profile_spec(catalog: Catalog, settings: Settings, present: set[str] | None = None) -> ProfileSpec:
    """The profile's indicators: the catalog's reported ones (those ``present`` in the data, if given)
    plus the configured status and dynamics indicators."""
    cfg = settings.features
    wanted = set(cfg.index.status_indicators) | set(cfg.index.dynamics_indicators or [])
    reported = [i for i in catalog if (not i.basis and (present is None or i.indicator_id in present))
                or i.indicator_id in wanted]
    ids = [i.indicator_id for i in reported]
    for name in cfg.index.status_indicators + (cfg.index.dynamics_indicators or []):
        if name not in catalog:
            raise FeatureError(f"features.index names indicator {name!r}, which is not in the catalog")
    neutral = [n for n in dict.fromkeys(cfg.index.status_indicators + (cfg.index.dynamics_indicators or []))
               if catalog[n].polarity == 0]
    if neutral:     # read as 'more is more burden' it would turn an indicator of less burden the wrong way
        raise FeatureError(
            "features.index names indicators whose polarity is 0 (neutral), which tells no direction: "
            + ", ".join(f"{n} ({catalog[n].catalog_file})" for n in neutral) + "; write 1 in their catalog file's "
            "'polarity' where more is more burden, -1 where more is less, or leave them out of the index")
    extra = [cfg.index.validity_indicator] if cfg.index.validity_indicator else []
    for name in [cfg.population_indicator] + extra:
        if name not in catalog:
            raise FeatureError(f"features names indicator {name!r}, which is not in the catalog")
    return ProfileSpec(
        indicators=tuple(ids),
        polarity={i.indicator_id: i.polarity for i in reported},
        dimension={i.indicator_id: i.dimension for i in reported},
        dimensions=tuple(catalog.dimensions), population_indicator=cfg.population_indicator,
        min_population=settings.privacy.min_population, dynamics_periods=cfg.dynamics_periods,
        impute_neighbors=cfg.impute_neighbors, index=cfg.index,
        ddof=0 if cfg.standard_deviation == "population" else 1,
        breaks={i.indicator_id: i.breaks for i in reported if i.breaks},
    )


def other_level_values(obs: pd.DataFrame, regions: pd.DataFrame, catalog: Catalog, settings: Settings,
                       counted: bool = False, secondary: set = frozenset()) -> pd.DataFrame:
    """The observations of the regions of other levels than the profiles' (the whole city, whose Hilfen zur Erziehung
    by kind the Jugendamt counts; a coarser level of the same tables), with the shares the catalog derives from their
    counts and small numbers withheld as for the profiles' values (``suppressed_by`` says why): what the page of such
    a region shows, without a comparison. A count such a region lacks is the sum of its parts where every part has
    one (:func:`features.level_sums.sum_up`: the whole city's unemployed from its Stadtteile), marked ``summed``, as
    is a share computed from such a sum. ``counted``: ``obs`` already holds the counts by age summed from their
    groups (:attr:`FeatureResult.counted`), not summed again. ``secondary``: the profiles' counts withheld besides
    (:attr:`FeatureResult.secondary`), withheld parts here too."""
    from features.level_sums import ADDITIVE
    from ml.contracts import LEVELS

    levels = regions["level"].astype(str)
    other = regions.loc[levels != settings.features.level, "region_id"]
    # a region of another level with parts: every region's counts (by age too) may add up to it
    with_parts = regions["parent_id"].isin(other).any()
    part = obs if with_parts else obs.loc[obs["region_id"].isin(other)]
    if not counted:
        part, _ = age_counts(part, catalog, settings.features.population_indicator)
    additive = {i.indicator_id for i in catalog if i.kind in ADDITIVE}
    ids = part["indicator_id"]
    mine = part["region_id"].isin(other).to_numpy()
    counts = ids.isin(additive).to_numpy()
    # a count of their own beside their parts' (a sum of shown parts tells nothing withheld)
    owned = bool((mine & counts & part["value"].notna().to_numpy()).any())
    # the age groups are no indicators of a page; of the parts, only counts add up to their whole
    keep = (~ids.isin([i for i in pd.unique(ids) if str(i).startswith(AGE_PREFIX)])).to_numpy() & (mine | counts)
    part, mine = part.loc[keep, VALUE_COLUMNS], mine[keep]
    complements: set = set()
    key = ["region_id", "indicator_id", "period"]
    own = pd.MultiIndex.from_frame(part.loc[mine, key].astype(str))
    if with_parts:
        # a sum over a part withheld on its own page (a small number, a small area) is withheld where, less the
        # other parts, it would tell the part (a part without a value, or withheld at the source, leaves no sum)
        raw, parts = part, part.loc[~mine]
        shown = parts
        if secondary:       # withheld besides on the profiles' pages: withheld parts here
            hit = pd.MultiIndex.from_frame(parts[key].astype(str)).isin(list(secondary))
            shown = parts.copy()
            shown.loc[hit, ["value", "numerator", "denominator"]] = float("nan")
            shown.loc[hit, "flag"] = "suppressed"
        shown = suppress_small_numbers(shown, catalog, settings.privacy, settings.features.population_indicator)
        # the true values of what the privacy rule withholds (the parts' and the other levels' own)
        held = shown["flag"].eq("suppressed").to_numpy() & parts["value"].notna().to_numpy()
        before = pd.concat([raw.loc[mine, key + ["value"]], parts.loc[held, key + ["value"]]], ignore_index=True)
        part = pd.concat([part.loc[mine], shown.loc[:, VALUE_COLUMNS]], ignore_index=True)
        sum_levels = [lv for lv in reversed(LEVELS) if lv != settings.features.level and (levels == lv).any()]
        for level in sum_levels:            # the finest first: a coarser level sums the sums of a finer one
            part, _ = sum_up(part, regions, catalog, level)
        part, sums = withheld_sums(part, raw, regions, catalog, sum_levels, other)
        if owned or len(sums):
            # the whole's own count, or a sum over withheld parts, less the parts' shown counts would tell a
            # withheld part: withheld too. What the pages show withheld: the parts' flags as the privacy rule left
            # them, the other levels' by it
            withheld = part["flag"].eq("suppressed").to_numpy()
            upper = part["region_id"].isin(other).to_numpy()
            withheld[upper] = suppress_small_numbers(part.loc[upper], catalog, settings.privacy,
                                                     settings.features.population_indicator)["flag"].eq(
                                                         "suppressed").to_numpy()
            # a sum over withheld parts, withheld, is a withheld part of the regions above, with its true value
            true = pd.concat([before, sums], ignore_index=True) if len(sums) else before
            part, told = withhold_complements(part, true, regions,
                                              settings.features.level, catalog, withheld, settings.privacy.min_count)
            complements |= told
        part = part.loc[part["region_id"].isin(other)]
    out = suppress_small_numbers(derive_indicators(part, catalog), catalog, settings.privacy,
                                 settings.features.population_indicator)
    out["period"] = out["period"].astype(str)
    if complements:
        out["suppressed_by"] = complement_reasons(out, complements, catalog)
    if with_parts and catalog.balances():
        out = _audit_balances(out, shown, regions, catalog)
    added = ~pd.MultiIndex.from_frame(out[key].astype(str)).isin(own) & out["indicator_id"].isin(additive)
    # a share or rate the catalog computes from a summed count is a sum's share too (not one the region reported)
    out["summed"] = computed_from(out, set(map(tuple, out.loc[added, key].astype(str).to_numpy())), catalog) & ~(
        pd.MultiIndex.from_frame(out[key].astype(str)).isin(own))
    return out.sort_values(key, kind="stable").reset_index(drop=True)


def _audit_balances(out: pd.DataFrame, parts: pd.DataFrame, regions: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """``out`` (the other levels' values for their pages) with the values :func:`features.relations.audit_balances`
    withholds besides, so that no withheld value follows from every level's pages together through the balances and
    their terms, and the shares and rates computed from them (``suppressed_by`` 'balance'). ``parts``: the profiles'
    values as their pages show them."""
    key = ["region_id", "indicator_id", "period"]
    cols = key + ["value", "flag", "suppressed_by"]
    pages = pd.concat([parts[cols].assign(period=lambda f: f["period"].astype(str)), out[cols]], ignore_index=True)
    mine = np.zeros(len(pages), dtype=bool)
    mine[len(parts):] = True
    hidden = pages["flag"].eq("suppressed").to_numpy()
    # what the privacy rules withhold for its own sake: a small number, a small area's value, the source's
    protected = hidden & pages["suppressed_by"].isin(["count", "population", "source"]).to_numpy()
    hit, _ = audit_balances(pages, hidden, protected, mine & ~hidden, regions, catalog)
    if not hit.any():
        return out
    keys = set(map(tuple, pages.loc[hit, key].astype(str).to_numpy()))
    at = computed_from(out, keys, catalog)
    out = out.copy()
    out.loc[at, ["value", "numerator", "denominator"]] = np.nan
    out.loc[at, "flag"] = "suppressed"
    out.loc[at, "suppressed_by"] = BALANCE
    return out


def summed_note(other: pd.DataFrame, regions: pd.DataFrame) -> list[str]:
    """The note on the values of :func:`other_level_values` summed from their regions' parts: how many, of which
    regions and counts (none where nothing was summed)."""
    summed = other[other["summed"].astype(bool) & other["value"].notna()]
    if summed.empty:
        return []
    return [f"regions of other levels than the profiles': {len(summed):,} values summed from their parts where "
            "every part has one, or computed from such sums, for their pages (marked there) — "
            + which_regions(summed, regions)]


def prepare_values(group_obs: pd.DataFrame, catalog: Catalog, privacy: PrivacyConfig,
                   population_indicator: str) -> pd.DataFrame:
    """Derive and suppress the observations of one or more reference groups."""
    group_of = group_obs.drop_duplicates("region_id").set_index("region_id")[GROUP_COLUMN]
    derived = derive_indicators(group_obs.loc[:, VALUE_COLUMNS], catalog)
    out = suppress_small_numbers(derived, catalog, privacy, population_indicator)
    out[GROUP_COLUMN] = group_of.reindex(out["region_id"]).to_numpy()
    out = out.sort_values(["region_id", "indicator_id", "period"], kind="stable").reset_index(drop=True)
    return out.loc[:, VALUE_OUTPUT_COLUMNS]


def profile_group(values: pd.DataFrame, spec: ProfileSpec) -> pd.DataFrame:
    """Profiles and model matrix of one or more reference groups side by side (one row per region and period)."""
    profile, model = build_profiles(values, spec)
    model = model.drop(columns=["region_id", "period", GROUP_COLUMN])
    return pd.concat([profile.reset_index(drop=True), model.reset_index(drop=True)], axis=1)



def _copy_notes(copies: dict[str, tuple[int, ...]]) -> list[str]:
    """Per year, the indicators whose values repeat their edition before (:func:`features.steps.copied_years`)."""
    by_year: dict[int, list[str]] = {}
    for indicator, years in copies.items():
        for year in years:
            by_year.setdefault(year, []).append(indicator)
    return [f"{year}: the values of {', '.join(sorted(ids)[:8])}"
            f"{f' … ({len(ids)} indicators)' if len(ids) > 8 else ''} repeat their edition before in every region "
            f"(a copied edition?): no change (dz_) is computed from or to {year} for them. Which of the two files is "
            "the copy this level cannot tell; the same indicators of both years on the level below or above would "
            "('features' compares the levels and leaves out the file that holds the other year's values)"
            for year, ids in sorted(by_year.items())]


def _out_of_range_notes(outside: pd.DataFrame, catalog: Catalog) -> list[str]:
    """Per indicator and period: the computed values outside the valid range, with their parts."""
    notes = []
    for (ind, period), rows in outside.groupby(["indicator_id", "period"], sort=True):
        meta = catalog[ind]
        lo, hi = meta.valid_range
        shown = ", ".join(f"{r.region_id}: {r.numerator:g} / {r.denominator:g}" for r in rows.head(5).itertuples())
        notes.append(f"{period}: {len(rows)} value(s) of {meta.name} ({ind}) computed from {meta.numerator} / "
                     f"{meta.denominator} lie outside [{lo:g}, {hi:g}] ({shown}{' …' if len(rows) > 5 else ''}): "
                     "the two counts do not fit together (tables of different stands or areas?); left empty "
                     "(store table left_out_values)")
    return notes


def _out_of_range_reasons(outside: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``left_out_values`` for shares outside their valid range, with the reason a page gives."""
    reasons = [f"berechnet {de(r.value)} aus {de(r.numerator, 0)} / {de(r.denominator, 0)}: außerhalb des gültigen "
               "Bereichs (Zähler und Nenner passen nicht zusammen)" for r in outside.itertuples()]
    return pd.DataFrame({"region_id": outside["region_id"].astype(str), "indicator_id": outside["indicator_id"],
                         "period": outside["period"].astype(str), "reason": reasons}, columns=LEFT_OUT_COLUMNS)


def _derivable(catalog: Catalog, present: set[str]) -> set[str]:
    return {i.indicator_id for i in catalog if i.numerator in present and i.denominator in present}


def select_observations(obs: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """The observations of the profile level's regions, with their reference group."""
    sel = obs[obs["region_id"].isin(groups.index)].loc[:, VALUE_COLUMNS]
    sel = sel.assign(**{GROUP_COLUMN: groups.reindex(sel["region_id"]).to_numpy()})
    return sel


def _split(combined: pd.DataFrame, spec: ProfileSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    profiles = combined.loc[:, profile_columns(spec)]
    model = combined.loc[:, model_columns(spec)]
    key = ["region_id", "period"]
    return (profiles.sort_values(key, kind="stable").reset_index(drop=True),
            model.sort_values(key, kind="stable").reset_index(drop=True))


def run_pipeline(obs: pd.DataFrame, regions: pd.DataFrame, catalog: Catalog, settings: Settings,
                 crosswalk: pd.DataFrame | None = None, engine: str | None = None,
                 progress=None) -> FeatureResult:
    """Build values and profiles for every region at ``features.level``; ``progress``, if given, is called with
    (done, total) after each reference group (local engine)."""
    cfg: FeaturesConfig = settings.features
    engine = engine or cfg.engine
    notes = []
    # residents by age group are the projection's input, not indicators of the profiles; the catalog's counts by
    # age they cover exactly (under 65, 65 and older, all residents …) are summed from them first, where not
    # imported, so that a crosswalk carries them and weighs by them like imported counts
    obs, summed = age_counts(obs, catalog, cfg.population_indicator)
    notes.extend(summed)
    # an edition of one level holding another edition's values, told by the level beside it: left out, everywhere
    wrong = wrong_editions(obs, regions, catalog, cfg.population_indicator)
    obs, left_wrong = leave_out(obs, wrong_edition_rows(obs, [w for w in wrong if w.certain], regions), catalog)
    notes.extend(wrong_edition_notes(wrong))
    counted = obs
    grid = regions
    if crosswalk is not None:
        obs, crosswalk, grid, carried = onto_new_grid(obs, crosswalk, regions, catalog, cfg.level,
                                                      cfg.population_indicator)
        notes.extend(carried)
    groups = reference_groups(regions, cfg.level, cfg.reference_level, obs["region_id"].drop_duplicates())
    obs = obs[~obs["indicator_id"].astype(str).str.startswith(AGE_PREFIX)]
    before = len(obs)
    obs, summed = sum_up(obs, grid, catalog, cfg.level)     # a Bezirksregion's counts from its Planungsräume
    notes.extend(summed)
    # the sums sum_up appended: marked in the values (their pages say that the region did not report them), and
    # the shares computed from them, not those the region reported itself
    key = ["region_id", "indicator_id", "period"]
    sum_keys = set(map(tuple, obs.iloc[before:][key].astype(str).to_numpy()))
    reported = obs.iloc[:before]
    reported = pd.MultiIndex.from_frame(reported.loc[reported["region_id"].isin(groups.index), key].astype(str))
    selected = select_observations(obs, groups)
    if selected.empty:
        raise FeatureError(f"no observations for the regions at level {cfg.level!r}" + "".join(
            f"; {n}" for n in summed))
    if crosswalk is None:          # two grids side by side: their series do not join
        notes.extend(grid_change_notes(grid_changes(presence(selected).assign(level=cfg.level))))
    # an edition whose rows went to the wrong regions: its values there are left out, and so are shares of them
    names = regions.set_index("region_id")["name"]
    groupings = ancestor_groupings(regions, groups.index)
    copied = copied_years(selected, catalog)     # editions copied as published: no edition, no change into them
    found = misplaced_editions(selected, groupings, catalog, copied)
    selected, left_out = withhold(selected, found, catalog, names)
    notes.extend(misplaced_notes(found, names, catalog))
    blocks = copied_blocks(selected, groupings, copied)      # a Land's rows copied: no change from or to them there
    notes.extend(copied_block_notes(blocks, names))
    # a single count another region's row gave (the same value, far off its own editions): left out too
    selected, more, said = withhold_copied(selected, catalog, names)
    left_out = pd.concat([left_wrong, left_out, more], ignore_index=True)
    notes.extend(said)
    present = set(selected["indicator_id"].unique())
    spec = profile_spec(catalog, settings, present | _derivable(catalog, present))
    copies = {i: years for i, years in copied.items() if i in spec.indicators}
    cells = frozenset(k for k in copied_keys(blocks, catalog) if k[1] in spec.indicators)
    spec = replace(spec, copies=copies, copied_cells=cells)
    notes.extend(_copy_notes(copies))
    secondary: set = set()
    if settings.privacy.secondary:
        selected, secondary = withhold_secondary(selected, grid, catalog, settings)
    if engine == "spark":
        from features.spark import run_on_spark

        values, combined = run_on_spark(selected, catalog, settings.privacy, spec, cfg.spark_master)
    elif engine == "local":
        # the step functions work on many groups at once; chunks bound the memory and show progress
        value_parts, combined_parts = [], []
        names = sorted(selected[GROUP_COLUMN].unique())
        chunks = [names[i:i + LOCAL_CHUNK_GROUPS] for i in range(0, len(names), LOCAL_CHUNK_GROUPS)]
        by_group = selected.groupby(GROUP_COLUMN, sort=True)
        for done, chunk in enumerate(chunks, start=1):
            part = pd.concat([by_group.get_group(n) for n in chunk], ignore_index=True)
            v = prepare_values(part, catalog, settings.privacy, cfg.population_indicator)
            value_parts.append(v)
            combined_parts.append(profile_group(v, spec))
            if progress is not None:
                progress(done, len(chunks))
        values = pd.concat(value_parts, ignore_index=True)
        combined = pd.concat(combined_parts, ignore_index=True)
    else:
        raise FeatureError(f"features.engine must be 'local' or 'spark'; got {engine!r}")
    values = values.sort_values(["region_id", "indicator_id", "period"], kind="stable").reset_index(drop=True)
    # a count summed from the region's parts, and a share computed from one
    values["summed"] = (computed_from(values, sum_keys, catalog)
                        & ~pd.MultiIndex.from_frame(values[key].astype(str)).isin(reported)
                        if sum_keys else np.zeros(len(values), dtype=bool))
    if secondary:       # they arrived withheld; their pages say why
        values["suppressed_by"] = secondary_reasons(values, secondary, catalog)
    # a share its two counts put outside its valid range (two tables that do not fit) was left empty: named here
    outside = derived_out_of_range(values, catalog)
    notes.extend(_out_of_range_notes(outside, catalog))
    left_out = pd.concat([left_out, _out_of_range_reasons(outside)], ignore_index=True)
    profiles, model = _split(combined, spec)
    if not cfg.index.validity_indicator and cfg.population_indicator not in present:
        notes.append(f"no values of the population indicator {cfg.population_indicator!r}: every region is a "
                     "reference region of the index, and no area is withheld for having fewer than "
                     f"{settings.privacy.min_population} residents (set features.population_indicator"
                     + _population_candidates(values, catalog) + ")")
    elif not cfg.index.validity_indicator:
        notes.extend(_population_gaps(profiles, cfg.population_indicator))
    sizes = groups[groups.isin(set(selected[GROUP_COLUMN]))].value_counts()
    few = sorted(sizes.index[sizes < 3]) if cfg.reference_level is not None else []
    if few:
        # a kreisfreie Stadt is a Kreis of one Gemeinde: nothing to standardise it against
        notes.append(f"{len(few)} of {len(sizes)} reference groups ({cfg.reference_level}) hold fewer than three "
                     f"regions ({', '.join(few[:8])}{' …' if len(few) > 8 else ''}): their regions' z-values are "
                     "missing (one region) or say little (two), and so are their dimension scores and index; set "
                     "features.reference_level to a coarser level, or to null to compare every region of the level")
    with_values = set(spec.indicators) & (present | _derivable(catalog, present))
    notes.extend(_unused_basis_notes(catalog, present, with_values,
                                     {cfg.population_indicator, cfg.index.validity_indicator}))
    with_index = profiles["status_index"].notna()
    # imported or computed from two imported counts (a share of your own), with at least one value
    valued = set(values.loc[values["value"].notna(), "indicator_id"])
    if not with_index.any():
        # the store's indicators that could carry an index here: shares and rates with a direction, with values,
        # and published indices (a city's own atlas: its sub-indices are z-values with a direction)
        candidates = sorted(i.indicator_id for i in catalog if i.indicator_id in valued and i.polarity != 0
                            and i.kind in ("share", "rate") and not i.basis)
        indices = sorted(i.indicator_id for i in catalog if i.indicator_id in valued and i.polarity != 0
                         and i.kind == "index" and not i.basis)
        shown = ", ".join(candidates[:10]) + (f" … ({len(candidates)} in all)" if len(candidates) > 10 else "")
        notes.append("no region has a status index in any period: features.index.status_indicators "
                     f"({', '.join(cfg.index.status_indicators)}) have no values for the reference regions"
                     + (f"; shares and rates with a direction that have values here: {shown}" if candidates else "")
                     + (f"; indices with a direction that have values here: {', '.join(indices[:10])}"
                        + (f" … ({len(indices)} in all)" if len(indices) > 10 else "")
                        + " (name the parts of a published index rather than the index and its parts together)"
                        if indices else "") + shipped_index_hint(valued))
    else:
        for name in cfg.index.status_indicators:
            if name not in valued:
                notes.append(f"status indicator {name!r} has no values: the status index is built without it")
        notes.extend(_thin_index_notes(profiles[with_index], list(cfg.index.status_indicators)))
        if "dynamics_index" in profiles.columns and profiles["dynamics_index"].isna().all():
            notes.append(_no_dynamics_note(profiles["period"], cfg.dynamics_periods))
    return FeatureResult(values=values, profiles=profiles, model=model, engine=engine, notes=notes, copies=copies,
                         copied_cells=cells, left_out=left_out, crosswalk=crosswalk, counted=counted,
                         secondary=secondary)


def shipped_index_hint(valued: set[str]) -> str:
    """Where the status indicators of a configuration the project ships (``data/config``: Berlin's MSS, INKAR's
    Kreise) have values here, at least two of them: the words that name it, so that an analyst who imported such a
    table finds its index's configuration; else nothing."""
    import yaml

    from ml.paths import DATA_DIR

    hints = []
    for path in sorted((DATA_DIR / "config").glob("*.yaml")):
        try:
            index = (yaml.safe_load(path.read_text(encoding="utf-8")) or {})["features"]["index"]
            named = list(index["status_indicators"])
        except (KeyError, TypeError, yaml.YAMLError):
            continue
        have = [i for i in named if i in valued]
        if len(have) >= 2:
            hints.append(f"{path} builds its status index from {', '.join(have)} (copy its features.index "
                         "section into this configuration)")
    return "".join(f"; the shipped configuration {h}" for h in hints)


def withhold_secondary(obs: pd.DataFrame, regions: pd.DataFrame, catalog: Catalog,
                       settings: Settings) -> tuple[pd.DataFrame, set]:
    """``obs`` (the profiles' observations) with the counts :func:`features.disclosure.secondary_cells` withholds
    besides the privacy rules' (flag suppressed, value blank: they arrive withheld), and their keys (region_id,
    indicator_id, period as text). Repeated until nothing more is withheld: a count withheld so may withhold more of
    its whole's parts (``part_of`` in the catalog), and those sums again."""
    from features.level_sums import ADDITIVE

    additive = {i.indicator_id for i in catalog if i.kind in ADDITIVE}
    signed = {i.indicator_id for i in catalog if i.kind == "balance"}
    privacy, population = settings.privacy, settings.features.population_indicator
    hit = np.zeros(len(obs), dtype=bool)
    reason = suppress_small_numbers(obs, catalog, privacy, population)["suppressed_by"].to_numpy(object)
    # the privacy rules decide within a region and period: only those with a count newly withheld are decided anew
    place = pd.MultiIndex.from_arrays([obs["region_id"].astype(str), obs["period"].astype(str)])
    for _ in range(10):
        new = secondary_cells(obs, np.where(hit, SECONDARY, reason), regions, additive, population,
                              privacy.min_count, signed) & ~hit
        if not new.any():
            break
        hit |= new
        again = place.isin(place[new].unique())
        redo = obs.loc[again].copy()
        redo.loc[hit[again], ["value", "numerator", "denominator"]] = np.nan
        redo.loc[hit[again], "flag"] = "suppressed"
        reason[again] = suppress_small_numbers(redo, catalog, privacy, population)["suppressed_by"].to_numpy(object)
    marked = obs
    if hit.any():
        marked = obs.copy()
        marked.loc[hit, ["value", "numerator", "denominator"]] = np.nan
        marked.loc[hit, "flag"] = "suppressed"
    keys = set(map(tuple, obs.loc[hit, ["region_id", "indicator_id", "period"]].astype(str).to_numpy()))
    return marked, keys



def _unused_basis_notes(catalog: Catalog, present: set[str], reported: set[str], own: set[str | None]) -> list[str]:
    """Counts imported as the basis of shares (Arbeitslose, Leistungsberechtigte) that no profile shows: none of
    the shares built from them has its other part here. Names each share and the part it lacks."""
    unused = []
    for ind in catalog:
        if not ind.basis or ind.indicator_id not in present or ind.indicator_id in reported | own:
            continue
        uses = catalog.shares_of(ind.indicator_id)
        if not uses or any(s.indicator_id in reported for s, _ in uses):
            continue        # counts no share is built from serve other jobs (projection, balances)
        lacking = [f"{s.indicator_id} needs {other}" for s, other in uses]
        unused.append(f"{ind.indicator_id} ({'; '.join(lacking[:3])})")
    if not unused:
        return []
    return ["counts imported as the basis of shares, shown in no profile because no share can be computed from "
            "them here: " + ", ".join(unused) + "; import the missing part, or add a share of your own (README, "
            "'Indicators of your own')"]


def _no_dynamics_note(periods: pd.Series, step: int) -> str:
    """Why no region has a dynamics index: no period has a value ``step`` years before it; names the editions and
    their distance, so that the analyst can set ``features.dynamics_periods`` to the distance between editions."""
    years = sorted({int(str(p)[:4]) for p in periods.dropna().unique()})
    gaps = sorted({b - a for a, b in zip(years, years[1:])})
    hint = (f"; the editions lie {', '.join(map(str, gaps))} years apart (set features.dynamics_periods to compare "
            "with the edition before)") if gaps and step not in gaps else ""
    return (f"no dynamics index: no period has values {step} years before it (features.dynamics_periods = {step}; "
            f"periods {', '.join(map(str, years))}){hint}")


def _thin_index_notes(profiles: pd.DataFrame, configured: list[str]) -> list[str]:
    """Periods whose status index was built from fewer indicators than configured (the others had no values
    there), grouped by what was missing: an index of one indicator is not the index the configuration names."""
    used = profiles.groupby("period")["status_indicators"].first()
    by_missing: dict[tuple[str, ...], list[str]] = {}
    for period, names in used.items():
        missing = tuple(n for n in configured if n not in set(str(names).split(",")))
        if missing:
            by_missing.setdefault(missing, []).append(str(period))
    notes = []
    for missing, periods in by_missing.items():
        k = len(configured) - len(missing)
        notes.append(f"status index of {_span(periods)} built from {k} of {len(configured)} configured indicators: "
                     f"{', '.join(missing)} had no values there")
    return notes


def _span(periods: list[str]) -> str:
    """Periods as a reader counts them, with their number where there are several: '1995–2021 (27 periods)'."""
    return years_text(periods) + ("" if len(periods) == 1 else f" ({len(periods)} periods)")


def _population_gaps(profiles: pd.DataFrame, population: str) -> list[str]:
    """The notes on the regions without a population figure where others have one: the periods in which none has
    (the editions before a census year), and those in which some have none (the other Länder beside one Land's
    register), or every period (residents only at another level). They are reference regions all the same, and
    none is withheld for its size; none where every region has a figure."""
    annual = profiles[profiles["period"].astype(str).str.len() == 4]
    if annual["population"].notna().all():
        return []
    unknown = annual["population"].isna() & annual["is_reference"].astype(bool)    # not withheld: no figure at all
    by_period = pd.DataFrame({"unknown": unknown, "known": annual["population"].notna(), "regions": 1}).groupby(
        annual["period"].astype(str)).sum()
    none = [str(p) for p in by_period.index[by_period["known"] == 0]]
    some = by_period[(by_period["known"] > 0) & (by_period["unknown"] > 0)]
    notes = [f"no values of the population indicator {population!r} in {_span(none)}: there every region is a "
             "reference region of the index, and no area is withheld for its size"] if none else []
    if len(some):
        n, total = int(some["unknown"].max()), int(some["regions"].max())
        notes.append(f"{'up to ' if some['unknown'].nunique() > 1 else ''}{n} of {total} regions have no value of "
                     f"the population indicator {population!r} in {_span([str(p) for p in some.index])}, where "
                     "others have one: they are reference regions of the index all the same (nothing says they are "
                     "small), and none of them is withheld for its size")
    return notes


def _population_candidates(values: pd.DataFrame, catalog) -> str:
    """The counts of residents with values here that could serve as the population indicator, the largest first
    (a register's residence-duration table counts the residents aged 5 and over: 'ew_ab5'), as a clause of a
    note; empty where there are none."""
    ids = [i for i in values["indicator_id"].unique() if i in catalog and catalog[i].kind == "count"
           and catalog[i].persons and catalog[i].name.startswith("Einwohner")]
    if not ids:
        return ""
    totals = values[values["indicator_id"].isin(ids)].groupby("indicator_id")["value"].sum().sort_values(
        ascending=False)
    return "; counts of residents with values here, the largest first: " + ", ".join(
        f"{i} ({catalog[i].name})" for i in totals.index[:3])

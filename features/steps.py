"""Pipeline steps from monitoring observations to region profiles.

Each step is a pure function ``verb_noun(frame, ...) -> frame``: no IO, no globals, inputs are never
changed in place. Observations are long frames with the columns of ``VALUE_COLUMNS``; the profile steps
work on one reference group (a county, or all of Berlin) and one period at a time.

Longer than 450 lines because it holds every pure profile step in their order of use; each is short and tested
alone, and keeping them together shows the whole method (the MSS rules) in one file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics.pairwise import nan_euclidean_distances

from features.disclosure import withhold_parts
from features.relations import withhold_balances
from ml.catalog import Catalog
from ml.columns import DIM, DZ, IMPUTED, MODEL, Z, columns
from ml.config import IndexConfig, PrivacyConfig
from ml.contracts import COPY_MIN_DISTINCT, COPY_MIN_REGIONS

VALUE_COLUMNS = ["region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag"]
FLAG_SEVERITY = {"ok": 0, "estimated": 1, "imputed": 2, "suppressed": 3}
_SEVERITY_FLAG = {v: k for k, v in FLAG_SEVERITY.items()}


def _worst(*flags: pd.Series) -> pd.Series:
    codes = np.max(np.vstack([f.map(FLAG_SEVERITY).fillna(0).to_numpy() for f in flags]), axis=0)
    return pd.Series(codes, index=flags[0].index).map(_SEVERITY_FLAG)


def _catalog_table(catalog: Catalog) -> pd.DataFrame:
    return pd.DataFrame(
        [(i.indicator_id, i.kind, i.numerator, i.denominator, i.scale, i.polarity, i.dimension, i.basis, i.persons)
         for i in catalog],
        columns=["indicator_id", "kind", "numerator_id", "denominator_id", "scale", "polarity", "dimension", "basis",
                 "persons"],
    )


# --- 1. boundaries -------------------------------------------------------------------------------


def harmonise_boundaries(obs: pd.DataFrame, crosswalk: pd.DataFrame, catalog: Catalog,
                         population_indicator: str) -> pd.DataFrame:
    """Map observations of old areas onto new ones with a weighted crosswalk (old_id, new_id, weight).

    Counts are distributed by weight; a share or rate with numerator and denominator is recomputed from
    the redistributed parts; any other value is averaged with population × weight (weight alone where
    the population is unknown). Weights are normalised per old area so totals are preserved. A value
    built from a split area is flagged ``estimated``. A suppressed contributor makes a sum suppressed; an
    average is built from the known contributors (``estimated``) as long as they carry at least half of
    the weight, else it is suppressed. Regions not in the crosswalk pass through unchanged. An indicator the catalog
    does not let carry (``carried`` false: a boundary's length, a class) reaches a new area only from an old one
    that is that area unchanged, or but for slivers (:func:`not_carried`; flagged ``estimated`` then); elsewhere it
    is left out.
    """
    cw = crosswalk.loc[:, ["old_id", "new_id", "weight"]].copy()
    cw["weight"] = cw["weight"] / cw.groupby("old_id")["weight"].transform("sum")
    old = obs[obs["region_id"].isin(cw["old_id"])]
    keep = obs[~obs["region_id"].isin(cw["old_id"])]
    if old.empty:
        return obs.copy()
    old = old[~not_carried(old, cw, catalog)]
    whole = old[_bound(old, catalog)]
    if len(whole):
        # a value of the area as a whole, on an area the crosswalk carries unchanged (or but for a sliver: then it
        # is estimated, as any value of an area not carried whole): it goes as it is
        main = cw.sort_values("weight", kind="stable").drop_duplicates("old_id", keep="last").set_index("old_id")
        moved = whole["region_id"].map(main["weight"]).to_numpy() < 1 - 1e-9
        whole = whole.assign(region_id=whole["region_id"].map(main["new_id"]).astype(str),
                             flag=np.where(moved & whole["flag"].eq("ok").to_numpy(), "estimated", whole["flag"]))
        keep = pd.concat([keep, whole], ignore_index=True)
        old = old[~_bound(old, catalog)]
        if old.empty:
            return keep.loc[:, VALUE_COLUMNS].reset_index(drop=True)
    meta = _catalog_table(catalog).set_index("indicator_id")
    old = _parts_from_counts(old, meta)
    pop = (old[old["indicator_id"] == population_indicator]
           .loc[:, ["region_id", "period", "value"]].rename(columns={"value": "pop"}))
    m = old.merge(cw, left_on="region_id", right_on="old_id").merge(pop, on=["region_id", "period"], how="left")
    kind = meta["kind"].reindex(m["indicator_id"]).to_numpy()
    additive = np.isin(kind, ["count", "balance"])
    with_parts = np.isin(kind, ["share", "rate"]) & m["numerator"].notna().to_numpy() & m["denominator"].notna().to_numpy()
    avg_w = np.where(m["pop"].notna(), m["pop"] * m["weight"], m["weight"])
    m = m.assign(
        v_sum=np.where(additive, m["value"] * m["weight"], np.nan),
        num_w=np.where(with_parts, m["numerator"] * m["weight"], np.nan),
        den_w=np.where(with_parts, m["denominator"] * m["weight"], np.nan),
        wv=np.where(~additive & ~with_parts, m["value"] * avg_w, np.nan),
        ww=np.where(~additive & ~with_parts & m["value"].notna(), avg_w, np.nan),
        ww_all=np.where(~additive & ~with_parts, avg_w, np.nan),
        sup_sum=np.where(additive | with_parts, m["flag"].eq("suppressed"), False),
        all_parts=with_parts,
        split=m["weight"] < 1 - 1e-9,
        severity=m["flag"].map(FLAG_SEVERITY).fillna(0),
    )
    groups = m.groupby(["new_id", "indicator_id", "period"], sort=False)
    # sums that stay missing where every contributor is (min_count=1), in pandas' vectorised group sums
    sums = groups[["v_sum", "num_w", "den_w", "wv", "ww", "ww_all"]].sum(min_count=1).rename(
        columns={"num_w": "num", "den_w": "den"})
    flags = groups.agg(sup_sum=("sup_sum", "any"), all_parts=("all_parts", "all"), split=("split", "any"),
                       severity=("severity", "max"))
    g = sums.join(flags).reset_index()
    gkind = meta["kind"].reindex(g["indicator_id"]).to_numpy()
    gscale = meta["scale"].reindex(g["indicator_id"]).to_numpy(dtype=float)
    parts_ok = g["all_parts"].to_numpy() & (g["den"].to_numpy() > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(np.isin(gkind, ["count", "balance"]), g["v_sum"],
                         np.where(parts_ok, gscale * g["num"] / g["den"], g["wv"] / g["ww"]))
    # averages: suppressed contributors are left out; too little known weight makes the result suppressed
    averaged = ~np.isin(gkind, ["count", "balance"]) & ~parts_ok
    with np.errstate(divide="ignore", invalid="ignore"):
        known = (g["ww"] / g["ww_all"]).fillna(0).to_numpy()
    contributor = np.where(averaged & (g["severity"].to_numpy() == FLAG_SEVERITY["suppressed"]),
                           np.where(known >= 0.5, FLAG_SEVERITY["estimated"], FLAG_SEVERITY["suppressed"]),
                           g["severity"].to_numpy())
    contributor = np.where(g["sup_sum"].to_numpy(), FLAG_SEVERITY["suppressed"], contributor)
    severity = np.maximum(contributor, np.where(g["split"], FLAG_SEVERITY["estimated"], 0))
    out = pd.DataFrame({
        "region_id": g["new_id"].astype("str"), "indicator_id": g["indicator_id"], "period": g["period"],
        "value": value, "numerator": np.where(parts_ok, g["num"], np.nan),
        "denominator": np.where(parts_ok, g["den"], np.nan),
        "flag": pd.Series(severity, dtype=int).map(_SEVERITY_FLAG).to_numpy(),
    })
    out.loc[out["flag"] == "suppressed", ["value", "numerator", "denominator"]] = np.nan
    return pd.concat([keep.loc[:, VALUE_COLUMNS], out], ignore_index=True)


SLIVER = 0.01
"""The part of an old area (by the crosswalk's weight) that counts as a sliver of a redrawn boundary, not as a
piece of the area: a crosswalk computed from two editions of a map gives every area such slivers of its neighbours.
On Berlin's LOR crosswalk the Planungsräume that keep all but 1 % of themselves and take no more than 1 % of any
other had the same published status class in 2019 (old grid) and 2021 (new grid) in 93 % of cases, as often as an
unchanged area between two editions (90 %); the areas that changed more, 86 % with their largest predecessor."""


def _bound(obs: pd.DataFrame, catalog: Catalog) -> np.ndarray:
    """Which rows of ``obs`` hold an indicator the catalog does not let a crosswalk carry across areas."""
    bound = [i.indicator_id for i in catalog if not i.carried]
    return obs["indicator_id"].isin(bound).to_numpy() if bound else np.zeros(len(obs), dtype=bool)


def not_carried(obs: pd.DataFrame, crosswalk: pd.DataFrame, catalog: Catalog) -> np.ndarray:
    """Which rows of ``obs`` (a boolean array) a crosswalk (old_id, new_id, weight) cannot carry: those of an
    indicator the catalog marks ``carried`` false, of an old area that is not its new area unchanged in that period
    — an area split (less than all but a :data:`SLIVER` of it in one new area), or one of several areas of the
    crosswalk that go into the same new one with more than a sliver of themselves and appear in that period's tables
    (any indicator). A boundary's length or a class of merged areas is no sum or average of theirs; an area whose
    boundary moved by a sliver keeps its class. Rows of areas the crosswalk does not name are never among them."""
    bound = _bound(obs, catalog) & obs["region_id"].isin(crosswalk["old_id"]).to_numpy()
    if not bound.any():
        return bound
    cw = crosswalk.loc[:, ["old_id", "new_id", "weight"]].copy()
    cw["weight"] = cw["weight"] / cw.groupby("old_id")["weight"].transform("sum")
    split = set(cw.loc[cw.groupby("old_id")["weight"].transform("max") < 1 - SLIVER, "old_id"])
    present = obs.loc[obs["region_id"].isin(cw["old_id"]), ["region_id", "period"]].drop_duplicates()
    # a sliver an old area gives to a neighbour (a boundary redrawn) does not make the neighbour a merger
    present = present.merge(cw.loc[cw["weight"] > SLIVER, ["old_id", "new_id"]], left_on="region_id",
                            right_on="old_id")
    sharing = present.groupby(["new_id", "period"])["old_id"].transform("nunique") > 1
    shared = pd.MultiIndex.from_frame(present.loc[sharing, ["region_id", "period"]].drop_duplicates())
    rows = obs.loc[bound, ["region_id", "period"]]
    at = np.flatnonzero(bound)
    out = np.zeros(len(obs), dtype=bool)
    out[at] = rows["region_id"].isin(split).to_numpy() | pd.MultiIndex.from_frame(rows).isin(shared)
    return out


def _parts_from_counts(obs: pd.DataFrame, meta: pd.DataFrame, tolerance: float = 0.02) -> pd.DataFrame:
    """A published share or rate without its parts (a register's density per km², Einwohner je km² rounded to whole
    persons) given the catalog's numerator and denominator from the counts of the same area and period, where
    they give its value (within ``tolerance``, relative, or the rounding it is written with): carried over
    boundaries, it is then computed from the carried counts, as a merged municipality's density is its residents
    per its km², not an average of its parts' densities."""
    defs = meta[meta["kind"].isin(["share", "rate"]) & meta["numerator_id"].notna() & meta["denominator_id"].notna()]
    lacking = obs["indicator_id"].isin(defs.index) & obs["numerator"].isna() & obs["value"].notna()
    if not lacking.any():
        return obs
    counts = obs.set_index(["region_id", "indicator_id", "period"])["value"]
    counts = counts[~counts.index.duplicated()]
    rows = obs.loc[lacking]
    key = [rows["region_id"], rows["period"]]
    num_ids = defs["numerator_id"].reindex(rows["indicator_id"]).to_numpy()
    den_ids = defs["denominator_id"].reindex(rows["indicator_id"]).to_numpy()
    num = counts.reindex(pd.MultiIndex.from_arrays([key[0], num_ids, key[1]])).to_numpy(float)
    den = counts.reindex(pd.MultiIndex.from_arrays([key[0], den_ids, key[1]])).to_numpy(float)
    scale = defs["scale"].reindex(rows["indicator_id"]).fillna(1.0).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = scale * num / den
    value = rows["value"].to_numpy(float)
    # the rounding the value was written with: half a unit of its last decimal (3 for 3.28 people per km²)
    decimals = np.full(len(value), 6)
    for d in range(5, -1, -1):
        scaled = value * 10.0 ** d
        decimals = np.where(np.abs(scaled - np.round(scaled)) < 1e-6, d, decimals)
    rounding = 0.5 * 10.0 ** -decimals.astype(float) + 1e-9
    fits = (den > 0) & (np.abs(computed - value) <= np.maximum(tolerance * np.abs(value), rounding))
    out = obs.copy()
    idx = rows.index[fits]
    out.loc[idx, "numerator"] = num[fits]
    out.loc[idx, "denominator"] = den[fits]
    return out


# --- 2. derive -----------------------------------------------------------------------------------


def _derived_parts(obs: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Per share or rate the catalog defines by two counts, and region and period where both counts have values and
    the indicator none of its own: the parts, the computed value and whether it lies in the indicator's valid
    range (the import's rule: a share within [0, 100], a rate not below 0, the catalog's min and max)."""
    meta = _catalog_table(catalog)
    defs = meta[meta["numerator_id"].notna() & meta["kind"].isin(["share", "rate"])]
    defs = defs.assign(lo=[catalog[i].valid_range[0] for i in defs["indicator_id"]],
                       hi=[catalog[i].valid_range[1] for i in defs["indicator_id"]])
    base = obs.loc[:, ["region_id", "indicator_id", "period", "value", "flag"]]
    num = defs.merge(base, left_on="numerator_id", right_on="indicator_id", suffixes=("", "_n"))
    num = num.rename(columns={"value": "num", "flag": "flag_n"}).drop(columns=["indicator_id_n"])
    parts = num.merge(base.rename(columns={"indicator_id": "denominator_id", "value": "den", "flag": "flag_d"}),
                      on=["denominator_id", "region_id", "period"])
    # a part withheld at the source (flag suppressed, no value) leaves the share withheld, not missing
    known_n = parts["num"].notna() | parts["flag_n"].eq("suppressed")
    known_d = (parts["den"].notna() & (parts["den"] > 0)) | parts["flag_d"].eq("suppressed")
    parts = parts[known_n & known_d]
    have = obs.loc[obs["value"].notna() | (obs["flag"] == "suppressed"), ["region_id", "indicator_id", "period"]]
    parts = parts.merge(have.assign(_have=True), on=["region_id", "indicator_id", "period"], how="left")
    parts = parts[parts["_have"].isna()].reset_index(drop=True)
    value = parts["scale"] * parts["num"] / parts["den"]
    return parts.assign(value=value, valid=value.between(parts["lo"], parts["hi"]))


def derive_indicators(obs: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Compute shares and rates from their numerator and denominator counts as the catalog defines them.

    A derived value is added only where the indicator has no observation of its own; it carries the
    parts and the worse of their flags: a part withheld at the source makes it a row flagged suppressed, without a
    value. A value outside the indicator's valid range (more residents with a
    migration background than residents: two tables that do not fit) is left empty, its parts kept
    (:func:`derived_out_of_range` names them).
    """
    parts = _derived_parts(obs, catalog)
    if parts.empty:
        return obs.copy()
    derived = pd.DataFrame({
        "region_id": parts["region_id"].to_numpy(), "indicator_id": parts["indicator_id"].to_numpy(),
        "period": parts["period"].to_numpy(),
        "value": parts["value"].where(parts["valid"]).to_numpy(),
        "numerator": parts["num"].to_numpy(), "denominator": parts["den"].to_numpy(),
        "flag": _worst(parts["flag_n"], parts["flag_d"]).to_numpy(),
    })
    # an observation row without a value (but not suppressed) is replaced by the derived one
    empty = obs["value"].isna() & (obs["flag"] != "suppressed")
    kept = obs[~(empty & obs.set_index(["region_id", "indicator_id", "period"]).index.isin(
        derived.set_index(["region_id", "indicator_id", "period"]).index))]
    return pd.concat([kept.loc[:, VALUE_COLUMNS], derived], ignore_index=True)


def derived_out_of_range(values: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """The shares and rates :func:`derive_indicators` left empty in ``values`` (its output, or the pipeline's)
    because the value their two counts give lies outside the indicator's valid range: region_id, indicator_id,
    period, numerator, denominator, value. Found among the few rows without a value but with both parts, so that
    the parts are joined only once, in :func:`derive_indicators`."""
    meta = _catalog_table(catalog).set_index("indicator_id")
    defined = meta.index[meta["numerator_id"].notna() & meta["kind"].isin(["share", "rate"])]
    rows = values[values["value"].isna() & values["numerator"].notna() & (values["denominator"] > 0)
                  & (values["flag"] != "suppressed") & values["indicator_id"].isin(defined)]
    computed = meta["scale"].reindex(rows["indicator_id"]).to_numpy(float) * rows["numerator"] / rows["denominator"]
    bounds = [catalog[i].valid_range for i in rows["indicator_id"]]
    outside = np.array([not lo <= v <= hi for v, (lo, hi) in zip(computed, bounds)], dtype=bool)
    bad = rows[outside]
    return pd.DataFrame({"region_id": bad["region_id"], "indicator_id": bad["indicator_id"],
                         "period": bad["period"], "numerator": bad["numerator"], "denominator": bad["denominator"],
                         "value": computed[outside]}).reset_index(drop=True)


# --- 3. suppress ---------------------------------------------------------------------------------


def suppress_small_numbers(obs: pd.DataFrame, catalog: Catalog, privacy: PrivacyConfig,
                           population_indicator: str) -> pd.DataFrame:
    """Flag small numbers ``suppressed`` and blank their values, before anything else sees them.

    Counts of persons below ``privacy.min_count`` (counts of things such as dwellings, ``persons: false`` in the
    catalog, are never small numbers, nor are balances); shares and rates whose numerator is such a count (also
    when the numerator is a separate observation that is suppressed); counts that, beside their whole and its other
    parts, would tell a withheld one (:func:`features.disclosure.withhold_parts`), and balances that, beside their
    terms, would (:func:`features.relations.withhold_balances`); every indicator of an area-period
    with fewer than ``privacy.min_population`` residents except the population itself. Rows are kept, with the
    reason in ``suppressed_by``; a value flagged suppressed on arrival stays suppressed.
    """
    meta = _catalog_table(catalog).set_index("indicator_id")
    out = obs.loc[:, VALUE_COLUMNS].copy()
    kind = meta["kind"].reindex(out["indicator_id"]).to_numpy()
    reason = np.full(len(out), "", dtype=object)
    reason[(out["flag"] == "suppressed").to_numpy()] = "source"
    # a small count of persons could name them; dwellings or cars are no persons (zeros of persons stay suppressed:
    # in small areas they are as noisy as ones and twos, and the models have no small-count smoothing yet)
    flags = meta["persons"].astype("boolean")
    persons = flags.reindex(out["indicator_id"]).fillna(True).to_numpy(dtype=bool)
    value = out["value"].to_numpy(dtype=float)
    small_count = (kind == "count") & persons & (value < privacy.min_count)
    reason[(reason == "") & small_count] = "count"
    num_id = meta["numerator_id"].reindex(out["indicator_id"]).to_numpy()
    num_persons = flags.reindex(num_id).fillna(True).to_numpy(dtype=bool)
    numerator = out["numerator"].to_numpy(dtype=float)
    # a balance (movers in less movers out) of 2 names no two persons, and its page shows it
    num_count = meta["kind"].reindex(num_id).to_numpy(object) != "balance"
    small_num = (np.isin(kind, ["share", "rate"]) & num_persons & num_count & (numerator >= 0)
                 & (numerator < privacy.min_count))
    reason[(reason == "") & small_num] = "numerator"
    # a small area's values, before the rules below: withheld for its size, they need no other reason
    pop = out[out["indicator_id"] == population_indicator].set_index(["region_id", "period"])["value"]
    if len(pop):
        region_pop = pop.reindex(pd.MultiIndex.from_arrays([out["region_id"], out["period"]])).to_numpy()
        small_area = (region_pop < privacy.min_population) & (out["indicator_id"] != population_indicator).to_numpy()
        reason[(reason == "") & small_area] = "population"
    # a whole less its other parts would tell a withheld part: more withheld (features.disclosure)
    # a balance and its other terms would tell a withheld one (features.relations); a count so withheld may be a
    # part of a whole in turn
    reason = withhold_parts(out, reason, catalog, privacy.min_count)
    for _ in range(3):
        after = withhold_balances(out, reason, catalog)
        if (after == reason).all():
            break
        reason = withhold_parts(out, after, catalog, privacy.min_count)
    # numerator observed separately and suppressed there
    # (a share of a count withheld beside its whole and its parts, or beside a balance's terms, says so)
    flagged = out.loc[reason != "", ["region_id", "indicator_id", "period"]].assign(
        _why=np.where(np.isin(reason[reason != ""], ["parts", "balance"]), reason[reason != ""], "numerator"))
    if len(flagged):
        probe = pd.DataFrame({"region_id": out["region_id"].to_numpy(), "indicator_id": num_id,
                              "period": out["period"].to_numpy()})
        inherit = probe.merge(flagged, on=["region_id", "indicator_id", "period"], how="left")["_why"].to_numpy(object)
        take = (reason == "") & pd.notna(inherit)
        reason[take] = inherit[take]
    hit = reason != ""
    out.loc[hit, ["value", "numerator", "denominator"]] = np.nan
    out.loc[hit, "flag"] = "suppressed"
    out["suppressed_by"] = pd.Series(reason, index=out.index, dtype="str")
    return out


# --- 4. standardise, dynamics, dimensions --------------------------------------------------------


def _block_stats(frame: pd.DataFrame, reference: np.ndarray, blocks: np.ndarray | None, ddof: int):
    """Mean and standard deviation of the reference rows, per block (or overall), aligned to ``frame``."""
    ref = frame.where(pd.Series(reference, index=frame.index), axis=0) if frame.ndim == 2 else frame.where(reference)
    if blocks is None:
        return ref.mean(), ref.std(ddof=ddof)
    g = ref.groupby(blocks)
    return g.transform("mean"), g.transform("std", ddof=ddof)


def standardise_indicators(values: pd.DataFrame, reference: pd.Series, polarity: pd.Series,
                           ddof: int = 0, blocks: np.ndarray | None = None) -> pd.DataFrame:
    """z-values against the reference regions (unweighted mean and standard deviation), oriented by polarity.

    ``values``: regions × indicators; ``reference``: boolean per row; ``polarity``: per indicator (-1 flips
    the sign so that higher always means more burden; 0 leaves it as is); ``ddof``: 0 for the population
    standard deviation (as Berlin's MSS), 1 for the sample one. ``blocks`` (one label per row, e.g. county
    and year) standardises each block on its own reference rows.
    """
    mask = reference.reindex(values.index).fillna(False).to_numpy(dtype=bool)
    mean, sd = _block_stats(values, mask, blocks, ddof)
    sd = sd.where(sd > 0)
    sign = polarity.reindex(values.columns).replace(0, 1).fillna(1)
    return (values - mean) / sd * sign


def copied_years(obs: pd.DataFrame, catalog: Catalog | None = None) -> dict[str, tuple[int, ...]]:
    """Indicator → the years whose values repeat, region by region, those of the indicator's year before (an
    edition or a column copied; Berlin's open MSS files of 2017 and 2019 per Bezirksregion carry the same status
    and dynamics indicators). The import's rule (:mod:`ml.importers.copies`): the same regions with the same
    values, at least ``COPY_MIN_REGIONS`` of them and ``COPY_MIN_DISTINCT`` distinct values, in an indicator that
    moves at least as often as it stands still. With a ``catalog``, a share or rate computed from two copied counts is
    copied too. Which of the two years is the copy cannot be told from one level; the later one is named. Where another
    level has values, :mod:`features.wrong_edition` tells, and its findings are left out before this rule runs."""
    suspects = _fingerprint_suspects(obs)
    annual = obs[obs["indicator_id"].isin(suspects)]
    annual = annual[(annual["period"].astype(str).str.len() == 4) & annual["value"].notna()]
    out: dict[str, tuple[int, ...]] = {}
    for indicator, rows in annual.groupby("indicator_id", sort=True):
        wide = rows.pivot_table(index="region_id", columns="period", values="value", aggfunc="first")
        years = sorted(wide.columns)
        same = []
        for a, b in zip(years, years[1:]):
            x, y = wide[a].dropna(), wide[b].dropna()
            if len(x) == len(y) and x.index.equals(y.index) and (x.to_numpy() == y.to_numpy()).all():
                same.append((b, len(y), y.nunique()))
        moved = len(years) - 1 - len(same)
        found = tuple(int(b) for b, n, k in same if n >= COPY_MIN_REGIONS and k >= COPY_MIN_DISTINCT)
        if found and moved >= max(len(same), 1):
            out[str(indicator)] = found
    for i in catalog or []:
        both = set(out.get(i.numerator or "", ())) & set(out.get(i.denominator or "", ()))
        if both and i.indicator_id not in out:
            out[i.indicator_id] = tuple(sorted(both))
    return out


def _fingerprint_suspects(obs: pd.DataFrame) -> set[str]:
    """The indicators in which two consecutive years agree on a fingerprint of their values (count, sum, sum of
    squares): only these are compared region by region. Counted with integer codes, so that a national table of
    ten million rows costs a second or two."""
    ind_codes, indicators = pd.factorize(obs["indicator_id"], sort=True)
    per_codes, periods = pd.factorize(obs["period"], sort=True)
    value = obs["value"].to_numpy(float)
    annual = np.array([len(str(p)) == 4 for p in periods], dtype=bool)
    ok = (per_codes >= 0) & (ind_codes >= 0) & np.isfinite(value)
    ok[ok] = annual[per_codes[ok]]
    shape = (len(indicators), len(periods))
    key = ind_codes[ok] * len(periods) + per_codes[ok]
    count = np.bincount(key, minlength=shape[0] * shape[1]).reshape(shape)
    total = np.bincount(key, weights=value[ok], minlength=count.size).reshape(shape)
    squares = np.bincount(key, weights=value[ok] ** 2, minlength=count.size).reshape(shape)
    suspects = set()
    for i, indicator in enumerate(indicators):
        seen = np.flatnonzero(count[i] > 0)            # the indicator's years, in order (periods are sorted)
        a, b = seen[:-1], seen[1:]
        same = ((count[i, a] == count[i, b]) & np.isclose(total[i, a], total[i, b], rtol=1e-9, atol=1e-9)
                & np.isclose(squares[i, a], squares[i, b], rtol=1e-9, atol=1e-9))
        if same.any():
            suspects.add(str(indicator))
    return suspects


def compute_changes(panel: pd.DataFrame, periods: int, breaks: dict[str, tuple[int, ...]] | None = None,
                    copies: dict[str, tuple[int, ...]] | None = None,
                    cells: frozenset[tuple[str, str, str]] | set | None = None) -> pd.DataFrame:
    """Change over ``periods`` years per region: value(t) - value(t - periods); NaN where t - periods is missing,
    where an indicator's definition changed in between (``breaks``: indicator → years from which it is
    defined anew), and where t or t - periods is a year whose values repeat the year before (``copies``, see
    :func:`copied_years`: a "no change" into the copy, and a change out of it over a longer span than asked). The
    same for the single values of ``cells`` (region_id, indicator_id, period): a block of one group's regions
    copied from the year before (:func:`features.copied_blocks.copied_keys`), NaN in those regions only.

    ``panel`` is indexed by (region_id, period) with annual periods ('YYYY').
    """
    regions = panel.index.get_level_values("region_id")
    years = panel.index.get_level_values("period").astype(int)
    earlier = pd.MultiIndex.from_arrays([regions, (years - periods).astype(str)], names=["region_id", "period"])
    before = panel.reindex(earlier)
    before.index = panel.index
    out = panel - before
    for indicator, years_new in (breaks or {}).items():
        if indicator in out.columns:
            across = np.zeros(len(out), dtype=bool)
            for b in years_new:
                across |= ((years - periods) < b) & (years >= b)
            out.loc[across, indicator] = np.nan
    copied_at = CopiedAt(copies or {}, cells or frozenset(), regions)
    for indicator in out.columns:
        if copied_at.any(indicator):
            out.loc[copied_at(indicator, years) | copied_at(indicator, years - periods), indicator] = np.nan
    return out


class CopiedAt:
    """Which (region, year) of one indicator repeat the year before: an edition copied in every region
    (``copies``: indicator → years, :func:`copied_years`) or a value of a block copied in one group (``cells``:
    (region_id, indicator_id, period), :func:`features.copied_blocks.copied_keys`). Asked per indicator for the
    rows of ``regions``, at any years (the changes ask at t and at t - periods)."""

    def __init__(self, copies: dict[str, tuple[int, ...]], cells, regions):
        self.copies = {i: np.asarray(years, dtype=int) for i, years in copies.items()}
        self.regions = np.asarray(regions, dtype=str)
        keys: dict[str, set[tuple[str, int]]] = {}
        for region, indicator, period in cells:
            if str(period).isdigit():
                keys.setdefault(indicator, set()).add((str(region), int(period)))
        self.cells = {i: pd.MultiIndex.from_tuples(sorted(k)) for i, k in keys.items()}

    def any(self, indicator: str) -> bool:
        """Whether the indicator has a copied year or value at all."""
        return indicator in self.copies or indicator in self.cells

    def __call__(self, indicator: str, years) -> np.ndarray:
        """Per row: whether the row's region's value of ``indicator`` in ``years`` (one per row) is a copy."""
        years = np.asarray(years, dtype=int)
        out = np.isin(years, self.copies.get(indicator, np.array([], dtype=int)))
        if indicator in self.cells:
            out |= pd.MultiIndex.from_arrays([self.regions, years]).isin(self.cells[indicator])
        return out


def score_dimensions(z: pd.DataFrame, dimension: pd.Series, polarity: pd.Series) -> pd.DataFrame:
    """One score per group (dimension): the mean of the burden-oriented z-values of its indicators."""
    used = [c for c in z.columns if polarity.get(c, 0) != 0 and c in dimension.index]
    groups = dimension.reindex(used)
    return z[used].T.groupby(groups.to_numpy()).mean().T


# --- 5. status and dynamics index ----------------------------------------------------------------


def classify_index(index: pd.Series, thresholds: tuple[float, ...]) -> pd.Series:
    """Berlin's class rule: first class at or below the first threshold, last class at or above the last."""
    t = list(thresholds)
    conds = [index <= t[0]] + [index < th for th in t[1:]]
    codes = np.select(conds, list(range(1, len(t) + 1)), default=len(t) + 1).astype(float)
    codes[index.isna().to_numpy()] = np.nan
    return pd.Series(codes, index=index.index)


def _zscore(s: pd.Series, reference: pd.Series, ddof: int, blocks: np.ndarray | None = None) -> pd.Series:
    mask = reference.reindex(s.index).fillna(False).to_numpy(dtype=bool)
    mean, sd = _block_stats(s, mask, blocks, ddof)
    sd = sd.where(sd > 0) if isinstance(sd, pd.Series) else (sd if sd > 0 else np.nan)
    return (s - mean) / sd


def _available(z: pd.DataFrame, indicators: list[str], blocks: np.ndarray | None) -> pd.DataFrame:
    """Per row: which of ``indicators`` have any value in the row's block (period)."""
    present = z.reindex(columns=indicators).notna()
    if blocks is None:
        return pd.DataFrame(np.broadcast_to(present.any().to_numpy(), present.shape), index=z.index, columns=indicators)
    return present.groupby(blocks).transform("any")


def _summed(z: pd.DataFrame, available: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Sum of the available indicators' z-values (NaN unless a row has all of them) and their names."""
    values = z.reindex(columns=available.columns).where(available)
    need = available.sum(axis=1)
    total = values.sum(axis=1)
    total[(values.notna().sum(axis=1) < need) | (need == 0)] = np.nan
    names = np.full(len(z), "", dtype=object)
    for name in available.columns:
        flag = available[name].to_numpy()
        names = np.where(flag, np.where(names == "", name, names + "," + name), names)
    return total, pd.Series(names, index=z.index, dtype="str")


def compute_status_index(z: pd.DataFrame, dz: pd.DataFrame, reference: pd.Series, cfg: IndexConfig,
                         status_indicators: list[str], dynamics_indicators: list[str], ddof: int = 0,
                         blocks: np.ndarray | None = None) -> pd.DataFrame:
    """Status and dynamics index exactly as Berlin's MSS: the sum of the indicators' z-values,
    z-standardised again over the reference regions, then classes by the configured thresholds.

    ``z`` holds the z-values of the status indicators, ``dz`` those of the dynamics indicators (published
    changes, or changes computed over the configured number of periods). An indicator without any value
    in a block (period) is left out there; a region missing one of the others gets no index.
    """
    out = pd.DataFrame(index=z.index)
    status_sum, status_names = _summed(z, _available(z, status_indicators, blocks))
    out["status_sum"] = status_sum
    out["status_index"] = _zscore(status_sum, reference, ddof, blocks)
    out["status_class"] = classify_index(out["status_index"], cfg.status_thresholds)
    out["status_label"] = out["status_class"].map(dict(enumerate(cfg.status_labels, start=1)))
    dyn_sum, dyn_names = _summed(dz, _available(dz, dynamics_indicators, blocks))
    out["dynamics_sum"] = dyn_sum
    out["dynamics_index"] = _zscore(dyn_sum, reference, ddof, blocks)
    out["dynamics_class"] = classify_index(out["dynamics_index"], cfg.dynamics_thresholds)
    out["dynamics_label"] = out["dynamics_class"].map(dict(enumerate(cfg.dynamics_labels, start=1)))
    if cfg.ranking:
        index = out["status_index"]
        out["status_rank"] = (index.groupby(blocks).rank(ascending=False, method="min") if blocks is not None
                              else index.rank(ascending=False, method="min"))
    else:
        out["status_rank"] = np.nan
    out["status_indicators"] = status_names
    out["dynamics_indicators"] = dyn_names
    return out


# --- 6. impute (for modelling only) ---------------------------------------------------------------


def _knn_fill(x: np.ndarray, n_neighbors: int) -> np.ndarray:
    """Fill NaN cells with the mean of the ``n_neighbors`` nearest rows that have the column, by
    NaN-aware Euclidean distance (as scikit-learn's KNNImputer); the column mean where no distance exists."""
    observed = ~np.isnan(x)
    out = x.copy()
    dist = nan_euclidean_distances(x)
    np.fill_diagonal(dist, np.inf)
    dist = np.where(np.isnan(dist), np.inf, dist)
    for j in np.flatnonzero((~observed).any(axis=0) & observed.any(axis=0)):
        donors = np.flatnonzero(observed[:, j])
        receivers = np.flatnonzero(~observed[:, j])
        d = dist[np.ix_(receivers, donors)]
        k = min(n_neighbors, len(donors))
        nearest = np.argsort(d, axis=1, kind="stable")[:, :k]
        values = x[donors, j][nearest]
        reachable = np.isfinite(np.take_along_axis(d, nearest, axis=1))
        with np.errstate(invalid="ignore"):
            mean = np.where(reachable, values, 0).sum(axis=1) / reachable.sum(axis=1)
        out[receivers, j] = np.where(reachable.any(axis=1), mean, np.nanmean(x[:, j]))
    return out


def impute_for_modelling(z: pd.DataFrame, n_neighbors: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill missing or suppressed z-values from the k most similar regions' profiles (KNN, same period).

    Returns the filled matrix and a mask of the imputed cells. Columns without any value, and rows without
    any value, stay empty. The result is for models only; profiles and reports show the observed values.
    """
    x = z.to_numpy(dtype=float)
    rows = ~np.isnan(x).all(axis=1)
    filled = x.copy()
    if rows.sum() >= 2 and np.isnan(x[rows]).any():
        filled[rows] = _knn_fill(x[rows], n_neighbors)
    imputed = np.isnan(x) & ~np.isnan(filled)
    return (pd.DataFrame(filled, index=z.index, columns=z.columns),
            pd.DataFrame(imputed, index=z.index, columns=z.columns))


@dataclass(frozen=True)
class ProfileSpec:
    """What the profile step needs from catalog and configuration, in plain form (picklable for Spark)."""

    indicators: tuple[str, ...]
    polarity: dict[str, int]
    dimension: dict[str, str]
    dimensions: tuple[str, ...]
    population_indicator: str
    min_population: int
    dynamics_periods: int
    impute_neighbors: int
    index: IndexConfig
    ddof: int = 0
    breaks: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Indicator → years from which it is defined anew: no change is computed across them."""
    copies: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Indicator → years whose values repeat the year before (:func:`copied_years`): no change from or to them."""
    copied_cells: frozenset[tuple[str, str, str]] = frozenset()
    """(region_id, indicator_id, period) of the values a block copied in one group repeats
    (:mod:`features.copied_blocks`): no change from or to them there."""


def status_copied(panel: pd.DataFrame, spec: ProfileSpec) -> pd.Series:
    """Per (region, period) of ``panel``: True where every status indicator with a value there repeats the edition
    before — an edition copied in every region (``spec.copies``) or a block copied in the region's group
    (``spec.copied_cells``) —, so that the row's status index is an earlier edition's, not one of its own. The
    early warning takes no transition into or out of such a row (:mod:`features.warning_inputs`, ``repeats``)."""
    copied_at = CopiedAt(spec.copies, spec.copied_cells, panel.index.get_level_values("region_id"))
    years = panel.index.get_level_values("period").astype(int)
    valued = np.zeros(len(panel), dtype=bool)
    all_copied = np.ones(len(panel), dtype=bool)
    for indicator in spec.index.status_indicators:
        if indicator not in panel.columns:
            continue
        has = panel[indicator].notna().to_numpy()
        valued |= has
        all_copied &= ~has | copied_at(indicator, years)
    return pd.Series(valued & all_copied, index=panel.index)


def _flag_summary(flags: pd.DataFrame) -> pd.Series:
    """Which non-ok flags stand behind a profile row, e.g. 'estimated;suppressed'."""
    parts = [np.where((flags == f).any(axis=1).to_numpy(), f, "") for f in ("estimated", "imputed", "suppressed")]
    joined = pd.Series([";".join(p for p in trio if p) for trio in zip(*parts)], index=flags.index, dtype="str")
    return joined


def profile_columns(spec: ProfileSpec) -> list[str]:
    """The columns of the profiles table for a profile spec, in order."""
    return (["region_id", "period", "reference_group", "population", "is_reference", "n_values", "n_suppressed",
             "n_imputed", "flags"]
            + columns(Z, spec.indicators) + columns(DZ, spec.indicators) + columns(DIM, spec.dimensions)
            + ["status_sum", "status_index", "status_class", "status_label", "dynamics_sum", "dynamics_index",
               "dynamics_class", "dynamics_label", "status_rank", "status_indicators", "dynamics_indicators",
               "status_copied"])


def model_columns(spec: ProfileSpec) -> list[str]:
    """The columns of the model matrix for a profile spec (region_id, period, reference_group, ``m_`` and
    ``imputed_`` per indicator)."""
    return ["region_id", "period", "reference_group"] + columns(MODEL, spec.indicators) + columns(IMPUTED,
                                                                                                  spec.indicators)


def build_profiles(values: pd.DataFrame, spec: ProfileSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Profiles: one row per (region, period) with z-values, changes, dimension scores, status and
    dynamics index and classes, and the flags behind them; plus the imputed model matrix.

    ``values`` are suppressed observations with a ``reference_group`` column; every computation runs
    within (reference group, period) blocks, so one call may cover one group or many.
    """
    annual = values[values["period"].str.len() == 4]
    keyed = annual.set_index(["region_id", "period", "indicator_id"])
    panel = keyed["value"].unstack("indicator_id").reindex(columns=list(spec.indicators))
    flags = keyed["flag"].unstack("indicator_id").reindex(index=panel.index, columns=list(spec.indicators))
    if panel.empty:
        return (pd.DataFrame(columns=profile_columns(spec)), pd.DataFrame(columns=model_columns(spec)))
    group_of = annual.drop_duplicates("region_id").set_index("region_id")["reference_group"]
    regions = panel.index.get_level_values("region_id")
    periods = panel.index.get_level_values("period")
    group = group_of.reindex(regions).to_numpy()
    blocks = pd.Series(group, dtype="str").str.cat(pd.Series(periods, dtype="str"), sep="|").to_numpy()
    population = panel[spec.population_indicator] if spec.population_indicator in panel else pd.Series(
        np.nan, index=panel.index)
    if spec.index.validity_indicator:
        validity = keyed["value"].xs(spec.index.validity_indicator, level="indicator_id").reindex(panel.index) \
            if spec.index.validity_indicator in keyed.index.get_level_values("indicator_id") else pd.Series(
                np.nan, index=panel.index)
        is_ref = validity.eq(1)
    else:
        # a region leaves the reference set only where its size is known to be below the bar, or its residents are
        # withheld (a small number): one without any residents' figure — a county table without residents, the
        # editions before a census year, the other Länder beside one Land's register — is a reference region, and
        # no area is withheld for its size there either (run_pipeline says so)
        withheld = (flags[spec.population_indicator].eq("suppressed") if spec.population_indicator in flags.columns
                    else pd.Series(False, index=panel.index))
        is_ref = population.ge(spec.min_population) | (population.isna() & ~withheld)
    polarity = pd.Series(spec.polarity, dtype=float)
    dimension = pd.Series(spec.dimension)

    z = standardise_indicators(panel, is_ref, polarity, spec.ddof, blocks)
    changes = compute_changes(panel, spec.dynamics_periods, spec.breaks, spec.copies, spec.copied_cells)
    dz = standardise_indicators(changes, is_ref, polarity, spec.ddof, blocks)
    dynamics_source = z if spec.index.dynamics_indicators else dz
    dynamics_used = list(spec.index.dynamics_indicators or spec.index.status_indicators)
    index = compute_status_index(z, dynamics_source, is_ref, spec.index, list(spec.index.status_indicators),
                                 dynamics_used, spec.ddof, blocks)
    dims = score_dimensions(z, dimension, polarity).reindex(columns=list(spec.dimensions))

    zx = z.to_numpy(dtype=float)
    filled_x, imputed_x = zx.copy(), np.zeros(zx.shape, dtype=bool)
    missing_any = np.isnan(zx).any(axis=1)
    for rows in pd.Series(np.arange(len(zx))).groupby(blocks).indices.values():
        if not missing_any[rows].any():
            continue
        block = pd.DataFrame(zx[rows], columns=z.columns)
        f, m = impute_for_modelling(block, spec.impute_neighbors)
        filled_x[rows], imputed_x[rows] = f.to_numpy(), m.to_numpy()
    filled = pd.DataFrame(filled_x, index=z.index, columns=z.columns)
    imputed = pd.DataFrame(imputed_x, index=z.index, columns=z.columns)

    profile = pd.DataFrame({
        "reference_group": group,
        "population": population,
        "is_reference": is_ref.astype(bool),
        "n_values": panel.notna().sum(axis=1),
        "n_suppressed": (flags == "suppressed").sum(axis=1),
        "n_imputed": imputed.sum(axis=1),
        "flags": _flag_summary(flags),
    }, index=panel.index)
    profile = pd.concat([profile, z.add_prefix(Z), dz.add_prefix(DZ), dims.add_prefix(DIM), index], axis=1)
    profile["status_copied"] = status_copied(panel, spec) & profile["status_index"].notna()
    model = pd.concat([filled.add_prefix(MODEL), imputed.add_prefix(IMPUTED)], axis=1)
    model.insert(0, "reference_group", group)
    profile = profile.reset_index()
    model = model.reset_index()
    return profile.loc[:, profile_columns(spec)], model.loc[:, model_columns(spec)]

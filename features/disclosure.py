"""Counts of coarser regions withheld where, beside the counts their parts show, they would tell a withheld part.

A Stadtteil's 2 Wohnungslose are withheld on its page as a small number. The city's own count (the Ordnungsamt's
total) less the counts its other Stadtteile show is that 2: the city's page would give away what the Stadtteil's page
withholds. So a count of a region of another level than the profiles' is withheld as well (``suppressed_by``
'complement') where every part of it on one finer level that appears in the period's tables shows that count or
withholds it, and the withheld parts are one, or together fewer than ``privacy.min_count`` (their sum would name
persons). The same holds for its parts across levels: each count's nearest region above it that holds the same
count (the Kreis's own count less Sozialregion 1's own and Gemeinde 4's, where Sozialregion 2 has none of its own,
is Gemeinde 3's). A count so withheld is a withheld part in turn for the regions above it (the Kreis less its other
Sozialregionen would tell the Sozialregion's), until nothing more is told. The parts' own values are never touched:
they are the profiles'. A sum of parts is never formed over a withheld part (:mod:`features.level_sums`); where the
part is withheld on its own page (a small number, a small area), the sum exists and is stored withheld
(:func:`withheld_sums`, 'complement' too), a withheld part of the regions above it in turn. The rest is the rule for
the values a region brings of its own, and for a sum whose parts' own count is withheld here.

Longer than 450 lines because every rule that keeps a withheld count from following from the shown ones (a whole and
its parts, a region's sums across levels, the counts withheld besides) asks the one test of what a sum tells
(:func:`tells`), and they read best beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.level_sums import ADDITIVE, ancestors_at, sum_up
from ml.catalog import Catalog
from ml.contracts import LEVELS

COMPLEMENT = "complement"
"""``suppressed_by`` of a count withheld because it and its parts' shown counts would tell a withheld part."""
SECONDARY = "secondary"
"""``suppressed_by`` of a count of the profiles withheld besides a withheld one (Sekundärsperrung,
``privacy.secondary``), so that its region one level up can show its sum without telling the other."""
PARTS = "parts"
"""``suppressed_by`` of a count withheld because, beside its whole and the whole's other parts (``part_of`` in the
catalog), a withheld part or the withheld whole could be computed."""
KEY = ["region_id", "indicator_id", "period"]


def tells(withheld, unknown, total, small, min_count: float, signed=False):
    """Whether a sum's withheld parts follow from it less its shown parts (arrays, one entry per sum): ``withheld``
    parts, any of them ``unknown`` (withheld at the source), their true ``total``, and how many of them are
    ``small`` (withheld as a count below ``min_count``, which the page says). Told where one part is withheld;
    where the withheld are together a small number (it would name persons); and where each is a small number and
    together they are as many as small numbers can be (two withheld counts of 2 that sum to 4 are 2 each).

    ``signed``: the parts are balances (kind ``balance``, births less deaths), which may be below zero. Their
    total bounds none of them (-40 is -20 and -20 as well as 60 and -100), and no balance is a small number on
    its page: only a single withheld part is told."""
    withheld, total, small = np.asarray(withheld), np.asarray(total, float), np.asarray(small)
    known = ~np.asarray(unknown, bool) & ~np.asarray(signed, bool)
    pinned = known & (small == withheld) & (total >= withheld * (min_count - 1) - 1e-9)
    return (withheld >= 1) & ((withheld == 1) | (known & (total < min_count)) | pinned)


def telling(cells: pd.DataFrame, true: np.ndarray, withheld: np.ndarray, regions: pd.DataFrame, profiled: str,
            additive: set[str], min_count: float, signed: frozenset | set = frozenset()) -> np.ndarray:
    """Which rows of ``cells`` (counts of every level: ``region_id``, ``indicator_id``, ``period``) are shown counts
    of regions of other levels than ``profiled`` that would tell a withheld part (:mod:`features.disclosure`).
    ``true``: each row's value before the privacy rules (NaN where the source withheld it); ``withheld``: which rows
    a page shows as withheld; ``signed``: the balances among ``additive`` (:func:`tells`)."""
    regions = regions.assign(region_id=regions["region_id"].astype(str))
    level_of = regions.set_index("region_id")["level"]
    rid = cells["region_id"].astype(str).to_numpy()
    indicator, period = cells["indicator_id"].astype(str).to_numpy(), cells["period"].astype(str).to_numpy()
    lv = level_of.reindex(rid).to_numpy(object)
    counts = cells["indicator_id"].isin(additive).to_numpy()
    hit = np.zeros(len(cells), dtype=bool)
    present = [lvl for lvl in LEVELS if (lv == lvl).any()]
    coarse_levels = [lvl for lvl in present if lvl != profiled and ((lv == lvl) & counts).any()]
    # each finer region's ancestor on each coarser level that holds counts
    ups = {}
    for coarse, fine in [(c, f) for c in coarse_levels for f in present if f != c]:
        up = ancestors_at(regions, pd.unique(rid[lv == fine]), coarse)
        if up.notna().any():
            ups[(coarse, fine)] = up
    shown_key = pd.MultiIndex.from_arrays([rid, indicator, period])
    frontier = _Frontier(cells, regions, counts, cells["indicator_id"].isin(signed).to_numpy())
    for _ in range(len(LEVELS)):        # a count withheld here is a withheld part of the level above, in turn
        new = np.zeros(len(cells), dtype=bool)
        hidden = withheld | hit
        for (coarse, fine), up in ups.items():
            at = np.flatnonzero((lv == fine) & counts)
            parents = up.reindex(rid[at]).to_numpy(object)
            inside = pd.notna(parents)
            at, parents = at[inside], parents[inside]
            if not len(at):
                continue
            rows = pd.DataFrame({"up": parents, "region_id": rid[at], "indicator_id": indicator[at],
                                 "period": period[at], "hidden": hidden[at],
                                 "unknown": hidden[at] & np.isnan(true[at]),
                                 "small": np.where(hidden[at], np.nan_to_num(true[at]), 0.0),
                                 "bounded": hidden[at] & (np.nan_to_num(true[at], nan=np.inf) < min_count)})
            # the parts of a region in a period: those that appear in the period's tables with any count
            parts = rows.groupby(["up", "period"], sort=False)["region_id"].nunique().rename("parts")
            g = rows.groupby(["up", "indicator_id", "period"], sort=False).agg(
                n=("region_id", "nunique"), w=("hidden", "sum"), unknown=("unknown", "any"), total=("small", "sum"),
                bounded=("bounded", "sum"))
            g = g.join(parts, on=["up", "period"])
            # every part shows the count or withholds it, and the withheld would be told
            told = g[(g["n"] == g["parts"]) & tells(g["w"], g["unknown"], g["total"], g["bounded"], min_count,
                                                    g.index.get_level_values("indicator_id").isin(signed))]
            if told.empty:
                continue
            new |= (lv == coarse) & counts & ~hidden & shown_key.isin(told.index)
        new |= frontier.told(hidden, true, min_count) & (lv != profiled) & ~hidden
        if not new.any():
            break
        hit |= new
    return hit


class _Frontier:
    """Each count's nearest ancestor with a count of the same indicator and period: a region's parts across levels
    (the city's own count, Sozialregion 1's own count, and Sozialregion 2's Gemeinden where Sozialregion 2 has none).
    The city's count less Sozialregion 1's and Gemeinde 4's would tell Gemeinde 3's; no single level shows it."""

    def __init__(self, cells: pd.DataFrame, regions: pd.DataFrame, counts: np.ndarray, signed: np.ndarray) -> None:
        ids = pd.Index(pd.unique(np.concatenate([regions["region_id"].to_numpy(str),
                                                 cells["region_id"].astype(str).to_numpy()])))
        parents = regions.set_index("region_id")["parent_id"].reindex(ids)
        parent = ids.get_indexer(parents.where(parents.isna(), parents.astype(str)).astype(object).to_numpy())
        self.rows = np.flatnonzero(counts)
        r = ids.get_indexer(cells["region_id"].astype(str).to_numpy()[self.rows])
        ip, _ = pd.factorize(pd.MultiIndex.from_arrays([cells["indicator_id"].astype(str).to_numpy()[self.rows],
                                                        cells["period"].astype(str).to_numpy()[self.rows]]))
        pc, _ = pd.factorize(cells["period"].astype(str).to_numpy()[self.rows])
        n_ip, n_p = int(ip.max()) + 1 if len(ip) else 1, int(pc.max()) + 1 if len(pc) else 1
        present = np.unique(r.astype(np.int64) * n_ip + ip)
        up, cur = np.full(len(r), -1), parent[r] if len(r) else r
        for _ in range(len(LEVELS) + 2):       # the nearest ancestor holding the same count
            open_ = (cur >= 0) & (up < 0)
            if not open_.any():
                break
            hit = open_ & np.isin(np.where(cur >= 0, cur, 0).astype(np.int64) * n_ip + ip, present)
            up[hit] = cur[hit]
            cur = np.where(cur >= 0, parent[np.where(cur >= 0, cur, 0)], -1)
        # the regions of a period's tables that hold none below them, and how many of them lie under each region
        appear = np.unique(r.astype(np.int64) * n_p + pc)
        ar, ap = appear // n_p, appear % n_p
        above, cur = [], parent[ar]
        for _ in range(len(LEVELS) + 2):
            if not (cur >= 0).any():
                break
            above.append(np.where(cur >= 0, cur, -1).astype(np.int64) * n_p + ap)
            cur = np.where(cur >= 0, parent[np.where(cur >= 0, cur, 0)], -1)
        inner = np.unique(np.concatenate(above)) if above else np.array([], np.int64)
        leaf = ~np.isin(appear, inner)
        reached = [appear[leaf]] + [a[leaf & (a >= 0)] for a in above]
        under = pd.Series(np.concatenate(reached)).value_counts()
        self.up, self.ip, self.n_ip = up, ip, n_ip
        self.covers = under.reindex(r.astype(np.int64) * n_p + pc).fillna(0).to_numpy()
        self.whole = under.reindex(np.where(up >= 0, up, 0).astype(np.int64) * n_p + pc).fillna(0).to_numpy()
        self.key = r.astype(np.int64) * n_ip + ip
        self.size, self.signed = len(cells), np.asarray(signed, bool)[self.rows]

    def told(self, hidden: np.ndarray, true: np.ndarray, min_count: float) -> np.ndarray:
        """Which rows of the cells are counts whose parts across levels cover them, hide one part, or hide parts
        that are together a small number."""
        out = np.zeros(self.size, dtype=bool)
        inside = self.up >= 0
        if not inside.any():
            return out
        h = hidden[self.rows][inside]
        t = true[self.rows][inside]
        g = pd.DataFrame({"up": self.up[inside].astype(np.int64) * self.n_ip + self.ip[inside], "w": h,
                          "unknown": h & np.isnan(t), "total": np.where(h, np.nan_to_num(t), 0.0),
                          "bounded": h & (np.nan_to_num(t, nan=np.inf) < min_count),
                          "covers": self.covers[inside], "whole": self.whole[inside],
                          "signed": self.signed[inside]}).groupby("up").agg(
            w=("w", "sum"), unknown=("unknown", "any"), total=("total", "sum"), bounded=("bounded", "sum"),
            covers=("covers", "sum"), whole=("whole", "first"), signed=("signed", "first"))
        told = g.index[(g["covers"] == g["whole"])
                       & tells(g["w"], g["unknown"], g["total"], g["bounded"], min_count, g["signed"])].to_numpy()
        out[self.rows[np.isin(self.key, told)]] = True
        return out


def withhold_parts(cells: pd.DataFrame, reason: np.ndarray, catalog: Catalog, min_count: float) -> np.ndarray:
    """``reason`` (``suppressed_by`` of each row of ``cells``, empty where shown) with the counts withheld as
    :data:`PARTS` that would otherwise give a withheld count away within its region and period, the catalog's
    wholes and their parts (``part_of``): the Schuldnerberatung's 4 single fathers are withheld as a small number,
    yet the 1,235 clients in all less the six other household types shown would be those 4.

    Where the whole shows and parts are withheld, the smallest shown parts are withheld too until at least two parts
    are hidden and the whole less the shown parts tells none of them (:func:`tells`: no small number, below
    ``privacy.min_count``, nor small numbers that add up to as many as small numbers can); where no shown part is
    left to withhold, the whole is. Where the whole is withheld and every part shows, the smallest part is
    withheld. A part without a value (not in the table) hides as a withheld one does. ``cells['value']`` holds the
    values before the privacy rules (NaN where the source withheld one). Repeated until nothing changes, for a whole
    that is a part of another."""
    wholes = catalog.parts()
    signed = {i.indicator_id for i in catalog if i.kind == "balance"}
    reason = np.asarray(reason, dtype=object).copy()
    if not wholes:
        return reason
    ids = cells["indicator_id"].astype(str).to_numpy()
    members = set(wholes) | {p for parts in wholes.values() for p in parts}
    inside = np.flatnonzero(np.isin(ids, list(members)))
    if not len(inside):
        return reason
    rid = cells["region_id"].astype(str).to_numpy()[inside]
    period = cells["period"].astype(str).to_numpy()[inside]
    value = cells["value"].to_numpy(float)
    at = {(r, p, i): k for r, p, i, k in zip(rid, period, ids[inside], inside)}
    # only where a count of a whole or its parts is withheld can one be told
    places = sorted(set(zip(rid[reason[inside] != ""], period[reason[inside] != ""])))
    for _ in range(len(members)):
        changed = False
        hidden = reason != ""
        for r, p in places:
            for whole, parts in wholes.items():
                w = at.get((r, p, whole))
                cells_of = [at.get((r, p, q)) for q in parts]
                held = [k for k in cells_of if k is not None and hidden[k]]
                shown = sorted((k for k in cells_of if k is not None and not hidden[k] and not np.isnan(value[k])),
                               key=lambda k: value[k])
                if w is None or not (held or hidden[w]) or (np.isnan(value[w]) and not hidden[w]):
                    continue
                if hidden[w]:
                    # the whole withheld: the sum of every part would tell it
                    if not held and len(shown) == len(parts):
                        reason[shown[0]], hidden[shown[0]], changed = PARTS, True, True
                    continue
                # the whole shown: less the shown parts, it tells the sum of the hidden ones (:func:`tells`)
                n_hidden, rest = len(parts) - len(shown), value[w] - sum(value[k] for k in shown)
                small, sign = sum(reason[k] == "count" for k in held), whole in signed
                while shown and tells(n_hidden, False, rest, small, min_count, sign):
                    k = shown.pop(0)
                    reason[k], hidden[k], changed = PARTS, True, True
                    n_hidden, rest = n_hidden + 1, rest + value[k]
                if tells(n_hidden, False, rest, small, min_count, sign):
                    reason[w], hidden[w], changed = PARTS, True, True
        if not changed:
            break
    return reason


def secondary_cells(cells: pd.DataFrame, reason: np.ndarray, regions: pd.DataFrame, additive: set[str],
                    population_indicator: str, min_count: float, signed: frozenset | set = frozenset()) -> np.ndarray:
    """Which rows of ``cells`` (the profiles' observations before the privacy rules: ``region_id``,
    ``indicator_id``, ``period``, ``value``) to withhold besides those ``reason`` withholds (``suppressed_by``, empty
    where shown), so that the sum of their region one level up can show (Sekundärsperrung, ``privacy.secondary``).

    Where a region's parts withhold one count (Tannenroda's, under 300 residents), or counts the sum would tell
    (:func:`tells`), the same count of its smallest other part by residents is withheld too (the smallest by the
    count where residents are unknown), then the next, until two or more are withheld and the sum tells none of
    them. Only where the sum exists: every part that appears in the period's tables has the count, and none is
    withheld at the source (``reason`` 'source'). A region with no other part to withhold keeps its sum withheld.
    ``signed``: the balances among ``additive`` (:func:`tells`)."""
    out = np.zeros(len(cells), dtype=bool)
    ids = cells["indicator_id"]
    counts = np.flatnonzero(ids.isin(additive).to_numpy())
    if not len(counts):
        return out
    value = cells["value"].to_numpy(float)
    reason = np.asarray(reason, dtype=object)
    at = cells.iloc[counts]
    rid, period = at["region_id"].astype(str).to_numpy(), at["period"].astype(str).to_numpy()
    parent = regions.assign(region_id=regions["region_id"].astype(str)).set_index("region_id")["parent_id"]
    up = parent.reindex(rid).to_numpy(object)
    inside = pd.notna(up)
    counts, up, rid, period = counts[inside], up[inside], rid[inside], period[inside]
    if not len(counts):
        return out
    people = cells[ids.eq(population_indicator).to_numpy()]
    pop = pd.Series(people["value"].to_numpy(float), index=pd.MultiIndex.from_arrays(
        [people["region_id"].astype(str), people["period"].astype(str)]))
    pop = pop[~pop.index.duplicated()]
    hidden = reason[counts] != ""
    rows = pd.DataFrame({"row": counts, "up": up, "region_id": rid, "indicator_id": ids.to_numpy()[counts],
                         "period": period, "value": value[counts], "hidden": hidden,
                         "lost": (reason[counts] == "source") | (~hidden & np.isnan(value[counts])),
                         "residents": pop.reindex(pd.MultiIndex.from_arrays([rid, period])).fillna(np.inf)
                         .to_numpy(float)})
    parts = rows.groupby(["up", "period"], sort=False)["region_id"].nunique().rename("parts")
    key = ["up", "indicator_id", "period"]
    rows["sum"] = pd.MultiIndex.from_frame(rows[key]).factorize()[0]
    rows = rows.assign(total=np.where(hidden, np.nan_to_num(rows["value"].to_numpy()), 0.0),
                       small=hidden & (np.nan_to_num(rows["value"].to_numpy(), nan=np.inf) < min_count))
    g = rows.groupby("sum", sort=False).agg(up=("up", "first"), period=("period", "first"),
                                             n=("region_id", "nunique"), lost=("lost", "any"), w=("hidden", "sum"),
                                             total=("total", "sum"), small=("small", "sum"),
                                             signed=("indicator_id", "first")).join(parts, on=["up", "period"])
    g["signed"] = g["signed"].isin(signed)
    # only where the sum exists (every part has the count, none withheld at the source) and would tell
    told = g[(g["n"] == g["parts"]) & ~g["lost"]
             & tells(g["w"], False, g["total"], g["small"], min_count, g["signed"])]
    if told.empty:
        return out
    inside = rows[rows["sum"].isin(told.index) & ~rows["hidden"]].sort_values(["residents", "value"], kind="stable")
    for s, others in inside.groupby("sum", sort=False):
        w, total, small = int(told.at[s, "w"]), float(told.at[s, "total"]), int(told.at[s, "small"])
        sign = bool(told.at[s, "signed"])
        for row, v in zip(others["row"], others["value"]):
            if not tells(w, False, total, small, min_count, sign):
                break
            out[row], w, total = True, w + 1, total + v        # its page says why: no small number
    return out


def withhold_complements(cells: pd.DataFrame, before: pd.DataFrame, regions: pd.DataFrame, profiled: str,
                         catalog: Catalog, withheld: np.ndarray, min_count: float) -> tuple[pd.DataFrame, set]:
    """``cells`` with the counts :func:`telling` finds withheld (value blank, flag suppressed), and their keys.
    ``before``: the rows before the privacy rules (those they withheld, at least), whose values are the true ones
    of the rows they withheld."""
    if cells.empty:
        return cells, set()
    true = before.assign(**{k: before[k].astype(str) for k in KEY}).drop_duplicates(KEY).set_index(KEY)["value"]
    value = cells["value"].to_numpy(float).copy()
    look = np.flatnonzero(np.isnan(value))      # a shown value is the true one
    if len(look):
        found = true.reindex(pd.MultiIndex.from_frame(cells.iloc[look][KEY].astype(str))).to_numpy(float)
        value[look] = np.where(np.isnan(found), value[look], found)
    additive = {i.indicator_id for i in catalog if i.kind in ADDITIVE}
    signed = {i.indicator_id for i in catalog if i.kind == "balance"}
    hit = telling(cells, value, np.asarray(withheld, bool), regions, profiled, additive, min_count, signed)
    if not hit.any():
        return cells, set()
    out = cells.copy()
    out.loc[hit, ["value", "numerator", "denominator"]] = np.nan
    out.loc[hit, "flag"] = "suppressed"
    keys = set(map(tuple, out.loc[hit, KEY].astype(str).to_numpy()))
    return out, keys


def withheld_sums(part: pd.DataFrame, raw: pd.DataFrame, regions: pd.DataFrame, catalog: Catalog,
                  sum_levels: list[str], other: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``part`` (the regions' own values, their parts' as their pages show them, the sums of shown parts) with a row
    for each count of a region of another level that its parts' values sum to but for a part withheld on its page
    by the privacy rules: the sum exists. Its value is the sum; whether it may show beside the shown parts (two
    parts withheld, together no small number) or would tell a withheld one, and is withheld ('gesperrt' on the
    region's page, not missing), :func:`withhold_complements` decides. A sum over a part the source withheld, or one
    without a value, stays missing (nobody knows it). Returns the rows and the sums (region_id, indicator_id,
    period, value). ``raw``: the same regions' values before the privacy rules."""
    key = ["region_id", "indicator_id", "period"]
    mine = raw["region_id"].isin(other).to_numpy()
    withheld = part["flag"].eq("suppressed").to_numpy() & ~part["region_id"].isin(other).to_numpy()
    none = pd.DataFrame(columns=key + ["value"])
    if not withheld.any():
        return part, none
    # only a count and period with a part withheld can give a sum the shown parts did not
    hit = pd.MultiIndex.from_frame(part.loc[withheld, ["indicator_id", "period"]].astype(str)).unique()
    whole = raw.loc[pd.MultiIndex.from_frame(raw[["indicator_id", "period"]].astype(str)).isin(hit)]
    for level in sum_levels:
        whole, _ = sum_up(whole, regions, catalog, level)
    whole = whole.loc[whole["region_id"].isin(other).to_numpy() & whole["value"].notna().to_numpy(),
                      key + ["value", "flag"]]
    at = pd.MultiIndex.from_frame(whole[key].astype(str))
    known = pd.MultiIndex.from_frame(part.loc[:, key].astype(str))
    new = whole.loc[~at.isin(known) & ~at.isin(pd.MultiIndex.from_frame(raw.loc[mine, key].astype(str)))]
    if new.empty:
        return part, none
    rows = pd.DataFrame({c: pd.Series(dtype=part[c].dtype) for c in part.columns}).reindex(range(len(new)))
    for c in key + ["value", "flag"]:
        rows[c] = new[c].to_numpy()
    rows = rows.astype({c: part[c].dtype for c in key})
    return pd.concat([part, rows], ignore_index=True), new[key + ["value"]].reset_index(drop=True)


def computed_from(values: pd.DataFrame, keys: set, catalog: Catalog) -> np.ndarray:
    """Which rows of ``values`` are one of ``keys`` (region, indicator, period as text), or a share or rate the
    catalog computes from a count that is one: a sum's share is a sum's, a withheld count's share withheld alike."""
    parts_of = {i.indicator_id: (i.numerator, i.denominator) for i in catalog if i.numerator and i.denominator}
    rows = zip(values["region_id"].astype(str), values["indicator_id"].astype(str), values["period"].astype(str))
    return np.array([(r, i, p) in keys or any((r, c, p) in keys for c in parts_of.get(i, ())) for r, i, p in rows],
                    dtype=bool)


def complement_reasons(values: pd.DataFrame, keys: set, catalog: Catalog, why: str = COMPLEMENT) -> pd.Series:
    """``values['suppressed_by']`` with the counts of ``keys`` withheld as ``why`` (:data:`COMPLEMENT`,
    :data:`SECONDARY`), and so the shares and rates the catalog computes from them (read as withheld at the source
    otherwise: they arrive withheld)."""
    reason = values["suppressed_by"].astype(str)
    at = np.flatnonzero(values["flag"].eq("suppressed").to_numpy())     # only a withheld value can be one
    rows = values.iloc[at]
    own = pd.MultiIndex.from_frame(rows[KEY].astype(str)).isin(list(keys))
    hit = np.zeros(len(values), dtype=bool)
    hit[at] = computed_from(rows, keys, catalog) & (own | reason.iloc[at].eq("source").to_numpy())
    return reason.where(~hit, why)


def secondary_reasons(values: pd.DataFrame, keys: set, catalog: Catalog) -> pd.Series:
    """``values['suppressed_by']`` with the counts of ``keys`` withheld as :data:`SECONDARY`, and the shares and rates
    computed from them: arrived withheld ('source'), or with such a count as numerator ('numerator' says a small
    number, which it is not)."""
    reason = complement_reasons(values, keys, catalog, SECONDARY)
    numerator = {i.indicator_id: i.numerator for i in catalog if i.numerator}
    at = np.flatnonzero(reason.eq("numerator").to_numpy())
    rows = values.iloc[at]
    hit = np.zeros(len(values), dtype=bool)
    hit[at] = [(r, numerator.get(i), p) in keys for r, i, p in zip(
        rows["region_id"].astype(str), rows["indicator_id"].astype(str), rows["period"].astype(str))]
    return reason.where(~hit, SECONDARY)


def complement_note(values: pd.DataFrame, regions: pd.DataFrame) -> list[str]:
    """The note on the counts withheld so (none where nothing was): how many, of which regions and indicators."""
    return withheld_note(values, regions, COMPLEMENT, "regions of other levels than the profiles': ",
                          "less the counts their parts show, they would tell a part's withheld count")


def secondary_note(values: pd.DataFrame, regions: pd.DataFrame) -> list[str]:
    """The note on the profiles' counts withheld besides a withheld one (``privacy.secondary``; none where none was)."""
    return withheld_note(values, regions, SECONDARY, "", "beside a withheld count of another part of their region "
                          "one level up, they let its sum show (privacy.secondary)")


def secondary_hint(other: pd.DataFrame, values: pd.DataFrame, regions: pd.DataFrame, catalog: Catalog) -> list[str]:
    """Where ``privacy.secondary`` is off: the regions of other levels (``other``, as :func:`features.pipeline.
    other_level_values` gives them) that withhold more than half of their counts in their latest full period
    because their sums would tell a part's (:data:`COMPLEMENT`), with the small areas among their parts (``values``: the
    profiles' values, ``suppressed_by`` 'population'), and the setting that would show those sums instead."""
    if other.empty or "suppressed_by" not in other.columns:
        return []
    counts = {i.indicator_id for i in catalog if i.kind == "count"}
    rows = other[other["indicator_id"].isin(counts) & (other["value"].notna() | other["suppressed_by"].eq(COMPLEMENT))]
    # each region's latest full period: at least half as many counts as its fullest (a month of one count is none)
    rows = rows.assign(region_id=rows["region_id"].astype(str), period=rows["period"].astype(str))
    size = rows.groupby(["region_id", "period"]).size()
    full = size[size >= size.groupby(level="region_id").transform("max") / 2].reset_index()
    latest = full.groupby("region_id")["period"].max()
    rows = rows[rows["period"].to_numpy() == latest.reindex(rows["region_id"]).to_numpy()]
    share = rows["suppressed_by"].eq(COMPLEMENT).groupby(rows["region_id"]).mean()
    hit = sorted(share.index[share > 0.5])
    if not hit:
        return []
    names = regions.assign(region_id=regions["region_id"].astype(str)).set_index("region_id")["name"]
    parent = regions.assign(region_id=regions["region_id"].astype(str)).set_index("region_id")["parent_id"]
    small = values.loc[values["suppressed_by"].eq("population"), "region_id"].astype(str).unique()
    inside = sorted(r for r in small if parent.get(r) in hit)
    shown = ", ".join(f"{names.get(r, r)}" for r in hit[:5]) + (" …" if len(hit) > 5 else "")
    areas = ", ".join(f"{names.get(r, r)}" for r in inside[:5]) + (" …" if len(inside) > 5 else "")
    return [f"{len(hit)} region{'s' if len(hit) != 1 else ''} of other levels than the profiles' ({shown}) "
            f"withhold{'s' if len(hit) == 1 else ''} more than half of their counts in their latest edition, because "
            "their sums would tell a part's withheld "
            "count" + (f" (small areas among their parts: {areas})" if areas else "") + "; with privacy.secondary: "
            "true, the same counts of their next smallest part are withheld instead and their sums show "
            "(Sekundärsperrung; a decision for the county, see the README)"]


def parts_note(values: pd.DataFrame, regions: pd.DataFrame, where: str = "") -> list[str]:
    """The note on the counts withheld by :func:`withhold_parts` (none where nothing was); ``where`` names the
    regions' kind ('regions of other levels than the profiles': ')."""
    return withheld_note(values, regions, PARTS, where, "beside their whole and its other parts (part_of in the "
                          "catalog), they would tell a withheld count")


def withheld_note(values: pd.DataFrame, regions: pd.DataFrame, reason: str, where: str, why: str) -> list[str]:
    """The note on the values of ``values`` withheld for ``reason`` (none where none was): how many, ``why``, and of
    which regions and indicators; ``where`` names the regions' kind."""
    if "suppressed_by" not in values.columns:
        return []
    held = values[values["suppressed_by"].eq(reason)]
    if held.empty:
        return []
    return [f"{where}{len(held):,} value{'s' if len(held) != 1 else ''} withheld because, {why} — "
            + which_regions(held, regions)]


def which_regions(rows: pd.DataFrame, regions: pd.DataFrame) -> str:
    """'2 regions (01001 Flensburg, 01002 Kiel): arbeitslose, einwohner' — the regions of ``rows`` (the first three
    named) and their indicators (the first six), for a note."""
    names = regions.assign(region_id=regions["region_id"].astype(str)).set_index("region_id")["name"]
    who = rows["region_id"].astype(str).drop_duplicates()
    shown = ", ".join(f"{r} {names.get(r, r)}" for r in who.head(3)) + (" …" if len(who) > 3 else "")
    ids = sorted(rows["indicator_id"].astype(str).unique())
    return (f"{len(who)} region{'s' if len(who) != 1 else ''} ({shown}): {', '.join(ids[:6])}"
            f"{' …' if len(ids) > 6 else ''}")

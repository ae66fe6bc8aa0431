"""What a region's values are compared with on its page: the other regions of its level in its reference group
(``features.reference_level``: a Gemeinde among the Gemeinden of its Kreis, the set its z-values are computed in),
or all regions of the level where they form one group. The mean (the total for counts; for a class the class most
of them have), the judgement against the spread and the name of the comparison come from published cells only.

A class (unit ``Klasse``, its classes named in the indicator's name: "Status-Index-Klasse (1 hoch; 2 mittel; 3
niedrig; 4 sehr niedrig)") is shown by its number and name (:func:`class_names`, :func:`class_text`)."""

from __future__ import annotations

import re

import pandas as pd

from ml.catalog import Catalog


class Comparison:
    """The comparison set of each region of the profiles' level, its name, and the indicator values in it."""

    def __init__(self, snap, catalog: Catalog, names: pd.Series, areas: str):
        self.catalog, self._plain = catalog, f"Mittel der {areas}"
        at_level = snap.level_regions["region_id"]
        p = snap.profiles
        group = (p[p["region_id"].isin(set(at_level))].dropna(subset=["reference_group"])
                 .drop_duplicates("region_id", keep="last").set_index("region_id")["reference_group"].astype(str)
                 if "reference_group" in p.columns else pd.Series(dtype=object))
        self.grouped = group.nunique() > 1
        # one group: every region of the level, named by the area above them all ("Musterkreis") where it is one
        self._group = group.reindex(at_level).fillna("").to_dict() if self.grouped else dict.fromkeys(at_level, "")
        self._size = pd.Series(self._group).value_counts().to_dict()
        root = None if self.grouped else _single_root(snap.regions, at_level)
        self._label = {g: f"Mittel der {areas}" + (f" ({names.get(g, g)})" if g else f" ({names.get(root)})"
                                                   if root is not None else "") for g in self._size}
        self._article = {g: f"das Mittel der {areas}" + (f" ({names.get(g, g)})" if g else "") for g in self._size}
        self._members: dict[str, set[str]] = {}
        for r, g in self._group.items():
            self._members.setdefault(g, set()).add(r)
        v = snap.values[snap.values["region_id"].isin(self._group)]
        v = v.assign(group=v["region_id"].map(self._group))
        self._cells = {(i, str(per), g): f for (i, per, g), f in v.groupby(["indicator_id", "period", "group"])}
        self._published_values: dict[tuple[str, str, str], pd.Series] = {}

    def group(self, region_id: str) -> str:
        """The region's comparison group ('' where the level is one group or the region is outside it)."""
        return self._group.get(region_id, "")

    def label(self, region_id: str) -> str:
        """'Mittel der Gemeinden (Kreis Nordfriesland)', or of the whole level."""
        return self._label.get(self.group(region_id), self._plain)

    def with_article(self, region_id: str) -> str:
        """'das Mittel der Gemeinden' (with the group where there are several)."""
        return self._article.get(self.group(region_id), "das " + self._plain)

    def members(self, region_id: str) -> set[str]:
        """The regions the region is compared with (itself included)."""
        return self._members.get(self.group(region_id), set())

    def _published(self, region_id: str, indicator_id: str, period: str) -> pd.Series:
        """The group's published values of the indicator in the period (computed once per group)."""
        key = (indicator_id, period, self.group(region_id))
        if key not in self._published_values:
            f = self._cells.get(key)
            self._published_values[key] = (pd.Series(dtype=float) if f is None
                                           else f[f["flag"] != "suppressed"]["value"].dropna())
        return self._published_values[key]

    def value(self, region_id: str, indicator_id: str, period: str) -> tuple[float | None, str]:
        """The comparison value and its kind: the mean ('Mittel'), or for counts the total ('Summe'), only where no
        region of the group has its value withheld or missing."""
        if (indicator_id, period, self.group(region_id)) not in self._cells:
            return None, ""
        ok = self._published(region_id, indicator_id, period)
        if self.catalog[indicator_id].kind == "count":
            complete = len(ok) == self._size.get(self.group(region_id), 0)
            return (float(ok.sum()), "Summe") if complete and len(ok) else (None, "Summe")
        return (float(ok.mean()), "Mittel") if len(ok) else (None, "Mittel")

    def most_common(self, region_id: str, indicator_id: str, period: str) -> float | None:
        """The value most of the group's regions have (the smallest of the most frequent): what a class is compared
        with, where the mean of classes would mean nothing."""
        ok = self._published(region_id, indicator_id, period)
        return float(ok.mode().min()) if len(ok) else None

    def class_cells(self, meta, region_id: str, period: str, value: float | None, flag: str,
                    change: float | None, since: str) -> dict[str, str]:
        """The cells of the region's row that read as classes where the indicator is a class (:func:`class_row`);
        empty for any other indicator."""
        names = class_names(meta)
        if not names:
            return {}
        common = self.most_common(region_id, meta.indicator_id, period)
        return class_row(names, value, flag == "suppressed", common, change, since)

    def judge(self, region_id: str, indicator_id: str, value: float | None, period: str) -> str:
        """How the value stands among the group's regions, as a planner reads it (polarity of the catalog)."""
        if value is None:
            return ""
        meta = self.catalog[indicator_id]
        ok = self._published(region_id, indicator_id, period)
        if meta.kind == "count" or len(ok) < 5 or not ok.std() > 0:
            return ""
        z = (value - ok.mean()) / ok.std()
        if meta.polarity == 0:
            return ("deutlich über dem Mittel" if z >= 1 else "über dem Mittel" if z >= 0.5 else "deutlich unter dem "
                    "Mittel" if z <= -1 else "unter dem Mittel" if z <= -0.5 else "im Mittel")
        z *= meta.polarity
        return ("deutlich ungünstiger" if z >= 1 else "ungünstiger" if z >= 0.5 else "deutlich günstiger"
                if z <= -1 else "günstiger" if z <= -0.5 else "im Mittel")


def _single_root(regions: pd.DataFrame, at_level: pd.Series) -> str | None:
    """The one region above every region of the level (the county of its Gemeinden), or None."""
    parents = regions.set_index("region_id")["parent_id"]
    roots = set()
    for rid in at_level:
        seen, cur = set(), rid
        while isinstance(parents.get(cur), str) and parents.get(cur) in parents.index and cur not in seen:
            seen.add(cur)
            cur = parents[cur]
        if cur != rid:
            roots.add(cur)
    return roots.pop() if len(roots) == 1 else None


def class_names(meta) -> dict[int, str]:
    """Class number → name of an indicator of unit ``Klasse`` whose name lists its classes ("… (1 hoch; 2 mittel;
    3 niedrig; 4 sehr niedrig)", "… (1 positiv, 2 stabil, 3 negativ)"); empty for any other indicator."""
    if (meta.unit or "").strip().lower() != "klasse":
        return {}
    for listed in re.findall(r"\(([^()]*)\)", meta.name):
        pairs = [re.fullmatch(r"\s*(\d+)\s*[=:]?\s*(\D.*?)\s*", part) for part in re.split(r"[;,]", listed)]
        if len(pairs) >= 2 and all(pairs):
            return {int(m.group(1)): m.group(2) for m in pairs}
    return {}


def class_text(value: float | None, names: dict[int, str]) -> str | None:
    """'2 – mittel' for a class value with a name; None where the value is no named class (shown as a number)."""
    if value is None or not float(value).is_integer() or int(value) not in names:
        return None
    return f"{int(value)} – {names[int(value)]}"


def class_row(names: dict[int, str], value: float | None, suppressed: bool, common: float | None,
              change: float | None, since: str) -> dict[str, str]:
    """The cells of a page's row of a class (:func:`class_names`) that read as classes, not numbers: the value
    '2 – mittel', the comparison 'meist 2 – mittel' (the class most regions of the group have, not a mean of
    classes), the change 'unverändert' (seit 2019) or '2019 noch 1 – hoch'. A cell that is no named class keeps
    its number; a withheld value stays withheld."""
    out: dict[str, str] = {}
    if not suppressed and (text := class_text(value, names)):
        out["value"] = text
    if text := class_text(common, names):
        out["comparison"] = f"meist {text}"
    if change is not None and value is not None:
        before = class_text(value - change, names)
        if change == 0:
            out.update(change="unverändert", change_unit="")
        elif before:
            out.update(change=f"{since} noch {before}", change_unit="", since="")
    return out

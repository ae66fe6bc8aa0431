"""Regions named in a file: codes, or names looked up in the store's region list.

Official German tables often name their areas instead of coding them ("Eimsbüttel", "Bezirk Eimsbüttel",
"Neustadt (Stadtteil)"). A cell that is not a known region code is looked up by name: case, umlaut spelling
(``ü`` = ``ue``), soft hyphens, spaces and punctuation do not matter. A name that exists on two levels (a
Bezirk and a Stadtteil of the same name) is only resolved when the level is known: from a level column of the
file, from ``level`` in the mapping, or from the level written with the name ("Bezirk Eimsbüttel",
"Eimsbüttel (Bezirk)"). Otherwise the cell is quarantined with a reason that names the candidates.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from ml.contracts import LEVELS

# German words for the levels of the region list (normalised as by name_key) -> level
LEVEL_WORDS: dict[str, str] = {
    "land": "land", "bundesland": "land",
    "kreis": "kreis", "landkreis": "kreis", "stadtkreis": "kreis", "kreisfreiestadt": "kreis",
    "sozialregion": "sozialregion", "sozialraum": "sozialregion",
    "gemeinde": "gemeinde", "kommune": "gemeinde",
    "bezirk": "bezirk", "stadtbezirk": "bezirk",
    "stadtteil": "stadtteil", "ortsteil": "ortsteil", "ortschaft": "ortsteil",
    "prognoseraum": "prognoseraum", "prg": "prognoseraum",
    "bezirksregion": "bezirksregion", "bzr": "bezirksregion",
    "planungsraum": "planungsraum", "plr": "planungsraum", "pnr": "planungsraum",
    "municipality": "gemeinde", "county": "kreis",      # the English of official tables (Zensus, INKAR exports)
}
LEVEL_WORDS.update({level: level for level in LEVELS})
LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}
"""Each level's place, coarse to fine (a level the store does not know ranks after all)."""
# a level column may name the level of a row in the plural ('Bezirke', 'Planungsräume', as its table's title does)
LEVEL_WORDS.update({
    "laender": "land", "bundeslaender": "land", "kreise": "kreis", "landkreise": "kreis", "stadtkreise": "kreis",
    "kreisfreiestaedte": "kreis", "sozialregionen": "sozialregion", "sozialraeume": "sozialregion",
    "gemeinden": "gemeinde", "kommunen": "gemeinde", "bezirke": "bezirk", "stadtbezirke": "bezirk",
    "stadtteile": "stadtteil", "ortsteile": "ortsteil", "ortschaften": "ortsteil", "prognoseraeume": "prognoseraum",
    "bezirksregionen": "bezirksregion", "planungsraeume": "planungsraum", "municipalities": "gemeinde",
    "counties": "kreis"})

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\ufeff"))


def region_depth(regions: pd.DataFrame) -> dict[str, int]:
    """Each region's number of ancestors in ``regions`` (``region_id``, ``parent_id``; 0 for one without a parent
    in it), ids as text; a circle of parents stops where it closes."""
    ids = regions["region_id"].astype(str)
    parent = dict(zip(ids, regions["parent_id"].where(regions["parent_id"].notna(), None)))
    parent = {r: (None if q is None else str(q)) for r, q in parent.items()}
    depth: dict[str, int] = {}
    for rid in parent:
        seen, node = [], rid
        while parent.get(node) is not None and parent[node] in parent and node not in seen:
            seen.append(node)
            node = parent[node]
        depth[rid] = len(seen)
    return depth


def fold(text: str) -> str:
    """German text as compared everywhere (headers, region names, catalog names): lower case, soft hyphens and
    zero-width characters dropped, umlauts written out (ä = ae), other accents stripped."""
    text = unicodedata.normalize("NFC", str(text)).translate(_INVISIBLE).lower().translate(_UMLAUTS)
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def names_several(text: str) -> bool:
    """Whether a file name's words list several things ('einwohner_und_arbeitslose', 'a & b', 'a, b'): such a
    name says no single group of persons its table counts."""
    words = re.sub(r"[_\-.]+", " ", str(text))
    return bool(re.search(r"(?i)(^|[\s,])(und|and|sowie|u)($|\s)|&|,", words))


def header_words(text: str, numbers: bool = False) -> list[str]:
    """A header's words as compared: camel case split ('MunicipalityName', 'PLR_alt'), :func:`fold`, letters
    only — and runs of digits as words of their own where ``numbers`` ('pre2021' → pre, 2021)."""
    split = re.sub(r"(?<=[a-zäöüß])(?=[A-ZÄÖÜ])", " ", str(text))
    return re.findall(r"[a-z]+|\d+" if numbers else r"[a-z]+", fold(split))


def whole_names(regions: pd.DataFrame) -> frozenset[str]:
    """The names (as :func:`name_key` writes them) by which a row of sums names one region of ``regions``: those
    that name one region on the coarsest level they are on ('Flensburg gesamt' for the city; not a name two Kreise
    share)."""
    if regions.empty:
        return frozenset()
    keyed = pd.DataFrame({"key": regions["name"].astype(str).map(name_key),
                          "rank": regions["level"].astype(str).map(lambda lv: LEVEL_RANK.get(lv, len(LEVELS)))})
    coarsest = keyed[keyed["rank"] == keyed.groupby("key")["rank"].transform("min")]
    counts = coarsest["key"].value_counts()
    return frozenset(counts.index[counts == 1])


def name_key(text: str) -> str:
    """A region name as compared: :func:`fold`, then spaces and punctuation dropped ('Westliche Höhe' =
    'westliche hoehe' = 'Westliche-Höhe')."""
    return re.sub(r"[\W_]+", "", fold(text))


def abbreviation_pattern(name: str) -> re.Pattern | None:
    """For a name abbreviated with full stops after letters ('Charlottenburg-Wilm.', 'Friedrichsh.-Kreuzberg',
    'Stülerstr.'), a pattern that the :func:`name_key` of its written-out forms match; None for other names."""
    folded = fold(name)
    if not re.search(r"[^\W\d_]\.", folded):
        return None
    keys = [name_key(part) for part in re.split(r"(?<=[^\W\d_])\.", folded)]
    if sum(len(k) for k in keys) < 4:
        return None
    return re.compile(r"[^\W\d_]*".join(re.escape(k) for k in keys[:-1]) + r"[^\W\d_]*" + re.escape(keys[-1]))


def canonical_level(text: str) -> str | None:
    """The level a German or English level word stands for ('Stadtbezirk' -> 'bezirk'), or None."""
    return LEVEL_WORDS.get(name_key(text)) if str(text).strip() else None


_PREFIX = re.compile(r"^\s*(?P<word>[^\W\d_]+)(?:\s*[:\-–]\s*|\s+)(?P<name>\S.*)$")
_SUFFIX = re.compile(r"^(?P<name>.*\S)\s*[(\[,]\s*(?P<word>[^\W\d_]+)\s*[)\]]?\s*$")


def split_level(text: str) -> tuple[str | None, str]:
    """('bezirk', 'Eimsbüttel') for 'Bezirk Eimsbüttel', 'Bezirk: Eimsbüttel' or 'Eimsbüttel (Bezirk)';
    (None, text) when no level word is written with the name."""
    for pattern in (_PREFIX, _SUFFIX):
        m = pattern.match(str(text))
        if m and (level := canonical_level(m.group("word"))):
            return level, m.group("name").strip()
    return None, str(text)


def without_designation(name: str) -> str:
    """An official municipality name without its designation: 'Görlitz' for 'Görlitz, Stadt', 'Kiel' for 'Kiel,
    Landeshauptstadt', 'Kipfenberg' for 'Kipfenberg, M' (the official form puts it after the first comma); the
    name itself where it has none."""
    base = str(name).split(",", 1)[0].strip()
    return base if name_key(base) else str(name)


def gemeindeschluessel(code: str) -> str | None:
    """The Amtlicher Gemeindeschlüssel (8 digits) in an Amtlicher Regionalschlüssel (12 digits, or 11 where a
    spreadsheet dropped the leading zero): Land, Regierungsbezirk and Kreis (5 digits) and the Gemeinde's last 3,
    without the Gemeindeverband's 4 between them. None for a code of another make."""
    code = str(code).strip()
    if not re.fullmatch(r"\d{11,12}", code):
        return None
    code = code.zfill(12)
    return code[:5] + code[9:]


def same_name(a: str, b: str) -> bool:
    """Whether two spellings name one region: equal by :func:`name_key`, one the other's abbreviation with full
    stops ('Stülerstr.' and 'Stülerstraße'), or one with its official designation ('Görlitz, Stadt')."""
    key_a, key_b = name_key(without_designation(a)), name_key(without_designation(b))
    if key_a == key_b:
        return True
    for short, full in ((a, key_b), (b, key_a)):
        pattern = abbreviation_pattern(without_designation(short))
        if pattern is not None and pattern.fullmatch(full):
            return True
    return False


@dataclass
class RegionLookup:
    """The store's regions by code and by name, to resolve what a file writes in its region column."""

    regions: pd.DataFrame
    abbreviations: dict[str, str] = field(init=False, default_factory=dict)
    """Names read as an abbreviation of one region's name or the other way round ('Charlottenburg-Wilmersdorf' →
    'Charlottenburg-Wilm.'), text → the store's name; the import report names them."""
    designations: dict[str, str] = field(init=False, default_factory=dict)
    """Names read with or without an official designation ('Görlitz' → 'Görlitz, Stadt'), text → the store's name;
    the import report names them."""
    numbered: dict[str, str] = field(init=False, default_factory=dict)
    """Names read as a name the store writes with a number before it ('St. Nikolai' → '011 St. Nikolai', as a
    municipal GIS names its areas), text → the store's name."""
    wholes: dict[str, str] = field(init=False, default_factory=dict)
    """Rows of sums read as the region they name ('Flensburg gesamt' → 'Flensburg'), text → the store's name."""
    _by_name: dict[str, list[tuple[str, str, str]]] = field(init=False, repr=False)
    _by_name_part: dict[str, list[tuple[str, str, str]]] = field(init=False, repr=False)
    _by_base: dict[str, list[tuple[str, str, str]]] = field(init=False, repr=False)
    _names: list[str] = field(init=False, repr=False)
    _abbreviated: list[tuple[re.Pattern, tuple[str, str, str]]] = field(init=False, repr=False)
    _loose: list[tuple[str, tuple[str, str, str]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from ml.importers.region_cells import split_cell

        self._by_name = {}
        self._by_name_part = {}
        self._by_base = {}
        self._abbreviated = []
        self._loose = []
        for rid, name, level in self.regions[["region_id", "name", "level"]].itertuples(index=False):
            entry, key = (str(rid), str(name), str(level)), name_key(name)
            self._by_name.setdefault(key, []).append(entry)
            self._by_base.setdefault(name_key(without_designation(name)) if "," in entry[1] else key, []).append(entry)
            self._loose.append((key, entry))
            if entry[1][:1].isdigit() and (apart := split_cell(entry[1])) is not None:
                self._by_name_part.setdefault(name_key(apart[1]), []).append(entry)
            if (pattern := abbreviation_pattern(str(name))) is not None:
                self._abbreviated.append((pattern, entry))
        self._names = sorted({str(n) for n in self.regions["name"]})

    @property
    def codes(self) -> frozenset[str]:
        """Every region code the lookup knows."""
        return frozenset(self.regions["region_id"].astype(str))

    def _candidates(self, text: str, level: str | None) -> list[tuple[str, str, str]]:
        found = self._by_name.get(name_key(text), [])
        return [c for c in found if level is None or c[2] == level]

    def _whole(self, text: str, level: str | None) -> list[tuple[str, str, str]]:
        """The region a row of sums names ('Flensburg gesamt', 'Altona insgesamt': the whole of the rows above it);
        of one name on several levels the coarsest, which the sum is of."""
        from ml.importers.sum_rows import bare_name

        bare = bare_name(text)
        if not bare or bare == str(text).strip():
            return []
        found = self._candidates(bare, level)
        coarsest = min((LEVEL_RANK.get(c[2], len(LEVELS)) for c in found), default=None)
        return [c for c in found if LEVEL_RANK.get(c[2], len(LEVELS)) == coarsest]

    def _abbreviation(self, text: str, level: str | None) -> list[tuple[str, str, str]]:
        """The regions whose name ``text`` abbreviates ('Charlottenburg-Wilm.', 'Stülerstr.': a '.' after letters
        stands for letters left out), or whose abbreviated name ``text`` writes out in full."""
        key = name_key(text)
        if not key:
            return []
        found = []
        if (pattern := abbreviation_pattern(str(text))) is not None:
            found = [c for k, c in self._loose if pattern.fullmatch(k)]
        found += [c for pattern, c in self._abbreviated if pattern.fullmatch(key)]
        unique = {c[0]: c for c in found if level is None or c[2] == level}
        return list(unique.values())

    def resolve_all(self, items: list[tuple[str, str | None]]) -> list[tuple[str | None, str | None]]:
        """``resolve`` for every (text, level hint) of one file. A name left ambiguous is read as the one level
        the file does not write out for it elsewhere: beside 'Bezirk Harburg', a plain 'Harburg' is the
        Stadtteil."""
        out = [self.resolve(text, hint) for text, hint in items]
        claimed: dict[str, set[str]] = {}
        for (text, hint), (code, _) in zip(items, out):
            if code is not None:
                written, rest = split_level(text)
                level = (canonical_level(hint) if hint else None) or written
                if level is not None:
                    claimed.setdefault(name_key(rest if written else text), set()).add(level)
        for k, ((text, hint), (code, why)) in enumerate(zip(items, out)):
            if code is None and why is not None and why.startswith("ambiguous") and not hint:
                rest = [c for c in self._candidates(text, None) if c[2] not in claimed.get(name_key(text), set())]
                if len(rest) == 1:
                    out[k] = (rest[0][0], None)
        return out

    def resolve(self, text: str, level_hint: str | None = None,
                suggest: bool = True) -> tuple[str | None, str | None]:
        """(region code, None) when ``text`` names one region; (None, reason) when it names several or
        none that fits; (None, None) when it is no known name at all (then the code checks speak). With
        ``suggest`` False an unknown name gets no reason (no search for names spelt alike, which costs a pass over
        every name of the store)."""
        hint = canonical_level(level_hint) if level_hint else None
        if level_hint and hint is None:
            return None, (f"unknown level {level_hint!r} for the region name (allowed: {', '.join(LEVELS)}, in "
                          "German or English, singular or plural; a word of the file's own: name its level with "
                          "levels: in the mapping)")
        found = self._candidates(text, hint)
        if not found:
            written, rest = split_level(text)
            if written is not None and (hint is None or hint == written):
                found = self._candidates(rest, written)
        if not found:
            found = self._whole(text, hint)
            if len(found) == 1:
                self.wholes[str(text)] = found[0][1]
        if not found:
            # an official name's designation written on one side only ('Görlitz' and 'Görlitz, Stadt')
            found = [c for c in self._by_base.get(name_key(without_designation(text)), [])
                     if hint is None or c[2] == hint]
            if len(found) == 1:
                self.designations[str(text)] = found[0][1]
        if not found:
            found = self._abbreviation(text, hint)
            if len(found) == 1:
                self.abbreviations[str(text)] = found[0][1]
        if not found:       # the store writes the name with a number before it: '011 St. Nikolai'
            found = [c for c in self._by_name_part.get(name_key(text), []) if hint is None or c[2] == hint]
            if len(found) == 1:
                self.numbered[str(text)] = found[0][1]
        if len(found) == 1:
            return found[0][0], None
        if len(found) > 1:
            listed = ", ".join(f"{level} {name} ({rid})" for rid, name, level in sorted(found, key=lambda c: c[2]))
            if len({c[2] for c in found}) == 1:   # one name twice on one level: only the codes tell them apart
                return None, f"ambiguous region name: {listed}, on the same level; use the codes"
            return None, (f"ambiguous region name: {listed}; write the level with the name ('{found[0][2].title()} "
                          f"{found[0][1]}'), add a level column (Ebene) or level: in the mapping, or use the codes")
        if suggest and name_key(text) and any(ch.isalpha() for ch in str(text)):
            if self._by_name.get(name_key(text)) and hint:   # the name exists, but not on the level given
                levels = sorted({c[2] for c in self._by_name[name_key(text)]})
                return None, f"region name not on level {hint} (it is on: {', '.join(levels)})"
            key = name_key(text)
            # names that begin with it ('Neustadt': 'Neustadt (Dosse), Stadt' …), else names spelt alike
            longer = sorted({c[1] for k, c in self._loose if len(key) >= 4 and k.startswith(key)})
            close = longer[:3] or difflib.get_close_matches(str(text), self._names, n=2, cutoff=0.8)
            if close:
                more = f" or one of {len(longer) - 3} more" if len(longer) > 3 else ""
                return None, (f"unknown region (neither a code nor a name in the store's regions; did you mean "
                              f"{' or '.join(repr(c) for c in close)}{more}?)")
        return None, None


def parents(regions: pd.DataFrame) -> dict[str, str | None]:
    """Each region's parent code, for :func:`with_ancestors` over many regions."""
    return dict(zip(regions["region_id"].astype(str), regions["parent_id"]))


def with_ancestors(regions: pd.DataFrame | dict[str, str | None], region_id: str) -> set[str]:
    """``region_id`` and every region above it in the region list (its Sozialregion, its Kreis …); ``regions``
    the region list or its :func:`parents`."""
    parent = regions if isinstance(regions, dict) else parents(regions)
    out, current = set(), str(region_id)
    while current and current not in out:     # a malformed cycle ends the walk
        out.add(current)
        up = parent.get(current)
        current = str(up) if isinstance(up, str) and up else ""
    return out


def at_level(regions: pd.DataFrame, listed: list[str], level: str) -> dict[str, list[str]]:
    """For each listed region, the regions of ``level`` it stands for: itself where it is of that level, else the
    regions of that level below it (a measure for a Sozialregion reaches each of its Gemeinden); none for a region
    below the level or without any there."""
    level_of = dict(zip(regions["region_id"].astype(str), regions["level"]))
    children: dict[str, list[str]] = {}
    for rid, up in zip(regions["region_id"].astype(str), regions["parent_id"]):
        if isinstance(up, str) and up:
            children.setdefault(up, []).append(rid)
    out = {}
    for r in listed:
        found, todo, seen = [], [r], set()
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.add(current)
            if level_of.get(current) == level:
                found.append(current)
            else:
                todo.extend(children.get(current, []))
        out[r] = found
    return out

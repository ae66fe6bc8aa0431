"""Age groups: read from the column headers of a register table, kept as indicator ids, named in German.

A register table by age has one column per age group. Headers come in many spellings: ``E_E00_01`` and
``E_E95_110`` (Berlin's register matrices), ``0-1``, ``0 bis unter 6``, ``unter 6``, ``6 - 14``, ``80+``,
``80 und älter``, ``ab 80``. A header names a group's lower age and either the first age *not* in it (``0 bis
unter 6``, ``E_E00_01``) or its last age (``6-14`` as planners write it). Which one a plain ``a-b`` means is read
from the table as a whole: where one group ends at the age the next begins, bounds are exclusive; where the
next begins one year later, inclusive. Upper ages of 100 or more close nothing: such a group is open.

A table often carries sums beside the groups (``E_EU1``, ``E_E1U6`` beside ``E_E00_01`` …); the groups used
are the finest chain that covers every age from 0 to an open end without overlap (:func:`partition`).

Each group is an observation of the indicator ``ew_alter_AA_BB`` (``AA`` the lower age, ``BB`` the first age
not in it) or ``ew_alter_AA_plus``; :func:`age_indicators` gives their catalog entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ml.catalog import Indicator
from ml.regions import names_several

OPEN_FROM = 100
"""An upper age at or above this leaves the group open (``95-110`` is 95 and older)."""

PREFIX = "ew_alter_"


class AgeGroupError(ValueError):
    """The age columns of a table do not form groups that cover every age once."""


@dataclass(frozen=True, order=True)
class AgeGroup:
    """Ages ``lo`` up to (not including) ``hi``; ``hi`` None for an open group (``lo`` and older)."""
    lo: int
    hi: int | None

    @property
    def width(self) -> float:
        """Years the group spans (infinite when open)."""
        return float("inf") if self.hi is None else self.hi - self.lo

    @property
    def indicator_id(self) -> str:
        """The observation's indicator id (``ew_alter_06_15``, ``ew_alter_80_plus``)."""
        return f"{PREFIX}{self.lo:02d}_" + ("plus" if self.hi is None else f"{self.hi:02d}")

    @property
    def label(self) -> str:
        """The German label (``6 bis 14 Jahre``, ``unter 1 Jahr``, ``80 Jahre und älter``)."""
        if self.hi is None:
            return f"{self.lo} Jahre und älter"
        if self.lo == 0 and self.hi == 1:
            return "unter 1 Jahr"
        if self.hi - self.lo == 1:
            return f"{self.lo} Jahr" + ("" if self.lo == 1 else "e")
        return f"{self.lo} bis {self.hi - 1} Jahre"

    def covers(self, age: int) -> bool:
        """Whether ``age`` (in completed years) falls in the group."""
        return age >= self.lo and (self.hi is None or age < self.hi)


_ID = re.compile(rf"{PREFIX}(?:([mw])_)?(\d{{2,3}})_(\d{{2,3}}|plus)")

SEXES = {"m": "männlich", "w": "weiblich"}
"""Sex codes of age groups given by sex (``ew_alter_w_15_45``) and their German words."""


def indicator_id(group: AgeGroup, sex: str | None = None) -> str:
    """The observation's indicator id of a group, of one sex (``ew_alter_w_80_plus``) or of all residents."""
    return group.indicator_id if sex is None else group.indicator_id.replace(PREFIX, f"{PREFIX}{sex}_", 1)


def sex_of(indicator_id: str) -> str | None:
    """'m' or 'w' for an age group of one sex, None for all residents (or no age group)."""
    m = _ID.fullmatch(str(indicator_id))
    return None if m is None else m.group(1)


def from_indicator_id(indicator_id: str) -> AgeGroup | None:
    """The age group an indicator id stands for (whatever its sex), None when it is not an age group's id."""
    m = _ID.fullmatch(indicator_id)
    if m is None:
        return None
    lo = int(m.group(2))
    hi = None if m.group(3) == "plus" else int(m.group(3))
    if hi is not None and hi <= lo:
        return None
    return AgeGroup(lo, hi)


def is_age_indicator(indicator_id: str) -> bool:
    """Whether the id is an age group's (population by age, input of the projection, not a reported indicator)."""
    return from_indicator_id(str(indicator_id)) is not None


# one header: a prefix (``E_E`` of ``E_E00_01``), then the ages. Patterns are tried in order; each yields the prefix,
# the numbers and how to read them: 'exclusive' (the second number is the first age not in the group), 'under' (0 to
# under n), 'open' (n and older) or 'ambiguous' (``a-b``: the table decides, see :func:`_resolve`)
_Y = r"(?:\s*(?:jahren?|jahre?|j\.|years?))?"
_UPPER: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^(.*?[A-Za-z_])(\d{1,3})U(\d{1,3})$"), "exclusive"),     # E_E1U6: 1 to under 6
    (re.compile(r"^(.*?[A-Za-z_])U(\d{1,3})$"), "under"),                  # E_EU1: under 1
)
_LOWER: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^(.*?)(\d{1,3})" + _Y + r"[\s_]*(?:\+|und[\s_]*(?:älter|aelter|mehr|darüber|darueber)|u\.\s*ä\.|plus|"
                r"and[\s_]+(?:over|older|above)|or[\s_]+(?:more|older))$"), "open"),
    (re.compile(r"^(.*?)(?:ab|über|ueber|over)[\s_]*(\d{1,3})" + _Y + r"$"), "open"),
    (re.compile(r"^(.*?)(\d{1,3})" + _Y + r"[\s_]*(?:bis[\s_]+unter|bis[\s_]+u\.|b\.\s*u\.|-\s*u\.|–\s*u\.|"
                r"to[\s_]+under|to[\s_]+below)[\s_]*(\d{1,3})" + _Y + r"$"), "exclusive"),
    (re.compile(r"^(.*?)(?:unter|u\.|under|below|<)[\s_]*(\d{1,3})" + _Y + r"$"), "under"),
    (re.compile(r"^(.*?)(\d{1,3})\s*(?:-|–|_|bis|to)\s*(\d{1,3})" + _Y + r"$"), "ambiguous"),
)
MAX_AGE = 120
"""Numbers above this are not ages (a year such as 2019 in a header)."""


@dataclass(frozen=True)
class ParsedHeader:
    """What a header says about ages: lower age, the number after it (None: open) and how to read it; the prefix
    before the ages (``E_E`` of ``E_E00_01``) tells tables of different populations apart."""
    lo: int
    hi: int | None
    kind: str
    prefix: str
    sex: str | None = None


_SEX_WORDS = {"m": ("männlich", "maennlich", "männer", "maenner", "male", "men", "m"),
              "w": ("weiblich", "frauen", "female", "women", "w", "f")}
_SEX = "|".join(sorted((w for words in _SEX_WORDS.values() for w in words), key=len, reverse=True))
_SEX_FIRST = re.compile(rf"^({_SEX})[\s_.,:/-]+(.+)$", re.IGNORECASE)
_SEX_LAST = re.compile(rf"^(.+?)[\s_.,:/(-]+({_SEX})\)?$", re.IGNORECASE)


def _split_sex(text: str) -> tuple[str | None, str]:
    """A sex word at the start or end of a header (``weiblich 0-5``, ``0 bis unter 6 (m)``) and the rest."""
    for pattern, word_at in ((_SEX_FIRST, 1), (_SEX_LAST, 2)):
        m = pattern.match(text)
        if m:
            word = m.group(word_at).lower()
            rest = m.group(3 - word_at)
            return next(code for code, words in _SEX_WORDS.items() if word in words), rest
    return None, text


def parse_header(text: str) -> ParsedHeader | None:
    """The ages a column header names (and the sex, where it names one), None when it names no ages."""
    raw = " ".join(str(text).replace("\u00ad", "").split())
    sex, rest = _split_sex(raw)
    if sex is not None:
        parsed = _parse_ages(rest)
        if parsed is not None:
            return ParsedHeader(parsed.lo, parsed.hi, parsed.kind, parsed.prefix, sex)
    return _parse_ages(raw)


def _parse_ages(raw: str) -> ParsedHeader | None:
    candidates = [(pattern, kind, raw) for pattern, kind in _UPPER] + [(p, k, raw.lower()) for p, k in _LOWER]
    for pattern, kind, source in candidates:
        m = pattern.match(source)
        if m is None:
            continue
        prefix = m.group(1).strip().rstrip("_").strip().upper()
        numbers = [int(g) for g in m.groups()[1:]]
        if any(n > MAX_AGE for n in numbers):
            return None
        if kind == "open":
            return ParsedHeader(numbers[0], None, "open", prefix)
        if kind == "under":
            return ParsedHeader(0, numbers[0], "exclusive", prefix) if numbers[0] > 0 else None
        lo, hi = numbers
        if hi < lo or (kind == "exclusive" and hi == lo):
            return None
        return ParsedHeader(lo, hi, kind, prefix)
    return None


def _resolve(parsed: dict[int, ParsedHeader]) -> tuple[dict[int, AgeGroup], str]:
    """Positions → groups, reading ``a-b`` as exclusive or inclusive as the table's other groups show."""
    plain = [p for p in parsed.values() if p.kind == "ambiguous"]
    starts = {p.lo for p in parsed.values()}
    touching = sum(p.hi in starts and p.hi != p.lo for p in plain)
    next_year = sum(p.hi + 1 in starts for p in plain)
    inclusive = next_year > touching
    how = "a-b read as 'a to b inclusive'" if inclusive else "a-b read as 'a to under b'"
    out: dict[int, AgeGroup] = {}
    for pos, p in parsed.items():
        if p.hi is None:
            out[pos] = AgeGroup(p.lo, None)
            continue
        hi = p.hi + 1 if (p.kind == "inclusive" or (p.kind == "ambiguous" and inclusive)) else p.hi
        out[pos] = AgeGroup(p.lo, None if hi >= OPEN_FROM else hi)
    return out, how


def partition(groups: Iterable[AgeGroup]) -> list[AgeGroup]:
    """The finest chain of groups covering ages 0 to an open end without gap or overlap; :class:`AgeGroupError`
    names the first age no chain reaches."""
    by_start: dict[int, list[AgeGroup]] = {}
    for g in set(groups):
        by_start.setdefault(g.lo, []).append(g)
    for lst in by_start.values():
        lst.sort(key=lambda g: g.width)
    best: list[AgeGroup] | None = None
    reached = 0

    def walk(at: int, chain: list[AgeGroup]) -> bool:
        nonlocal best, reached
        reached = max(reached, at)
        for g in by_start.get(at, []):
            if g.hi is None:
                best = chain + [g]
                return True
            if walk(g.hi, chain + [g]):
                return True
        return False

    if not walk(0, []):
        raise AgeGroupError(f"the age columns leave a gap: no group starts at age {reached} (the groups must cover "
                            "every age from 0 to an open group such as '80+' once)")
    return best


def _chain(header: list[str], parsed: dict[int, ParsedHeader]) -> tuple[dict[int, AgeGroup], list[str]]:
    """The finest full chain among ``parsed`` (one population prefix), and notes on what was left aside."""
    if not parsed:
        raise AgeGroupError("no column names an age group (such as '0-5', 'unter 6', '80+', 'E_E00_01')")
    notes: list[str] = []
    prefixes = sorted({p.prefix for p in parsed.values()}, key=lambda x: -sum(p.prefix == x for p in parsed.values()))
    errors = []
    for prefix in prefixes:
        mine = {i: p for i, p in parsed.items() if p.prefix == prefix}
        groups, how = _resolve(mine)
        try:
            chain = partition(groups.values())
        except AgeGroupError as exc:
            errors.append(f"{prefix or '(no prefix)'}: {exc}")
            continue
        used: dict[int, AgeGroup] = {}
        for pos, g in sorted(groups.items()):
            if g in chain and g not in used.values():
                used[pos] = g
        left = [header[i] for i in sorted(groups) if i not in used]
        if any(p.kind == "ambiguous" for p in mine.values()):
            notes.append(how)
        if left:
            notes.append("age columns not used (overlapping the groups used: sums, other cuts, repeats): " + ", ".join(left))
        other = [header[i] for i in parsed if parsed[i].prefix != prefix]
        if other:
            notes.append("age columns with another prefix (another population, or sums) left aside: " + ", ".join(other[:8]) +
                         (" …" if len(other) > 8 else ""))
        return used, notes
    raise AgeGroupError("; ".join(errors))


def _parsed(header: list[str], skip: Iterable[int]) -> dict[int, ParsedHeader]:
    skipped = set(skip)
    return {i: p for i, h in enumerate(header) if i not in skipped and (p := parse_header(h)) is not None}


def groups_of_header(header: list[str], skip: Iterable[int] = ()) -> tuple[dict[int, AgeGroup], list[str]]:
    """Column position → age group of all residents for the columns used (the finest full chain, one population
    prefix), and notes on what was left aside; :class:`AgeGroupError` when the headers hold no such chain."""
    parsed = _parsed(header, skip)
    return _chain(header, {i: p for i, p in parsed.items() if p.sex is None})


def sexed_groups_of_header(header: list[str], skip: Iterable[int] = ()) -> tuple[dict[int, tuple[AgeGroup, str | None]], list[str]]:
    """Column position → (age group, sex): the groups of men and of women where the table gives a full chain for
    both (columns for all residents are then left aside: they are the sum), else those of all residents."""
    parsed = _parsed(header, skip)
    by_sex = {sex: {i: p for i, p in parsed.items() if p.sex == sex} for sex in SEXES}
    if all(by_sex.values()):
        try:
            chains = {sex: _chain(header, mine) for sex, mine in by_sex.items()}
        except AgeGroupError:
            chains = None
        if chains:
            notes = [f"age groups given by sex ({', '.join(SEXES.values())}): projected separately"]
            for _, (_, ns) in chains.items():
                notes += [n for n in ns if n not in notes]
            totals = [header[i] for i, p in parsed.items() if p.sex is None]
            if totals:
                notes.append("columns for all residents left aside (the sum of the sexes): " + ", ".join(totals[:8]))
            return {pos: (g, sex) for sex, (used, _) in chains.items() for pos, g in used.items()}, notes
    used, notes = _chain(header, {i: p for i, p in parsed.items() if p.sex is None})
    return {pos: (g, None) for pos, g in used.items()}, notes


def age_indicators(groups: Iterable[AgeGroup | tuple[AgeGroup, str | None]], frequency: str = "annual") -> list[Indicator]:
    """Catalog entries for age groups (or (group, sex) pairs): counts of persons, basis (never reported themselves),
    in the population dimension; ``frequency`` monthly for stands within the year."""
    pairs = sorted({(g, None) if isinstance(g, AgeGroup) else g for g in groups}, key=lambda p: (p[1] or "", p[0]))
    return [Indicator(indicator_id=indicator_id(g, sex), name=f"Einwohner {g.label}" + (f", {SEXES[sex]}" if sex else ""),
                      dimension="bevoelkerung",
                      unit="Personen", polarity=0, kind="count", monitors=("Demografie",), basis=True,
                      frequency=frequency,
                      min=0.0, source="Melderegister", catalog_file="(Altersgruppen der Einwohnertabelle)")
            for g, sex in pairs]


def planner_group(label: str) -> AgeGroup:
    """A reported group as planners write it: ``0-5`` is 0 to 5 inclusive, ``65+`` 65 and older, ``unter 3`` 0 to
    2; :class:`AgeGroupError` for anything else."""
    text = str(label).strip()
    m = re.fullmatch(r"(\d{1,3})\s*[-–]\s*(\d{1,3})", text)
    if m and int(m.group(1)) <= int(m.group(2)) <= MAX_AGE:
        return AgeGroup(int(m.group(1)), int(m.group(2)) + 1)
    m = re.fullmatch(r"(\d{1,3})\s*\+", text)
    if m and int(m.group(1)) <= MAX_AGE:
        return AgeGroup(int(m.group(1)), None)
    m = re.fullmatch(r"unter\s*(\d{1,3})", text.lower())
    if m and 0 < int(m.group(1)) <= MAX_AGE:
        return AgeGroup(0, int(m.group(1)))
    raise AgeGroupError(f"age group {label!r}: write 'a-b' (a to b inclusive), 'a+' or 'unter a'")


@dataclass(frozen=True)
class Population:
    """The group of persons a table's age columns count where it is not all residents: its German name, the
    catalog's count of that group (for the table's total, None where the catalog has none) and what named it."""
    label: str
    count: str | None
    said: str


_OTHER_POPULATIONS = (
    (re.compile(r"ausl(?:ae|ä|a)nd|nicht[\s_-]*deutsch|foreign|non[\s_-]*german"), "Ausländerinnen und Ausländer",
     "auslaender"),
    (re.compile(r"(?:^|[^a-z])(?:deutsche|germans?)(?:$|[^a-z])"), "Deutsche", None),
    (re.compile(r"migra"), "Einwohner mit Migrationshintergrund", None),
)
"""Words of an age column's prefix (or a table's file name) that name a group other than all residents."""

REGISTER_PREFIXES = {"E_A": 0}
"""Berlin's register matrices write a population as a letter after ``E_``: ``E_E`` all residents, ``E_A`` foreigners
(the index into :data:`_OTHER_POPULATIONS`)."""


def population_of(header: list[str], positions: Iterable[int], file_name: str = "") -> Population | None:
    """The group of persons the age columns at ``positions`` count, from their prefix (``E_A00_01``,
    ``Ausländer 0-5``) or else the file's name (``auslaender_nach_alter.csv``, unless it names several groups);
    None for all residents."""
    prefixes = sorted({p.prefix for i in positions if (p := parse_header(header[i])) is not None})
    for prefix in prefixes:
        if prefix in REGISTER_PREFIXES:
            _, label, count = _OTHER_POPULATIONS[REGISTER_PREFIXES[prefix]]
            return Population(label, count, f"the prefix {prefix!r} of the age columns: Berlin's register writes all "
                                            "residents 'E_E', foreigners 'E_A'")
        for pattern, label, count in _OTHER_POPULATIONS:
            if pattern.search(prefix.lower()):
                return Population(label, count, f"the prefix {prefix!r} of the age columns")
    stem = re.sub(r"[_\-.]+", " ", file_name.rsplit(".", 1)[0].lower())
    if not names_several(stem):
        for pattern, label, count in _OTHER_POPULATIONS:
            if pattern.search(stem):
                return Population(label, count, f"the file name {file_name!r}")
    return None


def total_column(values: dict[int, np.ndarray], groups: Iterable[int]) -> int | None:
    """Of the numeric columns ``values`` (position → numbers, NaN where none), the first that equals the sum of the
    age groups at ``groups`` on every row where both are known (and is not zero throughout): the table's total."""
    positions = list(groups)
    if not positions or any(p not in values for p in positions):
        return None
    total = np.sum([values[p] for p in positions], axis=0)
    for pos, column in sorted(values.items()):
        if pos in positions:
            continue
        both = np.isfinite(column) & np.isfinite(total)
        if both.sum() >= 1 and np.any(total[both] > 0) and np.allclose(column[both], total[both], rtol=0, atol=0.5):
            return pos
    return None

"""A first mapping for a table the project has never seen: ``sozialradar mapping suggest FILE``.

Reads the header (finding it below title lines), recognises the region, level and period columns, and matches
every other column to a catalog indicator where one fits. Matching is German-aware: umlauts and soft hyphens
do not matter, compounds are split by containment ('Arbeitslosenquote' holds 'arbeitslos' and 'quote'), common
English and abbreviated words are translated ('residents' = Einwohner, 'EW' = Einwohner), rare words weigh more
than frequent ones ('arbeitslose' more than 'einwohner'), ages must agree ('65+' is not '15 bis 64'), and a
column of percentages is not matched to a count. Reference years are read from each header ('(Dez 2013)') and
from the title lines ('Stand: 31.12.2013'). A file whose name names a group of persons ('employed', 'unemployed',
'beneficiaries') is that group's table: a column naming no group of its own ('residents', 'age_65_and_above') or a
share is read as the group's, never as all residents'. The result is YAML for the analyst to check and edit; the
columns without a match are listed in it as comments.

Longer than 450 lines because the matcher (vocabulary, IDF weights, German compounds, ages, kinds) and the layout
recognition it serves form one heuristic that is tuned and tested as a whole.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ml.catalog import Catalog
from ml.contracts import LEVELS
from ml.file_periods import CHANGE, SHEET_NAME, TITLE, YEAR, file_period, header_period, title_period
from ml.header_rows import EMPTY_NAME
from ml.held_values import HeldValues, unlike
from ml.io import SPREADSHEET_SUFFIXES, FileFormatError, RawTable, read_table, sheet_names
from ml.parsing import (DASHES, MISSING_MARKERS, SECRECY_MARKERS, decide_decimal, names_no_region, parse_numbers,
                        parse_periods)
from ml.qualifiers import split_qualifiers
from ml.importers.code_levels import nested_codes
from ml.importers.sum_rows import block_sums, sum_rows_in, wholes_by_period
from ml.withheld import dash_legend
from ml.regions import canonical_level, fold, gemeindeschluessel, names_several

SYNONYMS: dict[str, str] = {
    # English and abbreviations -> the German words of the catalog
    "residents": "einwohner", "resident": "einwohner", "inhabitants": "einwohner", "population": "einwohner",
    "pop": "einwohner", "ew": "einwohner", "einw": "einwohner", "bevoelkerung": "einwohner", "bewohner": "einwohner",
    "personen": "einwohner", "people": "einwohner", "persons": "einwohner",
    "unemployed": "arbeitslose", "unemployment": "arbeitslose", "alo": "arbeitslose", "erwerbslose": "arbeitslose",
    "alq": "arbeitslosenquote",
    "arbeitslosenanteil": "arbeitslosenquote",     # the term as municipal tables write it, not a share among them
    "households": "haushalte", "household": "haushalte", "hh": "haushalte",
    "births": "lebendgeborene", "birth": "lebendgeborene", "geburten": "lebendgeborene", "geborene": "lebendgeborene",
    "deaths": "gestorbene", "sterbefaelle": "gestorbene",
    "foreigners": "auslaender", "foreign": "auslaender", "nichtdeutsche": "auslaender", "nongerman": "auslaender",
    "beneficiaries": "leistungsberechtigte sgb2", "recipients": "empfaenger", "bezieher": "empfaenger",
    "dwellings": "wohnungen", "flats": "wohnungen", "apartments": "wohnungen",
    "area": "flaeche", "children": "kinder", "kids": "kinder",
    "longterm": "langzeitarbeitslose", "share": "anteil", "proportion": "anteil", "percent": "anteil",
    "prozent": "anteil", "percentage": "anteil", "pct": "anteil", "rate": "quote", "density": "dichte", "under": "unter", "below": "unter",
    "above": "plus", "older": "plus", "over": "plus", "aelter": "plus", "mehr": "plus", "ueber": "plus",
    "inflow": "zuzuege", "zuzug": "zuzuege", "outflow": "fortzuege", "fortzug": "fortzuege", "wegzuege": "fortzuege",
    "balance": "saldo", "net": "saldo", "benefit": "wohngeld", "housing": "wohngeld",
    "pupils": "schueler", "students": "schueler", "schoolleavers": "schulabgaenger", "voters": "waehler",
    "turnout": "wahlbeteiligung", "cars": "pkw", "doctors": "hausaerzte", "aerzte": "hausaerzte",
    "care": "pflegebeduerftige", "disabled": "schwerbehinderte", "average": "durchschnitt",
    "mean": "durchschnitt", "avg": "durchschnitt", "undmehr": "plus", "undaelter": "plus", "size": "groesse",
    "dwelling": "wohnungen", "rent": "mietniveau", "foreign": "auslaender", "age": "alter", "sgbii": "sgb2", "sgb": "sgb2", "hartz": "sgb2", "alg2": "sgb2",
    "health": "gesundheit", "social": "sozial", "employment": "beschaeftigung", "employed": "beschaeftigte",
    "employees": "beschaeftigte", "working": "erwerb",
    "life": "leben", "sub": "teil", "welfare": "sozialhilfe", "education": "bildung", "poverty": "armut",
    "homeless": "wohnungslose", "homelessness": "wohnungslosigkeit", "risk": "bedroht", "debt": "schulden",
    "counseling": "beratung", "counselling": "beratung",
    # what 'foreign' or 'ausländisch' qualifies adds nothing: 'foreign_citizenship' counts the Ausländer
    "citizenship": "", "nationality": "", "nationals": "", "staatsangehoerigkeit": "",
    "vacancy": "leerstand", "vacant": "leerstand", "owner": "eigentuemer", "owners": "eigentuemer",
    "background": "hintergrund", "bg": "hintergrund", "singlefamily": "einfamilienhaeuser",
    "duldung": "geduldete", "duldungen": "geduldete", "geduldet": "geduldete", "asylbewerber": "asylsuchende",
    "asylbewerberinnen": "asylsuchende", "asylbewerbende": "asylsuchende", "freizuegg": "freizuegigkeit",
    "aufenthaltserlaubnis": "befristet aufenthaltstitel", "aufenthaltserlaubnisse": "befristet aufenthaltstitel",
    "hze": "hilfen erziehung", "uvg": "unterhaltsvorschuss",
    "without": "ohne", "non": "ohne", "nicht": "ohne", "kein": "ohne", "keine": "ohne", "keinen": "ohne",
}
NEGATION = "ohne"
"""A header that excludes a group ('ohne Migrationshintergrund', 'without', 'non') is not the indicator of that
group, and an indicator that excludes one is not the group's header."""
STOP = {"je", "der", "die", "das", "und", "mit", "an", "von", "in", "nach", "bei", "im", "zur", "zum", "des",
        "den", "dem", "jahre", "jahren", "jahr", "alle", "allen", "insgesamt", "by", "of", "the", "and", "with",
        "per", "zahl", "anzahl", "number", "count", "to", "bis", "from", "a", "am", "auf", "fuer", "for", "at",
        "stand", "dez", "dezember", "jun", "juni", "zum", "total", "all", "district", "districts", "gebiet",
        "stadtteil", "stadtteile", "bezirk", "fl", "on", "wert", "value", "values", "in", "inkl", "einschl",
        "nur", "only", "sowie", "oder", "or", "innen", "innerhalb", "jeweils", "ab", "was", "as", "age", "aged",
        "alter", "altersgruppe", "years", "year", "old", "id", "gesamt", "census", "zensus", "mikrozensus",
        "davon", "darunter", "dar", "u", "s", "z", "d", "v", "o"}      # u. (und), 's, z. B., d. h., v. (von), o. (oder)
PER_UNIT = "jeeinheit"
"""The word for 'je', 'pro' or 'per' before a noun ('Kosten der Unterkunft je Bedarfsgemeinschaft', 'per capita'): a
mean or ratio per unit, never a count."""
SURE = 0.7
"""A match below this score is uncertain (the mapping file says so)."""
MONEY = {"euro", "eur", "teuro", "ausgaben", "aufwendungen", "aufwand", "kosten", "betrag", "betraege", "expenses",
         "costs", "cost", "spending"}
"""Words of a header of an amount of money: only an indicator in € (or one whose name says them) is its match."""
SHARE_WORDS = {"anteil", "quote", "dichte", "jescale", "prozent", "rate", "share", "index"}
GENERIC = {"einwohner", "value", "wert", "anzahl", "count", "total", "insgesamt"}

_PARAGRAPH = re.compile(r"§§?\s*(\d{1,3}\s*[a-z]?(?![a-z])"
                        r"(?:\s*(?:,|und|u\.|/|bis|-|–)\s*\d{1,3}\s*[a-z]?(?![a-z]))*)(?:\s*abs(?:atz|\.)?\s*(\d))?")
"""A law's paragraph ('§ 31 SGB VIII', '§ 35a', '§§ 33, 34', '§ 27 Abs. 2'): its numbers are no ages."""


PARAGRAPH = "par"
"""The word a paragraph becomes ('§ 35a' is 'par35a', '§ 27 Abs. 2' 'par27abs2')."""
PARAGRAPH_SCORE = 0.9
"""The score of a header that names the same paragraphs as an indicator (before the checks of kind): 'Hilfen nach
§ 34 SGB VIII' is Heimerziehung whatever else its words say."""


def _paragraphs(match: re.Match) -> str:
    numbers = re.findall(r"\d{1,3}\s*[a-z]?(?![a-z])", match[1])
    absatz = f"abs{match[2]}" if match[2] else ""
    return " " + " ".join(f"{PARAGRAPH}{n.replace(' ', '')}{absatz}" for n in numbers) + " "


_BOOK = re.compile(r"(?<![a-z])sgb[\s_\-]*(xii|viii|iii|ii|ix|xi|iv|vi|v|i|x|\d{1,2})(?![a-z\d])")
"""A book of the Sozialgesetzbuch ('SGB II', 'SGB-VIII', 'SGB 12'): one word, so that SGB VIII is no SGB II."""
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "ix": 9, "x": 10, "xi": 11, "xii": 12, "viii": 8}


def _book(match: re.Match) -> str:
    number = match[1]
    return f" sgb{_ROMAN[number] if number in _ROMAN else int(number)} "


def _plain(text: str) -> str:
    text = fold(text)
    text = re.sub(r"(je|per|pro)\s*(100|1[.\s]?000|10[.\s]?000)(?!\d)", " jescale ", text)   # a rate
    text = re.sub(r"(?<![a-z])(je|per|pro)[\s_]+(?=[a-z]{3})(?!jescale|jahr|monat|quartal|woche|tag|year|month|quarter"
                  r"|week|day)", f" {PER_UNIT} ", text)     # 'je Haushalt', 'per capita'; not 'pro Jahr'
    text = text.replace("%", " anteil ").replace("+", " plus ").replace("€", " euro ")
    # the Bundesagentur's young unemployed are those under 25: 'Jugendarbeitslosenquote', 'youth unemployment'
    text = re.sub(r"(?:jugend|youth[\s_]*)(arbeitslos|erwerbslos|unemploy)([a-z]*)", r"\1\2 unter 25 ", text)
    text = re.sub(r"(arbeitslos[a-z]*|unemploy[a-z]*)[\s_]+(?:der\s+)?(?:jugendliche[n]?|youths?)(?![a-z])"
                  r"|(?:jugendliche[n]?|young)[\s_]+(arbeitslose[n]?|unemployed)", r" \1\2 unter 25 ", text)
    text = re.sub(r"(?<![a-z])v\.?\s*h\.(?![a-z])", " anteil ", text)      # 'v. H.': vom Hundert
    text = re.sub(r"(?<![a-z])unbefristet", " ohne befristet", text)    # a residence right not limited in time
    text = re.sub(r"(?<![a-z])ab\s+(\d{1,3})(?![\d.,])", r" \1 plus ", text)     # 'ab 65 Jahren': 65 and older
    # a minor is a resident under 18 ('Minderjährige', 'minors'), as are 'Kinder und Jugendliche' (§ 7 SGB VIII); not
    # where the header goes on to a group among them ('… mit HzE', '… in Bedarfsgemeinschaften'), which it counts
    text = re.sub(r"(?<![a-z])(?:minderjaehrig[a-z]*|minors?|kinder[\s_]+(?:und|u\.|&)[\s_]*jugendliche[n]?)(?![a-z])"
                  r"(?!.*(?<![a-z])(?:mit|ohne|bei|with|without|in[\s_]+bedarfsgemeinschaft))",
                  " einwohner unter 18 ", text)
    text = re.sub(r"(census|zensus)\s*_?(\d{2}|\d{4})(?!\d)", " ", text)
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)
    text = _PARAGRAPH.sub(_paragraphs, text)
    text = _BOOK.sub(_book, text)
    text = re.sub(r"(\d)\s*-\s*(\d)", r"\1 bis \2", text)
    # '18 bis unter 65', '18 to under 65', 'age_18_to_under_65' name the ages 18 to 64
    text = re.sub(r"(?<![\d.])(\d{1,3})[\s_]+(?:bis|to)[\s_]+(?:unter|under|below)[\s_]+(\d{1,3})(?![\d.])",
                  lambda m: f"{m[1]} bis {int(m[2]) - 1}", text)
    return text


_BASE = re.compile(r"(?<![a-z])(?:je|per|pro)\s*(100|1[.\s]?000|10[.\s]?000|100[.\s]?000)(?![\d.,])")
PERCENT = re.compile(r"%|(?<![a-z])(?:prozent|percent|percentage|v\.?\s*h\.)(?![a-z])")
"""A share written per hundred, in folded text: '%', 'Prozent', 'v. H.' (also for :mod:`ml.codebook`'s units)."""


def written_base(text: str) -> int | None:
    """The base a header or unit writes for a share or rate: 100 for 'pro 100 EW', '%', 'Prozent' or 'v. H.', 1,000
    for 'je 1.000 Einwohner' …; None where it writes none, or two."""
    folded = fold(text)
    bases = {int(re.sub(r"\D", "", m)) for m in _BASE.findall(folded)}
    if PERCENT.search(folded):
        bases.add(100)
    return bases.pop() if len(bases) == 1 else None


def words(text: str) -> tuple[list[str], list[int]]:
    """Content words (translated, no stop words) and the numbers that are not years or scales."""
    plain = _plain(text)
    plain = YEAR.sub(" ", plain)
    numbers = [int(n) for n in re.findall(r"(?<![\d.a-z])\d{1,3}(?![\d.a-z])", plain)]
    out = []
    for raw in re.findall(r"[a-z]+(?:[0-9]+[a-z]*)*", plain):
        for w in SYNONYMS.get(raw, raw).split():
            if w and w not in STOP:
                out.append(w)       # a lone letter too ('E_EW', 'Einwohner w'): what it says is not known
    return out, sorted(set(numbers))


PAYMENT = ("geld", "geldes", "gelder")
"""The last part of a compound that names a payment after those it is paid to ('Arbeitslosengeld', 'Kindergeld',
'Elterngeld'): the compound is the payment (or those receiving it), not the persons its first part names."""


@lru_cache(maxsize=1 << 18)
def cover(a: str, b: str) -> float:
    """How much of word ``a`` the word ``b`` accounts for: 1 for the same word, an inflection (one a prefix of
    the other, up to three letters apart) or ``a`` inside ``b``; none for ``a`` before the payment a compound
    ``b`` names (:data:`PAYMENT`); for ``b`` inside ``a`` (a part of a German
    compound: 'quote' in 'arbeitslosenquote') or a shared stem of five or more letters, the share of ``a``."""
    if a == b:
        return 1.0
    paid = next((p for p in PAYMENT if b.endswith(p) and not a.endswith(p)), None)
    if paid and len(os.path.commonprefix([a, b])) <= len(b) - len(paid):
        return 0.0          # 'arbeitslose' in 'arbeitslosengeld': the payment, not the persons
    if len(a) >= 4 and len(b) >= 4:
        if (a.startswith(b) or b.startswith(a)) and abs(len(a) - len(b)) <= 3:
            return 1.0
        if b.startswith(a) or b.endswith(a):      # compounds join their parts at the ends
            return 1.0
        if a.startswith(b) or a.endswith(b):
            return len(b) / len(a)
    stem = len(os.path.commonprefix([a, b]))
    return stem / len(a) if stem >= 5 else 0.0


@dataclass
class Candidate:
    """A catalog indicator as the matcher sees it: its words and age numbers in three variants (name, name
    without parentheses, id)."""

    indicator_id: str
    name: str
    kind: str
    variants: list[tuple[list[str], list[int]]]
    base: int | None = None
    """What a share or rate counts per (100, 1,000 …): its catalog scale, or the base its unit or name writes."""
    persons: bool = True
    """A count of persons, never written with decimals (a count of things may be a measured area)."""
    money: bool = False
    """Its unit is an amount of money (€)."""
    all_words: frozenset[str] = frozenset()
    """The words of all its variants."""


@dataclass
class Match:
    """A file column and the indicator proposed for it (None: no match), with score 0–1, the reference period
    read from the header and a close runner-up."""

    column: str
    indicator_id: str | None = None
    name: str = ""
    score: float = 0.0
    period: str | None = None
    runner_up: str | None = None
    kept: str | None = None
    """Where another column has the same indicator and period with a better score: that column (this one is
    written commented out, so that the suggestion imports without conflicting duplicates)."""
    by_term: bool = False
    """A share or rate matched by its term alone (its id, e.g. 'Arbeitslosenquote'), not by the definition its
    catalog name gives (per what it counts): the same term may count per another base."""


@dataclass
class Suggestion:
    """The proposed mapping of one file: layout, header line, role columns, matches and unmatched columns, notes
    for the analyst; ``to_yaml`` writes it as a mapping file."""

    path: Path
    header_line: int
    format: str
    region_column: str | None = None
    level_column: str | None = None
    name_column: str | None = None
    period_column: str | None = None
    period: str | None = None
    period_source: str = "the title lines"
    period_hint: str | None = None
    indicator_column: str | None = None
    value_column: str | None = None
    matches: list[Match] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sheet: str | list[str] | None = None
    hierarchy: list[dict] = field(default_factory=list)
    left_aside: list[str] = field(default_factory=list)
    """Columns written under ``ignore_columns`` for another reason than a part of the code (a 'Jahr' of dates)."""
    code_parts: list[str] = field(default_factory=list)
    """Columns that only repeat a part of each row's region code (Berlin's BEZ, PGR, BZR, PLR beside RAUMID)."""
    shares: list = field(default_factory=list)
    """Columns that are a share of two others on nearly every row (:class:`ml.shares.Share`)."""
    sums: list = field(default_factory=list)
    """Counts that add up on the table's rows (:class:`ml.sums.Check`), written under ``sums``."""
    withheld: list[str] = field(default_factory=list)
    """Empty marks that look like small counts withheld (:mod:`ml.withheld`), written under ``withheld``."""
    parent_code: int | None = None
    """For Gemeindeschlüssel (AGS, ARS): the length of the code's part that is the parent's code (5, the Kreis)."""
    parent_column: str | None = None
    """A region list's column of each region's parent code."""
    level_words: tuple[str, str] | None = None
    """A region list's column that names one level, no level of the store, on every row, and that word
    ('LEVEL_NAME', 'STATISTISCHER BEZIRK')."""
    level: str | None = None
    """A region list's level, read from its code or name header ('Kreisschlüssel': kreis)."""
    header_rows: int | None = None
    """A header of several rows (or whose key columns have no name): how many, from ``header_line`` on."""
    names_beside_codes: bool = False
    """The regions are read by their codes, with the column of their names written as ``name_column`` (found by
    the values, not by a header the import knows): a code that is no region of the store is found by its name."""
    unnamed: dict[str, str] = field(default_factory=dict)
    """Columns of values without a name in the header ('Spalte 3'), with what they hold."""
    code_and_name: bool = False
    """The region column writes each region's code and name in one cell ('0011-Großmarkt')."""
    unknown_levels: dict[str, int] = field(default_factory=dict)
    """The words of a region list's level column that are no level of the store, with their rows."""
    outside_regions: bool = False
    """Rows name the remainder of no region ('ohne Zuordnung'): ``outside_regions: leave_out`` is proposed."""
    sum_rows: bool = False
    """Rows of coarser regions or of the whole stand among the regions (``Bezirk Altona``, ``Hamburg insgesamt``)."""
    code_levels: dict[int, str | None] = field(default_factory=dict)
    """A region list whose codes nest (an AGS with its Kreise and Land): each length's level, None where unknown."""
    dash: str | None = None
    """'missing' where the table's own legend says a lone dash is no value or withheld
    (:func:`ml.withheld.dash_legend`)."""
    regions_in_columns: bool = False
    """The regions stand in the header, each row an indicator: the table is read turned
    (:mod:`ml.importers.turned`)."""
    region: str | None = None
    """A table of one region (no region column): the code of the store's region its title lines name."""
    parent: str | None = None
    """A region list without parents: the store's one region above it, proposed as every region's parent."""
    parent_named: str = ""
    """That region's name and level."""
    region_named: str = ""
    """That region's name as the title lines write it."""
    region_unnamed: bool = False
    """``region`` is named by no title line: the store's one region above all others, proposed commented out."""

    def to_yaml(self) -> str:
        """The suggestion as a mapping file (YAML) with the unmatched columns and each match's score as comments."""
        return render_yaml(self)


class Matcher:
    """Scores a header against every catalog indicator (weighted word overlap, kind and age checks)."""

    def __init__(self, catalog: Catalog, threshold: float = 0.55) -> None:
        self.threshold = threshold
        self.candidates = []
        for ind in catalog:
            name = ind.name
            variants = [words(name), words(re.sub(r"\(.*?\)", " ", name)), words(ind.indicator_id.replace("_", " "))]
            base = (int(ind.scale) if ind.scale else written_base(f"{ind.unit or ''} {name}")) if ind.kind in (
                "share", "rate") else None
            self.candidates.append(Candidate(ind.indicator_id, name, ind.kind, variants, base, ind.persons,
                                             bool(set(words(ind.unit or "")[0]) & MONEY),
                                             frozenset(w for v in variants for w in v[0])))
        df = Counter(w for c in self.candidates for w in {w for v in c.variants for w in v[0]})
        n = len(self.candidates)
        self.idf = {w: math.log(1 + n / k) for w, k in df.items()}
        self.unknown = math.log(1 + n)
        # the indicators that are changes themselves (MSS's dynamics): the only matches of a change's header
        self.changes = {c.indicator_id for c in self.candidates if CHANGE.search(c.name)}
        self._matched: dict[tuple[str, str | None, str], Match] = {}

    def strange(self, text: str) -> list[str]:
        """The words of ``text`` that no catalog indicator's name has ('inactive' in a file's name)."""
        return [w for w in words(text)[0] if w not in self.idf and len(w) > 2]

    def _weight(self, w: str) -> float:
        return self.idf.get(w, self.unknown)

    def score(self, header: tuple[list[str], list[int]], cand: Candidate, numeric: str | None,
              base: int | None = None) -> float:
        """How well a header matches one catalog indicator (0 … 1): IDF-weighted word overlap, ages and kinds
        agreeing; none for a share or rate whose header writes another base (``base``: 'pro 100 EW' is no rate
        per 1,000, its values would be read ten times too small)."""
        hw, hn = header
        if not hw or (base is not None and cand.base is not None and base != cand.base):
            return 0.0
        hs = set(hw)
        if not cand.money and hs & MONEY and hs & MONEY - cand.all_words:
            return 0.0          # expenses are no count of their cases ('Ausgaben Hilfen zur Erziehung')
        if PER_UNIT in hs and (cand.kind in ("count", "balance") or cand.kind in ("share", "rate") and (
                cand.base or 0) >= 100 and PER_UNIT not in cand.all_words):
            # 'je Bedarfsgemeinschaft': an amount per unit, neither the units counted nor a share of them per 100
            return 0.0
        best = 0.0
        hs.discard(PER_UNIT)       # a mark for the rule above, no word two headers could share
        h_total = sum(self._weight(h) for h in hs)
        hp = {w for w in hs if w.startswith(PARAGRAPH)}
        for cw, cn in cand.variants:
            if not cw:
                continue
            cs = set(cw) - {PER_UNIT}
            covered = sum(self._weight(c) * min(1.0, sum(cover(c, h) for h in hs)) for c in cs)
            recall = covered / sum(self._weight(c) for c in cs)
            hit = sum(self._weight(h) * min(1.0, sum(cover(h, c) for c in cs)) for h in hs)
            precision = hit / h_total
            if recall == 0 or precision == 0:
                continue
            f = 2 * precision * recall / (precision + recall)
            cp = {w for w in cs if w.startswith(PARAGRAPH)} if hp else set()
            if hp and cp:       # the law's paragraph defines what is counted: the same decides, another excludes
                f = max(f, PARAGRAPH_SCORE) if hp == cp else 0.0 if not hp & cp else f
            if (NEGATION in hw) != (NEGATION in cw):
                f *= 0.3
            if _other_numerators(hw, cw):
                continue        # a rate of another count on the same base: foreigners per 100 minors are no UVG
            if hn != cn:
                # ages must agree; a header naming ages is a part of what an indicator without ages counts
                f *= 0.0 if (hn and not cn) else 0.6 if not hn else 0.25
            best = max(best, f)
        shareish = bool(set(hw) & SHARE_WORDS) or any(w.startswith(("anteil", "quote")) or w.endswith(
            ("quote", "anteil", "dichte")) for w in hw)
        if shareish and cand.kind in ("count", "balance"):
            best *= 0.5
        elif not shareish and cand.kind in ("share", "rate") and numeric == "integer":
            best *= 0.6
        elif not shareish and cand.kind == "count" and cand.persons and numeric == "decimal":
            best *= 0.6
        elif not shareish and cand.kind in ("share", "rate"):
            best *= 0.95       # no 'Anteil', 'Quote', '%' or 'je' in the header: a count comes first
        return best

    def match(self, header: str, numeric: str | None = None, context: str = "") -> Match:
        """The best catalog indicator for a header and its score, or None below the threshold (a header met
        before is not scored again: the tables of one series share their headers)."""
        key = (header, numeric, context)
        if key not in self._matched:
            if len(self._matched) > 50_000:
                self._matched.clear()
            self._matched[key] = self._match(header, numeric, context)
        return replace(self._matched[key])

    def _match(self, header: str, numeric: str | None, context: str) -> Match:
        parsed = words(f"{context} {header}" if context else header)
        if parsed[1] and not [w for w in parsed[0] if w not in QUALIFIERS] and AGE_WORD.search(
                fold(header).replace("_", " ")):
            # ages and no one named ('age_18_to_under_65', '65 Jahre und älter'): the residents of those ages, as an
            # age group of a register counts them; a file or object named for others says so (see the suggestion)
            parsed = (["einwohner", *parsed[0]], parsed[1])
        base = written_base(header)
        change = bool(CHANGE.search(header))
        ranked = sorted(((self.score(parsed, c, numeric, base), c) for c in self.candidates
                         if not change or c.indicator_id in self.changes), key=lambda t: -t[0])
        if not ranked:
            return Match(column=header, score=0.0)
        (s, best), runner = ranked[0], ranked[1] if len(ranked) > 1 else (0.0, None)
        if s < self.threshold:
            return Match(column=header, score=s)
        by_term = best.kind in ("share", "rate") and self.score(
            parsed, replace(best, variants=best.variants[:2]), numeric, base) < self.threshold
        return Match(column=header, indicator_id=best.indicator_id, name=best.name, score=s,
                     runner_up=runner[1].indicator_id if runner[1] is not None and runner[0] >= 0.9 * s else None,
                     by_term=by_term)


AGE_WORD = re.compile(r"(?<![a-z])(?:age[ds]?|alter|altersgruppe[n]?|jahre?n?|years?)(?![a-z])")
"""A word that says a header's numbers are ages ('age', 'Alter', 'Jahre'), in folded text."""


def _other_numerators(a: list[str], b: list[str]) -> bool:
    """Whether two rates written on a base ('… je 100 …', the word ``jescale``) count different things: their
    numerators name things and share no word ('Ausländer unter 18 pro 100 EW unter 18' against 'Unterhaltsvorschuss
    je 100 Minderjährige', which share the base alone)."""
    if "jescale" not in a or "jescale" not in b:
        return False
    x, y = ([w for w in v[:v.index("jescale")] if w not in _QUALIFYING] for v in (a, b))
    return bool(x and y) and not any(cover(w, v) >= 0.5 or cover(v, w) >= 0.5 for w in x for v in y)


def _numeric_kind(values: pd.Series, decimal: str = ",") -> str | None:
    """'integer', 'decimal' or 'text' for a column's cells written with the file's ``decimal`` separator (the
    other one groups thousands: '2.24' is a decimal in a file with a decimal point, '1.234' an integer in one with
    a decimal comma); None for a column without values."""
    text = values.astype("str").str.strip()
    text = text[~text.isin(MISSING_MARKERS) & ~text.isin(SECRECY_MARKERS) & text.ne("-")]
    text = pd.Series(split_qualifiers(pa.array(text.to_numpy(dtype=object), pa.string()))[0].to_pylist(),
                     index=text.index, dtype="str")          # '92550 p' is a number
    if text.empty:
        return None
    group = "," if decimal == "." else "."
    compact = text.str.replace(rf"[{re.escape(decimal)}]0+$", "", regex=True).str.replace(
        rf"[\s\u00a0'{re.escape(group)}]", "", regex=True)
    if compact.str.fullmatch(r"-?\d+").all():
        return "integer"
    if compact.str.fullmatch(r"-?\d*[,.]?\d+(?:[eE][+-]?\d+)?").mean() > 0.8:
        return "decimal"
    return "text"


LONG_SCAN_LINES = 500_000
"""Lines of a large long table read for its indicator cells (the header needs only the first 400)."""


def _head_copy(path: Path, lines: int = 400) -> Path:
    """The first lines of a large delimited file (a header is found near the top)."""
    if path.suffix.lower() in (*SPREADSHEET_SUFFIXES, ".parquet", ".pq") or path.stat().st_size < 2_000_000:
        return path
    tmp = Path(tempfile.mkdtemp(prefix="sozialradar-suggest-")) / path.name
    with path.open("rb") as src, tmp.open("wb") as dst:
        for k, line in enumerate(src):
            if k >= lines:
                break
            dst.write(line)
    return tmp


def find_header(path: Path, sheet: str | int | None = None,
                max_line: int = 15) -> tuple[RawTable, int, list[str], int | None]:
    """The table read at its header line, that line's number, the title lines above it, and the number of the
    header's rows where it has several, or where its key columns have no name
    (:func:`ml.header_rows.header_block`; joined into one row), else None."""
    from ml.header_rows import combine_header_rows, first_rows, header_block

    best: RawTable | None = None
    titles: list[str] = []
    rows = first_rows(path, sheet)
    if block := header_block(rows):
        start, n = block
        table = combine_header_rows(read_table(path, sheet=sheet, header_line=start), n)
        return table, start, [" ".join(c for c in row if c.strip()) for row in rows[:start - 1]], n
    from ml.importers.common import without_footer_lines

    def faults(table: RawTable) -> int:
        # the source under a small table is no fault of its rows (nor a reason to look further down)
        return len(without_footer_lines(table)[0].problems)

    try:
        first: RawTable | None = read_table(path, sheet=sheet)
    except FileFormatError:       # a title line without delimiters
        first = None
    if first is not None:
        width = max(len(first.header), first.cells.num_columns)
        filled = sum(1 for h in first.header if h.strip())
        if filled >= max(2, 0.6 * width) and not faults(first):
            return first, 1, [], None
    line = 1
    for line in range(1, max_line + 1):
        if line <= len(rows) and not any(str(c).strip() for c in rows[line - 1]):
            titles.append("")       # a blank line: the reader would take the header below it for this line's
            continue
        try:
            table = read_table(path, sheet=sheet, header_line=line)
        except FileFormatError:       # a title line without delimiters: its words as the first rows split them
            titles.append(" ".join(c for c in rows[line - 1] if c.strip()) if line <= len(rows) else "")
            continue
        filled = sum(1 for h in table.header if h.strip())
        if filled >= 2 and filled >= 0.6 * len(table.header) and faults(table) <= 0.1 * max(1, table.cells.num_rows):
            best = table
            break
        titles.append(" ".join(h for h in table.header if h.strip()))
    if best is None:
        if first is None:
            return read_table(path, sheet=sheet), 1, [], None     # raises the reader's own error
        return first, 1, [], None
    return best, line, titles, None


def suggest_mapping(path: Path | str, catalog: Catalog, sheet: str | int | None = None,
                    regions: bool = False, known: frozenset[str] | None = None,
                    places: pd.DataFrame | dict[str, str] | None = None,
                    stored: dict[str, HeldValues] | None = None) -> Suggestion:
    """Propose a mapping for ``path`` (see the module text); with ``regions``, one that reads the file's regions
    (codes, names, level, parents) as a region list, whatever values it holds besides. ``known``: the region codes
    of the store the file goes into, where there is one (the notes then say how many of the file's it holds);
    ``places``: its regions (code, name, level, parent; or names by code): a table of one region is proposed as the
    one its title names, a region list without parents the store's one region above it as their parent.
    ``stored``: the store's values per indicator (:meth:`ml.store.Store.held_values`): a match whose column holds
    values far from the indicator's is left unmatched, with a note (:mod:`ml.held_values`)."""
    from ml.importers import (ALIASES, Mapping, detect_format, find_column, find_region_column, header_key,
                              norm_header)
    from ml.crosswalk import crosswalk_in
    from ml.importers.mapping import distinct_headers
    from ml.importers.turned import YEAR_HEADER
    from ml.importers.common import year_end_stands
    from ml.importers.region_cells import split_cells, written_together
    from ml.importers.region_list import guess_hierarchy

    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"file not found: {path}")
    if isinstance(places, dict):
        places = pd.DataFrame({"region_id": list(places), "name": list(places.values()), "level": None,
                               "parent_id": None})
    sheet_note, sheets, sheet_rule = None, None, SHEET_NAME
    if sheet is None and path.suffix.lower() in SPREADSHEET_SUFFIXES:
        sheet, sheet_note, sheet_rule = _table_sheet(path)
        if isinstance(sheet, list):       # a sheet per year: read as the first, imported each
            sheets, sheet = sheet, sheet[0]
    head = _head_copy(path)
    cut = head != path
    try:
        table, header_line, titles, header_rows = find_header(head, sheet=sheet)
    finally:
        if cut:
            shutil.rmtree(head.parent, ignore_errors=True)
    fmt = "regions" if regions else detect_format(table.header)
    turned_note = None
    if fmt in ("unknown", "wide") and (turned := _turned(table, header_line, catalog, places)) is not None:
        table, turned_note = turned      # the regions stand in the header: every step below reads it turned
        fmt = detect_format(table.header)
    header = [header_key(h) for h in table.header]
    names = distinct_headers(table.header)      # a repeated name is told apart by its order, as the import does
    out = Suggestion(path=path, header_line=header_line, format=fmt if fmt != "unknown" else "wide",
                     sheet=table.sheet, header_rows=header_rows, notes=[sheet_note] if sheet_note else [],
                     regions_in_columns=turned_note is not None)
    out.notes += [turned_note] if turned_note else []
    if fmt in ("measures", "facilities") and not regions:
        out.notes.append(register_note(fmt, table.header))
        return out
    if fmt in ("mss", "inkar", "regions", "long") and not regions:
        out.notes.append(f"recognised as the {fmt} layout: "
                         + ("no mapping is needed" if fmt in ("mss", "inkar", "regions") else
                            "the roles below were found by their headers"))
    frame = table.frame()
    decimal = decide_decimal([frame[c] for c in frame.columns], table.delimiter)[0]
    p = find_column(table.header, "period")
    unnamed = [i for i, h in enumerate(table.header) if re.fullmatch(EMPTY_NAME.format(r"\d+"), h)]
    if p is None:       # a column without a name (the Regionaldatenbank's first): its values are dates or years
        p = next((i for i in unnamed if frame[f"c{i}"].str.strip().str.fullmatch(_PERIOD_CELL).all()), None)
    not_period = None
    if p is not None and not regions:
        held = frame[f"c{p}"].str.strip()
        held = held[held.ne("") & ~held.isin(MISSING_MARKERS)]
        why = parse_periods(year_end_stands(held)[0])[1]      # as the import reads them ('31.12.2022': 2022)
        if len(held) and why.ne("").all():
            # 'Jahr' holding '31/ Dec 04' on every row: not read as periods, every row would be quarantined
            out.notes.append(f"{table.header[p]!r} holds no period the import reads ({held.iloc[0]!r}: "
                             f"{why.iloc[0]}): it is left aside, and the period read from the headers, the title or "
                             "the file's name; where that is wrong, give it with period:")
            not_period, p = p, None
    r = find_column(table.header, "region_id")
    if r is None:    # a key column (codes) before a column of names
        r = _key_column(table, p, decimal)
    breakdowns = [h for h in table.header if _KEY_WORDS.search(h) and breakdown_words(h)] if r is None else []
    if r is None:
        r = find_region_column(table.header, Mapping())
    out.region_column = table.header[r] if r is not None else None
    lvl = find_column(table.header, "level")
    out.level_column = table.header[lvl] if lvl is not None else None
    if r is not None and written_together(frame[f"c{r}"]):
        out.code_and_name = True
        example = frame[f"c{r}"].str.strip()[split_cells(frame[f"c{r}"])[2]].iloc[0]
        out.notes.append(f"{table.header[r]!r} writes each region's code and name in one cell ({example!r}): "
                         "code_and_name reads them apart, the names as the regions' names")
    nm = find_column(table.header, "name")
    beside = nm is None and r is not None and (nm := _names_beside(table, frame, r, p, decimal)) is not None
    if nm is None and r in unnamed:     # the unnamed text column beside the unnamed codes holds the names
        nm = next((i for i in unnamed if i not in (p, r) and _numeric_kind(frame[f"c{i}"], decimal) == "text"), None)
    out.name_column = table.header[nm] if nm is not None and nm != r else None
    out.period_column = table.header[p] if p is not None else None
    if sheets:
        out.sheet = sheets
    # 'Sozialbericht 2023' over 'Tabelle 2: … am 31.12.2022': the stand's date, not the publication's year
    title_year, title_source = title_period(titles)
    named_years = any(header_period(t) for t in titles)
    if p is None and sheets:
        out.period, out.period_source = sheet_rule, ("each sheet's name" if sheet_rule == SHEET_NAME else
                                                     "each sheet's title lines")
    elif p is None and title_year is not None:
        out.period, out.period_source = title_year, title_source
    elif p is None and not named_years:
        out.period, out.period_hint, note = file_period(Path(path))
        out.period_source = "the file name"
        if note:
            out.notes.append(note)
    geo, parent = find_column(table.header, "geometry"), find_column(table.header, "parent_id")
    if fmt in ("unknown", "wide") and p is None and (roles := crosswalk_in(table.header, frame, decimal)):
        old, new = (repr(table.header[roles[k]]) for k in ("old_id", "new_id"))
        weight = (f"weights in {table.header[roles['weight']]!r}" if roles["weight"] is not None else
                  "no weights: features completes them from the new areas' residents")
        out.format, out.region_column, out.name_column, out.period, out.period_hint = "crosswalk", None, None, None, None
        out.notes = [f"a crosswalk of old areas onto new ones (old codes in {old}, new codes in {new}, "
                     f"{weight}), not a table of values: it is not imported; the old areas' values are carried onto "
                     f"the new areas with it by 'sozialradar features --crosswalk {path.name}' (or 'crosswalk:' "
                     "under 'features' in the configuration)"]
        return out
    # asked for a region list (--regions): a key written as a hierarchy of levels the store knows, as without the flag
    if (fmt == "unknown" or regions) and p is None and (levels := guess_hierarchy(table.header, frame)) and (
            fmt == "unknown" or all(level["level"] for level in levels)):
        out.format, out.hierarchy = "regions", levels
        out.notes = [n for n in out.notes if "layout" not in n]
        out.notes.append("a region list written as a hierarchy: a code and a name column per level, coarse to fine "
                         "(each level's regions become the parents of the next); 'local: true' where a code counts "
                         "only under its parent and is prefixed with the parent's code; check the levels")
        return out
    attributes = {r, nm, lvl, geo, parent} - {None}
    if fmt == "regions" or (r is not None and (nm is not None or lvl is not None) and (geo is not None or parent is not None)
                            and p is None) or (r is not None and nm not in (None, r) and p is None
                                               and set(range(len(table.header))) <= attributes):
        # a region list: attributes of places only (a code and a name column alone, too)
        out.format = "regions"
        out.notes = [n for n in out.notes if "layout" not in n]
        from ml.importers.mapping import place_level

        ags = r is not None and _gemeinde_keys(frame[f"c{r}"])
        source = "the header"
        if lvl is not None:
            written = frame[f"c{lvl}"].str.strip()
            own = written[written.ne("") & written.map(lambda w: canonical_level(w) is None)]
            out.unknown_levels = dict(own.value_counts().sort_values(ascending=False, kind="stable").items())
        if lvl is None:
            out.level = next((level for h in (out.region_column, out.name_column) if h for level in [place_level(h)]
                              if level), None)
            if out.level is None and (said := _level_said(table.header, frame, {r, nm, parent})) is not None:
                out.level, out.level_words = canonical_level(said[1]), (None if canonical_level(said[1]) else said)
                source = f"{said[0]!r}"
            if out.level is None and ags:
                out.level, source = "gemeinde", "the codes (Gemeindeschlüssel: 8-digit AGS or 12-digit ARS)"
        out.notes.append(("a region list: codes in " + repr(out.region_column) if out.region_column else
                          "a region list, but no column of codes or names was found: name it (region_column:)") + (
            f", names in {out.name_column!r}" if out.name_column else "" if not out.region_column else
            " and no names: the codes serve as names until a list that names them is imported") + (
            "" if lvl is not None else f"; the level {out.level!r} is read from {source}: check it" if out.level
            else "; set the level of its regions (level:)" + (
                f": {out.level_words[0]!r} names it {out.level_words[1]!r} on every row, no level of the store"
                if out.level_words else "")))
        nested = nested_codes(frame[f"c{r}"]) if r is not None and lvl is None and parent is None else None
        if nested:
            out.code_levels, ags = nested, False
            out.level = None if any(nested.values()) else out.level      # unnamed lengths: the level guessed stays
            texts = [i for i in range(len(table.header)) if i not in (r, p)
                     and _numeric_kind(frame[f"c{i}"], decimal) == "text"]
            if out.name_column is None and len(texts) == 1:       # 'Gebiet', 'Bezeichnung': the one column of words
                out.name_column = table.header[texts[0]]
            out.notes = [n for n in out.notes if not n.startswith("a region list: codes in")]
            out.notes.append(
                f"a region list: codes in {out.region_column!r}" + (f", names in {out.name_column!r}"
                                                                   if out.name_column else "")
                + "; the codes nest (" + ", ".join(f"{n} digit{'s' if n != 1 else ''}" for n in nested)
                + "): each row's level by the "
                "length of its code, its parent the longest code its own begins with (code_levels)"
                + ("; check the levels, as an AGS's" if all(nested.values()) else
                   "; lengths of no level: name it or leave it, and rows of those lengths are quarantined"
                   if any(nested.values()) else "; name the level of each length"))
        if r is not None and parent is None and not ags and (
                said := sum_rows_in(frame[f"c{nm if nm is not None else r}"], out.level if lvl is None else None)):
            out.sum_rows = True
            out.notes.append(said)
        if parent is not None and parent not in (r, nm):
            out.parent_column = table.header[parent]
            out.notes.append(f"each region's parent in {out.parent_column!r}: the code of a region of the store or "
                             "of this list")
        if parent is None and ags:
            out.parent_code = 5
            out.notes.append(AGS_NOTE)
        elif parent is None and not out.code_levels and not out.sum_rows and places is not None and r is not None:
            written = {canonical_level(w) for w in frame[f"c{lvl}"].str.strip()} if lvl is not None else {out.level}
            _one_parent_above(out, frame[f"c{r}"], places, written - {None})
        if r is not None and not out.code_and_name:
            _note_repeated_codes(out, table, r, p)
        return out
    ind, val = find_column(table.header, "indicator_id"), find_column(table.header, "value")
    if fmt == "long" or (fmt == "unknown" and ind is not None and val is not None and ind != val):
        out.format = "long"
        out.notes = [n for n in out.notes if "layout" not in n]
        out.notes.append(f"long layout: indicators in {table.header[ind]!r}, values in {table.header[val]!r}")
        if out.region_column is not None and (frame.duplicated(
                [f"c{r}", f"c{ind}"] + ([f"c{p}"] if p is not None else [])).any() or not _KEY_WORDS.search(
                out.region_column)):
            for i, h in enumerate(table.header):
                if i not in (ind, val, p) and _KEY_WORDS.search(h) and not frame.duplicated(
                        [f"c{i}", f"c{ind}"] + ([f"c{p}"] if p is not None else [])).any():
                    out.region_column = h
                    break
        _long_names_beside_codes(out, table, frame, r, nm, decimal)
        out.indicator_column, out.value_column = table.header[ind], table.header[val]
        cells, values = frame[f"c{ind}"], frame[f"c{val}"]
        if cut:     # a large file: its indicator cells are gathered from much more than the header's lines
            more = _head_copy(path, LONG_SCAN_LINES)
            try:
                whole = read_table(more, header_line=header_line).frame()
                cells, values = whole[f"c{ind}"], whole[f"c{val}"]
            finally:
                shutil.rmtree(more.parent, ignore_errors=True)
            if len(whole) >= LONG_SCAN_LINES - header_line:
                out.notes.append(f"the indicator cells were read from the first {LONG_SCAN_LINES:,} lines; cells "
                                 "further down are not listed (unmapped, they are quarantined as unknown indicators)")
        _match_indicator_cells(out, cells, values, catalog, decimal, stored)
        return out
    if out.code_and_name:
        pass        # the codes and the names are the region column's own
    elif r is not None and (codes := _code_column(table, frame, r, p, decimal)) is not None:
        # 'Nr.' beside 'Planungsraum': a region's code is one, its name may be spelt otherwise or name two levels
        nm, r, out.names_beside_codes = (r if nm is None else nm), codes, True
        out.region_column, out.name_column = table.header[r], table.header[nm]
        _note_codes(out, table, frame, r, nm)
    elif beside and frame[f"c{r}"].str.strip().str.fullmatch(r"\d+").any():
        # the codes found first, a column of their names beside them ('Nr.' before 'Planungsraum')
        out.name_column, out.names_beside_codes = table.header[nm], True
        _note_codes(out, table, frame, r, nm)
    elif r is not None:
        _note_without_code(out, table, frame, r, nm)
    if r is not None:
        _note_remainder(out, frame[f"c{r}"], None if nm is None else frame[f"c{nm}"])
    skip = {r, lvl, nm, p, not_period} | {table.header.index(h) for h in breakdowns}
    if not_period is not None:
        out.left_aside.append(names[not_period])
    data_columns = [i for i in range(len(header)) if i not in skip and header[i]]
    for i in (i for i in range(len(header)) if i not in skip and not header[i]):
        # a column of values under no name: listed by its position, never matched
        held = frame[f"c{i}"].str.strip()
        held = held[~held.isin(MISSING_MARKERS)]
        if len(held):
            out.unmatched.append(names[i])
            out.unnamed[names[i]] = f"no name in the header; values such as {', '.join(held.unique()[:3])}"
    context = _file_context(path) if len(data_columns) == 1 else ""
    described = _described(titles, path)       # what the title and the file name say the table counts
    subject = file_subject(path)
    role_words = {norm_header(a) for aliases in ALIASES.values() for a in aliases}
    texts: set[str] = set()       # columns of words, which no period makes values
    integers: list[int] = []      # columns of whole numbers: the counts a row of the whole is the sum of
    for i in data_columns:
        h = header[i]
        # a JSON record's nested field ('basic_benefits_income.age_65_and_above') is named by its own key, and the
        # object it is nested in says whom it counts, as a file's name does for the columns of a CSV file
        group = table.groups[i] if table.groups and table.groups[i] and h.startswith(table.groups[i] + ".") else ""
        h = h[len(group) + 1:] if group else h
        own = subject_of(group) if group else []
        col_subject, named_by = (own, f"its object {group!r}") if own else (subject, "the file's name")
        col_described = f"{re.sub(r'[_.-]+', ' ', group)} {described}" if group else described
        kind = _numeric_kind(frame[f"c{i}"], decimal)
        integers += [i] if kind == "integer" else []
        if kind == "text" or (norm_header(h) in role_words and kind != "integer" and kind != "decimal"):
            out.unmatched.append(names[i])
            texts.add(names[i])
            continue
        hw = words(h)[0]
        generic = not [w for w in hw if w not in GENERIC]
        # a lone value column, or one named only 'Einwohner'/'Wert', is described by the file's name
        m = matcher_for(catalog).match(h, kind, context)
        if m.indicator_id and m.score < SURE and matcher_for(catalog).strange(f"{context} {h}"):
            # a word no catalog indicator has ('inactive' beneficiaries, 'ausl.' EW, unemployment 'benefits')
            # qualifies what the rest names: an uncertain match would guess at it
            m = Match(column=h, score=m.score)
        if generic and not context:
            # the title, where there is one, says what the table counts ('… im Alter von 15 bis unter 65 Jahren')
            m = max(m, matcher_for(catalog).match(h, kind, col_described), key=lambda x: x.score)
        elif context and not col_subject and m.indicator_id is None:
            # a file name that says nothing the matcher reads ('w_2009.csv') does not take a header's own sure match
            # ('Einwohner'); a word that names no indicator alone ('quotient') stays unmatched
            plain = matcher_for(catalog).match(h, kind)
            m = plain if plain.score >= 0.9 else m
        if col_subject and not context and not [w for w in hw if w not in GENERIC | QUALIFIERS]:
            # 'residents', 'age_65_and_above' in a file named for the employed count the employed
            in_file = matcher_for(catalog).match(h, kind, col_described)
            if in_file.indicator_id != m.indicator_id and m.indicator_id is not None:
                out.notes.append(
                    f"{names[i]!r}: {named_by} names {', '.join(col_subject)}, so the column counts those, not "
                    f"all residents: " + (f"proposed as {in_file.indicator_id} ({in_file.name}), not as "
                                          f"{m.indicator_id}; check it" if in_file.indicator_id else
                                          f"no catalog indicator fits, so it is left unmatched rather than read as "
                                          f"{m.indicator_id} ({m.name}); map it to an indicator of your own (see "
                                          f"README, 'Indicators of your own'), or to {m.indicator_id} if it does "
                                          f"count all residents"))
            m = in_file
        elif col_subject and not context and m.indicator_id is not None and set(hw) & SHARE_WORDS and not _names_any(
                matcher_for(catalog), m.indicator_id, col_subject):
            # 'percentage_foreign_citizenship' in a file named for the unemployed is a share among the unemployed
            out.notes.append(
                f"{names[i]!r}: a share in {'an object' if own else 'a file'} named for {', '.join(col_subject)} is a "
                "share among those, not the "
                f"{m.indicator_id} ({m.name}) of all residents: left unmatched; map it to an indicator of your own "
                f"(see README, 'Indicators of your own'), or to {m.indicator_id} if it is the share of all residents")
            m = Match(column=h, score=m.score)
        if context and subject and generic and m.indicator_id is None:
            # the file's one value column, 'residents' in a file named for the risk of homelessness: say why no match
            out.notes.append(
                f"{names[i]!r}: the file's one value column; its name names {', '.join(subject)}, so the column counts "
                "those, not all residents, and no catalog indicator fits: left unmatched; map it to an indicator of "
                "your own (see README, 'Indicators of your own')")
        m.column = names[i]
        m.period = header_period(h)
        if m.indicator_id is None:
            out.unmatched.append(names[i])
            if CHANGE.search(h):
                out.unnamed[names[i]] = "a change between periods, which the monitoring computes from the values"
        else:
            out.matches.append(m)
    if fmt not in ("mss", "inkar", "regions"):      # those layouts bring their own catalog
        _note_terms(out)
    _period_of_the_headers(out, [table.header[i] for i in data_columns])
    if out.region_column is not None and r is not None:
        out.code_parts = [names[i] for i in data_columns
                          if names[i] in out.unmatched and code_part(frame[f"c{r}"], frame[f"c{i}"])]
        if out.code_parts:
            out.unmatched = [c for c in out.unmatched if c not in out.code_parts]
            out.notes.append(f"{', '.join(map(repr, out.code_parts))} repeat parts of each row's region code "
                             f"({out.region_column!r}): listed under ignore_columns")
    if out.format == "age":
        _age_table(out, table, frame, decimal, names, skip, catalog)
    if out.format == "wide" and out.region_column is not None:
        _years_of_the_title(out, titles, path, {names[i]: (header[i], _numeric_kind(frame[f"c{i}"], decimal))
                                                for i in data_columns if names[i] not in texts}, catalog)
    by_name = {names[i]: i for i in data_columns}
    _unlike_the_store(out, lambda c: parse_numbers(frame[f"c{by_name[c]}"], decimal).values if c in by_name else None,
                      catalog, stored)
    _keep_best(out, "columns")
    numeric = [i for i in data_columns if names[i] not in texts | set(out.code_parts)]
    _note_shares(out, frame, names, numeric, decimal,
                 *(frame[f"c{i}"].astype("str").str.strip().to_numpy() if i is not None else None for i in (p, r)),
                 catalog=catalog)
    if out.format == "wide":
        # a JSON record's objects are the source's tables, each with its own smallest count (the housing assistance's
        # 4 beside the SGB II recipients' hundreds): each is read for withheld counts on its own
        parts = {"": numeric} if not table.groups else {
            g: [i for i in numeric if table.groups[i] == g] for g in dict.fromkeys(table.groups[i] for i in numeric)}
        for part in parts.values():
            _note_withheld(out, frame, names, part, decimal, r)
    if out.format in ("wide", "age"):
        _note_dashes(out, frame, names, numeric, [p.value for p in table.problems] + table.footer)
    named = table.header.index(out.name_column) if out.name_column in table.header else r
    if out.format == "wide" and r is not None and sum_rows_in(frame[f"c{named}"], None, of_values=True):
        one_period = p is None or frame[f"c{p}"].nunique() == 1      # the sums checked within one period
        values = pd.DataFrame({names[i]: parse_numbers(frame[f"c{i}"], decimal).values for i in numeric}
                              ) if one_period else None
        if said := sum_rows_in(frame[f"c{named}"], None, values, of_values=True):
            out.sum_rows = True
            out.notes.append(said)
    elif out.format == "wide" and r is not None and (found := wholes_by_period(
            _whole_numbers(frame, names, [i for i in numeric if i in integers], decimal),
            None if p is None else frame[f"c{p}"].astype("str").str.strip().to_numpy(),
            frame[f"c{r}"].to_numpy())) is not None:
        (row, *more), adds = found
        out.sum_rows = True
        cell = frame[f"c{r}"].iat[row].strip()      # the note on it as a row without a code is answered here
        out.notes = [n for n in out.notes if not (n.startswith(f"{1 + len(more)} row(s) without a code in")
                                                  and repr(cell) in n)]
        shown = ", ".join(map(repr, adds[:3])) + (" …" if len(adds) > 3 else "")
        each = f" of each of the {1 + len(more)} periods" if more else ""
        out.notes.append(f"the row {frame[f'c{named}'].iat[row].strip()!r} is the sum of all other rows{each} in "
                         f"{len(adds)} columns of counts ({shown}): the whole, not a region; sum_rows: true leaves "
                         "it out (where the store holds no region of that code or name)")
    elif out.format == "wide" and r is not None and (p is None or frame[f"c{p}"].nunique() == 1) and (
            found := block_sums(_whole_numbers(frame, names, [i for i in numeric if i in integers], decimal))
    ) is not None:
        rows, adds = found
        out.sum_rows = True
        shown = ", ".join(repr(frame[f"c{named}"].iat[i].strip()) for i in rows[:3]) + (" …" if len(rows) > 3 else "")
        columns = ", ".join(map(repr, adds[:3])) + (" …" if len(adds) > 3 else "")
        out.notes.append(f"{len(rows)} rows ({shown}) are each the sum of the block of rows they close or head, in "
                         f"{len(adds)} columns of counts ({columns}): a coarser level's sums among the regions (and "
                         "the whole), not regions of this level; sum_rows: true leaves out those whose code or name "
                         "the store does not hold")
    if out.region_column is not None and out.name_column is not None and out.format == "wide":
        out.notes.append(f"{out.name_column!r} names the regions of {out.region_column!r} (not imported with the "
                         "values); " + _held_by_the_store(frame[f"c{r}"], known, path.name))
    one_row_each = p is None or frame[f"c{p}"].astype("str").str.strip().is_unique      # one row per period
    if out.region_column is None and not breakdowns and one_row_each and places is not None and (
            hit := _region_in_titles(titles + [re.sub(r"[_\-.]+", " ", path.stem)], dict(zip(
                places["region_id"].astype(str), places["name"].astype(str))))):
        out.region, out.region_named = hit
        out.notes.append(f"a table of one region: its title or file name names {hit[1]!r}, the store's region "
                         f"{hit[0]} (region:, check it)")
    elif out.region_column is None and not breakdowns and p is not None and one_row_each and places is not None \
            and (top := _store_top(places)):       # one row per period: a table of one region, not an unfound column
        out.region, out.region_named, out.region_unnamed = top[0], top[1], True
        out.notes.append(f"a table of one region, and no title line or file name names one: the store's one region "
                         f"above all others, {top[1]}, is proposed (region:, commented out: remove the '# ' if the "
                         "table is its)")
    elif out.region_column is None and not (turned_note and out.period_column == YEAR_HEADER):
        out.notes.append("no region column found: set region_column" + ("".join(
            f"; {h!r} is a key of {' '.join(breakdown_words(h))}, a breakdown, not of places: a table by "
            f"{' '.join(breakdown_words(h))} (and not by region) cannot be imported as regions' values"
            for h in breakdowns) if breakdowns else "; for a table of one region (the whole city's or county's "
                                                    "values, one row per period) set region: its code or name"))
    valued = [c for c in out.unmatched if c not in texts]
    listed = breakdown_words(_file_context(path))
    if out.format == "wide" and out.region_column is not None and not out.matches and not valued and listed and \
            norm_header(out.region_column) in {"id", "nr", "code", "key", "schluessel", "kennziffer"}:
        # 'fl_household_type.csv': id, label — the codes of another table's categories, whose 1, 2, 3 … would
        # meet the Stadtteile 1, 2, 3 … if imported as regions
        out.notes.append(f"{path.name} looks like a list of codes and their labels for {' '.join(listed)} (a "
                         "breakdown, not regions): it holds no values to import; its codes name the categories "
                         "of another table")
        return out
    if out.period_column is None and out.period is None and out.period_hint is None and (
            valued or any(m.period is None for m in out.matches)):
        yeared = [c for c in valued if header_period(c)]
        if any(n.startswith("every value column is a year") for n in out.notes):
            pass        # said of the table's years already
        elif len(yeared) == len(valued) and yeared and all(m.period for m in out.matches):
            # every header names its year ('share_under18_census22'): a column mapped later needs it written out
            out.notes.append(f"every column names its year in the header: map one left without a match with it, "
                             f"e.g. {_q(yeared[0])}: {{indicator: ID, period: {_q(header_period(yeared[0]))}}}")
        else:
            out.notes.append("no period column and no reference year in the header or the file name: set period")
    return out


_TABLE_NUMBER = re.compile(r"^\s*(?:tabelle|tab\.|abbildung|abb\.|table)\s*[\w.\-]*\s*[:.]?\s*", re.IGNORECASE)
_BY_ROWS = re.compile(r"(?<![^\W\d_])(?:nach|by|in\s+den|je)\s+[^\W\d_]+(?:\s+und\s+[^\W\d_]+)?", re.IGNORECASE)


def _described(titles: list[str], path: Path) -> str:
    """What a table's title lines and file name say it counts, without a table's number ('Tabelle 2.4:',
    'tabelle_2_4.csv': no ages 2 and 4) or the regions of its rows ('nach Stadtteilen')."""
    said = [_BY_ROWS.sub(" ", _TABLE_NUMBER.sub("", t)) for t in titles if t.strip()]
    return " ".join([*said, _NUMBERED.sub(" ", _file_context(path))])


_NUMBERED = re.compile(r"(?i)\b(?:tabelle|tab|abbildung|abb|table)[\s\d.\-]*")
"""A table's number in a file name ('tabelle 2 4', from 'tabelle_2_4.csv')."""


def _years_of_the_title(out: Suggestion, titles: list[str], path: Path, columns: dict[str, tuple[str, str]],
                        catalog: Catalog) -> None:
    """A table of one indicator with its years across ('Stadtteil;2011;2012;…' under 'Minderjährige nach
    Stadtteilen'): where every value column is a year and nothing else, the title lines name the indicator (the
    file's name was read for each such column already). A title line's best match is proposed for every column in
    the column's year, where it is surer than the file name's; where neither fits, the note says which lines were
    read. ``columns``: each value column's name -> (header, kind of its values)."""
    years = {name: header_period(h) for name, (h, _) in columns.items()}
    if len(columns) < 2 or not all(years.values()) or any(words(h)[0] for h, _ in columns.values()):
        return
    kind = "decimal" if any(k == "decimal" for _, k in columns.values()) else "integer"
    best, said = Match(column=""), ""
    for line in (t.strip() for t in titles if t.strip()):
        text = _BY_ROWS.sub(" ", _TABLE_NUMBER.sub("", line))     # 'Tabelle 2.3:', 'nach Stadtteilen' name no subject
        m = matcher_for(catalog).match(text, kind)
        if m.indicator_id is not None and m.score > best.score:
            best, said = m, line
    first, last = list(years.values())[0], list(years.values())[-1]
    by_name = [m for m in out.matches if m.column in columns]
    if best.indicator_id is None and not by_name:
        read = [t.strip() for t in titles if t.strip()] + [path.name]
        out.notes.append(f"every value column is a year ({first} … {last}) of one indicator, and no catalog indicator "
                         f"fits what the title lines or the file name say ({'; '.join(map(repr, read))}): map each "
                         "column to an indicator of your own (see README, 'Indicators of your own') in its year")
        return
    if best.indicator_id is None or (by_name and min(m.score for m in by_name) >= best.score):
        return      # the file's name said it as surely
    out.matches = [m for m in out.matches if m.column not in columns] + [
        replace(best, column=name, period=years[name]) for name in columns]
    out.unmatched = [c for c in out.unmatched if c not in columns]
    out.notes.append(f"every value column is a year ({first} … {last}) of one indicator, which the title line "
                     f"{said!r} names: proposed as {best.indicator_id} ({best.name}) in each column's year; check it")


def _store_top(places: pd.DataFrame) -> tuple[str, str] | None:
    """The store's one region above all others (code, 'name (level)'): the only one without a parent, of a level
    coarser than every other region's, with regions below it; None where there is no such one."""
    if "parent_id" not in places.columns or "level" not in places.columns or len(places) < 2:
        return None
    rank = {level: i for i, level in enumerate(LEVELS)}
    of = places["level"].map(lambda v: rank.get(str(v), len(rank))).to_numpy()
    top = places["parent_id"].isna().to_numpy() & (of < len(rank))
    if top.sum() != 1 or not (of[top][0] < of[~top]).all():
        return None
    row = places[top].iloc[0]
    return str(row["region_id"]), f"{row['name']} ({row['level']})"


def _one_parent_above(out: Suggestion, codes: pd.Series, places: pd.DataFrame, levels: set[str]) -> None:
    """A region list that names no parents, beside the store's one region above it (the whole city, imported as a
    list of one row): proposed, commented out, as every region's parent. Above: of a coarser level than every level
    of the list (``levels``), or, where the list says none, than every other region of the store. Where the store has
    the list's regions under a parent already, or several regions could be the parent, nothing."""
    listed = set(codes.astype(str).str.strip())
    if places.loc[places["region_id"].astype(str).isin(listed), "parent_id"].notna().any():
        return          # the store has them under a parent already
    rank = {level: i for i, level in enumerate(LEVELS)}
    of = places["level"].map(lambda v: rank.get(str(v), len(rank)))
    top = places["parent_id"].isna() & ~places["region_id"].astype(str).isin(listed)
    below = min((rank.get(v, len(rank)) for v in levels), default=None)
    if below is None:       # the list's level unknown: the store's one coarsest region
        below = of[~top].min() if (~top).any() else None
    if below is None:
        return
    top = places[top & (of < below)]
    if len(top) == 1:
        out.parent, out.parent_named = str(top["region_id"].iat[0]), f"{top['name'].iat[0]} ({top['level'].iat[0]})"
        out.notes.append(f"the store holds one region above the list's, {out.parent_named}: proposed as every "
                         "region's parent (parent:, commented out: remove the '# ' to make it so)")


def _region_in_titles(titles: list[str], named: dict[str, str]) -> tuple[str, str] | None:
    """(code, name) of the one region of the store whose name the title lines (and the file name) write as words of
    their own ('Ausländerinnen und Ausländer in Flensburg nach Aufenthaltsstatus', 'einwohner_flensburg.csv'); None
    where they name none or several."""
    text = f" {fold(' '.join(titles))} "
    found = {code: name for code, name in named.items() if len(fold(name)) >= 4 and re.search(
        rf"(?<![a-z0-9]){re.escape(fold(name))}(?![a-z0-9])", text)}
    # a name inside another one found ('Flensburg' in 'Flensburg-Mürwik') is that one's part, not a region named
    found = {c: n for c, n in found.items() if not any(fold(n) != fold(m) and fold(n) in fold(m)
                                                       for m in found.values())}
    return next(iter(found.items())) if len(found) == 1 else None


def _held_by_the_store(codes: pd.Series, known: frozenset[str] | None, file: str) -> str:
    """What the store holds of a table's region codes, for the note beside its names: where no store was read,
    that the values of regions it does not know are quarantined; where it holds no region, that this file can give
    them; else how many of the file's codes (leading zeros aside) it lacks."""
    listed = f"with a mapping of its own: 'sozialradar mapping suggest {file} --regions' proposes it"
    if known is None:
        return ("the values of regions the store does not know are quarantined: where the store has no region list "
                f"yet, this file can give it, {listed}")
    if not known:
        return f"the store holds no regions yet: this file can give its region list, {listed}"
    cells = pd.unique(codes.astype(str).str.strip())
    cells = [c for c in cells if c and c not in MISSING_MARKERS]
    plain = {k.lstrip("0") for k in known}
    loose = plain | {g.lstrip("0") for k in known if (g := gemeindeschluessel(k))}
    lacking = [c for c in cells if c not in known and c.lstrip("0") not in loose
               and (gemeindeschluessel(c) or "-").lstrip("0") not in loose]
    if not lacking:
        keys = sum(1 for c in cells if c not in known and c.lstrip("0") not in plain)
        return f"the store holds all {len(cells)} of its codes" + (
            f" ({keys} of them written as the Regionalschlüssel of a Gemeindeschlüssel the store holds, or the "
            "reverse: read as the store's)" if keys else "")
    return (f"{len(lacking)} of its {len(cells)} codes are no region of the store (" + ", ".join(
        map(repr, lacking[:3])) + (" …" if len(lacking) > 3 else "") + "): their values are quarantined unless the "
        "name beside a code finds its region; where they are regions the store lacks, this file can give them, "
        + listed)


def _plain_cells(frame: pd.DataFrame, columns: list[int], decimal: str, rows: int | None = None) -> pd.Series:
    """The cells of ``columns`` (their first ``rows``), column after column, without blanks and thousands
    separators: every cell at once, one pass of pandas' string methods rather than one per column."""
    group = "," if decimal == "." else "."
    cells = frame[[f"c{i}" for i in columns]]
    cells = (cells if rows is None else cells.head(rows)).to_numpy(dtype=str)
    return pd.Series(cells.T.ravel()).str.strip().str.replace(rf"[\s\u00a0'{re.escape(group)}]", "", regex=True)


def _whole_numbers(frame: pd.DataFrame, names: list[str], columns: list[int], decimal: str) -> pd.DataFrame:
    """The columns of whole numbers at ``columns`` as numbers, named by ``names``."""
    if not columns:
        return pd.DataFrame()
    numbers = pd.to_numeric(_plain_cells(frame, columns, decimal), errors="coerce").to_numpy(float)
    numbers = numbers.reshape(len(columns), -1)
    return pd.DataFrame({names[i]: numbers[k] for k, i in enumerate(columns)})


def _rows_are_places(corner: list[str], labels: pd.Series, places: pd.DataFrame | None) -> bool:
    """Whether the rows of a table with the years across are its regions: its corner names places (a code or name
    header, a level: 'Gemeinde', 'Name') or nothing, or half its labels are names of the store's regions."""
    from ml.importers import Mapping, find_region_column
    from ml.regions import name_key

    named = [c for c in corner if c.strip()]
    if not named or find_region_column(named, Mapping()) is not None or any(_KEY_WORDS.search(c) for c in named):
        return True
    if places is None or places.empty:
        return False
    held = set(places["name"].astype(str).map(name_key))
    shown = labels.astype(str).str.strip()
    shown = shown[shown.ne("")]
    return len(shown) > 0 and shown.map(name_key).isin(held).mean() >= 0.5


def _turned(table: RawTable, header_line: int, catalog: Catalog,
            places: pd.DataFrame | None = None) -> tuple[RawTable, str] | None:
    """``table`` read turned, and why, where its regions seem to stand in its header (:mod:`ml.importers.turned`):
    a column of words before columns of numbers, and the rows' labels name catalog indicators — at least two, a
    third of them, and more than twice as many as the header's cells do — or the corner cell says the rows are
    indicators ('Merkmal', 'Kennzahl'). None for a table read as it stands."""
    from ml.importers.mapping import header_key, norm_header
    from ml.importers.turned import CORNER_WORDS, MAX_ROWS, YEAR_HEADER, label_columns, turn_table

    if table.cells.num_rows > MAX_ROWS:
        return None
    k, named = label_columns(table)
    frame = table.frame()
    across = [j for j in range(k, len(table.header)) if header_key(table.header[j])]
    if not named or len(across) < 2 or sum(_numeric_kind(frame[f"c{j}"]) in ("integer", "decimal")
                                           for j in across) < 0.8 * len(across):
        return None
    matcher = matcher_for(catalog)
    columns = [table.header[j] for j in across if matcher.match(table.header[j], _numeric_kind(frame[f"c{j}"])
                                                                ).indicator_id]
    corner = norm_header(" ".join(table.header[i] for i in named)) in CORNER_WORDS
    # the header's cells all years and a corner that names neither places nor an indicator: the table of one region
    # over the years, whatever its rows name (its rows the catalog lacks are listed as columns without a match); a
    # corner of places ('Gemeinde', 'Name', none), of one indicator, or rows the store's regions: the regions down
    corner_text = " ".join(table.header[i] for i in named).strip()
    years = all(re.fullmatch(r"(19|20)\d\d", header_key(table.header[j])) for j in across) and \
        not _rows_are_places([table.header[i] for i in named], frame[f"c{named[0]}"], places) and \
        (bool(breakdown_words(corner_text)) or not matcher.match(corner_text).indicator_id)
    # a corner of one indicator ('Arbeitslose') has its regions down; one of a breakdown ('Haushaltstyp') its kinds
    if not corner and not years and 2 * len(columns) >= table.cells.num_rows:
        return None         # the header names more indicators than the rows could: read as it stands
    try:
        turned = turn_table(table, header_line)
    except ValueError:
        return None
    tf = turned.frame()
    labels = turned.header[1:]
    decimal = decide_decimal([tf[c] for c in tf.columns[1:]], table.delimiter)[0]
    needed = 0 if corner or years else max(2, math.ceil(len(labels) / 3), 2 * len(columns) + 1)
    rows, misses = [], 0
    for i, h in enumerate([] if corner else labels, start=1):
        if matcher.match(h, _numeric_kind(tf[f"c{i}"], decimal)).indicator_id:
            rows.append(h)
        else:
            misses += 1
        if misses > len(labels) - needed:
            return None         # too few rows left to name indicators: the rows are regions (or what else)
    why = (f"the corner cell {table.header[named[0]]!r} names the rows" if corner else
           f"the header's {len(across)} cells are years" + (f", {len(rows)} of its {len(labels)} rows name catalog "
                                                            "indicators" if rows else "") if years else
           f"{len(rows)} of its {len(labels)} rows name catalog indicators ({', '.join(map(repr, rows[:2]))}"
           f"{' …' if len(rows) > 2 else ''}), {len(columns)} of the header's {len(across)} cells")
    if turned.header[0] == YEAR_HEADER:
        return turned, (f"the years stand in the header and each row is an indicator ({why}): read turned "
                        f"(regions_in_columns), the header's years as the periods in the column {YEAR_HEADER!r}, "
                        "each row a column named by its label: a table of one region, to name with region:")
    if turned.header[1:2] == [YEAR_HEADER]:
        return turned, (f"the regions stand in the header, each over several years, and each row is an indicator "
                        f"({why}): read turned (regions_in_columns), the header's regions in the column "
                        f"{turned.header[0]!r} and their years in {YEAR_HEADER!r}, each row a column named by its "
                        "label")
    return turned, (f"the regions stand in the header and each row is an indicator ({why}): read turned "
                    "(regions_in_columns), the header's cells as the regions in the column "
                    f"{turned.header[0]!r}, each row a column named by its label")


def _period_of_the_headers(out: Suggestion, headers: list[str]) -> None:
    """Where the file's name gives the period and the headers that name a year all name one other year (a stand,
    'am 31.12.2004' in a file named for its edition, 2005), at least two of them: the headers' year, with a note. Two
    editions of one series, one read from its headers and one from its name, would lie a year apart."""
    named = [(h, y) for h in headers for y in [header_period(h)] if y]
    if out.format != "wide" or out.period_source != "the file name" or out.period is None or len(
            {y for _, y in named}) != 1:
        return
    (example, year), n = named[0], len(named)
    if year != out.period and n >= 2:
        out.notes.append(f"{n} of the headers name {year} ({example!r}), the file's name {out.period}: the table's "
                         f"period is read as {year}, its stand; where the edition is meant (a monitoring named for "
                         f"the year after its stand), give period: '{out.period}' and the columns' periods alike")
        out.period, out.period_source = year, "the headers"


def _note_shares(out: Suggestion, frame: pd.DataFrame, names: list[str], columns: list[int], decimal: str,
                 editions: np.ndarray | None = None, keys: np.ndarray | None = None,
                 catalog: Catalog | None = None) -> None:
    """Columns that are a share of two others on nearly every row (:mod:`ml.shares`): named in a note, and beside
    the columns in the mapping file, so that the counts can be imported and the share defined by them. A share
    matched to a catalog indicator of other counts than the two it is of (per all residents, where the catalog's
    counts per those under 65) is left unmatched with the reason. And, in a wide table, counts that add up
    (:mod:`ml.sums`; ``editions``: each row's period, ``keys`` its region)."""
    from ml.shares import MAX_ROWS, shares_among

    if len(columns) < 2:
        return
    rows = min(len(frame), MAX_ROWS)
    plain = _plain_cells(frame, columns, decimal, MAX_ROWS)
    at = plain.str.rfind(decimal).to_numpy(int)
    digits = np.where(at >= 0, plain.str.len().to_numpy(int) - at - 1, 0)      # the decimals written
    places = digits.reshape(len(columns), rows).max(axis=1) if rows else np.zeros(len(columns), int)
    numbers = pd.to_numeric(plain.str.replace(decimal, ".", regex=False), errors="coerce").to_numpy(float)
    numbers = numbers.reshape(len(columns), rows)
    values = {names[i]: numbers[k] for k, i in enumerate(columns)}
    if out.format == "wide":
        _note_sums(out, values, *(None if a is None else a[:rows] for a in (editions, keys)))
    if len(columns) < 3 or not places.any() or (places == 0).sum() < 2:
        return          # no column written with decimals, or not two without: no share of two counts
    out.shares = shares_among(values, {names[i]: int(places[k]) for k, i in enumerate(columns)})
    mapped = {m.column: m.indicator_id for m in out.matches}
    for sh in out.shares:
        parts = [c for c in (sh.numerator, sh.denominator) if c not in mapped]
        defined = catalog[mapped[sh.share]] if catalog is not None and mapped.get(sh.share) in catalog else None
        if not parts and defined is not None and defined.numerator and defined.denominator and (
                mapped[sh.numerator], mapped[sh.denominator]) != (defined.numerator, defined.denominator):
            # 'SGB-II-Leistungsberechtigte je 100 Einwohner' of all residents is no SGB-II-Quote (per those under 65)
            out.matches = [m for m in out.matches if m.column != sh.share]
            out.unmatched.append(sh.share)
            out.notes.append(
                f"{sh.share!r} is {sh.formula()} on {sh.rows} of {sh.of} rows: {mapped[sh.numerator]} per "
                f"{mapped[sh.denominator]}, while {defined.indicator_id} ({defined.name}) counts {defined.numerator} "
                f"per {defined.denominator}: left unmatched; import its two counts, and define the share of these "
                "in a catalog file of your own (README, 'Indicators of your own'), or map it to an indicator of "
                "yours")
            continue
        if not parts and sh.share not in mapped and catalog is not None:
            # both counts mapped, the share not: the catalog's share of these two, or the way to define one
            num, den = mapped[sh.numerator], mapped[sh.denominator]
            fits = [i.indicator_id for i in catalog if (i.numerator, i.denominator) == (num, den)]
            out.notes.append(
                f"{sh.share!r} is {sh.formula()} on {sh.rows} of {sh.of} rows: {num} per {den}, "
                + (f"which the catalog holds as {' or '.join(fits)}: map it so, or leave it out ('features' "
                   "computes it from the two counts)" if fits else
                   "which no catalog indicator is: left unmatched; define it in a catalog file of your own with "
                   f"numerator {num} and denominator {den} (README, 'Indicators of your own'), and 'features' "
                   "computes it for every region and year alike"))
            continue
        out.notes.append(
            f"{sh.share!r} is {sh.formula()} on {sh.rows} of {sh.of} rows: a share of the table's own counts"
            + (f" ({sh.share!r} is mapped to {mapped[sh.share]})" if sh.share in mapped else "")
            + (f"; to import it with its counts, map {' and '.join(map(repr, parts))} to counts of a catalog file of "
               f"your own and define the share there with numerator and denominator (README, 'Indicators of your "
               f"own'): 'features' computes it for every region and year alike" if parts else ""))


def _note_dashes(out: Suggestion, frame: pd.DataFrame, names: list[str], columns: list[int],
                 unread: list[str] = ()) -> None:
    """Cells of the value columns that hold only a dash: 'ingest' reads them as 0 ('nichts vorhanden', the
    ``ingest.dash`` default), which the note says before the import, with where they are — unless the table's own
    legend (in its first column or a line under it, ``unread``) says they are no value or withheld."""
    from ml.importers.common import dashes_as_zero

    counts = {names[i]: dashes_as_zero(frame, [i], "zero")[1] for i in columns}
    counts = {c: n for c, n in counts.items() if n}
    if not counts:
        return
    where = ", ".join(f"{c!r} {n}" for c, n in sorted(counts.items(), key=lambda kv: -kv[1])[:6])
    total = sum(counts.values())
    said = (f"{total:,} cell{'s' if total != 1 else ''} hold{'s' if total == 1 else ''} only a dash ({where}"
            f"{' …' if len(counts) > 6 else ''})")
    legend = dash_legend([*(frame["c0"] if "c0" in frame else []), *unread])
    if legend is None or legend[0] == "zero":
        out.notes.append(said + ": 'ingest' reads them as 0, 'nichts vorhanden' as German official tables write it"
                         + (f" and the table's legend says ({legend[1]!r})" if legend else
                            "; where a dash means no value here, add 'dash: missing'"))
        return
    out.dash = "missing"
    if legend[0] == "missing":
        out.notes.append(said + f": the table's legend says they are no value ({legend[1]!r}), not 0: 'dash: "
                         "missing' reads them so")
        return
    marks = sorted({str(v).strip() for i in columns for v in frame[f"c{i}"] if str(v).strip() in DASHES})
    out.withheld = list(dict.fromkeys(out.withheld + marks))
    out.notes.append(said + f": the table's legend says they are withheld ({legend[1]!r}), not 0: 'dash: missing' "
                     f"and 'withheld: [{', '.join(map(repr, marks))}]' read them as withheld values (gesperrt), so "
                     "that no share is computed from them")


def _note_withheld(out: Suggestion, frame: pd.DataFrame, names: list[str], columns: list[int], decimal: str,
                   r: int | None) -> None:
    """Empty cells that look like small counts withheld for confidentiality (:mod:`ml.withheld`): the mapping's
    ``withheld`` with the evidence in a note, so that they are imported as withheld rather than missing."""
    from ml.parsing import MISSING_MARKERS
    from ml.withheld import withheld_among

    if not columns:
        return
    group = "," if decimal == "." else "."
    text = {names[i]: frame[f"c{i}"].astype("str").str.strip() for i in columns}
    numbers = {c: pd.to_numeric(t.str.replace(rf"[\s\u00a0'{re.escape(group)}]", "", regex=True)
                                .str.replace(decimal, ".", regex=False), errors="coerce").to_numpy(float)
               for c, t in text.items()}
    of_region = None if r is None else ~frame[f"c{r}"].astype("str").str.strip().isin(MISSING_MARKERS).to_numpy()
    found = withheld_among({c: t.to_numpy(str) for c, t in text.items()}, numbers, of_region)
    if found is None:
        return
    out.withheld = list(dict.fromkeys(out.withheld + found.marks))
    out.notes.append(
        f"{found.describe()}: proposed under 'withheld', so that 'ingest' keeps them as observations flagged "
        "suppressed ('gesperrt' on the pages, and the shares built on them withheld too) instead of "
        f"reading them as missing; delete the line where {' and '.join(map(repr, found.marks))} means no data")


MAX_SUMS = 10
"""Relations written into a mapping at most; a note counts the others."""


def _note_sums(out: Suggestion, values: dict[str, np.ndarray], editions: np.ndarray | None,
               keys: np.ndarray | None = None) -> None:
    """Counts that add up on the table's rows (:mod:`ml.sums`): a note for each, saying where it fails, and the
    mapping's ``sums``, so that ``ingest`` quarantines the values of a row on which they do not add up."""
    from ml.sums import describe, labelled_totals, sums_among

    found = sums_among(values, editions, keys)
    # a total the table names, beside its parts: told by its name where the rows are too few to tell it by chance
    found += [c for c in labelled_totals(values) if not any(set(c.relation.columns) == set(f.relation.columns)
                                                            for f in found)]
    out.sums = found[:MAX_SUMS]
    holding = []
    for check in out.sums:
        rel = check.relation
        what = ("a total and its parts" if len(rel.left) == 1 and len(rel.right) > 1 else
                "a column repeating another" if len(rel.columns) == 2 else "one population counted two ways")
        if not len(check.failing):
            holding.append((what, check))
        else:       # each sum that fails has a note of its own, naming the rows where they are a few
            out.notes.append(f"{what}: {describe(check)}{_failing_rows(check, values, keys)}; check the source "
                             "table: 'ingest' with this mapping quarantines the values of those rows (delete the "
                             "relation under 'sums' to import them as they are)")
    if len(holding) == 1:
        what, check = holding[0]
        out.notes.append(f"{what}: {describe(check)}; under 'sums', so that 'ingest' quarantines the values of a row "
                         "on which it fails")
    elif holding:       # the mapping's lines under 'sums' name them; one note counts them
        kinds = {w: sum(1 for x, _ in holding if x == w) for w, _ in holding}
        out.notes.append(f"{len(holding)} sums hold on every row ({', '.join(f'{w}: {n}' for w, n in kinds.items())})"
                         ": listed under 'sums', so that 'ingest' quarantines the values of a row on which one fails")
    if len(found) > MAX_SUMS:
        out.notes.append(f"{len(found) - MAX_SUMS} more sums among the columns are not listed under 'sums'")


def _failing_rows(check, values: dict[str, np.ndarray], keys: np.ndarray | None, most: int = 3) -> str:
    """The regions of the rows on which a sum fails, with both sides, where they are ``most`` at most (the fault in
    one row of a small table: 'region 3: 1585 against 2'); '' else."""
    if keys is None or not 0 < len(check.failing) <= most:
        return ""
    rel = check.relation
    sides = [np.column_stack([values[c] for c in side]).sum(axis=1) for side in (rel.left, rel.right)]
    return " (" + "; ".join(f"region {keys[k]}: {_plain_number(sides[0][k])} against {_plain_number(sides[1][k])}"
                            for k in check.failing) + ")"


def _plain_number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def register_note(fmt: str, header: list[str]) -> str:
    """What the import reads from a register of measures or facilities: its columns by role, the roles it lacks,
    the columns it leaves aside."""
    from ml.importers import facilities, measures
    from ml.importers.common import role_position

    module = measures if fmt == "measures" else facilities
    found = {role: i for role in module.ROLES if (i := role_position(header, module.ROLES[role])) is not None}
    what = "a register of measures (Maßnahmen)" if fmt == "measures" else "a facility register (Einrichtungen)"
    text = (f"{what}: the import reads it as it is, no mapping is needed (sozialradar ingest FILE); columns read: "
            + ", ".join(f"{header[i]!r} ({role})" for role, i in found.items()))
    missing = [r for r in module.REQUIRED if r not in found]
    if fmt == "facilities" and "region_id" not in found and not {"lat", "lon"} <= set(found):
        missing.append("region_id or lat and lon")
    if missing:
        text += f"; missing, so the import fails: {', '.join(missing)}"
    aside = [h for i, h in enumerate(header) if i not in found.values()]
    return text + (f"; not read: {', '.join(map(repr, aside))}" if aside else "")


def _level_said(header: list[str], frame: pd.DataFrame, taken: set) -> tuple[str, str] | None:
    """The column that names the level of every region, as a GIS's table does ('LEVEL_NAME': 'STATISTISCHER
    BEZIRK' on every row), and that word; None where no such header holds one word on all rows."""
    from ml.importers import norm_header

    for i, h in enumerate(header):
        if i in taken or not _LEVEL_HEADER.fullmatch(norm_header(h)):
            continue
        words = frame[f"c{i}"].str.strip()
        if words.ne("").all() and words.nunique() == 1 and any(ch.isalpha() for ch in words.iloc[0]):
            return h, words.iloc[0]
    return None


_LEVEL_HEADER = re.compile(r"(?:level|ebene|gliederung)(?:name|bezeichnung|text)?")
"""A header that names the regions' level in words (not 'LEVEL_ID', its abbreviation)."""


def _table_of(path: Path, sheet: str) -> tuple[list[str], int, str | None] | None:
    """A sheet's header, header line and the year its title lines give where it holds a table: a header of two or
    more names above rows, one column of numbers at least (a title page, an imprint or a table of contents does
    not); else None."""
    try:
        table, line, titles = find_header(path, sheet=sheet)[:3]
    except FileFormatError:
        return None
    frame = table.frame()
    held = (sum(1 for h in table.header if h.strip()) >= 2 and len(frame) > 0
            and any(_numeric_kind(frame[c]) in ("integer", "decimal") for c in frame.columns))
    return (table.header, line, title_period(titles)[0]) if held else None


def _table_sheet(path: Path) -> tuple[str | list[str] | None, str | None, str]:
    """The sheet a workbook's suggestion is for: the first that holds a table, with a note where that is not the
    first sheet or where more sheets hold tables (a Statistischer Bericht: Titel, Inhalt, T1, T2 …). Where further
    sheets hold the same table, each named with a year of its own (a sheet per edition: '2019', '2020' …), or each
    with a year of its own in its title lines (sheets 'Tabelle1', 'Tabelle2' over 'Stand 31.12.2020', '… 2021'), the
    list of them: one mapping reads them all (:func:`_year_sheets`); and where their periods are read from (the
    mapping's ``period``: sheet_name or title)."""
    names = sheet_names(path)
    if len(names) < 2:
        return None, None, SHEET_NAME
    found = {n: _table_of(path, n) for n in names}
    tables = [n for n in names if found[n] is not None]
    if not tables:
        return None, None, SHEET_NAME
    years = _year_sheets(tables, found)
    rule = SHEET_NAME
    if not years and (years := _year_sheets(tables, found, titles=True)):
        rule = TITLE
    note = "" if tables[0] == names[0] else (
        f"the workbook's first sheets ({', '.join(repr(n) for n in names[:names.index(tables[0])])}) hold no table"
        + ("" if years else f": this suggestion is for sheet {tables[0]!r}"))
    rest = [n for n in tables[1:] if n not in years]
    if years:
        named = "named with its year" if rule == SHEET_NAME else "with its year in its title lines"
        note += ("; " if note else "") + (
            f"the sheets {', '.join(map(repr, years))} hold the same table, each {named}: one mapping imports each "
            f"as an import of its own (sheet: the list, period: {rule})")
    if rest:
        note += ("; " if note else "") + (f"further sheets hold tables ({', '.join(repr(n) for n in rest)}): "
                                          "a suggestion each with --sheet, and a mapping each (sheet:)")
    return (years or tables[0]), note or None, rule


def _year_sheets(tables: list[str], found: dict, titles: bool = False) -> list[str]:
    """The first table sheet and those after it with the same header on the same line (``found``: each sheet's, by
    :func:`_table_of`), where each sheet's name gives a year of its own ('2019', 'Stand 2020', 'Tab 2021') — or,
    with ``titles``, each sheet's title lines; [] where fewer than two do."""
    def year(n: str) -> str | None:
        return found[n][2] if titles else header_period(n)

    same = [n for n in tables if found[n][:2] == found[tables[0]][:2] and year(n) is not None]
    periods = [year(n) for n in same]
    return same if len(same) > 1 and same[0] == tables[0] and len(set(periods)) == len(periods) else []


AGS_NOTE = ("the codes are Gemeindeschlüssel (8-digit AGS or 12-digit ARS), whose first five digits are the Kreis: "
            "parent_code: 5 and parent_level: kreis make it each Gemeinde's parent")


def _gemeinde_keys(codes: pd.Series) -> bool:
    """Whether a column's codes are Gemeinde keys: a Land's two digits (01–16) and six more (the AGS), or ten more
    (the Regionalschlüssel, ARS, of 12 digits); the first five are the Kreis in both."""
    c = codes.dropna().astype(str).str.strip()
    c = c[c.ne("")]
    return len(c) > 0 and bool(c.str.fullmatch(r"(0[1-9]|1[0-6])(\d{6}|\d{10})").mean() >= 0.95)


def _note_terms(out: Suggestion) -> None:
    """One note for the shares and rates matched by their term alone: a county's 'Arbeitslosenquote' or
    'HzE-Dichte' may count per another base than the catalog's."""
    terms = list(dict.fromkeys(m.indicator_id for m in out.matches if m.by_term and m.kept is None))
    if terms:
        out.notes.append(
            f"{', '.join(terms)}: matched by the term alone; the same term may count per another base (the "
            f"Bundesagentur's Arbeitslosenquote is per civilian labour force, a HzE rate often per 1,000 under 21): "
            f"compare a few values with the catalog's definition, or map the column to an indicator of your own "
            f"(see README, 'Indicators of your own')")


def _keep_best(out: Suggestion, what: str) -> None:
    """Where several columns (or indicator cells) match one indicator and period, the best is kept and the others
    are marked to be written commented out, so that the suggestion imports without conflicting duplicates."""
    groups: dict[tuple, list[Match]] = {}
    for m in out.matches:
        groups.setdefault((m.indicator_id, m.period), []).append(m)
    for (indicator, _), same in groups.items():
        if len(same) > 1:
            best = max(same, key=lambda m: m.score)     # the first of equal scores
            for m in same:
                if m is not best:
                    m.kept = best.column
            out.notes.append(f"{indicator} is suggested for {len(same)} {what}: {best.column!r} (score "
                             f"{best.score:.2f}) is kept, the others are commented out; keep the right one")


def _match_indicator_cells(out: Suggestion, cells: pd.Series, values: pd.Series, catalog: Catalog,
                           decimal: str, stored: dict[str, HeldValues] | None = None) -> None:
    """A long table's indicator cells that are no catalog ids (the file's own codes or labels, 'Arbeitslosenquote',
    'A4'): each matched to a catalog indicator by its text as a wide header is, the numbers it holds judged with the
    file's decimal separator; matches become the mapping's ``indicators``, the rest are listed for the analyst. A
    match whose values lie far from the store's values of its indicator (``stored``) is listed among the rest."""
    ids = {i.indicator_id for i in catalog}
    text = cells.fillna("").astype(str).str.strip()
    codes = [c for c in dict.fromkeys(text) if c and c not in ids]
    if not codes:
        return
    matcher = matcher_for(catalog)
    coded = code_index(catalog)
    by_code = set()         # the cells matched by a code alone
    parsed: dict[str, np.ndarray] = {}

    def numbers(code: str) -> np.ndarray:       # each cell's numbers read once
        if code not in parsed:
            parsed[code] = parse_numbers(values[text == code], decimal).values
        return parsed[code]

    for code in codes:
        named = coded.get(code.casefold(), [])
        if len(named) > 1 and stored:     # the codebooks' indicators whose values the column's may be
            apart = {i.indicator_id: far for i in named
                     if (far := unlike(numbers(code), stored.get(i.indicator_id), i.kind))}
            rest = [i for i in named if i.indicator_id not in apart]
            if apart and rest:
                # one left, of another codebook (catalog file) than those whose values are unlike: that one; one of
                # the same codebook (its code defined anew) or several: the analyst decides
                books = {i.catalog_file for i in named if i.indicator_id in apart}
                named = rest if len(rest) == 1 and rest[0].catalog_file not in books else named
                out.notes.append(f"{code!r} is also the code of {', '.join(apart)}: " + "; ".join(
                    far.text(ind).replace("its values", "the column's values", 1) for ind, far in apart.items())
                    + (f"; read as {named[0].indicator_id}" if len(named) == 1 else ""))
        if len(named) == 1:          # the catalog writes this code in one indicator's name: 'K12 Wanderungssaldo'
            out.matches.append(Match(column=code, indicator_id=named[0].indicator_id, name=named[0].name, score=1.0))
            by_code.add(code)
            continue
        if len(named) > 1:
            out.unmatched.append(code)
            out.notes.append(f"{code!r} is the code of {len(named)} indicators "
                             f"({', '.join(i.indicator_id for i in named)}): map it under 'indicators' to the right one")
            continue
        m = matcher.match(code, _numeric_kind(values[text == code], decimal))
        m.column = code
        if m.indicator_id is not None:
            out.matches.append(m)
        else:
            out.unmatched.append(code)
    _unlike_the_store(out, numbers, catalog, stored, by_code)
    _keep_best(out, "indicator cells")
    found = f"{len(out.matches)} of them matched to catalog indicators under 'indicators' (check each); " \
        if out.matches else ""
    out.notes.append(
        f"{len(codes)} indicator cells are not catalog ids: {found}"
        + (f"{len(out.unmatched)} without a match ({', '.join(out.unmatched[:10])}{' …' if len(out.unmatched) > 10 else ''}"
           "): map them under 'indicators' to ids of the catalog or of a catalog of your own (see README, "
           "'Indicators of your own'); unmapped, they are quarantined as unknown indicators" if out.unmatched else ""))


def _unlike_the_store(out: Suggestion, numbers: Callable[[str], np.ndarray | None], catalog: Catalog,
                      stored: dict[str, HeldValues] | None, by_code: set[str] = frozenset()) -> None:
    """Matches whose column (``numbers``: its numbers, by the match's column; None for none) holds values far from
    the store's values of the proposed indicator (:func:`ml.held_values.unlike`) are taken back: listed as
    unmatched, with a note that says why. ``by_code``: the columns matched by a code alone ('D1' of another
    codebook). Only the matches whose indicator the store holds values of are read."""
    if not stored:
        return
    kept = []
    for m in out.matches:
        ind = catalog[m.indicator_id] if m.indicator_id in catalog else None
        held = stored.get(m.indicator_id)
        cells = None if ind is None or held is None else numbers(m.column)
        far = None if cells is None else unlike(cells, held, ind.kind)
        if far is None:
            kept.append(m)
            continue
        out.unmatched.append(m.column)
        how, why = (("by its code", f"another codebook's {m.column!r}, another unit or base?") if m.column in by_code
                    else (f"by its words (score {m.score:.2f})", "another quantity, another unit or base?"))
        out.notes.append(f"{m.column!r} reads as {m.indicator_id} ({m.name}) {how}, but {far.text(m.indicator_id)}: "
                         f"{why} Left unmatched; map it by hand where it is that indicator")
    out.matches = kept


_CODE = re.compile(r"^(?=.*[A-Za-z])(?=.*[\d_])[A-Za-z0-9_]{2,24}$")


def name_codes(name: str) -> set[str]:
    """The codes an indicator's name carries, as a codebook writes them: its first word ('K12 Wanderungssaldo',
    'S1 Arbeitslosigkeit …') or a word in brackets ('… (A4)', '(INKAR a_bev65um)') made of letters with digits or
    underscores; compared without case."""
    words_ = str(name).split()
    first = [words_[0]] if words_ else []
    bracketed = [w for part in re.findall(r"\(([^)]*)\)", str(name)) for w in re.split(r"[\s;,]+", part)]
    return {w.casefold() for w in first + bracketed if _CODE.match(w)}


def code_index(catalog: Catalog) -> dict[str, list]:
    """Code (case-folded) → the catalog indicators whose names carry it (:func:`name_codes`)."""
    out: dict[str, list] = {}
    for ind in catalog:
        for code in name_codes(ind.name):
            out.setdefault(code, []).append(ind)
    return out


_matcher: list[tuple[Catalog, Matcher]] = []


def matcher_for(catalog: Catalog) -> Matcher:
    """One matcher per catalog (its word weights are computed once): the last catalog's, kept with the catalog
    itself, so that another catalog made later at the same address (an id reused) never meets its matcher."""
    if not _matcher or _matcher[0][0] is not catalog:
        _matcher[:] = [(catalog, Matcher(catalog))]
    return _matcher[0][1]


_KEY_WORDS = re.compile(r"(?i)(^|[\s_\-])(id|nr|no|code|key|schl|schluessel|kennziffer|ags|ars)($|[\s_\-.])|"
                       r"_id$|id_|nummer")


_PERIOD_CELL = r"(\d{1,2}\.\d{1,2}\.)?(19|20)\d\d(-\d{1,2}(-\d{1,2})?)?"
"""A cell that is a year, a month or a date ('2022', '31.12.2022', '2022-12', '2022-12-31')."""


def _names_beside(table: RawTable, frame: pd.DataFrame, codes: int, period: int | None, decimal: str) -> int | None:
    """Beside a column of codes no header names as such ('Nr.'), the one column of words headed by a level word
    ('Planungsraum'), where the codes' header names no other level: the regions' names."""
    from ml.importers.mapping import place_level

    levels = [i for i, h in enumerate(table.header) if i not in (codes, period) and canonical_level(h)
              and _numeric_kind(frame[f"c{i}"], decimal) == "text"]
    if len(levels) != 1 or place_level(table.header[codes]) not in (None, canonical_level(table.header[levels[0]])):
        return None
    return levels[0]


def _long_names_beside_codes(out: Suggestion, table: RawTable, frame: pd.DataFrame, found: int | None,
                             nm: int | None, decimal: str) -> None:
    """In a long table read by its codes, the column of the regions' names beside them as ``name_column`` (the
    name column found, :func:`_names_beside` included, or the column of names first taken for the regions): a code
    that is no region of the store is then looked up by its name."""
    codes = table.header.index(out.region_column) if out.region_column is not None else None
    names = next((i for i in (nm, found)
                  if i not in (None, codes) and _numeric_kind(frame[f"c{i}"], decimal) == "text"), None)
    if codes is None or names is None or not frame[f"c{codes}"].str.strip().str.fullmatch(r"\d+").any():
        out.name_column = None
        return
    out.name_column, out.names_beside_codes = table.header[names], True
    _note_codes(out, table, frame, codes, names)


def _code_column(table: RawTable, frame: pd.DataFrame, names: int, period: int | None, decimal: str) -> int | None:
    """Where the region column found holds names, a column named like a key ('Nr.', 'NR', 'Nummer') whose cells
    are digits that do not repeat within a period, on every row but a few (a total's row has none, or 'Berlin'):
    its position (codes that lost a leading zero are read by the import, :mod:`ml.validation`)."""
    keys = [i for i, h in enumerate(table.header)
            if i not in (names, period) and _KEY_WORDS.search(h) and not breakdown_words(h)]
    if not keys or _numeric_kind(frame[f"c{names}"], decimal) != "text":
        return None
    for i in keys:
        cells = frame[f"c{i}"].str.strip()
        given = cells.str.fullmatch(r"\d+")
        if given.sum() < max(2, len(cells) - max(2, 0.05 * len(cells))):     # a total's row or two has none
            continue
        keyed = pd.DataFrame({"v": cells[given]})
        if period is not None:
            keyed["p"] = frame.loc[given, f"c{period}"].str.strip()
        if not keyed.duplicated().any():
            return i
    return None


def _note_codes(out: Suggestion, table: RawTable, frame: pd.DataFrame, codes: int, names: int) -> None:
    """Say that the codes are read rather than the names, and which rows have no code (totals)."""
    out.notes.append(f"the regions are read by their codes in {table.header[codes]!r}, not by their names in "
                     f"{table.header[names]!r} (a name may be spelt otherwise or name regions on two levels); a code "
                     "that is no region of the store is looked up by its name (name_column)")
    _note_without_code(out, table, frame, codes, names)


def _note_remainder(out: Suggestion, cells: pd.Series, names: pd.Series | None) -> None:
    """Rows whose region cell (or the name beside it) names the remainder of no region ('ohne Zuordnung', 'nicht
    zuordenbar': :data:`ml.parsing.REMAINDER`): left out and counted with ``outside_regions: leave_out``, proposed,
    instead of quarantined as regions the store lacks (which refuses the import where they are more than its limit)."""
    said = cells.map(names_no_region) | (names.map(names_no_region) if names is not None else False)
    if not said.any():
        return
    shown = ", ".join(map(repr, (names if names is not None else cells)[said].str.strip().unique()[:3]))
    out.outside_regions = True
    out.notes.append(f"{int(said.sum())} row(s) name no region ({shown}): the remainder not assigned to any area, "
                     "left out and counted with outside_regions: leave_out (so are rows of regions the store does "
                     "not hold, which the import report names)")


def _note_without_code(out: Suggestion, table: RawTable, frame: pd.DataFrame, codes: int, names: int | None) -> None:
    """In a column of codes, the few rows without one ('Berlin', an empty cell: the city's total), named."""
    cells = frame[f"c{codes}"].str.strip()
    blank = ~cells.str.fullmatch(r"\d+") & ~cells.map(names_no_region)       # a remainder is said of on its own
    if not blank.any() or blank.all() or blank.sum() > max(2, 0.05 * len(cells)):     # all: a column of names
        return
    others = [f"c{i}" for i in range(len(table.header)) if i not in (codes, names)]
    if others:      # a line of text under the table holds no number: not a row of values
        rows = frame.loc[blank, others]
        blank.loc[rows.index] = rows.apply(lambda c: c.str.strip().str.fullmatch(r"-?[\d.,]+")).any(axis=1)
    if not blank.any():
        return
    labels = cells[blank] + (" " + frame.loc[blank, f"c{names}"].str.strip() if names is not None else "")
    labels = labels.str.split().str.join(" ")
    shown = ", ".join(repr(n) for n in labels[labels.ne("")].unique()[:3]) or "no name either"
    words = int((blank & cells.ne("")).sum())
    out.notes.append(f"{int(blank.sum())} row(s) without a code in {table.header[codes]!r} ({shown}: a total, or a "
                     "remainder of no region?) are quarantined" + (
                         f"; with outside_regions: leave_out, the {words} writing a word there are left out and "
                         "counted instead" if words else ""))


def _note_repeated_codes(out: Suggestion, table: RawTable, r: int, p: int | None) -> None:
    """A region list's codes that repeat (within a period), named with their lines: the import quarantines every row
    of such a code (which of them is the region, the file does not say)."""
    frame = table.frame()
    keyed = pd.DataFrame({"v": frame[f"c{r}"].str.strip().to_numpy(),
                          "p": "" if p is None else frame[f"c{p}"].str.strip().to_numpy()})
    repeated = keyed[keyed.duplicated(keep=False) & keyed["v"].ne("")]
    if repeated.empty:
        return
    shown = "; ".join(f"{code} in lines {', '.join(str(table.lines[i]) for i in rows.index)}"
                      for code, rows in list(repeated.groupby("v", sort=False))[:3])
    out.notes.append(f"{table.header[r]!r} repeats {repeated['v'].nunique()} code(s) ({shown}): the import "
                     "quarantines every row of a repeated code and names them; check which region each row is")


def _key_column(table: RawTable, period: int | None, decimal: str = ",") -> int | None:
    """No header says 'region': the left-most column named like a key (…_id, Nr, Schlüssel) or of names, whose
    values are given for every row and do not repeat within a period."""
    frame = table.frame()
    keys = frame[f"c{period}"].str.strip() if period is not None else None
    for i, h in enumerate(table.header):
        if i == period:
            continue
        values = frame[f"c{i}"].str.strip()
        if values.eq("").any():
            continue
        repeated = values.duplicated() if keys is None else pd.DataFrame(
            {"k": keys.to_numpy(), "v": values.to_numpy()}).duplicated()
        kind = _numeric_kind(values, decimal)
        # codes under a key's name ('id') that repeat in a row or two of hundreds (a map's one feature drawn twice,
        # Berlin's 06010102): the key, whose repeated rows the import names, not the names beside it
        unique = not repeated.any() or (_KEY_WORDS.search(h) is not None and values.str.fullmatch(r"\d+").all()
                                        and repeated.sum() <= max(1, 0.01 * len(values)))
        unnamed_codes = re.fullmatch(EMPTY_NAME.format(r"\d+"), h) and values.str.fullmatch(r"[\w-]+").all()
        if unique and (kind == "text" or (kind == "integer" and _KEY_WORDS.search(h)) or unnamed_codes) and \
                not breakdown_words(h):
            return _code_behind_type(frame, i, len(table.header))
    return None


_TYPED_ID = re.compile(r"^([A-Za-z][\w\-]*[.:/#])(\d+)$")
"""A GML feature's id: the feature type's name, a separator, the code ('re_planungsraum.01011101')."""


def _code_behind_type(frame: pd.DataFrame, key: int, width: int) -> int:
    """For a key of GML ids ('re_planungsraum.01011101', the TopoJSON of Berlin's LOR), the column that holds their
    codes alone on every row ('spatial_name': '01011101'), which a table of values writes; else the key itself."""
    found = frame[f"c{key}"].str.strip().str.extract(_TYPED_ID)
    if found[1].isna().any() or found[0].nunique() != 1:
        return key
    return next((i for i in range(width) if i != key
                 and frame[f"c{i}"].str.strip().reset_index(drop=True).equals(found[1].reset_index(drop=True))), key)


BREAKDOWNS = {"type", "typ", "art", "group", "gruppe", "klasse", "class", "category", "kategorie", "sex", "gender",
              "geschlecht", "alter", "age", "altersgruppe", "status", "nationality", "staatsangehoerigkeit",
              "household", "haushalt", "haushalte", "haushaltstyp", "familienstand", "merkmal"}
"""Words of a key column's name that name a breakdown of persons or households, not places."""


def _age_table(out: Suggestion, table: RawTable, frame: pd.DataFrame, decimal: str, names: list[str], skip: set,
               catalog: Catalog) -> None:
    """A table by age: its age columns are no unmatched columns; the column that is the sum of the groups on every row
    is proposed as the total of the group of persons the table counts (all residents: einwohner)."""
    from ml.age_groups import parse_header, population_of, sexed_groups_of_header, total_column
    from ml.parsing import parse_numbers

    groups, _ = sexed_groups_of_header(table.header, {i for i in skip if i is not None})
    ages = {names[i] for i, h in enumerate(table.header) if parse_header(h) is not None}
    out.unmatched = [c for c in out.unmatched if c not in ages]
    population = population_of(table.header, groups, out.path.name)
    numbers = {i: parse_numbers(frame[f"c{i}"], decimal).values for i in range(len(table.header))
               if i not in skip and names[i] not in out.code_parts and (i in groups or (
                   names[i] not in ages and _numeric_kind(frame[f"c{i}"], decimal) in ("integer", "decimal")))}
    plain = [i for i, (_, sex) in groups.items() if sex is None] or list(groups)
    total = total_column(numbers, plain)
    count = "einwohner" if population is None else population.count
    name = next((i.name for i in catalog if i.indicator_id == count), None)
    if total is not None and name is not None:
        out.unmatched = [c for c in out.unmatched if c != names[total]]
        out.matches = [m for m in out.matches if m.indicator_id != count and m.column != names[total]] + [
            Match(column=names[total], indicator_id=count, name=f"{name}: the sum of the age groups on every row",
                  score=1.0)]
    if population is None:
        out.notes.append(f"a table of residents by age: its {len(groups)} age groups are imported as ew_alter_* "
                         "without a mapping (sums and other cuts beside them are left aside); a column under 'columns' "
                         "(a total, another population) is imported beside them, an age group under 'columns' (under "
                         "18 as ew_unter18) as both; 'features' sums the catalog's counts by age (einwohner, ew_unter18 "
                         "…) from the groups where they are not imported")
        return
    theirs = [m.column for m in out.matches if m.column in ages]     # 'unter 6' of foreigners is no ew_unter6
    out.matches = [m for m in out.matches if m.column not in ages]
    out.notes.append(f"a table by age of {population.label} ({population.said}), not of all residents: its age groups "
                     "are not imported (the catalog has none of them by age)" + (
                         f", nor proposed as the residents' counts by age ({', '.join(theirs)})" if theirs else "") + (
                         f"; its total is, as {count}" if total is not None and name is not None else
                         "; map its total under 'columns' to import it"))


def breakdown_words(header: str) -> list[str]:
    """The words of ``header`` that name a breakdown ('household_type_id': household, type), none for a place
    ('district_id', 'Stadtteil-Nr')."""
    return [w for w in re.findall(r"[a-z]+", fold(header).replace("_", " "))
            if w in BREAKDOWNS or w.endswith(("typ", "gruppe", "klasse", "kategorie"))]


def _file_context(path: Path) -> str:
    """Words of the file name that describe a single value column ('fl_unemployed_residents_by_district')."""
    stem = re.sub(r"(?i)_?by_?(district|region|stadtteil|gebiet)s?", " ", path.stem)
    return re.sub(r"[_\-]+", " ", stem)


QUALIFIERS = {"plus", "unter", "male", "female", "maennlich", "weiblich", "frauen", "maenner"}
"""Words of a header that only narrow a group by age or sex ('age_65_and_above', 'weiblich')."""
_QUALIFYING = QUALIFIERS | SHARE_WORDS | {"einwohner", NEGATION}
"""Words that qualify a rate's numerator ('Einwohner 65+', 'Anteil') rather than name what it counts."""

SUBGROUPS = {
    "arbeitslose", "langzeitarbeitslose", "leistungsberechtigte", "sgb2", "empfaenger", "wohngeld",
    "bedarfsgemeinschaften", "schueler", "pflegebeduerftige", "schwerbehinderte", "waehler", "wahlberechtigte",
    "lebendgeborene", "gestorbene", "zuzuege", "fortzuege", "grundsicherung", "asylblg", "beschaeftigte",
    "sozialversicherungspflichtig", "employed", "employees", "insured", "benefits", "homeless", "homelessness",
    "wohnungslose", "wohnungslosigkeit", "obdachlose", "pension", "rente", "debt", "schulden", "cases", "faelle", "assistance",
    "hilfe", "hilfen", "support", "refugees", "gefluechtete", "asyl", "alleinerziehende", "eltern", "parents",
}
"""Words of a file name that name a group of persons other than all residents (after the header synonyms)."""


def file_subject(path: Path) -> list[str]:
    """The groups of persons a file's name names ('fl_employed_with_pension_insurance_by_district': employed,
    pension; 'unemployed_residents': arbeitslose), or none where it lists several ('einwohner_und_arbeitslose')."""
    return subject_of(_file_context(Path(path)))


def subject_of(text: str) -> list[str]:
    """The groups of persons a name names (a file's, or that of the object a JSON record nests its fields in:
    'basic_benefits_income': benefits), none where it lists several."""
    context = re.sub(r"[_.\-]+", " ", text)
    if names_several(context):
        return []
    return [w for w in dict.fromkeys(words(context)[0]) if w in SUBGROUPS]


def code_part(codes: pd.Series, values: pd.Series) -> bool:
    """Whether ``values`` are, on every row, the digits at one fixed place of the row's region code (leading
    zeros restored on both: '1' and '01', '1011101' and '01011101'), and shorter than it. A flag of two values
    (inner or outer city) is none: it could meet a digit of the code by chance. One value of at least three digits on
    every row is a part too: a county's own extract of a Land's table repeats its Kreis code ('14524')."""
    c, v = codes.str.strip(), values.str.strip()
    if len(c) == 0 or not (c.str.fullmatch(r"\d+").all() and v.str.fullmatch(r"\d+").all()):
        return False
    c = c.str.zfill(int(c.str.len().max()))
    v = v.str.zfill(int(v.str.len().max()))
    width, total = len(v.iloc[0]), len(c.iloc[0])
    if width >= total or (v.nunique() < 3 and (v.nunique() > 1 or width < 3 or len(v) < 3)):
        return False
    return any((c.str[p: p + width] == v).all() for p in range(total - width + 1))


def _names_any(matcher: "Matcher", indicator_id: str, subject: list[str]) -> bool:
    """Whether an indicator's name or id speaks of one of the groups (a word covering another)."""
    cand = next(c for c in matcher.candidates if c.indicator_id == indicator_id)
    found = {w for v in cand.variants for w in v[0]}
    return any(max(cover(g, w), cover(w, g)) >= 0.8 for g in subject for w in found)


def _q(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def render_yaml(s: Suggestion) -> str:
    """A suggestion's mapping as YAML text."""
    lines = [f"# mapping suggested for {s.path.name}: check every line before importing with",
             f"#   sozialradar ingest {s.path.name} --mapping THIS_FILE",
             f"# matches with a score below {SURE} are uncertain; unmatched columns are listed at the end"]
    lines += [f"# note: {n}" for n in s.notes]
    if s.format == "crosswalk":       # nothing to import: the note says where the file goes
        return "\n".join(lines[:1] + lines[3:]).replace(": check every line before importing with", "") + "\n"
    if s.format in ("mss", "inkar", "measures", "facilities"):
        lines.append(f"format: {s.format}")
        return "\n".join(lines) + "\n"
    if s.format in ("wide", "long", "regions"):
        lines.append(f"format: {s.format}")
    if isinstance(s.sheet, list):
        lines.append(f"sheet: [{', '.join(map(_q, s.sheet))}]   # one table per sheet, each an import of its own")
    elif s.sheet is not None:
        lines.append(f"sheet: {_q(s.sheet)}")
    if s.header_line != 1:
        lines.append(f"header_line: {s.header_line}")
    if s.header_rows:
        lines.append(f"header_rows: {s.header_rows}   # the header's rows, joined into one name per column")
    if s.hierarchy:
        lines.append("hierarchy:")
        for h in s.hierarchy:
            lines.append(f"  - {{level: {_q(h['level'] or '')}, id: {_q(h['id'])}"
                         + (f", name: {_q(h['name'])}" if h["name"] else "")
                         + (", local: true" if h["local"] else "") + "}"
                         + ("" if h["level"] else "   # set the level: " + "|".join(LEVELS)))
        return "\n".join(lines) + "\n"
    if s.regions_in_columns:
        lines.append("regions_in_columns: true   # the regions (or years) stand in the header: read turned, see the "
                     "note")
    if s.region_column is not None:
        lines.append(f"region_column: {_q(s.region_column)}" + ("   # the header's cells, read turned"
                                                               if s.regions_in_columns else ""))
        if s.code_and_name:
            lines.append("code_and_name: true   # each cell a code and a name: read apart")
        if s.names_beside_codes and s.name_column:
            lines.append(f"name_column: {_q(s.name_column)}   # where a code is no region of the store, its name "
                         "finds it")
    else:
        lines.append("# region_column: ''   # the column of region codes or names")
        lines.append(f"# region: {_q(s.region)}   # the store's one region above all others, {s.region_named}: no "
                     "title line names a region; remove the '# ' if the table is its" if s.region_unnamed else
                     f"region: {_q(s.region)}   # the table's one region: {_q(s.region_named)} in its title or file "
                     "name, check" if s.region else "# region: ''          # or, for a table of one region (the whole city "
                     "or county): its code or name")
    if s.format == "regions":
        if s.name_column is not None and s.name_column != s.region_column:
            lines.append(f"name_column: {_q(s.name_column)}")
        if s.code_levels:
            known = {n: w for n, w in s.code_levels.items() if w}
            lines.append(("" if known else "# ") + "code_levels: {" + ", ".join(
                f"{n}: {w or '?'}" for n, w in s.code_levels.items() if w or not known) + "}   # each row's level by "
                "the length of its code: check" + ("; " + ", ".join(f"{n}" for n, w in s.code_levels.items() if not w)
                                                   + " digits: no level, quarantined"
                                                   if known and len(known) < len(s.code_levels) else ""))
        by_code = any(s.code_levels.values())       # each row's level from its code: no level for all
        if not by_code and s.level_column is None and s.level is not None:
            lines.append(f"level: {s.level}   # check it (" + "|".join(LEVELS) + ")")
        elif not by_code and s.level_column is None:
            lines.append("# level: stadtteil   # the level of every region" + (
                f" ({_q(s.level_words[1])} in the file)" if s.level_words else "") + ": " + "|".join(LEVELS))
        if s.parent_column is not None:
            lines.append(f"parent_column: {_q(s.parent_column)}   # each region's parent, by its code")
        if s.parent is not None:
            lines.append(f"# parent: {_q(s.parent)}   # every region's parent: {s.parent_named}, the store's one "
                         "region above the list")
        if s.unknown_levels:
            lines.append(f"# {s.level_column!r} writes levels in words of its own: name the level of each ("
                         + "|".join(LEVELS) + ") and remove the '# '")
            lines.append("# levels:")
            lines += [f"#   {_q(w)}: ?   # {n} row{'s' if n != 1 else ''}" for w, n in s.unknown_levels.items()]
        if s.sum_rows:
            lines.append("sum_rows: true   # rows of coarser regions and of the whole among the regions: see the note")
        if s.parent_code is not None:
            lines.append(f"# parent_code: {s.parent_code}      # each region's parent: the first {s.parent_code} "
                         "characters of its code (the Kreis of an AGS)")
            lines.append("# parent_level: kreis  # and the parents the store lacks are created, named 'Kreis "
                         "<code>' until a region list names them")
        return "\n".join(lines) + "\n"
    if s.period_column is not None:
        lines.append(f"period_column: {_q(s.period_column)}")
    elif s.period == SHEET_NAME:
        lines.append(f"period: {SHEET_NAME}   # each sheet's period from its name: check them")
    elif s.period == TITLE:
        lines.append(f"period: {TITLE}   # each sheet's period from its title lines: check them")
    elif s.period is not None and s.format == "wide" and s.matches and all(m.period for m in s.matches):
        # every column names its own year: the title's year would only date a column filled in without one
        lines.append(f"# period: {_q(s.period)}   # from {s.period_source}: every column above names its own year; "
                     "this one only for a column filled in without one")
    elif s.period is not None:
        lines.append(f"period: {_q(s.period)}   # from {s.period_source}: check it")
        if s.period_source in ("the title lines", "the date in the title lines") and s.header_line > 1:
            lines.append("# period: title   # instead: each edition's period from its own title lines, one mapping "
                         "for every edition")
        if s.period_source == "the file name":
            lines.append("# period: file_name   # instead: each file's period from its own name, one mapping for "
                         "every edition")
    elif s.period_hint is not None:
        lines.append(f"# period: {_q(s.period_hint)}   # the file name names a part of the year: see the note")
    elif s.format == "wide" and (s.unmatched or any(m.period is None for m in s.matches)):
        lines.append("# period: 'YYYY'   # the reference year of the columns that do not name one")
    if s.format == "long":
        lines.append(f"indicator_column: {_q(s.indicator_column)}")
        lines.append(f"value_column: {_q(s.value_column)}")
        if s.matches or s.unmatched:
            lines.append(("" if s.matches else "# ") + f"indicators:   # the cells of {_q(s.indicator_column)} -> "
                         "catalog ids" + ("" if s.matches else " (remove the '# ' before this line and each filled one)"))
            lines += _match_lines(s.matches)
            lines += [f"#  {_q(c)}: ?   # no match" for c in s.unmatched]
        return "\n".join(lines) + "\n"
    if s.dash:
        lines.append(f"dash: {s.dash}   # the table's legend: see the note")
    if s.withheld:
        lines.append(f"withheld: [{', '.join(map(_q, s.withheld))}]   # " + (
            "withheld, as the table's legend says: see the note" if s.dash else
            "small counts withheld, it seems: see the note"))
    if s.sum_rows:
        lines.append("sum_rows: true   # rows of the whole are left out: see the note")
    if s.outside_regions:
        lines.append("outside_regions: leave_out   # rows of no region ('ohne Zuordnung') left out and counted: see "
                     "the note")
    if s.matches:
        lines.append("columns:")
        lines += _match_lines(s.matches)
    if s.unmatched:     # right under 'columns', so that a line filled in and uncommented maps its column
        if not s.matches:
            lines.append("# columns:   # remove the '# ' before this line and before each line filled in")
        lines.append("# columns without a match (not imported; fill in an indicator and remove the '# ' to import "
                     "one):")
        lines.append("#   (an indicator the catalog lacks: a line of a catalog file of your own, listed under catalog: "
                     "indicators: in sozialradar.yaml)")
        said = {}
        for sh in s.shares:        # what the table itself says the columns are
            said.setdefault(sh.share, f"= {sh.formula()}")
            said.setdefault(sh.numerator, f"the numerator of {sh.share!r} = {sh.formula()}")
            said.setdefault(sh.denominator, f"the denominator of {sh.share!r}")
        for check in s.sums:        # and which counts add up
            rel = check.relation
            total = len(rel.left) == 1 and len(rel.right) > 1
            for c in rel.columns:
                said.setdefault(c, (f"the total of {len(rel.right)} columns under 'sums'" if c in rel.left else
                                    f"a part of {rel.left[0]!r} (under 'sums')") if total else
                                "in a sum under 'sums'")
        said.update(s.unnamed)
        lines += [f"#  {_q(c)}: ?" + (f"   # {said[c]}" if c in said else "") for c in s.unmatched]
    if s.sums:
        lines.append("sums:   # columns that add up on every row: 'ingest' quarantines the values of a row where not")
        for check in s.sums:
            held = (f"{check.rows} of {check.rows} rows" if not len(check.failing) else
                    f"fails on {len(check.failing)} of {check.rows} rows: see the note")
            lines.append(f"  - {{left: [{', '.join(map(_q, check.relation.left))}], "
                         f"right: [{', '.join(map(_q, check.relation.right))}]}}   # {held}")
    if s.code_parts or s.left_aside:
        why = (["parts of the region code"] if s.code_parts else []) + (["no periods"] if s.left_aside else [])
        lines.append("ignore_columns: [" + ", ".join(_q(c) for c in s.code_parts + s.left_aside) + "]   # "
                     + "; ".join(why))
    return "\n".join(lines) + "\n"


def _match_lines(matches: list[Match]) -> list[str]:
    lines = []
    for m in matches:
        value = f"{{indicator: {m.indicator_id}, period: {_q(m.period)}}}" if m.period else m.indicator_id
        alt = f"; or {m.runner_up}" if m.runner_up else ""
        base = "; the header names the term, not its base: check" if m.by_term else ""
        if m.kept is not None:
            lines.append(f"#  {_q(m.column)}: {value}   # {m.name} (score {m.score:.2f}{alt}{base}); "
                         f"{_q(m.kept)} is kept for it")
        else:
            lines.append(f"  {_q(m.column)}: {value}   # {m.name} (score {m.score:.2f}{alt}{base})")
    return lines

"""A county's codebook read as a draft catalog file: the indicators a monitoring's tables name by codes of their
own (``A4`` … ``E8``), each with its label, its long definition, its unit and its group, as a codebook writes them —
a JSON file of any nesting (Berlin's ``indikatorenOverview.json``), a CSV or a workbook sheet with a column each.

The draft is a catalog file (:mod:`ml.catalog`) that loads as it is: one row per indicator, its id made of its
label, its name the definition with the code in brackets (so that ``mapping suggest`` reads the table's codes as
these indicators), its kind read from the unit and the words (``%``: a share published without its parts; ``je 100
Einwohner``: a rate; a ``Saldo`` per 100: a signed index; ``qm je Einwohner``, ``€``: a mean), its group from the
codebook's group or, where that names no group of the catalog, from the shipped indicator it is most like. What a
codebook does not say — whether more is more burden — is taken only from a shipped indicator it is sure to be
(polarity), else left neutral (0) and listed for the analyst, with the likely peers named."""
from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ml.catalog import Catalog, CatalogError, check_references, read_indicators
from ml.importers.region_list import clean_names
from ml.io import FileFormatError
from ml.regions import fold
from ml.suggest import PERCENT, SURE, STOP, Matcher, name_codes, written_base

COLUMNS = ("indicator_id", "name", "dimension", "unit", "polarity", "kind", "numerator", "denominator", "scale",
           "frequency", "monitors", "lenses", "basis", "persons", "min", "max", "source", "carried", "balance_of")
"""The columns of the draft: those of the shipped catalog file."""

LIKELY = 0.45
"""Below :data:`ml.suggest.SURE`, from this score on a shipped indicator of the same kind is named as a likely peer
(its polarity offered, not taken)."""

NAME_LENGTH = 100
"""A definition longer than this is too long for a page's name: the label stands for it."""

_CODE_KEY = re.compile(r"^(code|codes|kuerzel|kurzel|kurzzeichen|kennung|kennziffer|kennzahl|kennzeichen|nr|nummer|no|"
                       r"id|key|schluessel|abkuerzung|kurzname|indikatornr|indikator_nr|indicator_id|short_code|"
                       r"variable|variablenname|var|merkmal|spalte|column|spaltenname|column_name)$")
_UNIT_KEY = re.compile(r"(^|[_\-\s])(unit|einheit|masseinheit|mass)($|[_\-\s])|^einheit")
_GROUP_KEY = re.compile(r"^(group|gruppe|bereich|themenbereich|handlungsfeld|themenfeld|thema|topic|kategorie|"
                        r"category|lebenslage|dimension|domain|sachgebiet|kapitel|feld|indikatorengruppe)$")
_LABEL_KEY = re.compile(r"^(label|labels|bezeichnung|kurzbezeichnung|kurztext|kurzname_text|titel|title|indikator|"
                        r"indicator|indikatorname|text_sm|short|kurz|name|caption)$")
_TEXT_KEY = re.compile(r"^(definition|beschreibung|description|erlaeuterung|erklaerung|langtext|langbezeichnung|"
                       r"text_lg|long|lang|berechnung|formel|text)$")
_ASIDE_KEY = re.compile(r"^(notes?|anmerkungen?|hinweise?|bemerkungen?|kommentar|comment|quelle|source|missing.*|"
                        r"class|klasse|color|farbe|icon|url|link)$")
"""Fields that are no label, definition, unit or group of an indicator (a remark, the source, a style)."""
_IDENT = re.compile(r"^(?=.*[A-Za-z])(?=.*[\d_])[A-Za-z0-9_.\-]+$")
"""A value that is an identifier, no text ('indGr1', 'A4', 'a_bevf')."""
_KEY_ROW = re.compile(r"^(id|ids|key|keys|schluessel|kennung|identifier|text|code)$|(?<![a-z])(ags|ars)(?![a-z])|"
                      r"schluessel")
"""The unit or group of a codebook's row that documents a key column, no indicator ('5-digit AGS', 'text', group
'ID')."""
_PERIOD_CODE = re.compile(r"^(year|jahr|zeit|period|periode|datum|date|stichtag|stand|berichtsjahr)$")
"""The code of a codebook's row that documents the period column ('year')."""
_SIGNED = re.compile(r"saldo|veraenderung|differenz|zunahme|abnahme|zuwachs|wachstum|balance|change")
_MEAN = re.compile(r"(?<![a-z])(je|pro|per)\s+(?!100|1\.?000|10\.?000)[a-z]|/\s*[a-z]|euro|€|(?<![a-z])(qm|m²|m2|km|"
                   r"jahr|jahre|jahren|years|tage|tagen|days|minuten|minutes|stunden|hours|eur|euros?)(?![a-z])|"
                   r"durchschnitt|mittelwert|median|mittlere|average|mean")
_COUNT = re.compile(r"^(anzahl|personen|faelle|haushalte|einwohner|menschen|kinder|wohnungen|betriebe|count|absolut)$")
_INDEX = re.compile(r"(?<![a-z])(index|indexwert|punkte|score)(?![a-z])")


@dataclass(frozen=True)
class Entry:
    """One indicator of a codebook: its code, short label, long definition (empty where the codebook gives one
    text), unit and group, and where it stands (a JSON path or a line)."""

    code: str
    label: str
    text: str = ""
    unit: str = ""
    group: str = ""
    where: str = ""


@dataclass
class Draft:
    """A codebook entry as a catalog row, with how each guess was made."""

    entry: Entry
    row: dict[str, str]
    kind_why: str
    group_why: str
    polarity_why: str
    likely: list[tuple[str, int, float]] = field(default_factory=list)
    """Shipped indicators of the same kind it is likely like (id, polarity, score), where none is sure."""


def _clean(text: object) -> str:
    return clean_names(pd.Series([str(text)])).iloc[0] if str(text).strip() else ""


def _is_text(value: object) -> bool:
    return (isinstance(value, str) and bool(re.search(r"[^\W\d_]{3}", value)) and not _IDENT.match(value.strip())
            and not value.strip().lower().startswith(("http://", "https://", "#")))


def _key(name: object) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", fold(str(name))).strip("_")


def read_codebook(path: Path, sheet: str | int | None = None) -> list[Entry]:
    """The entries of a codebook file: ``.json`` read as a tree (every record of texts without records below it is
    an entry, its code the key it stands under or its code field, its group the name of the record above it), any
    other file as a table (:func:`ml.suggest.find_header`). :class:`ml.io.FileFormatError` where it holds none."""
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"file not found: {path}")
    if path.suffix.lower() == ".json":
        try:
            tree = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FileFormatError(f"{path}: no JSON: {exc}") from None
        entries: list[Entry] = []
        _walk(tree, None, "", "", entries)
    else:
        entries = _table_entries(path, sheet)
    entries = [e for e in entries if not _KEY_ROW.search(fold(e.unit).strip()) and not _KEY_ROW.match(fold(e.group))
               and not _PERIOD_CODE.match(fold(e.code))]
    if not entries:
        raise FileFormatError(f"{path}: no indicators found: a codebook needs a code and a label per indicator "
                              "(JSON records of texts, or a table with a column of codes and one of labels)")
    seen: dict[str, str] = {}
    for e in entries:
        if e.code in seen:
            raise FileFormatError(f"{path}: the code {e.code!r} stands twice ({seen[e.code]}; {e.where}): which of "
                                  "the two does the table mean?")
        seen[e.code] = e.where
    return entries


def _walk(node: object, key: str | None, group: str, where: str, out: list[Entry]) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, None, group, f"{where}[{i}]", out)
        return
    if not isinstance(node, dict):
        return
    inner = {k: v for k, v in node.items() if isinstance(v, (dict, list))}
    plain = {str(k): v for k, v in node.items() if not isinstance(v, (dict, list))}
    units = [str(v) for k, v in plain.items() if _UNIT_KEY.search(_key(k)) and v is not None]
    groups = [str(v) for k, v in plain.items() if _GROUP_KEY.match(_key(k)) and _is_text(v)]
    codes = [str(v).strip() for k, v in plain.items() if _CODE_KEY.match(_key(k)) and str(v).strip()]
    named = [str(v).strip() for k, v in plain.items() if _key(k) == "name" and _IDENT.match(str(v).strip())]
    texts = [_clean(v) for k, v in plain.items() if _is_text(v) and not _UNIT_KEY.search(_key(k))
             and not _GROUP_KEY.match(_key(k)) and not _ASIDE_KEY.match(_key(k))]
    said = {role: _clean(v) for k, v in plain.items() if _is_text(v)
            for role, rule in (("label", _LABEL_KEY), ("text", _TEXT_KEY)) if rule.match(_key(k))}
    if inner:
        label = min(texts, key=len) if texts else group
        for k, v in inner.items():
            _walk(v, str(k), label, f"{where}.{k}" if where else str(k), out)
        return
    code = (key if key is not None and not named and not codes else (named or codes or [key])[0])
    if code is None or not texts:
        return
    ordered = sorted(dict.fromkeys(texts), key=len)
    label = said.get("label") or ordered[0]
    text = said.get("text") or next((t for t in reversed(ordered) if t != label), "")
    out.append(Entry(code=str(code).strip(), label=label, text=text,
                     unit=_clean(units[0]).strip("() ") if units else "", group=_clean(groups[0]) if groups else group,
                     where=where))


def _table_entries(path: Path, sheet: str | int | None) -> list[Entry]:
    from ml.suggest import find_header

    table, header_line, _, _ = find_header(path, sheet)
    frame = table.frame()
    header = [_key(h) for h in table.header]
    filled = {i: frame[f"c{i}"].str.strip() for i in range(len(header)) if f"c{i}" in frame}
    role_unit = next((i for i, h in enumerate(header) if _UNIT_KEY.search(h) and i in filled), None)
    role_group = next((i for i, h in enumerate(header) if _GROUP_KEY.match(h) and i in filled), None)
    role_code = next((i for i, h in enumerate(header) if _CODE_KEY.match(h) and i in filled), None)
    if role_code is None:           # the first column of short unique words without blanks
        role_code = next((i for i, cells in filled.items() if (v := cells[cells.ne("")]).size and v.is_unique
                          and v.str.len().le(16).all() and not v.str.contains(r"\s").any()), None)
    texts = [i for i, cells in filled.items() if i not in (role_unit, role_group, role_code)
             and not _ASIDE_KEY.match(header[i]) and cells[cells.ne("")].map(_is_text).mean() >= 0.8]
    if role_code is None or not texts:
        return []
    by_length = sorted(texts, key=lambda i: filled[i].str.len().mean())
    label = next((i for i in texts if _LABEL_KEY.match(header[i])), by_length[0])
    text = next((i for i in texts if _TEXT_KEY.match(header[i]) and i != label),
                next((i for i in reversed(by_length) if i != label), None))
    out = []
    for row, code in filled[role_code].items():
        if not code or not filled[label][row]:
            continue
        out.append(Entry(code=code, label=_clean(filled[label][row]),
                         text=_clean(filled[text][row]) if text is not None else "",
                         unit=_clean(filled[role_unit][row]).strip("() ") if role_unit is not None else "",
                         group=_clean(filled[role_group][row]) if role_group is not None else "",
                         where=f"line {int(table.lines[row])}"))
    return out


def kind_of(entry: Entry) -> tuple[str, str]:
    """The kind an entry's unit and words tell, and why: a signed change (``Saldo``) per base is an index, without
    one a balance; ``%`` a share; ``je 1.000`` a rate; an amount per unit, of money, area or time a mean; a count's
    unit (``Anzahl``, ``Personen``) a count. ``('', reason)`` where nothing tells it."""
    unit, words = fold(entry.unit), fold(f"{entry.label} {entry.text}")
    unit = re.sub(r"(?<![\d.,])(\d{1,3})\s*k(?![a-z])", lambda m: str(int(m[1]) * 1000), unit)    # 'per 10k'
    base = written_base(unit) or (None if unit else written_base(entry.text))
    percent = base == 100 and bool(PERCENT.search(unit or words))
    if _SIGNED.search(words):
        return ("index", f"a change ({_SIGNED.search(words)[0]}) per {base}") if base else (
            "balance", f"a change ({_SIGNED.search(words)[0]}) without a base: a signed count")
    if percent:
        return "share", f"unit {entry.unit!r}" if PERCENT.search(unit) else "written in %"
    if base:
        return "rate", f"per {base:,}".replace(",", ".")
    if not unit and re.search(r"(?<![a-z])(anteil|quote)", words):
        return "share", "'Anteil' without a unit"
    if _INDEX.search(f"{unit} {words}"):
        return "index", "an index"
    if _MEAN.search(unit) or (not unit and re.search(r"durchschnitt|mittelwert|median", words)):
        return "mean", f"unit {entry.unit!r}: an amount" if unit else "an average"
    if _COUNT.match(unit.strip()) or (not unit and re.match(r"(anzahl|zahl der)", words)):
        return "count", f"unit {entry.unit!r}" if unit else "'Anzahl'"
    return "", "neither the unit nor the words tell it"


def _slug(text: str) -> str:
    parts = [w for w in re.findall(r"[a-z0-9]+", fold(text)) if w not in STOP]
    return "_".join(parts[:4]) or "indikator"


DIMENSION_WORDS = {
    "bevoelkerung": ("bevoelkerung", "demograf", "demograph", "population", "einwohner", "haushalt", "household",
                     "migration", "wanderung"),
    "arbeit": ("arbeit", "beschaeftig", "erwerb", "labour", "labor", "employment", "econom", "wirtschaft", "income",
               "einkommen"),
    "intervention": ("intervention", "transfer", "sozialleistung", "soziales", "welfare", "grundsicherung"),
    "wohnen": ("wohn", "housing", "miete", "rent"),
    "gesundheit": ("gesundheit", "health", "pflege"),
    "bildung": ("bildung", "education", "schul", "school", "kita", "kinderbetreuung", "childcare"),
    "partizipation": ("partizipation", "beteiligung", "wahl", "election", "participation", "finanz", "financ"),
    "verkehr": ("verkehr", "mobil", "transport", "traffic"),
    "raum": ("raum", "flaeche", "umwelt", "environment", "spatial", "infrastruktur", "infrastructure"),
}
"""Beginnings of the words (German and English) a codebook's group names a shipped dimension by ('Demografie',
'Demographics': bevoelkerung), where its name does not."""


def _dimension_of_group(group: str, catalog: Catalog) -> str | None:
    g = set(re.findall(r"[a-z]+", fold(group)))
    for dim_id, stems in DIMENSION_WORDS.items():
        if dim_id in catalog.dimensions and any(w.startswith(stems) for w in g):
            return dim_id
    for dim in catalog.dimensions.values():
        names = {dim.dimension} | set(re.findall(r"[a-z]+", fold(dim.name)))
        if g & names or any(len(w) >= 5 and any(n.startswith(w) or w.startswith(n) for n in names) for w in g):
            return dim.dimension
    return None


def draft_catalog(entries: list[Entry], catalog: Catalog, prefix: str = "", source: str = "",
                  peers: Catalog | None = None) -> list[Draft]:
    """Catalog rows for ``entries``: ids unique against ``catalog`` (the catalog the draft will extend) and each
    other, names with their codes, kinds, groups and polarities as the module says; ``peers`` (default ``catalog``)
    are the indicators an entry may be like."""
    peer_catalog = peers or catalog
    matcher = Matcher(peer_catalog, threshold=0.0)     # every score: a peer below the suggestion's threshold too
    taken = set(catalog.indicators)
    drafts: list[Draft] = []
    group_dims: dict[str, Counter] = {}
    for e in entries:
        kind, kind_why = kind_of(e)
        scored = []
        for text in filter(None, (e.text, e.label)):
            m = matcher.match(text)
            if m.indicator_id:
                scored.append((m.score, m.indicator_id))
        scored.sort(reverse=True)
        peer = peer_catalog[scored[0][1]] if scored else None
        if not kind and peer is not None and scored[0][0] >= SURE:
            kind, kind_why = peer.kind, f"as {peer.indicator_id}, which it is (score {scored[0][0]:.2f})"
        if not kind:
            kind, kind_why = "mean", "guessed: " + kind_why
        same = [(s, i) for s, i in scored if peer_catalog[i].kind == kind]
        # a codebook of variable names ('share_65plus') names its ids; short codes ('A4') say nothing: the label does
        base = e.code.lower() if re.fullmatch(r"(?=.*[a-z]{3})[a-z][a-z0-9_]{3,40}", e.code.lower()) else _slug(
            e.label or e.text)
        ind_id = f"{prefix}{base}"
        if ind_id in taken:
            ind_id = f"{ind_id}_{_slug(e.code)}"
        n = 2
        while ind_id in taken:
            ind_id, n = f"{prefix}{base}_{_slug(e.code)}_{n}", n + 1
        taken.add(ind_id)
        name = e.text if e.text and len(e.text) <= NAME_LENGTH else e.label
        if e.code.casefold() not in name_codes(name):
            name = f"{name} ({e.code})"
        row = dict.fromkeys(COLUMNS, "")
        row.update(indicator_id=ind_id, name=name, unit=e.unit or {"share": "%"}.get(kind, ""), kind=kind,
                   frequency="annual", source=f"{source}: {e.code}" if source else e.code, polarity="0")
        if kind == "share":
            row.update(numerator="-", denominator="-")
        if same and same[0][0] >= SURE:
            like = peer_catalog[same[0][1]]
            row["polarity"] = str(like.polarity)
            polarity_why = f"as {like.indicator_id}, which it is (score {same[0][0]:.2f})"
        else:
            polarity_why = "not told: neutral"
            same = [(s, i) for s, i in same if peer_catalog[i].polarity]
        drafts.append(Draft(e, row, kind_why, "", polarity_why,
                            likely=[(i, peer_catalog[i].polarity, s) for s, i in same if s >= LIKELY][:1]))
        dim = _dimension_of_group(e.group, catalog) if e.group else None
        if dim:
            row["dimension"], drafts[-1].group_why = dim, f"the codebook's group {e.group!r}"
        elif peer is not None and scored[0][0] >= 0.3:
            row["dimension"] = peer.dimension
            drafts[-1].group_why = f"as {peer.indicator_id} (score {scored[0][0]:.2f})"
            group_dims.setdefault(e.group, Counter())[peer.dimension] += 1
    first = next(iter(catalog.dimensions))
    for d in drafts:
        if not d.row["dimension"]:
            common = group_dims.get(d.entry.group)
            d.row["dimension"] = common.most_common(1)[0][0] if common and d.entry.group else first
            d.group_why = (f"as most of its group {d.entry.group!r}" if common and d.entry.group else
                           "guessed: neither a group nor a shipped indicator tells it")
    return drafts


def catalog_text(drafts: list[Draft]) -> str:
    """The drafts as a catalog file (CSV, the shipped catalog's columns)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for d in drafts:
        writer.writerow(d.row)
    return buffer.getvalue()


def check_draft(text: str, catalog: Catalog) -> None:
    """Load the draft beside the catalog it extends, as a configuration listing it would: a
    :class:`ml.catalog.CatalogError` names what does not load."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "entwurf.csv"
        path.write_text(text, encoding="utf-8")
        try:
            check_references(catalog.extended(read_indicators(path, catalog.dimensions)), str(path))
        except CatalogError as exc:
            raise CatalogError(f"the draft does not load: {exc}") from None


def summary(drafts: list[Draft], catalog: Catalog) -> list[str]:
    """What the draft holds and what to check, one line each: per indicator its id, kind, group and polarity with
    the reason; then the neutral polarities with their likely peers, and the guesses."""
    width = max((len(d.entry.code) for d in drafts), default=0)
    idw = max((len(d.row["indicator_id"]) for d in drafts), default=0)
    lines = []
    for d in drafts:
        dim = catalog.dimensions[d.row["dimension"]].name
        lines.append(f"  {d.entry.code:<{width}}  {d.row['indicator_id']:<{idw}}  {d.row['kind']} ({d.kind_why}); "
                     f"{dim} ({d.group_why}); polarity {d.row['polarity']}")
    neutral = [d for d in drafts if d.row["polarity"] == "0" and not d.polarity_why.startswith("as ")]
    if neutral:
        lines.append(f"polarity 0 (neutral: in no index, no burden read from it) for {len(neutral)} of {len(drafts)}: "
                     "write 1 where more is more burden, -1 where more is less, for every indicator an index is to use")
        for d in neutral:
            if d.likely and d.likely[0][1]:
                peer, pol, score = d.likely[0]
                lines.append(f"  {d.entry.code} {d.row['indicator_id']}: perhaps as {peer} (polarity {pol:+d}; "
                             f"score {score:.2f})")
    guessed = [d for d in drafts if d.kind_why.startswith("guessed") or d.group_why.startswith("guessed")]
    if guessed:
        lines.append("guessed, check: " + ", ".join(
            f"{d.entry.code} ({'kind' if d.kind_why.startswith('guessed') else 'group'})" for d in guessed))
    return lines

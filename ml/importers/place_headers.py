"""Headers that name the codes or the names of places: 'Gemeindeschlüssel', 'municipality_name', 'Kreis (Name)',
'Nummer des Stadtteils' — a code or name word with only place words beside it — and the level such a header names.
"""

from __future__ import annotations

from ml.regions import canonical_level, header_words

PLACE_WORDS = {"municipality", "municipal", "district", "county", "region", "regional", "area", "city", "town",
               "place", "community", "gebiet", "gebiets", "raum", "ort", "stadt", "kommune", "gemeinde", "gemeinden",
               "kreis", "kreises", "lor"}
"""Words for a place in a name column's header ('municipality_name', 'Gemeindebezeichnung'), besides the levels."""

_NAME_WORDS = ("bezeichnung", "name", "names")
_CODE_WORDS = ("schluessel", "kennziffer", "kennzahl", "nummer", "code", "key", "number", "nr", "no", "id")
_LINKS = {"der", "des", "of", "the", "amtlicher", "amtliche", "amtl", "official", "statistischer", "statistische"}


def _place(word: str) -> bool:
    return word in PLACE_WORDS or canonical_level(word) is not None or (
        word.endswith("s") and canonical_level(word[:-1]) is not None)      # 'Stadtteils', 'Kreis' + 's'


def _of_places(header: str, words: tuple[str, ...]) -> bool:
    """Whether ``header`` is one of ``words`` with only place words beside it, or one compound of a place word
    and one of them."""
    parts = [w for w in header_words(header) if w not in _LINKS]
    if not parts:
        return False
    named = [i for i, w in enumerate(parts) if w in words]
    if named:
        rest = [w for i, w in enumerate(parts) if i not in named]
        return len(named) == 1 and bool(rest) and all(_place(w) for w in rest)
    if len(parts) == 1:       # one compound: 'gemeindename', 'kreisschluessel'
        for end in words:
            if parts[0].endswith(end) and len(parts[0]) > len(end):
                return _place(parts[0][:-len(end)])
    return False


def names_places(header: str) -> bool:
    """Whether a header names the names of places: 'municipality_name', 'district name', 'Gemeindename',
    'Stadtteilbezeichnung', 'Name der Gemeinde', 'Kreis (Name)' — a name word with only place words beside it
    (so 'indicator_name' or 'Name des Trägers' are not)."""
    return _of_places(header, _NAME_WORDS)


def codes_places(header: str) -> bool:
    """Whether a header names the codes of places: 'Kreisschlüssel', 'Amtlicher Gemeindeschlüssel',
    'Gemeindekennziffer', 'Kreis-Nr.', 'municipality_code', 'Nummer des Stadtteils' — a code word with only
    place words beside it (so 'household_id' or 'Träger-Nr.' are not)."""
    return _of_places(header, _CODE_WORDS)


def place_level(header: str) -> str | None:
    """The level a region list's code or name header names: 'kreis' for 'Kreisschlüssel', 'Kreis (Name)' or
    'Kreis'; 'stadtteil' for 'Nummer des Stadtteils'; None where it names none or two ('municipality_code')."""
    if not (codes_places(header) or names_places(header) or canonical_level(header)):
        return None
    parts = [w for w in header_words(header) if w not in _LINKS]
    words = []
    for w in parts:
        words.append(w)
        for end in _CODE_WORDS + _NAME_WORDS:
            if w.endswith(end) and len(w) > len(end):
                words.append(w[:-len(end)])
    found = {canonical_level(w) or (canonical_level(w[:-1]) if w.endswith("s") else None) for w in words} - {None}
    return found.pop() if len(found) == 1 else None

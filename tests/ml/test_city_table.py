"""A generated city profile table in every form official German tables take, imported and checked cell by cell
against its source: padded thousands, "-  23", "-" for zero, "." for withheld, a header with a leading blank and
soft hyphens, columns of different reference years, umlaut names, names on two levels."""

import math
import random

import pytest

from ml.importers import ingest_file, load_mapping
from tests.conftest import write

SHY = "\u00ad"
# (code, name, level, parent)
REGIONS = [
    ("02", "Hamburg", "land", ""),
    ("0201", "Eimsbüttel", "bezirk", "02"), ("0202", "Harburg", "bezirk", "02"),
    ("0203", "Wandsbek", "bezirk", "02"), ("0204", "Bergedorf", "bezirk", "02"),
    ("020101", "Eimsbüttel", "stadtteil", "0201"), ("020102", "Hoheluft-West", "stadtteil", "0201"),
    ("020103", "Groß Borstel", "stadtteil", "0201"), ("020201", "Harburg", "stadtteil", "0202"),
    ("020202", "Neuland und Gut Moor", "stadtteil", "0202"), ("020301", "Wandsbek", "stadtteil", "0203"),
    ("020302", "Rübenkamp", "stadtteil", "0203"), ("020401", "Bergedorf", "stadtteil", "0204"),
    ("020402", "Kirchwerder", "stadtteil", "0204"), ("020403", "Neuallermöhe", "stadtteil", "0204"),
]
# header as printed -> (indicator, period, kind of numbers)
COLUMNS = {
    f" Ein{SHY}wohner (Dez 2013)": ("einwohner", "2013", "count"),
    "Haushalte (2010)": ("haushalte", "2010", "count"),
    f"Wanderungs{SHY}saldo je 1.000 Ew. (2013)": ("wanderungssaldo", "2013", "signed"),
    "Arbeitslosenquote in % (Dez 2013)": ("arbeitslosenquote", "2013", "share"),
}
LEVEL_WORD = {"land": "Land", "bezirk": "Bezirk", "stadtteil": "Stadtteil"}


def _padded(n: int) -> str:
    """1234567 -> '  1 234 567' (blanks as thousands separators, the cell padded on the left)."""
    digits = f"{n:,}".replace(",", " ")
    return digits.rjust(11)


def _cell(kind: str, rng: random.Random) -> tuple[str, float | None, str]:
    """(cell text, expected value, expected flag)."""
    roll = rng.random()
    if roll < 0.12:
        return "-", 0.0, "ok"                      # exactly zero in official tables
    if roll < 0.22:
        return ".", None, "suppressed"             # withheld
    if kind == "count":
        n = rng.choice([rng.randint(1, 999), rng.randint(1000, 99_999), rng.randint(100_000, 2_000_000)])
        return _padded(n), float(n), "ok"
    if kind == "signed":
        whole, tenth = rng.randint(0, 40), rng.randint(0, 9)
        negative = rng.random() < 0.5
        text = f"{whole},{tenth}" if tenth else str(whole)
        if negative and (whole or tenth):
            text = "-" + " " * rng.randint(0, 3) + text
            return text, -(whole + tenth / 10), "ok"
        return text, whole + tenth / 10, "ok"
    value = rng.randint(0, 250) / 10
    return f"{value:.1f}".replace(".", ","), value, "ok"


def city_table(seed: int, *, level_column: bool = True, level_in_name: bool = False
               ) -> tuple[str, dict[tuple[str, str, str], tuple[float | None, str]]]:
    rng = random.Random(seed)
    header = [" Stadtteil"] + (["Ebene"] if level_column else []) + list(COLUMNS) + ["Bemerkung"]
    lines, expected = [";".join(header)], {}
    for code, name, level, _ in REGIONS:
        written = f"{LEVEL_WORD[level]} {name}" if level_in_name and level != "stadtteil" else name
        if rng.random() < 0.3:                                   # another spelling of the same name
            written = written.replace("ü", "ue").replace("ö", "oe").replace("ß", "ss")
        row = [written] + ([LEVEL_WORD[level]] if level_column else [])
        for (indicator, period, kind) in COLUMNS.values():
            text, value, flag = _cell(kind, rng)
            row.append(text)
            expected[(code, indicator, period)] = (value, flag)
        row.append(rng.choice(["", "Neubaugebiet", "Gebietsreform 2011"]))
        lines.append(";".join(row))
    return "\n".join(lines) + "\n", expected


MAPPING = "columns:\n" + "".join(
    f"  '{h.strip().replace(SHY, '')}': {{indicator: {ind}, period: '{per}'}}\n" for h, (ind, per, _) in COLUMNS.items())


@pytest.fixture
def city(store, settings, tmp_path):
    rows = "".join(f"{c};{n};{lv};{p}\n" for c, n, lv, p in REGIONS)
    rep = ingest_file(write(tmp_path / "gebiete.csv", "Gebiet;Name;Ebene;Parent\n" + rows), store, settings,
                      fmt="regions")
    assert rep.status == "ok" and rep.rows_accepted == len(REGIONS), store.quarantine(rep.import_id)
    return store


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_cell_arrives_as_published(city, settings, tmp_path, seed):
    text, expected = city_table(seed)
    path = tmp_path / f"profil_{seed}.csv"
    path.write_text(text, encoding="cp1252" if seed == 2 else "utf-8")
    rep = ingest_file(path, city, settings, fmt="wide", mapping=load_mapping(write(tmp_path / "m.yaml", MAPPING)))
    assert rep.status == "ok" and rep.rows_quarantined == 0, city.quarantine(rep.import_id)
    assert any("columns not imported" in n and "Bemerkung" in n for n in rep.notes)
    got = city.observations()
    assert len(got) == len(expected)                       # nothing lost, nothing extra
    for row in got.itertuples(index=False):
        value, flag = expected[(row.region_id, row.indicator_id, row.period)]
        assert row.flag == flag, (row, value)
        if value is None:
            assert row.value is None or math.isnan(row.value)
        else:
            assert row.value == pytest.approx(value, abs=1e-9), (row, value)


def test_names_on_two_levels_need_the_level(city, settings, tmp_path):
    text, expected = city_table(4, level_column=False)
    mapping = load_mapping(write(tmp_path / "m.yaml", MAPPING))
    strict = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"max_quarantine_share": 1.0})})
    rep = ingest_file(write(tmp_path / "ohne_ebene.csv", text), city, strict, fmt="wide", mapping=mapping)
    q = city.quarantine(rep.import_id)
    twice = {"Eimsbüttel", "Harburg", "Wandsbek", "Bergedorf"}
    assert set(q["reason"].str.split(":").str[0]) == {"ambiguous region name"}
    assert {v.replace("ue", "ü") for v in q["value"]} <= twice and len(q) > 0
    # written with the level, the same names resolve without a level column
    text, expected = city_table(4, level_column=False, level_in_name=True)
    rep = ingest_file(write(tmp_path / "mit_ebene_im_namen.csv", text), city, settings, fmt="wide", mapping=mapping)
    assert rep.rows_quarantined == 0, city.quarantine(rep.import_id)
    stored = city.observations().set_index(["region_id", "indicator_id", "period"])
    assert set(stored.index) == set(expected)


def test_names_as_ids(store, settings, tmp_path):
    """A city without codes: the names are the ids (umlauts and blanks kept), observations name them."""
    path = write(tmp_path / "stadtteile.csv", "Stadtteil;Ebene\nWestliche Höhe;Stadtteil\nJürgensby;Stadtteil\n")
    rep = ingest_file(path, store, settings, fmt="regions", mapping=load_mapping(
        write(tmp_path / "r.yaml", "region_column: Stadtteil\n")))
    assert rep.status == "ok" and sorted(store.region_ids()) == ["Jürgensby", "Westliche Höhe"]
    data = write(tmp_path / "ew.csv", "Stadtteil;Einwohner\nWestliche  Höhe;  8 123\nJUERGENSBY;11 004\n")
    rep = ingest_file(data, store, settings, fmt="wide", mapping=load_mapping(
        write(tmp_path / "w.yaml", "period: '2022'\ncolumns: {Einwohner: einwohner}\n")))
    assert rep.rows_quarantined == 0, store.quarantine(rep.import_id)
    got = store.observations(["einwohner"]).set_index("region_id")["value"].to_dict()
    assert got == {"Westliche Höhe": 8123.0, "Jürgensby": 11004.0}


def test_one_name_on_two_levels_cannot_be_an_id(store, settings, tmp_path):
    path = write(tmp_path / "gebiete.csv", "Name;Ebene\nHarburg;Bezirk\nHarburg;Stadtteil\nWilstorf;Stadtteil\n")
    rep = ingest_file(path, store, settings, fmt="regions", mapping=load_mapping(
        write(tmp_path / "r.yaml", "region_column: Name\n")))
    q = store.quarantine(rep.import_id)
    assert len(q) == 2 and q["reason"].str.startswith("the same id on two levels").all()

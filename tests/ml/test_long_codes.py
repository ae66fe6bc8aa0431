"""Long tables that name their indicators in their own way (codes such as 'A4', labels such as 'Arbeitslosenquote'):
the mapping's ``indicators`` turns them into catalog ids, and ``mapping suggest`` proposes it from the labels."""

import pyarrow as pa
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ml.catalog import load_catalog
from ml.config import CatalogConfig, load_settings
from ml.importers import ingest_file, load_mapping
from ml.importers.long import recode_indicators
from ml.importers.mapping import Mapping, header_key
from ml.io import FileFormatError
from ml.paths import SAMPLE_DIR
from ml.suggest import suggest_mapping
from tests.conftest import write

LABELS = ("Gebiet;Merkmal;Jahr;Wert\n"
          "14599010;Arbeitslosenquote;2021;6,1\n"
          "14599020;Arbeitslosenquote;2021;4,8\n"
          "14599010;SGB-II-Quote;2021;9,5\n"
          "14599020;SGB-II-Quote;2021;7,2\n"
          "14599010;Einwohner;2021;12345\n"
          "14599020;Einwohner;2021;8765\n"
          "14599010;Zahl der Brücken;2021;4\n")


@pytest.fixture(scope="module")
def catalog():
    cfg = CatalogConfig()
    return load_catalog(cfg.dimensions, cfg.indicators)


@pytest.fixture
def county(store, settings):
    assert ingest_file(SAMPLE_DIR / "regions.csv", store, settings).status == "ok"
    return store


def test_codes_named_in_the_mapping_are_read_as_catalog_ids(county, settings, tmp_path):
    path = write(tmp_path / "k.csv", "Gebiet;Indikator;Jahr;Wert\n14599010;D2;2021;6,1\n14599020;D2 ;2021;4,8\n"
                 "14599010;D4;2021;9,5\n14599010;ZZ;2021;1\n")
    mapping = load_mapping(write(tmp_path / "m.yaml", "format: long\nindicators:\n  D2: arbeitslosenquote\n"
                                 "  D4: sgb2_quote\n  E9: hze_dichte\n"))
    rep = ingest_file(path, county, settings, mapping=mapping)
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (4, 3, 1)
    obs = county.observations().set_index(["region_id", "indicator_id"])["value"]
    assert obs[("14599010", "arbeitslosenquote")] == 6.1 and obs[("14599020", "arbeitslosenquote")] == 4.8
    assert obs[("14599010", "sgb2_quote")] == 9.5
    q = county.quarantine(rep.import_id)
    assert q["reason"].str.startswith("unknown indicator").all() and q["value"].tolist() == ["ZZ"]
    assert "indicators: 'E9' not found in column 'Indikator'" in rep.notes


def test_an_indicator_losing_its_rows_is_named(county, settings, tmp_path):
    """A long table has one value column: the report names the indicator that loses a fifth of its rows, not the
    column; where the whole file is refused, its own message says so, not one note per indicator."""
    good = "".join(f"{r};sgb2_quote;{y};{5 + k}\n" for k, (r, y) in enumerate(
        (r, y) for r in ("14599010", "14599020") for y in range(2010, 2024)))
    bad = "".join(f"14599010;bevoelkerungsdichte;{y};-{y - 2000}\n" for y in range(2014, 2017)) + \
        "".join(f"14599010;bevoelkerungsdichte;{y};{y - 2000}\n" for y in range(2017, 2024))
    rep = ingest_file(write(tmp_path / "k.csv", "Gebiet;Indikator;Jahr;Wert\n" + good + bad), county, settings)
    assert (rep.rows_accepted, rep.rows_quarantined) == (28 + 7, 3)
    assert any(n.startswith("indicator 'bevoelkerungsdichte': 3 of 10 rows quarantined (mostly: negative rate")
               for n in rep.notes), rep.notes
    assert not any(n.startswith("indicator 'sgb2_quote'") for n in rep.notes)
    refused = ingest_file(write(tmp_path / "all.csv", "Gebiet;Indikator;Jahr;Wert\n" + "".join(
        f"99999999;sgb2_quote;{y};5\n" for y in range(2010, 2020))), county, settings)
    assert refused.rows_quarantined == 10 and not any(n.startswith("indicator ") for n in refused.notes)


def test_indicators_in_a_wide_mapping_or_given_twice_are_refused(county, settings, tmp_path):
    wide = write(tmp_path / "w.csv", "Gebiet;SGB-II-Quote\n14599010;9,5\n")
    rep = ingest_file(wide, county, settings, mapping=Mapping(format="wide", period="2021",
                                                              columns={"SGB-II-Quote": "sgb2_quote"},
                                                              indicators={"x": "sgb2_quote"}))
    assert rep.status == "failed" and "'indicators' names the indicator cells of a long table" in rep.message
    assert county.observations().empty
    cells = pa.chunked_array([["A4"]])
    with pytest.raises(FileFormatError, match="given twice"):
        recode_indicators(cells, {"A4": "a", " A4": "b"}, "indicator")


@hsettings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["A4", " A4 ", "B\u00ad1", "B1", "Quote  X", "x"])), max_size=30),
       st.dictionaries(st.sampled_from(["A4", "B1", "Quote X", "C7"]), st.sampled_from(["eins", "zwei"]), max_size=4))
def test_recoding_replaces_exactly_the_named_cells(cells, names):
    out, notes = recode_indicators(pa.chunked_array([cells], pa.string()), names, "Merkmal")
    out = out.to_pylist()
    assert len(out) == len(cells)
    for before, after in zip(cells, out):
        if before is None:
            assert after is None
        else:
            assert after == names.get(header_key(before), before)
    absent = [k for k in names if k not in {header_key(c) for c in cells if c is not None}]
    assert notes == ([f"indicators: {', '.join(map(repr, absent))} not found in column 'Merkmal'"] if absent else [])


def test_the_suggestion_maps_a_long_tables_labels_and_imports_as_written(county, settings, tmp_path, catalog):
    path = write(tmp_path / "labels.csv", LABELS)
    s = suggest_mapping(path, catalog)
    assert s.format == "long" and s.indicator_column == "Merkmal"
    assert {m.column: m.indicator_id for m in s.matches} == {
        "Arbeitslosenquote": "arbeitslosenquote", "SGB-II-Quote": "sgb2_quote", "Einwohner": "einwohner"}
    assert s.unmatched == ["Zahl der Brücken"]
    text = s.to_yaml()
    assert "indicators:   # the cells of 'Merkmal' -> catalog ids" in text and "#  'Zahl der Brücken': ?" in text
    rep = ingest_file(path, county, settings, mapping=load_mapping(write(tmp_path / "m.yaml", text)))
    assert (rep.rows_accepted, rep.rows_quarantined) == (6, 1)
    assert set(county.observations()["indicator_id"]) == {"arbeitslosenquote", "sgb2_quote", "einwohner"}


def test_codes_written_in_the_catalogs_names_are_matched(tmp_path, catalog):
    """A codebook's codes ('K12', 'a_bev65um') written in the indicators' names, as the first word or in brackets,
    match a long table's cells exactly; a code two indicators carry matches neither."""
    from ml.catalog import FORMAT_CATALOGS, load_catalog as load
    from ml.config import CatalogConfig as Config

    cfg = Config()
    mss = load(cfg.dimensions, [*cfg.indicators, FORMAT_CATALOGS["mss"]])
    path = write(tmp_path / "k.csv", "Gebiet;Indikator;Jahr;Wert\n" + "".join(
        f"01011101;{c};2021;{v}\n" for c, v in (("K12", "-1,5"), ("s1", "4,2"), ("S2", "7,0"), ("K99", "1"))))
    s = suggest_mapping(path, mss)
    assert {m.column: m.indicator_id for m in s.matches} == {"K12": "mss_k12", "s1": "mss_s1"}
    assert s.unmatched == ["S2", "K99"]         # S2 names two indicators (its meaning changed with the MSS 2023)
    assert any(n.startswith("'S2' is the code of ") and "mss_s2_alleinerziehende" in n for n in s.notes)


def test_the_command_counts_a_long_tables_cells(tmp_path):
    from click.testing import CliRunner

    from experiments.cli import main

    path = write(tmp_path / "labels.csv", LABELS)
    out = CliRunner().invoke(main, ["mapping", "suggest", str(path), "--out", str(tmp_path / "m.yaml")])
    assert out.exit_code == 0 and "3 indicator cells matched, 1 without a match" in out.output
    assert load_mapping(tmp_path / "m.yaml").indicators == {"Arbeitslosenquote": "arbeitslosenquote",
                                                            "SGB-II-Quote": "sgb2_quote", "Einwohner": "einwohner"}


def test_a_suggestion_without_any_match_still_loads(tmp_path, catalog):
    path = write(tmp_path / "codes.csv", "Gebiet;Indikator;Jahr;Wert\n14599010;A4;2021;1\n14599010;B2;2021;2\n")
    s = suggest_mapping(path, catalog)
    assert s.unmatched == ["A4", "B2"] and not s.matches
    assert "2 indicator cells are not catalog ids" in " ".join(s.notes)
    assert load_mapping(write(tmp_path / "m.yaml", s.to_yaml())).indicators == {}


def test_the_indicator_cells_of_a_large_long_table_are_read_beyond_its_head(tmp_path, catalog):
    rows = [f"14599010;sgb2_quote;{1900 + i % 100};{i % 50},5" for i in range(80_000)] + ["14599010;Arbeitslosenquote;2021;5"]
    path = write(tmp_path / "big.csv", "Gebiet;Indikator;Jahr;Wert\n" + "\n".join(rows) + "\n")
    assert path.stat().st_size > 2_000_000
    s = suggest_mapping(path, catalog)
    assert {m.column: m.indicator_id for m in s.matches} == {"Arbeitslosenquote": "arbeitslosenquote"}


def test_berlins_core_indicators_per_bezirksregion_from_raw_files(shared_data, store, settings, tmp_path, catalog):
    """The LOR key as suggested, a catalog of the table's own 22 indicators, its codes (A4 … E8, DA1 = residents)
    mapped under 'indicators'; the key abbreviates 'Charlottenburg-Wilm.', the table writes the name in full."""
    folder = shared_data / "berlin_bzr_kernindikatoren_tsb"
    key = folder / "preprocessed_lor_447plr_hierarchy.csv"
    rep = ingest_file(key, store, settings, mapping=load_mapping(write(tmp_path / "r.yaml",
                                                                       suggest_mapping(key, catalog).to_yaml())))
    assert rep.status == "ok"
    codes = {"A4": ("gruenanlagen", "rate"), "A8": ("straftaten", "rate"), "C2": ("wanderungssaldo_100", "index"),
             "D2": ("alo", "share"), "D4": ("sgb2", "share"), "D5": ("sgb2_u15", "share")}
    # the catalog of its own writes each indicator's code in its name, as the table's codebook has them
    own = write(tmp_path / "own.csv", "indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,frequency\n"
                + "".join(f"bzr_{i},Kernindikator {i} ({c}),arbeit,%,1,{k},-,-,annual\n" for c, (i, k) in codes.items()))
    mine = load_settings(env={"SOZIALRADAR_STORE__PATH": str(settings.store.path),
                              "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp_path / "q"),
                              "SOZIALRADAR_CATALOG__INDICATORS": f'["{own}"]'})
    table = folder / "bzr_kernindikatoren_2017_long.csv"
    from ml.catalog import effective_catalog

    s = suggest_mapping(table, effective_catalog(mine))
    assert s.format == "long" and s.period == "2017" and len(s.unmatched) == 23 - len(codes)
    assert {m.column: m.indicator_id for m in s.matches} == {c: f"bzr_{i}" for c, (i, _) in codes.items()}
    assert all(m.score == 1.0 for m in s.matches)
    # the analyst fills in one more code of the suggestion's list: DA1, the residents
    text = s.to_yaml()
    assert "#  'DA1': ?   # no match" in text
    text = text.replace("#  'DA1': ?   # no match", "  'DA1': einwohner")
    rep = ingest_file(table, store, mine, mapping=load_mapping(write(tmp_path / "k.yaml", text)))
    # 150 regions (138 Bezirksregionen, 12 Bezirke) × 7 mapped codes; the 16 codes left unmapped are quarantined
    assert rep.rows_read == 3450 and rep.rows_accepted == 150 * 7 and rep.rows_quarantined == 150 * 16
    assert "region names read as abbreviations: 'Charlottenburg-Wilmersdorf' = 'Charlottenburg-Wilm.'" in rep.notes
    obs = store.observations()
    regions = store.regions().set_index("region_id")
    assert regions.loc[obs["region_id"].unique(), "level"].value_counts().to_dict() == {"bezirksregion": 138,
                                                                                        "bezirk": 12}
    saldo = obs[obs["indicator_id"] == "bzr_wanderungssaldo_100"]["value"]
    assert (saldo < 0).sum() > 10          # a signed value per 100 residents: kind index, negatives kept

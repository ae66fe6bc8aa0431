"""A column against the store's values of the indicator it is read as (:mod:`ml.held_values`): the rule, its
invariances, the store's quartiles, the editions of one indicator, and the real case that made it: Berlin's core
indicators per Bezirksregion, whose codes `D1` … `D4` the MSS's codebook writes for changes over two years."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ml.catalog import load_catalog
from ml.config import CatalogConfig
from ml.held_values import GAP, MIN_HELD, HeldValues, apart_editions, apart_edition_notes, unlike
from ml.importers import ingest_file, load_mapping
from tests.conftest import cli_with, write


def held_of(values) -> HeldValues:
    return HeldValues.of(np.asarray(values, dtype=float))


def test_a_column_far_from_the_stores_middle_half_is_unlike_it():
    store = np.linspace(-2, 2, 200)              # middle half -1 … 1, width 2
    near = np.linspace(1.5, 5.5, 40)             # middle half 2.5 … 4.5: 1.5 apart, under GAP widths (3.0)
    far = np.linspace(6.5, 10.5, 40)             # middle half 7.5 … 9.5: 6.5 apart
    assert unlike(near, held_of(store), "share") is None
    far_found = unlike(far, held_of(store), "index")
    assert far_found is not None and (far_found.q25, far_found.q75) == (7.5, 9.5)
    assert "its values (middle half 7.5 … 9.5) lie far from the store's 200 values of x (middle half -1 … 1)" \
        == far_found.text("x")
    # a count keeps no scale across levels; too few values, or a store whose values all stand still, tell nothing
    assert unlike(far, held_of(store), "count") is None
    assert unlike(far[:7], held_of(store), "share") is None
    assert unlike(far, held_of(store[:MIN_HELD - 1]), "share") is None
    assert unlike(far, held_of(np.ones(50)), "share") is None
    assert unlike(np.array([np.nan] * 40), held_of(store), "share") is None
    assert unlike(far, None, "share") is None


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4), min_size=MIN_HELD, max_size=80),
       st.lists(st.floats(-1e4, 1e4), min_size=8, max_size=40),
       st.floats(0.01, 100), st.floats(-1e3, 1e3))
def test_the_rule_keeps_no_unit_and_never_refuses_the_stores_own_values(held, column, scale, shift):
    """The same answer in any unit (both sides scaled and shifted alike); the store's own values, or any part of
    them around its middle, are never unlike them."""
    h, c = np.array(held), np.array(column)
    before = unlike(c, held_of(h), "rate") is None
    after = unlike(c * scale + shift, held_of(h * scale + shift), "rate") is None
    q, p = np.percentile(h, [25, 75]), np.percentile(c, [25, 75])
    width = q[1] - q[0]
    if width > 1e-6 * max(1.0, abs(q[0]), abs(q[1])):     # a store whose middle half has a width to compare with
        apart = max(0.0, p[0] - q[1], q[0] - p[1]) / width
        if abs(apart - GAP) > 1e-6:         # not right at the bar, where rounding may decide
            assert before == after
            assert before == (apart <= GAP)
    assert unlike(h, held_of(h), "rate") is None
    middle = h[(h >= q[0]) & (h <= q[1])]
    if len(middle) >= 8:
        assert unlike(middle, held_of(h), "rate") is None


def test_an_edition_of_another_quantity_is_named_and_a_declared_break_is_not(tmp_path):
    from ml.catalog import read_indicators

    cfg = CatalogConfig()
    base = load_catalog(cfg.dimensions, cfg.indicators)
    own = write(tmp_path / "own.csv", "indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,"
                "frequency,breaks\n"
                "chg,Veränderung über zwei Jahre,arbeit,Pp.,1,index,,,annual,\n"
                "chg_b,Veränderung über zwei Jahre (neu ab 2021),arbeit,Pp.,1,index,,,annual,2021\n"
                "share_x,Anteil X,arbeit,%,1,share,-,-,annual,\n")
    catalog = base.extended(read_indicators(own, base.dimensions))
    rng = np.random.default_rng(0)
    rows = []
    for ind in ("chg", "chg_b", "share_x"):
        for year in (2015, 2017, 2019, 2021):
            values = rng.normal(-0.5, 0.8, 60) if year < 2021 or ind == "share_x" else rng.normal(54, 6, 60)
            if ind == "share_x":
                values = np.abs(values) + (50 if year == 2021 else 0)
            rows += [(f"r{k}", ind, str(year), v) for k, v in enumerate(values)]
    obs = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"])
    found = apart_editions(obs, catalog)
    assert [(a.indicator_id, a.period) for a in found] == [("chg", "2021")]
    # a share never below zero is the level steps' (features.level_steps); measured here only when asked
    assert ("share_x", "2021") in {(a.indicator_id, a.period) for a in apart_editions(obs, catalog, signed_only=False)}
    assert apart_editions(obs, catalog, periods={"2019"}) == []
    note = apart_edition_notes(found)[0]
    assert note.startswith("2021: the values of chg (middle half ") and "values of other years" in note
    assert "a column mapped to another indicator, another unit? Check the mapping" in note


def test_the_store_gives_its_quartiles_per_indicator(store, settings, tmp_path):
    values = [3.5, 4.0, 7.25, 9.0, 11.0, 2.0, 6.0, 8.0]
    text = "Gebiet;Jahr;SGB-II-Quote\n" + "".join(f"R{k};2021;{str(v).replace('.', ',')}\n"
                                                 for k, v in enumerate(values))
    regions = write(tmp_path / "regions.csv", "region_id;name;level\n" + "".join(
        f"R{k};Gebiet {k};gemeinde\n" for k in range(len(values))))
    assert ingest_file(regions, store, settings).status == "ok"
    mapping = load_mapping(write(tmp_path / "m.yaml", "format: wide\nregion_column: Gebiet\nperiod_column: Jahr\n"
                                 "columns:\n  SGB-II-Quote: sgb2_quote\n"))
    assert ingest_file(write(tmp_path / "v.csv", text), store, settings, mapping=mapping).status == "ok"
    held = store.held_values()
    q = np.percentile(values, [25, 50, 75])
    assert set(held) == {"sgb2_quote"}
    assert (held["sgb2_quote"].q25, held["sgb2_quote"].median, held["sgb2_quote"].q75) == pytest.approx(tuple(q))
    assert held["sgb2_quote"].count == len(values)


def test_a_wide_header_whose_values_are_another_quantity_is_left_unmatched(store, settings, tmp_path):
    """A header matched by its words ('SGB-II-Quote') whose values are ten times the store's (per 1,000, not per
    100): left unmatched, the note saying why; the same values as the store's stay matched."""
    from ml.suggest import suggest_mapping

    cfg = CatalogConfig()
    catalog = load_catalog(cfg.dimensions, cfg.indicators)
    regions = write(tmp_path / "regions.csv", "region_id;name;level\n" + "".join(
        f"R{k:02d};Gebiet {k};gemeinde\n" for k in range(30)))
    assert ingest_file(regions, store, settings).status == "ok"
    rates = [4 + 0.3 * k for k in range(30)]
    def table(name, factor):
        return write(tmp_path / name, "Gebiet;Jahr;SGB-II-Quote\n" + "".join(
            f"R{k:02d};2021;{str(round(v * factor, 1)).replace('.', ',')}\n" for k, v in enumerate(rates)))
    mapping = load_mapping(write(tmp_path / "m.yaml", "format: wide\nregion_column: Gebiet\nperiod_column: Jahr\n"
                                 "columns:\n  SGB-II-Quote: sgb2_quote\n"))
    assert ingest_file(table("2021.csv", 1), store, settings, mapping=mapping).status == "ok"
    same = suggest_mapping(table("same.csv", 1), catalog, stored=store.held_values())
    assert [m.indicator_id for m in same.matches] == ["sgb2_quote"]
    tenfold = suggest_mapping(table("tenfold.csv", 10), catalog, stored=store.held_values())
    assert tenfold.matches == [] and "SGB-II-Quote" in tenfold.unmatched
    assert any(n.startswith("'SGB-II-Quote' reads as sgb2_quote (") and "by its words (score " in n
               and "another quantity, another unit or base? Left unmatched" in n for n in tenfold.notes), tenfold.notes
    # without the store's values, as before
    assert [m.indicator_id for m in suggest_mapping(table("tenfold.csv", 10), catalog).matches] == ["sgb2_quote"]


@pytest.fixture(scope="module")
def mss_per_bezirksregion(tmp_path_factory, request):
    """A store of Berlin's LOR key and the open MSS per Bezirksregion 2013–2017, and the command line on it."""
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"real open data not present at {SHARED_DATA}")
    tmp = tmp_path_factory.mktemp("mss_bzr")
    config = write(tmp / "sozialradar.yaml", f"store:\n  path: {tmp / 'store' / 'monitoring.duckdb'}\n")
    run = cli_with(config, tmp / "quarantine")
    key = SHARED_DATA / "berlin_bzr_kernindikatoren_tsb" / "preprocessed_lor_447plr_hierarchy.csv"
    run("mapping", "suggest", key, "--out", tmp / "key.yaml")
    run("ingest", key, "--mapping", tmp / "key.yaml")
    mss = SHARED_DATA / "berlin_mss_open_lifeworlds"
    run("ingest", *(mss / f"berlin-lor-monitoring-social-urban-development-{y}-00-district-regions.csv"
                    for y in (2013, 2015, 2017)))
    return tmp, config, run


def test_codes_of_another_codebook_are_not_read_as_the_stores_indicators(mss_per_bezirksregion, shared_data):
    """Berlin's core indicators per Bezirksregion write 'D1' for the share of employees (about 54 %), 'D3' and 'D4'
    for shares of the unemployed young and of SGB II recipients; the MSS, whose values the store holds, for changes
    over two years (about -0.8 points). The suggestion read them as the MSS's (score 1.00); now they are listed
    without a match, saying why. A code of the county's own catalog wins over the other codebook's."""
    tmp, config, run = mss_per_bezirksregion
    table = shared_data / "berlin_bzr_kernindikatoren_tsb" / "bzr_kernindikatoren_2017_long.csv"
    text = run("mapping", "suggest", table)
    mapped = [line for line in text.splitlines() if line.startswith("  '")]
    assert not any("mss_" in line for line in mapped), mapped
    for code, ind in (("D1", "mss_d1"), ("D3", "mss_d3"), ("D4", "mss_d4")):
        assert f"# note: '{code}' reads as {ind} (" in text and "by its code, but its values (middle half " in text
        assert f"#  '{code}': ?   # no match" in text
    assert "lie far from the store's 411 values of mss_d1 (middle half " in text
    # the county's own catalog names 'D1' too: read as its indicator, the MSS's D1 named as unlike
    own = write(tmp / "kern.csv", "indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,frequency\n"
                "bzr_svb,Anteil sozialversicherungspflichtig Beschäftigter (D1),arbeit,%,-1,share,-,-,annual\n")
    cfg = write(tmp / "own.yaml", config.read_text(encoding="utf-8") + f"catalog:\n  indicators: [{own}]\n")
    text = cli_with(cfg, tmp / "quarantine")("mapping", "suggest", table)
    assert "  'D1': bzr_svb   # Anteil sozialversicherungspflichtig Beschäftigter (D1) (score 1.00)" in text
    assert "# note: 'D1' is also the code of mss_d1: the column's values (middle half 48.4 … 60) lie far" in text
    # 'D2' is the code of two MSS indicators (S2 until 2015, its redefinition from 2023): the one with values is
    # unlike the column, the other shares its codebook, so the analyst decides
    assert "# note: 'D2' is also the code of mss_d2: the column's values" in text
    assert "'D2' is the code of 2 indicators (mss_d2, mss_d2_alleinerziehende)" in text


def test_a_code_of_the_stores_codebook_whose_values_fit_is_read(mss_per_bezirksregion, shared_data):
    """The MSS's own codes in a long table of the next edition ('K12', 'S3': values like the store's) are read as
    before; the same table with the shares written per 1,000 is not."""
    tmp, _, run = mss_per_bezirksregion
    wide = pd.read_csv(shared_data / "berlin_mss_open_lifeworlds" /
                       "berlin-lor-monitoring-social-urban-development-2019-00-district-regions.csv", dtype=str)
    k12 = next(c for c in wide.columns if c.startswith("k12"))
    s3 = next(c for c in wide.columns if c.startswith("s3"))
    rows = [(r, "K12", v) for r, v in zip(wide["id"], wide[k12])] + [(r, "S3", v) for r, v in zip(wide["id"], wide[s3])]
    table = write(tmp / "next.csv", "Gebiet,Indikator,Jahr,Wert\n" + "".join(f"{r},{c},2019,{v}\n" for r, c, v in rows))
    text = run("mapping", "suggest", table)
    assert "  'K12': mss_k12" in text and "  'S3': mss_s3" in text, text
    per_1000 = write(tmp / "next1000.csv", "Gebiet,Indikator,Jahr,Wert\n" + "".join(
        f"{r},{c},2019,{float(v) * (10 if c == 'S3' else 1):.2f}\n" for r, c, v in rows))
    text = run("mapping", "suggest", per_1000)
    assert "  'K12': mss_k12" in text and "#  'S3': ?   # no match" in text
    assert "# note: 'S3' reads as mss_s3 (S3 Transferbezug (SGB II und XII) an Einwohnern) by its code" in text


def test_an_import_names_an_edition_far_from_the_indicators_others(mss_per_bezirksregion, shared_data):
    """A mapping written by hand that reads the core indicators' 'D1' of 2017 as the MSS's D1 of 2018: imported
    (a real change is possible), with a note naming the edition, the values and what to check."""
    tmp, _, run = mss_per_bezirksregion
    core = pd.read_csv(shared_data / "berlin_bzr_kernindikatoren_tsb" / "bzr_kernindikatoren_2017_long.csv",
                       dtype=str)
    core = core[core["indicator"].isin(["D1", "D2"])]
    table = tmp / "d1.csv"
    core.to_csv(table, index=False)
    mapping = write(tmp / "d1.yaml", "format: long\nregion_column: 'name'\nperiod: '2018'\nindicator_column: "
                    "'indicator'\nvalue_column: 'wert'\nindicators:\n  'D1': mss_d1\n  'D2': mss_s1\n")
    out = " ".join(run("ingest", table, "--mapping", mapping).split())
    assert "read 300 = accepted 300 + quarantined 0" in out
    assert "note: 2018: the values of mss_d1 (middle half 48.4 … 60) lie far from its 411 values of other years " \
           "(middle half " in out
    assert "2018: the values of mss_s1" not in out          # unemployment of both sources: alike

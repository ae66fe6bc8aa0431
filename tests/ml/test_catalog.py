from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from ml.catalog import (CatalogError, _balance_terms, effective_catalog, load_catalog, load_dimensions,
                        read_indicators)
from ml.paths import CATALOG_DIR

HEADER = "indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,frequency,monitors,lenses,basis,min,max,source\n"


def test_default_catalog_has_56_indicators_in_9_groups(catalog):
    reported = catalog.reported()
    assert len(reported) == 56
    assert len(catalog.dimensions) == 9
    counts = Counter(i.dimension for i in reported)
    assert set(counts) == set(catalog.dimensions)
    assert counts["intervention"] == 14 and counts["bevoelkerung"] == 11 and counts["partizipation"] == 1


def test_every_share_and_rate_has_parts_in_the_catalog(catalog):
    assert sum(ind.kind in ("share", "rate") for ind in catalog.reported()) >= 20
    for ind in catalog.reported():
        if ind.kind in ("share", "rate"):
            assert ind.numerator in catalog and ind.denominator in catalog, ind.indicator_id
            assert ind.scale in (1, 100, 1000, 10000), ind.indicator_id


def test_monitors_and_lenses_are_named_subsets(catalog):
    monitors = {m for i in catalog for m in i.monitors}
    lenses = {ln for i in catalog for ln in i.lenses}
    assert {"Demografie", "HzE", "Kita", "Bildung", "Sozialraum"} <= monitors
    assert lenses == {"Kindheit und Jugend", "Teilhabe", "Senioren", "Bildung"}


def test_german_names_and_valid_ranges(catalog):
    assert catalog["sgb2_quote"].name.startswith("SGB-II-Quote")
    assert catalog["sgb2_quote"].valid_range == (0.0, 100.0)
    assert catalog["einwohner"].valid_range[0] == 0.0
    assert catalog["natuerlicher_saldo"].valid_range == (-1000.0, 1000.0)


def _write(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "county.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_unknown_group_reported_with_file_and_line(tmp_path):
    dims = load_dimensions(CATALOG_DIR / "dimensions.csv")
    path = _write(tmp_path, "a,Name A,raum,%,1,mean,,,,annual,,,false,,,\nb,Name B,kultur,%,1,mean,,,,annual,,,false,,,\n")
    with pytest.raises(CatalogError, match=r"county\.csv:3: unknown group \(dimension\) 'kultur'"):
        read_indicators(path, dims)


def test_share_without_denominator(tmp_path):
    dims = load_dimensions(CATALOG_DIR / "dimensions.csv")
    path = _write(tmp_path, "q,Quote,arbeit,%,1,share,,,,annual,,,false,,,\n")
    with pytest.raises(CatalogError, match=r"county\.csv:2: share 'q' has no numerator and denominator"):
        read_indicators(path, dims)
    half = _write(tmp_path, "q,Quote,arbeit,%,1,share,x,,100,annual,,,false,,,\n")
    with pytest.raises(CatalogError, match="numerator or a denominator but not both"):
        read_indicators(half, dims)


def test_duplicate_id(tmp_path):
    dims = load_dimensions(CATALOG_DIR / "dimensions.csv")
    path = _write(tmp_path, "a,A,raum,%,0,mean,,,,annual,,,false,,,\na,A2,raum,%,0,mean,,,,annual,,,false,,,\n")
    with pytest.raises(CatalogError, match=r"county\.csv:3: duplicate indicator_id 'a' \(first defined on line 2\)"):
        read_indicators(path, dims)


@pytest.mark.parametrize(
    "row, message",
    [
        ("a,A,raum,%,2,mean,,,,annual,,,false,,,\n", "polarity must be -1, 0 or \\+1; got '2'"),
        ("a,A,raum,%,1,ratio,,,,annual,,,false,,,\n", "kind must be one of"),
        ("a,A,raum,%,1,mean,,,,weekly,,,false,,,\n", "frequency must be one of"),
        ("a,A,raum,%,1,mean,,,,annual,,,maybe,,,\n", "basis must be true or false"),
        ("a,A,raum,%,1,mean,,,,annual,,,false,5,1,\n", "min 5.0 exceeds max 1.0"),
        ("a,A,raum,%,1,mean,,,,annual,,,false,x,,\n", "column 'min' must be a number; got 'x'"),
        ("a,,raum,%,1,mean,,,,annual,,,false,,,\n", "column 'name' is empty"),
    ],
)
def test_row_errors(tmp_path, row, message):
    dims = load_dimensions(CATALOG_DIR / "dimensions.csv")
    with pytest.raises(CatalogError, match=message):
        read_indicators(_write(tmp_path, row), dims)


def test_definition_breaks_are_years(tmp_path):
    """``breaks``: the years from which an indicator is defined anew ('2019', '2011|2019'); anything else names
    file and line; a file without the column has none."""
    dims = load_dimensions(CATALOG_DIR / "dimensions.csv")
    head = "indicator_id,name,dimension,unit,polarity,kind,frequency,breaks\n"
    path = tmp_path / "breaks.csv"
    path.write_text(head + "a,A,arbeit,%,1,mean,annual,2019\nb,B,arbeit,%,1,mean,annual,2019|2011\n"
                           "c,C,arbeit,%,1,mean,annual,\n", encoding="utf-8")
    a, b, c = read_indicators(path, dims)
    assert (a.breaks, b.breaks, c.breaks) == ((2019,), (2011, 2019), ())
    assert a.break_between("2017", "2019") == 2019 and a.break_between("2019", "2021") is None
    assert b.break_between(2009, 2021) == 2019 and b.break_between("2010", "2012") == 2011
    path.write_text(head + "a,A,arbeit,%,1,mean,annual,ab 2019\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"breaks\.csv:2: breaks must be years separated by '\|'"):
        read_indicators(path, dims)
    assert all(i.breaks == () for i in read_indicators(CATALOG_DIR / "indicators.csv", dims))


def test_carried_says_which_values_a_crosswalk_may_not_carry_across_merged_areas(tmp_path):
    """``carried``: false for a value of the area as a whole (a boundary's length, a class); empty is true;
    anything else names file and line. The shipped catalogs mark the boundary's length and Berlin's classes."""
    dims = load_dimensions(CATALOG_DIR / "dimensions.csv")
    head = "indicator_id,name,dimension,unit,polarity,kind,frequency,carried\n"
    path = tmp_path / "carried.csv"
    path.write_text(head + "a,A,raum,km,0,mean,annual,false\nb,B,raum,km,0,mean,annual,\n"
                           "c,C,raum,km,0,mean,annual,TRUE\n", encoding="utf-8")
    assert [i.carried for i in read_indicators(path, dims)] == [False, True, True]
    path.write_text(head + "a,A,raum,km,0,mean,annual,nein\n", encoding="utf-8")
    with pytest.raises(CatalogError,
                       match=r"carried\.csv:2: carried must be true or false \(empty: true\); got 'nein'"):
        read_indicators(path, dims)
    shipped = {i.indicator_id for i in read_indicators(CATALOG_DIR / "indicators.csv", dims) if not i.carried}
    berlin = {i.indicator_id for i in read_indicators(CATALOG_DIR / "berlin_mss.csv", dims) if not i.carried}
    assert shipped == {"gebietsgrenze_km"}
    assert berlin == {"mss_status_klasse", "mss_dynamik_klasse"}       # a 0/1 marker averages to the valid share


def test_extension_may_add_but_not_redefine(tmp_path):
    path = _write(tmp_path, "kreis_extra,Eigener Indikator,arbeit,%,1,share,arbeitslose,einwohner,100,annual,,,false,,,\n")
    cat = load_catalog(CATALOG_DIR / "dimensions.csv", [CATALOG_DIR / "indicators.csv", path])
    assert "kreis_extra" in cat and len(cat.reported()) == 57
    clash = tmp_path / "clash.csv"
    clash.write_text(HEADER + "einwohner,Einwohner,bevoelkerung,Personen,1,count,,,,annual,,,false,,,\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="'einwohner' is already defined differently"):
        load_catalog(CATALOG_DIR / "dimensions.csv", [CATALOG_DIR / "indicators.csv", clash])


def test_unknown_reference(tmp_path):
    path = _write(tmp_path, "q,Quote,arbeit,%,1,share,gibtsnicht,einwohner,100,annual,,,false,,,\n")
    with pytest.raises(CatalogError, match="unknown numerator 'gibtsnicht'"):
        load_catalog(CATALOG_DIR / "dimensions.csv", [CATALOG_DIR / "indicators.csv", path])


def test_missing_columns_and_files(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator_id,name\nx,y\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"bad\.csv:1: missing column\(s\) dimension"):
        load_catalog(CATALOG_DIR / "dimensions.csv", [bad])
    with pytest.raises(CatalogError, match="catalog file not found") as err:
        load_catalog(CATALOG_DIR / "dimensions.csv", [tmp_path / "none.csv"])
    assert "working directory" not in str(err.value)
    assert str(err.value).endswith(f"a codebook that comes with the tables drafts it: 'sozialradar mapping codebook "
                                   f"CODEBOOK --out {tmp_path / 'none.csv'}'")
    # a relative path is read from the working directory, and the message says so (a county's configuration names
    # its own catalog file beside it, and the commands run elsewhere)
    with pytest.raises(CatalogError, match=r"none\.csv \(a relative path is read from the working directory, "):
        load_catalog(CATALOG_DIR / "dimensions.csv", [Path("none.csv")])
    with pytest.raises(CatalogError, match="no catalog files configured"):
        load_catalog(CATALOG_DIR / "dimensions.csv", [])


def test_external_catalogs_load(catalog):
    for name in ("berlin_mss.csv", "inkar.csv"):
        extra = read_indicators(CATALOG_DIR / name, catalog.dimensions)
        assert catalog.extended(extra)
    inkar = {i.indicator_id: i for i in read_indicators(CATALOG_DIR / "inkar.csv", catalog.dimensions)}
    assert len(inkar) == 30
    assert inkar["inkar_unemployment_rate"].kind == "share" and inkar["inkar_unemployment_rate"].numerator is None


def test_a_countys_own_catalog_extends_the_shipped_one(tmp_path):
    """Listing only the county's file keeps the shipped indicators (its shares may use the shipped counts);
    ``shipped: false`` loads the listed files alone; an unknown part says where to define it."""
    from ml.config import load_settings
    from ml.catalog import effective_catalog

    own = tmp_path / "kreis.csv"
    own.write_text("indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,frequency,persons\n"
                   "kitaplaetze,Kita-Plätze,bildung,Plätze,-1,count,,,,annual,false\n"
                   "kitaplatz_quote,Kita-Plätze je 100 Kinder unter 6,bildung,je 100,-1,rate,kitaplaetze,ew_unter6,100,"
                   "annual,\n", encoding="utf-8")
    settings = load_settings(env={"SOZIALRADAR_CATALOG__INDICATORS": f"[{own}]"})
    catalog = effective_catalog(settings)
    assert "kitaplatz_quote" in catalog and "sgb2_quote" in catalog and not catalog["kitaplaetze"].persons
    alone = load_settings(env={"SOZIALRADAR_CATALOG__INDICATORS": f"[{own}]", "SOZIALRADAR_CATALOG__SHIPPED": "false"})
    with pytest.raises(CatalogError, match=r"unknown denominator 'ew_unter6': define 'ew_unter6' as an indicator"):
        effective_catalog(alone)


def test_part_of_names_the_count_a_breakdown_makes_up(tmp_path):
    """``part_of``: the count a count is a part of (the Schuldnerberatung's clients by household type and their
    total); the catalog lists each whole's parts. A whole that is no count of the catalog, a part that is no count, a
    count that is its own part, and a circle of parts name file and line or the circle."""
    head = "indicator_id,name,dimension,unit,polarity,kind,frequency,numerator,denominator,scale,part_of\n"
    rows = ("ratsuchende,Ratsuchende,intervention,Personen,1,count,annual,,,,\n"
            "allein,Alleinlebende,intervention,Personen,0,count,annual,,,,ratsuchende\n"
            "paare,Paare,intervention,Personen,0,count,annual,,,,ratsuchende\n"
            "anteil,Anteil Alleinlebende,intervention,%,0,share,annual,allein,ratsuchende,100,\n")
    own = tmp_path / "schulden.csv"
    own.write_text(head + rows, encoding="utf-8")
    catalog = load_catalog(CATALOG_DIR / "dimensions.csv", [CATALOG_DIR / "indicators.csv", own])
    assert catalog.parts() == {"ratsuchende": ["allein", "paare"]}
    assert catalog["anteil"].part_of is None and catalog["einwohner"].part_of is None
    cases = [("x,X,intervention,Personen,0,count,annual,,,,gibtsnicht\n",
              r"'x' is a part of 'gibtsnicht', which is no count of the catalog"),
             ("x,X,intervention,Personen,0,count,annual,,,,anteil\n",
              r"'x' is a part of 'anteil', which is no count of the catalog"),
             ("x,X,intervention,%,0,share,annual,allein,ratsuchende,100,ratsuchende\n",
              r"schulden\.csv:6: part_of: 'x' is a share; only a count can be a part of another count"),
             ("x,X,intervention,Personen,0,count,annual,,,,x\n",
              r"schulden\.csv:6: part_of: 'x' names itself; a count is no part of itself"),
             ("x,X,intervention,Personen,0,count,annual,,,,y\ny,Y,intervention,Personen,0,count,annual,,,,x\n",
              r"'x' is, through part_of, a part of itself \(x → y → x\)")]
    for extra, message in cases:
        own.write_text(head + rows + extra, encoding="utf-8")
        with pytest.raises(CatalogError, match=message):
            load_catalog(CATALOG_DIR / "dimensions.csv", [CATALOG_DIR / "indicators.csv", own])
    assert load_catalog(CATALOG_DIR / "dimensions.csv", [CATALOG_DIR / "indicators.csv"]).parts() == {}


def test_the_configuration_names_the_wholes_of_counts_the_county_does_not_write(tmp_path):
    """``catalog.part_of`` in the configuration: the shipped catalog's Hilfen zur Erziehung by kind, where a
    Jugendamt's kinds make up its total, are declared parts of ``hze_faelle`` without a file of the county's; every
    fault is named: an unknown count, a share, a count its own whole, a whole that is no count, a circle, and a
    count its file declares a part of another whole."""
    from ml.config import load_settings

    kinds = ["hze_erziehungsbeistand", "hze_spfh", "hze_tagesgruppe", "hze_vollzeitpflege", "hze_heimerziehung"]
    config = tmp_path / "c.yaml"
    config.write_text("catalog:\n  part_of:\n" + "".join(f"    {k}: hze_faelle\n" for k in kinds), encoding="utf-8")
    catalog = effective_catalog(load_settings(config, env={}))
    assert catalog.parts() == {"hze_faelle": kinds}
    assert effective_catalog(load_settings(env={})).parts() == {}
    base = effective_catalog(load_settings(env={}))
    cases = [({"gibtsnicht": "hze_faelle"}, r"catalog\.part_of: 'gibtsnicht' is no indicator of the catalog"),
             ({"hze_dichte": "hze_faelle"}, r"'hze_dichte' is a rate; only a count is a part of a whole"),
             ({"hze_ise": "hze_ise"}, r"'hze_ise' names itself"),
             ({"hze_ise": "hze_dichte"}, r"'hze_ise' is a part of 'hze_dichte', which is no count of the catalog"),
             ({"hze_ise": "hze_ambulant", "hze_ambulant": "hze_ise"}, r"a part of itself \(hze_\w+ → hze_\w+ → "
                                                                       r"hze_\w+\)")]
    for part_of, message in cases:
        with pytest.raises(CatalogError, match=message):
            base.with_wholes(part_of)
    own = tmp_path / "schulden.csv"
    own.write_text("indicator_id,name,dimension,unit,polarity,kind,frequency,part_of\n"
                   "ratsuchende,Ratsuchende,intervention,Personen,1,count,annual,\n"
                   "allein,Alleinlebende,intervention,Personen,0,count,annual,ratsuchende\n", encoding="utf-8")
    config.write_text(f"catalog:\n  indicators: ['{own}']\n  part_of:\n    allein: einwohner\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"'allein' is a part of 'ratsuchende' in schulden\.csv already"):
        effective_catalog(load_settings(config, env={}))


def test_balance_of_names_the_counts_a_balance_is_the_difference_of(tmp_path):
    """``balance_of``: the shipped catalog's natural, migration and total balance with their terms; a county's own
    balance; a balance of an unknown or of a share, a term twice, itself, one term alone, a count with terms, and
    text that is no sum name file and line."""
    shipped = load_catalog(CATALOG_DIR / "dimensions.csv", [CATALOG_DIR / "indicators.csv"])
    assert shipped.balances() == {"saldo_natuerlich": (("geburten", 1), ("sterbefaelle", -1)),
                                  "saldo_wanderung": (("zuzuege", 1), ("fortzuege", -1)),
                                  "saldo_gesamt": (("saldo_natuerlich", 1), ("saldo_wanderung", 1))}
    head = "indicator_id,name,dimension,unit,polarity,kind,frequency,balance_of\n"
    rows = ("rein,Aufnahmen,intervention,Personen,0,count,annual,\n"
            "raus,Entlassungen,intervention,Personen,0,count,annual,\n"
            "bilanz,Aufnahmen minus Entlassungen,intervention,Personen,0,balance,annual,+rein -raus\n")
    own = tmp_path / "heim.csv"
    own.write_text(head + rows, encoding="utf-8")
    catalog = load_catalog(CATALOG_DIR / "dimensions.csv", [CATALOG_DIR / "indicators.csv", own])
    assert catalog["bilanz"].balance_of == (("rein", 1), ("raus", -1))
    cases = [("x,X,intervention,Personen,0,balance,annual,rein - gibtsnicht\n",
              r"'x' is the balance of 'gibtsnicht', which is no count or balance of the catalog"),
             ("x,X,intervention,Personen,0,balance,annual,rein - sgb2_quote\n",
              r"'x' is the balance of 'sgb2_quote', which is no count or balance"),
             ("x,X,intervention,Personen,0,balance,annual,rein - rein\n", r"heim\.csv:5: balance_of of 'x' must name"),
             ("x,X,intervention,Personen,0,balance,annual,rein - x\n", r"heim\.csv:5: balance_of of 'x' must name"),
             ("x,X,intervention,Personen,0,balance,annual,rein\n", r"heim\.csv:5: balance_of of 'x' must name"),
             ("x,X,intervention,Personen,0,count,annual,rein - raus\n",
              r"heim\.csv:5: balance_of: 'x' is a count; only a balance"),
             ("x,X,intervention,Personen,0,balance,annual,rein raus\n", r"heim\.csv:5: balance_of must name"),
             ("x,X,intervention,Personen,0,balance,annual,rein * raus\n", r"heim\.csv:5: balance_of must name")]
    for extra, message in cases:
        own.write_text(head + rows + extra, encoding="utf-8")
        with pytest.raises(CatalogError, match=message):
            load_catalog(CATALOG_DIR / "dimensions.csv", [CATALOG_DIR / "indicators.csv", own])


@hsettings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab_+-* 1", max_size=14))
def test_balance_of_reads_a_sum_of_names_or_says_what_it_got(text):
    """Any cell either reads as two or more names with signs, each once, or is refused naming the cell."""
    try:
        terms = _balance_terms("f.csv:2", "x", "balance", text)
    except CatalogError as e:
        assert repr(text) in str(e)
        return
    if not text.strip():
        assert terms == ()
        return
    names = [t for t, _ in terms]
    assert len(names) >= 2 and len(set(names)) == len(names) and "x" not in names
    assert "".join(("-" if s < 0 else "+") + t for t, s in terms).lstrip("+") == text.replace(" ", "").lstrip("+")

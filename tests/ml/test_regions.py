import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.regions import (
    region_depth,
    RegionLookup, at_level, canonical_level, name_key, split_level, with_ancestors, without_designation,
)

REGIONS = pd.DataFrame({
    "region_id": ["02", "0201", "0202", "03", "0301", "0302"],
    "name": ["Eimsbüttel", "Eimsbüttel", "Rotherbaum", "Harburg", "Harburg", "Westliche Höhe"],
    "level": ["bezirk", "stadtteil", "stadtteil", "bezirk", "stadtteil", "stadtteil"],
})


@pytest.fixture(scope="module")
def lookup():
    return RegionLookup(REGIONS)


def test_name_key_ignores_spelling():
    assert name_key("Westliche Höhe") == name_key("westliche hoehe") == name_key("Westliche-Hö\u00adhe")
    assert name_key("St. Georg") == name_key("St Georg")


@pytest.mark.parametrize("word, level", [("Stadtbezirk", "bezirk"), ("Stadtteil", "stadtteil"), ("Ebene", None),
                                         ("PLR", "planungsraum"), ("Landkreis", "kreis"), ("Ortsteil", "ortsteil")])
def test_level_words(word, level):
    assert canonical_level(word) == level


@pytest.mark.parametrize("text, expected", [
    ("Bezirk Eimsbüttel", ("bezirk", "Eimsbüttel")), ("Bezirk: Eimsbüttel", ("bezirk", "Eimsbüttel")),
    ("Eimsbüttel (Stadtteil)", ("stadtteil", "Eimsbüttel")), ("Eimsbüttel", (None, "Eimsbüttel")),
    ("Neue Neustadt", (None, "Neue Neustadt")),
])
def test_split_level(text, expected):
    assert split_level(text) == expected


def test_unique_names_resolve(lookup):
    assert lookup.resolve("Rotherbaum") == ("0202", None)
    assert lookup.resolve("westliche hoehe") == ("0302", None)


def test_a_name_on_two_levels_needs_the_level(lookup):
    code, why = lookup.resolve("Eimsbüttel")
    assert code is None and "ambiguous region name" in why and "bezirk Eimsbüttel (02)" in why \
        and "stadtteil Eimsbüttel (0201)" in why and "level" in why
    assert lookup.resolve("Bezirk Eimsbüttel") == ("02", None)
    assert lookup.resolve("Eimsbüttel (Stadtteil)") == ("0201", None)
    assert lookup.resolve("Eimsbüttel", "Stadtbezirk") == ("02", None)
    assert lookup.resolve("Harburg", "stadtteil") == ("0301", None)


def test_wrong_or_unknown_levels_are_named(lookup):
    assert lookup.resolve("Rotherbaum", "bezirk")[1] == "region name not on level bezirk (it is on: stadtteil)"
    assert "unknown level 'Viertel'" in lookup.resolve("Rotherbaum", "Viertel")[1]


def test_close_names_are_suggested_and_codes_left_alone(lookup):
    assert "did you mean 'Rotherbaum'" in lookup.resolve("Rotherbaun")[1]
    assert lookup.resolve("9999") == (None, None)          # a code: the code checks speak
    assert lookup.resolve("Atlantis") == (None, None)
    # without the search for names spelt alike (a map file's thousands of texts): no reason, the same code
    assert lookup.resolve("Rotherbaun", suggest=False) == (None, None)
    assert lookup.resolve("Rotherbaum", suggest=False) == lookup.resolve("Rotherbaum")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(list(REGIONS.index)), st.sampled_from(["upper", "lower", "title", "umlaut", "hyphen"]))
def test_every_spelling_of_a_unique_name_resolves(i, style):
    row = REGIONS.loc[i]
    if (REGIONS["name"] == row["name"]).sum() > 1:
        text = f"{row['level'].title()} {row['name']}"
    else:
        text = row["name"]
    text = {"upper": text.upper(), "lower": text.lower(), "title": text.title(),
            "umlaut": text.replace("ö", "oe").replace("ü", "ue"), "hyphen": text.replace(" ", "-")}[style]
    assert RegionLookup(REGIONS).resolve(text) == (row["region_id"], None)


def test_a_plain_name_beside_its_written_level_is_the_other_one(lookup):
    got = lookup.resolve_all([("Bezirk Harburg", None), ("Harburg", None), ("Eimsbüttel", None)])
    # 'Harburg' beside 'Bezirk Harburg' is the Stadtteil; 'Eimsbüttel' alone stays ambiguous
    assert got[0] == ("03", None) and got[1] == ("0301", None)
    assert got[2][0] is None and got[2][1].startswith("ambiguous region name")


ABBREVIATED = pd.DataFrame({
    "region_id": ["04", "0101", "0102", "02", "0103"],
    "name": ["Charlottenburg-Wilm.", "Stülerstr.", "Großer Tiergarten", "Friedrichshain-Kreuzberg", "Stülerplatz"],
    "level": ["bezirk", "planungsraum", "planungsraum", "bezirk", "planungsraum"],
})


def test_a_name_the_key_abbreviates_resolves_and_is_reported():
    lookup = RegionLookup(ABBREVIATED)
    # Berlin's LOR key writes 'Charlottenburg-Wilm.', the core indicators 'Charlottenburg-Wilmersdorf'
    assert lookup.resolve("Charlottenburg-Wilmersdorf") == ("04", None)
    assert lookup.resolve("Stülerstraße", "planungsraum") == ("0101", None)
    assert lookup.resolve("Stuelerstrasse") == ("0101", None)
    # the other way round: the file abbreviates, the store has the full name
    assert lookup.resolve("Friedrichsh.-Kreuzberg") == ("02", None)
    assert lookup.abbreviations == {"Charlottenburg-Wilmersdorf": "Charlottenburg-Wilm.",
                                    "Stülerstraße": "Stülerstr.", "Stuelerstrasse": "Stülerstr.",
                                    "Friedrichsh.-Kreuzberg": "Friedrichshain-Kreuzberg"}


def test_an_abbreviation_fitting_several_names_or_another_level_resolves_nothing():
    lookup = RegionLookup(ABBREVIATED)
    code, why = lookup.resolve("Stüler.")            # Stülerstr. and Stülerplatz
    assert code is None and why.startswith("ambiguous region name") and "Stülerplatz" in why
    assert lookup.resolve("Charlottenburg-Wilmersdorf", "planungsraum")[0] is None
    assert lookup.resolve("Charlottenburg")[0] is None              # a prefix alone is no abbreviation
    assert lookup.resolve("Wilm.") == (None, None)                   # the start must fit too
    assert lookup.abbreviations == {}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text("abcdefghiklmnoprstuvwzäöüß", min_size=5, max_size=9), min_size=1, max_size=3),
       st.data())
def test_every_abbreviation_of_a_name_finds_it(words, data):
    """A name cut after any letters of any of its words, with a full stop, resolves to the name (where no other
    region fits)."""
    full = "-".join(w.title() for w in words)
    k = data.draw(st.integers(0, len(words) - 1))
    cut = data.draw(st.integers(4, len(words[k]) - 1))      # four letters at least are kept
    short = "-".join((w[:cut] + "." if i == k else w).title() for i, w in enumerate(words))
    regions = pd.DataFrame({"region_id": ["1", "2"], "name": [full, "Zzz Anderswo"], "level": ["stadtteil"] * 2})
    assert RegionLookup(regions).resolve(short) == ("1", None)
    regions["name"] = [short, "Zzz Anderswo"]
    assert RegionLookup(regions).resolve(full) == ("1", None)


DESIGNATED = pd.DataFrame({
    "region_id": ["14626110", "01002000", "09575153", "07111000", "06435014", "03101000"],
    "name": ["Görlitz, Stadt", "Kiel, Landeshauptstadt", "Neustadt a.d.Aisch, St", "Neustadt (Wied)",
             "Neustadt (Hessen), Stadt", "Braunschweig"],
    "level": ["gemeinde"] * 6,
})


def test_an_official_designation_written_on_one_side_only_resolves_and_is_reported():
    """The Gemeindeverzeichnis writes 'Görlitz, Stadt', 'Kiel, Landeshauptstadt'; a county's own tables write
    'Görlitz' and 'Kiel', or the designation where the key has none. Read as the one region, and named."""
    lookup = RegionLookup(DESIGNATED)
    assert lookup.resolve("Görlitz") == ("14626110", None)
    assert lookup.resolve("Kiel, Stadt") == ("01002000", None)
    assert lookup.resolve("Braunschweig, Stadt") == ("03101000", None)
    assert lookup.resolve("Neustadt a.d.Aisch") == ("09575153", None)
    assert lookup.designations == {"Görlitz": "Görlitz, Stadt", "Kiel, Stadt": "Kiel, Landeshauptstadt",
                                   "Braunschweig, Stadt": "Braunschweig",
                                   "Neustadt a.d.Aisch": "Neustadt a.d.Aisch, St"}
    assert lookup.resolve("Görlitz", "kreis")[0] is None          # the level given still counts
    # a name several begin with is no region; they are offered
    code, why = lookup.resolve("Neustadt")
    assert code is None and "'Neustadt (Hessen), Stadt' or 'Neustadt (Wied)' or 'Neustadt a.d.Aisch, St'" in why
    assert without_designation("Görlitz, Stadt") == "Görlitz" and without_designation("Altstadt") == "Altstadt"


def test_two_regions_with_one_name_but_their_designation_stay_ambiguous():
    lookup = RegionLookup(pd.DataFrame({"region_id": ["1", "2"], "name": ["Neustadt, Stadt", "Neustadt, M"],
                                        "level": ["gemeinde", "gemeinde"]}))
    code, why = lookup.resolve("Neustadt")
    assert code is None and why.startswith("ambiguous region name") and "(1)" in why and "(2)" in why
    assert lookup.resolve("Neustadt, M") == ("2", None)           # written in full it is one


def test_one_name_twice_on_one_level_asks_for_the_codes_not_the_level():
    """Two region lists of one city (the Bezirke once by code, once by name) name a Bezirk twice on one level:
    writing the level with the name cannot help, so the message does not advise it."""
    lookup = RegionLookup(pd.DataFrame({"region_id": ["01", "Mitte", "0101"], "name": ["Mitte", "Mitte", "Mitte"],
                                        "level": ["bezirk", "bezirk", "planungsraum"]}))
    code, why = lookup.resolve("Bezirk Mitte")
    assert code is None and why == "ambiguous region name: bezirk Mitte (01), bezirk Mitte (Mitte), on the same " \
                                   "level; use the codes"
    code, why = lookup.resolve("Mitte")            # across levels the level still tells them apart
    assert code is None and "write the level with the name" in why


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghiklmnorstuäöü", min_size=4, max_size=9), min_size=1, max_size=6,
                unique_by=name_key),
       st.lists(st.sampled_from(["Stadt", "M", "St", "GKSt", "Hansestadt", "Flecken", ""]), min_size=6, max_size=6),
       st.sampled_from(["Stadt", "Landeshauptstadt", ""]))
def test_a_unique_name_resolves_with_any_designation_or_none(bases, designations, written):
    """Property: where no two regions share a name without their designation, every region is found by its name
    with any designation or none; a code never changes."""
    names = [b.title() + (f", {d}" if d else "") for b, d in zip(bases, designations)]
    regions = pd.DataFrame({"region_id": [f"0{k}" for k in range(len(names))], "name": names,
                            "level": ["gemeinde"] * len(names)})
    lookup = RegionLookup(regions)
    for k, b in enumerate(bases):
        text = b.upper() + (f", {written}" if written else "")
        assert lookup.resolve(text) == (f"0{k}", None)
    assert lookup.resolve("00") == (None, None)


def test_the_census_gemeinden_are_found_without_their_designation(shared_data):
    """Germany's 10,786 Gemeinden of the census 2022 with their official names: a name without its designation
    names one Gemeinde wherever no other has that name (Görlitz, Kiel), and several are offered where many have."""
    census = pd.read_csv(shared_data / "germany_kreise_inkar_gerda" / "municipality_census2022.csv",
                         dtype={"ags": str}, usecols=["ags", "municipality_name"])
    regions = census.rename(columns={"ags": "region_id", "municipality_name": "name"}).assign(level="gemeinde")
    lookup = RegionLookup(regions)
    assert lookup.resolve("Görlitz") == ("14626110", None) and lookup.resolve("Kiel") == ("01002000", None)
    bases = regions["name"].map(lambda n: name_key(without_designation(n)))
    unique = regions[(regions["name"].str.contains(",")) & ~bases.duplicated(keep=False)]
    sample = unique.sample(300, random_state=0)
    got = [lookup.resolve(without_designation(n))[0] for n in sample["name"]]
    assert got == sample["region_id"].tolist()
    assert "one of" in lookup.resolve("Neustadt")[1]


def test_a_region_above_the_level_stands_for_its_regions_there():
    regions = pd.DataFrame({"region_id": ["K", "S1", "S2", "G1", "G2", "G3", "P1", "X"],
                            "level": ["kreis", "sozialregion", "sozialregion", "gemeinde", "gemeinde", "gemeinde",
                                      "planungsraum", "sozialregion"],
                            "parent_id": [None, "K", "K", "S1", "S1", "S2", "G1", "K"]})
    got = at_level(regions, ["S1", "G3", "K", "P1", "X", "unbekannt"], "gemeinde")
    assert got == {"S1": ["G1", "G2"], "G3": ["G3"], "K": ["G1", "G2", "G3"], "P1": [], "X": [], "unbekannt": []}
    assert with_ancestors(regions, "P1") == {"P1", "G1", "S1", "K"} and with_ancestors(regions, "K") == {"K"}
    cycle = pd.DataFrame({"region_id": ["A", "B"], "level": ["gemeinde", "gemeinde"], "parent_id": ["B", "A"]})
    assert with_ancestors(cycle, "A") == {"A", "B"}


def test_region_depth_counts_ancestors_in_the_table_and_stops_at_a_circle():
    """A Kreis, its Sozialregion, a Gemeinde with a numeric id; a parent not in the table counts as none; a circle
    of two stops where it closes."""
    regions = pd.DataFrame({"region_id": ["K", "S", 14599010, "X", "A", "B"],
                            "parent_id": [None, "K", "S", "elsewhere", "B", "A"]})
    assert region_depth(regions) == {"K": 0, "S": 1, "14599010": 2, "X": 0, "A": 2, "B": 2}

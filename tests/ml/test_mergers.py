"""Municipal mergers carried onto the latest boundaries: by code, by name, by area; Saxony's real table."""

import pandas as pd
import pytest

from ml.mergers import harmonise
from tests.conftest import SHARED_DATA


def test_merge_renumbering_and_new_code():
    rows = [
        # 2010: four municipalities of district K1
        (2010, "001", "Altdorf", 10.0, "K1", 1000), (2010, "002", "Bedorf", 5.0, "K1", 400),
        (2010, "003", "Cestadt, Stadt", 20.0, "K1", 5000), (2010, "004", "Dorn", 2.0, "K1", 100),
        # 2015: Bedorf merged into Altdorf (Altdorf's code kept); the district renumbered Cestadt; Dorn unchanged
        (2015, "001", "Altdorf", 15.0, "K1", 1390), (2015, "103", "Cestadt", 20.0, "K1", 5100),
        (2015, "004", "Dorn", 2.0, "K1", 90),
        # 2020: Altdorf and Dorn merged into a new municipality with a new code and name
        (2020, "200", "Altdorn", 17.0, "K1", 1500), (2020, "103", "Cestadt, Stadt", 20.0, "K1", 5200),
    ]
    frame = pd.DataFrame(rows, columns=["period", "code", "name", "area", "district", "value"])
    h = harmonise(frame)
    v = h.values.pivot(index="unit", columns="period", values="value")
    assert v.loc["200"].tolist() == [1500, 1480, 1500] and v.loc["103"].tolist() == [5000, 5100, 5200]
    how = h.successors.set_index(["period", "code"])["how"]
    assert how[(2010, "002")] == "area" and how[(2010, "003")] == "name" and how[(2015, "001")] == "area"
    assert h.lost == [] and h.inconsistent == []


def test_a_part_moved_is_left_out():
    rows = [(2010, "001", "A", 10.0, "K", 100), (2010, "002", "B", 10.0, "K", 100),
            (2015, "001", "A", 13.0, "K", 130), (2015, "002", "B", 7.0, "K", 70)]
    h = harmonise(pd.DataFrame(rows, columns=["period", "code", "name", "area", "district", "value"]))
    assert h.inconsistent == ["001", "002"] and h.values.empty


def test_saxony_gemeinden():
    path = SHARED_DATA / "saxony_gemeinden_population_gvisys" / "saxony_gemeinden_population_gvisys_long.csv"
    if not path.is_file():
        pytest.skip(f"real open data not present at {path}")
    d = pd.read_csv(path, dtype={"ags": str, "kreis": str})
    d = d[d["stand_year"] != 2024]
    frame = pd.DataFrame({"period": d["stand_year"], "code": d["ags"], "name": d["name"], "area": d["area_km2"],
                          "district": d["kreis"], "value": d["pop_total"]})
    h = harmonise(frame)
    wide = h.values.pivot(index="unit", columns="period", values="value")
    # 535 Gemeinden in 2002, 418 in 2023; nine in ten carried over whole, every stand complete for them
    assert len(wide) >= 0.9 * 418 and wide.notna().all().all()
    assert set(h.successors["how"]) == {"code", "name", "area"}
    # Dresden and Leipzig keep their population through the 2008 district reform's renumbering
    assert wide.loc["14612000", 2002] > 470_000 and wide.loc["14713000", 2005] > 490_000

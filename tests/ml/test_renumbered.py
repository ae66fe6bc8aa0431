"""Codes read by the names beside them: the rule on periods and the note on counts that jump where the code
changes (:mod:`ml.renumbered`), at its edges."""

from __future__ import annotations

import pytest

from ml.importers import ingest_file, load_mapping
from ml.renumbered import JUMP
from tests.conftest import write

REGIONS = ("region_id,name,level,parent_id\n14524010,Bernsdorf,gemeinde,\n14524070,Gersdorf,gemeinde,\n"
           "14524080,\"Glauchau, Stadt\",gemeinde,\n")
MAPPING = "region_column: ags\nname_column: name\nperiod_column: Jahr\ncolumns:\n  Einwohner: einwohner\n"


def _report(store, settings, tmp_path, rows: str):
    assert ingest_file(write(tmp_path / "regions.csv", REGIONS), store, settings).status == "ok"
    return ingest_file(write(tmp_path / "t.csv", "Jahr,ags,name,Einwohner\n" + rows), store, settings,
                       mapping=load_mapping(write(tmp_path / "m.yaml", MAPPING)))


def _jumps(report) -> list[str]:
    return [n for n in report.notes if "change a count by more than a quarter" in n]


@pytest.mark.parametrize("after, named", [(1000 * JUMP - 10, False), (1000 * JUMP + 10, True),
                                          (1000 / JUMP + 10, False), (1000 / JUMP - 10, True)])
def test_a_count_is_named_only_beyond_the_jump(store, settings, tmp_path, after, named):
    rep = _report(store, settings, tmp_path, f"2005,14173010,Bernsdorf,1000\n2009,14524010,Bernsdorf,{after:.0f}\n")
    assert rep.rows_quarantined == 0 and bool(_jumps(rep)) is named


def test_without_the_regions_own_code_nothing_is_compared(store, settings, tmp_path):
    rep = _report(store, settings, tmp_path, "2002,14173010,Bernsdorf,1000\n2005,14173010,Bernsdorf,3000\n")
    assert rep.rows_accepted == 2 and _jumps(rep) == []


def test_an_old_code_whose_years_meet_the_regions_own_is_quarantined_with_the_year(store, settings, tmp_path):
    rep = _report(store, settings, tmp_path, "2005,14173070,\"Glauchau, Stadt\",26044\n"
                  "2005,14524080,\"Glauchau, Stadt\",26044\n2009,14524080,\"Glauchau, Stadt\",24684\n")
    assert (rep.rows_accepted, rep.rows_quarantined) == (2, 1)
    reason = store.con.execute("SELECT reason FROM quarantine").fetchone()[0]
    assert reason == ("unknown region; the name beside the code, 'Glauchau, Stadt', is that of the region 14524080, "
                      "which the file also gives under its own code in 2005: the name cannot tell which row is the "
                      "region")

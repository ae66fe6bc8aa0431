"""The checks an import runs over the editions the store holds (experiments.jobs.misplaced_after_import), on real
tables: a change of grid said on arrival."""

from __future__ import annotations

import pytest


@pytest.mark.realdata
def test_berlins_open_mss_per_bezirksregion_names_the_grid_of_2021_on_arrival(shared_data, store, settings):
    """The editions 2013–2019 on the 138 Bezirksregionen, then 2021 on the 143 of the new grid: the import says
    what changed; every earlier import said nothing of the kind."""
    from experiments.jobs import misplaced_after_import
    from ml.importers import ingest_file

    folder = shared_data / "berlin_mss_open_lifeworlds"
    for year in ("2013", "2015", "2017", "2019"):
        rep = ingest_file(folder / f"berlin-lor-monitoring-social-urban-development-{year}-00-district-regions.csv",
                          store, settings)
        assert not [n for n in misplaced_after_import(store, rep.indicators) if "grid" in n]
    rep = ingest_file(folder / "berlin-lor-monitoring-social-urban-development-2021-00-district-regions.csv",
                      store, settings)
    said = [n for n in misplaced_after_import(store, rep.indicators) if "grid" in n]
    assert len(said) == 1 and said[0].startswith(
        "2021: the regions of level bezirksregion with values are largely others than before: 142 of the 142 of "
        "2021 have none up to 2019, and 137 of the 137 of 2019 have none from 2021 on")

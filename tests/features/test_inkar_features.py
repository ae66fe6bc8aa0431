"""Germany's 400 Kreise from the INKAR file through the commands, with the shipped configuration: an index that is
built from other indicators in some years is named, and the early warning learns no transition across them."""

import pandas as pd
import pytest

from ml.paths import DATA_DIR
from ml.store import Store


def test_the_years_of_another_index_are_named_and_no_transition_crosses_them(tmp_path):
    from tests.conftest import SHARED_DATA, cli_with

    inkar = SHARED_DATA / "germany_kreise_inkar_gerda" / "county_covariates_inkar_1995_2022.csv"
    if not inkar.is_file():
        pytest.skip(f"real open data not present at {SHARED_DATA}")
    config = tmp_path / "inkar.yaml"
    config.write_text((DATA_DIR / "config" / "inkar_kreise.yaml").read_text(encoding="utf-8")
                      .replace(".sozialradar/inkar/", f"{tmp_path}/"), encoding="utf-8")

    run = cli_with(config, tmp_path / "q")

    run("ingest", "--format", "inkar", inkar)
    output = run("features")
    # 1995–1997 without the unemployment rate, 2022 without it and the low-income households
    assert ("status index of 1995–1997, 2022 (4 periods) built from 1 of 3 configured indicators: "
            "inkar_unemployment_rate, inkar_share_low_income_hh had no values there") in output
    assert ("the status index is built from other indicators across 1997 → 1998, 2021 → 2022: the early warning "
            "learns from no transition across them") in output
    from models.early_warning import make_transitions

    with Store(tmp_path / "monitoring.duckdb", read_only=True) as store:
        inputs = store.table("warning_inputs")
    for h in (1, 2):
        T = make_transitions(inputs, h)
        known = pd.Series(T.known.to_numpy(), index=T.X.index.get_level_values("period")).groupby(level=0).sum()
        crossing = [str(y) for y in range(1998 - h, 1998)] + [str(y) for y in range(2022 - h, 2022)]
        assert (known[crossing] == 0).all() and (known[["1999", "2012", "2019"]] > 300).all()

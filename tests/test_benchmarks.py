"""The benchmarks that carry the issues' figures can be re-run on other data and other cuts: their arguments are
checked before any data is read, and a cut the data cannot fill is said, not a traceback."""

import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import PROJECT_ROOT


def run(script: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / script), *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args, message", [
    (["--data", "inkar", "--years", "2008-2021", "--starts", "2021-2022"], "need years before and after them"),
    (["--data", "inkar", "--starts", "2018-2014"], "the first year is after the last"),
    (["--data", "inkar", "--starts", "2014"], "expected FIRST-LAST years"),
    (["--years", "2008-2021"], "apply to --data inkar"),
])
def test_impact_refuses_a_cut_it_cannot_plant_into(args, message):
    done = run("impact.py", *args, timeout=60)
    assert done.returncode == 2 and message in done.stderr


def test_impact_missing_file_is_named(tmp_path):
    done = run("impact.py", "--data", "inkar", "--file", str(tmp_path / "inkar_2024.csv"), timeout=120)
    assert done.returncode == 1 and f"INKAR file not found: {tmp_path / 'inkar_2024.csv'}" in done.stderr


def test_impact_on_another_cut_leaves_out_an_indicator_without_complete_years(shared_data):
    """2022 has no unemployment rate in the repository's INKAR file: that indicator is named and left out, the
    others are planted into and estimated."""
    done = run("impact.py", "--data", "inkar", "--measures", "20", "--years", "2008-2022", "--starts", "2015-2020")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "inkar_unemployment_rate: no region has a value in every year 2008–2022" in done.stderr
    assert "| synthetic control |" in done.stdout and "RMSE ratio synthetic control / before-after" in done.stdout
    assert "inkar_unemployment_rate (" not in done.stdout
    assert "inkar_youth_unemployment_rate (" in done.stdout


def test_forecast_held_out_years_follow_the_cut():
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
    try:
        from forecast_inkar import held_out_years
    finally:
        sys.path.remove(str(PROJECT_ROOT / "benchmarks"))
    obs = pd.DataFrame({"period": [str(y) for y in range(1995, 2025)]})
    assert held_out_years(obs, "2017", 5) == ["2018", "2019", "2020", "2021", "2022"]
    assert held_out_years(obs, "2021", 5) == ["2022", "2023", "2024"]
    with pytest.raises(SystemExit, match="no year after 2024 in the file .it holds 1995–2024."):
        held_out_years(obs, "2024", 5)

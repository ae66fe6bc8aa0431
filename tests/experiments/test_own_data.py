"""The README's "Your own data" example, run exactly as written: raw Flensburg tables to report pages, and
the figures the README quotes checked on the result."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ml.store import Store
from tests.conftest import SHARED_DATA

README = Path(__file__).resolve().parents[2] / "README.md"


def example_block() -> str:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- own-data-example -->\s*```bash\n(.*?)```\s*<!-- /own-data-example -->", text, re.S)
    assert block, "README lost its own-data example"
    return block.group(1)


def test_the_example_is_in_the_readme():
    script = example_block()
    assert "sozialradar mapping suggest" in script and "sozialradar report --all" in script


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_example_runs_from_raw_files_to_reports(tmp_path):
    script = example_block().replace("../shared/data", str(SHARED_DATA))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOZIALRADAR_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    # the suggestions the README describes
    columns = {t: yaml.safe_load((tmp_path / f"map_{t}.yaml").read_text())["columns"]
               for t in ("residents", "unemployed_residents", "beneficiaries", "residents_age_65_and_above",
                         "migration_background")}
    assert columns["residents"] == {"residents": "einwohner"}
    assert columns["unemployed_residents"] == {"residents": "arbeitslose"}
    assert columns["beneficiaries"] == {"residents": "sgb2_empfaenger"}
    assert columns["residents_age_65_and_above"] == {"residents": "ew_65plus"}
    assert columns["migration_background"] == {"foreign_citizenship": "auslaender"}
    assert "#  'german_citizenship': ?" in (tmp_path / "map_migration_background.yaml").read_text()
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        regions = store.regions()
        periods = set(store.observations(["einwohner"])["period"])
    assert len(regions) == 13 and set(regions["level"]) == {"stadtteil"}
    assert periods == {"2011", "2017", "2018", "2019", "2020", "2021", "2022"}
    pages = sorted((tmp_path / ".sozialradar" / "berichte").glob("*_2022.html"))
    assert len(pages) == 14          # 13 Stadtteile and the index
    neustadt = (tmp_path / ".sozialradar" / "berichte" / "2_2022.html").read_text(encoding="utf-8")
    row = neustadt.split("<th scope='row'>Leistungsberechtigte nach SGB II je 100 Einwohner<span", 1)[1]
    cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.split("</tr>")[0], re.S)]
    assert cells[0] == ["20,1"] and cells[1] == ["10,1"] and cells[2][:2] == ["\u22122,9", "Pp."]
    assert cells[3] == ["deutlich", "ungünstiger"]
    assert "Mittel der Stadtteile" in neustadt and "Kreis" not in neustadt

"""Tables in JSON files (:mod:`ml.json_tables`): Flensburg's Sozialatlas as one JSON against its CSV tables, and the
reading time against pandas' ``json_normalize``.

    .venv/bin/python benchmarks/json_tables.py

First the city's ``details.json`` (13 Stadtteile, each topic an object nested in the record; 2021 by its totals): its
fields whose values are those of the CSV table of the same topic and year (the anchor: the CSV tables as published);
the indicators the suggestion maps from the one file against those the suggestions of the CSV tables map (each table
suggested on its own); the withheld marks and the sums it proposes. Then the time to read a table of records,
pretty-printed and written on one line, against ``pandas.json_normalize`` on the loaded document (the anchor: no
line numbers, numbers as floats, every cell kept). Each figure is measured in this run.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from ml.catalog import load_catalog  # noqa: E402
from ml.config import CatalogConfig  # noqa: E402
from ml.io import read_table  # noqa: E402
from ml.suggest import suggest_mapping  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
FLENSBURG = SHARED / "flensburg_sozialatlas"
TABLE_OF = {
    "age_groups": "fl_age_groups_by_district.csv", "basic_benefits_income": "fl_basic_benefits_income_by_district.csv",
    "benefits_characteristics": "fl_beneficiaries_characteristics_by_district.csv",
    "benefits_age_15_to_under_65": "fl_beneficiaries_age_15_to_under_65_by_district.csv",
    "unemployment_characteristics": "fl_unemployed_residents_categorized_by_district.csv",
    "housing_assistance": "fl_housing_assistance_cases_by_district.csv",
    "migration_background": "fl_migration_background_by_district.csv",
    "residents": ("fl_residents_by_district.csv", "residents"), "births": ("fl_births_by_district.csv", "births"),
    "birth_rate": ("fl_births_by_district.csv", "birth_rate"), "age_ratio": ("fl_age_ratio_by_district.csv", "quotient"),
    "housing_benefit": ("fl_housing_benefit_by_district.csv", "residents"),
    "employed_residents": ("fl_employed_with_pension_insurance_by_district.csv", "residents"),
    "employment_rate": ("fl_employed_with_pension_insurance_by_district.csv", "employment_rate"),
    "risk_of_homelessness": ("fl_risk_homelessness_by_district.csv", "residents"),
    "unemployed_residents": ("fl_unemployed_residents_by_district.csv", "residents"),
    "inactive_beneficiaries_in_households": ("fl_inactive_beneficiaries_households_by_district.csv", "residents"),
    "age_groups.age_to_under_18": ("fl_age_groups_by_district.csv", "age_under_18"),
    "age_groups.age_65_and_above": ("fl_residents_age_65_and_above_by_district.csv", "residents"),
    "age_groups.age_18_to_under_65": ("fl_residents_age_18_to_under_65_by_district.csv", "residents"),
    "benefits_characteristics.beneficiaries_sgbii": ("fl_beneficiaries_by_district.csv", "residents"),
}
"""The CSV table (and its column) of each field of the JSON: by the field's object the table of that topic and the
column of the field's name; a field of its own, or one the topic's table lacks, by name."""


def _csv_tables(year: str) -> dict[str, pd.DataFrame]:
    out = {}
    for path in sorted((FLENSBURG / "csv").glob("*_by_district.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        if {"year", "district_id"} <= set(table.columns):
            out[path.name] = table[table["year"] == year].set_index("district_id")
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None        # 'null', 'NULL': no count written


def _same_values(json_table, tables: dict[str, pd.DataFrame]) -> tuple[int, int, list[str]]:
    """The JSON's fields equal to their CSV table's column in every Stadtteil, the fields compared, those apart."""
    frame = json_table.frame()
    cells = {h: frame[f"c{i}"].tolist() for i, h in enumerate(json_table.header)}
    ids = cells["district_id"]
    agree, compared, apart = 0, 0, []
    for field in json_table.header:
        where = TABLE_OF.get(field) or TABLE_OF.get(field.rsplit(".", 1)[0])
        if where is None:
            continue
        name, column = where if isinstance(where, tuple) else (where, field.rsplit(".", 1)[-1])
        written = tables[name][column].reindex(ids).fillna("").tolist()
        equal = sum(_number(a) == _number(b) for a, b in zip(cells[field], written))
        compared += 1
        if equal == len(ids):
            agree += 1
        else:
            apart.append(f"{field}: {len(ids) - equal} of {len(ids)} Stadtteile apart from {name}")
    return agree, compared, apart


def _suggested(catalog) -> tuple[set[str], set[str], list[str], list[str]]:
    s = suggest_mapping(FLENSBURG / "details.json", catalog)
    from_json = {m.indicator_id for m in s.matches}
    from_csv: set[str] = set()
    for path in sorted((FLENSBURG / "csv").glob("*_by_district.csv")):
        from_csv |= {m.indicator_id for m in suggest_mapping(path, catalog).matches}
    sums = [c.relation.formula() + ("" if not len(c.failing) else f" (fails on {len(c.failing)})") for c in s.sums]
    return from_json, from_csv, s.withheld, sums


def _timing(records: int, indent: int | None) -> tuple[float, float]:
    rng = random.Random(0)
    rows = [{"ags": f"{i:08d}", "name": f"Gemeinde {i}", "jahr": 2000 + i % 20,
             "werte": {"ew": rng.randint(100, 99999), "alo": round(rng.random() * 10, 1), "sgb2": None}}
            for i in range(records)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.json"
        path.write_text(json.dumps({"result": {"records": rows}}, indent=indent), encoding="utf-8")
        t0 = time.perf_counter()
        ours = read_table(path)
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        anchor = pd.json_normalize(json.loads(path.read_text(encoding="utf-8"))["result"]["records"])
        t_anchor = time.perf_counter() - t0
    assert ours.cells.num_rows == len(anchor) == records
    return t_ours, t_anchor


def main() -> None:
    table = read_table(FLENSBURG / "details.json")
    agree, compared, apart = _same_values(table, _csv_tables("2021"))
    cfg = CatalogConfig()
    from_json, from_csv, withheld, sums = _suggested(load_catalog(cfg.dimensions, cfg.indicators))
    print("| Flensburg's details.json (13 Stadtteile, 2021) | figure |")
    print("|---|---|")
    print(f"| columns read (nested objects flattened) | {len(table.header)} |")
    print(f"| fields equal to the CSV table of 2021 in every Stadtteil (anchor: the CSV tables) | {agree} of "
          f"{compared} |")
    print(f"| fields apart | {'; '.join(apart) or 'none'} |")
    print(f"| indicators the suggestion maps from the one file / from the CSV tables, each suggested on its own | "
          f"{len(from_json)} / {len(from_csv)} (both: {len(from_json & from_csv)}; the CSV's alone: "
          f"{', '.join(sorted(from_csv - from_json)) or 'none'}) |")
    print(f"| withheld marks proposed | {withheld} |")
    print(f"| sums proposed | {len(sums)}: {'; '.join(sums)} |")
    print()
    print("| records | written | ours (read_table) | anchor (json.loads + pandas.json_normalize) | ratio |")
    print("|---|---|---|---|---|")
    for records in (20_000, 200_000):
        for indent, label in ((1, "pretty-printed"), (None, "on one line")):
            ours, anchor = _timing(records, indent)
            print(f"| {records:,} | {label} | {ours:.2f} s | {anchor:.2f} s | {ours / anchor:.1f}× |")


if __name__ == "__main__":
    main()

"""Workbooks as offices save them: real tables of ``../shared/data`` written as Excel (``.xlsx``), older Excel
(``.xls``, 97-2003) and OpenDocument (``.ods``) workbooks, numbers as numbers and codes with their leading zeros as
text, then read by ``ml.io.read_table`` (ours: the kind told by the first bytes, calamine's reader, the cells as
text) beside the workbook's read alone by pandas with calamine (the anchor), and, for the ``.xlsx``, by openpyxl
(its reader before). Each workbook's cells are compared with the ``.xlsx``'s: the three must give the same table.
One process; the median of the rounds.

    .venv/bin/python benchmarks/workbooks.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.io import read_table  # noqa: E402
from geometry import timed  # noqa: E402
from measure import SHARED  # noqa: E402
from tests.conftest import write_xls  # noqa: E402

TABLES = {
    "Saxony's Gemeinden 2002–2024": SHARED / "saxony_gemeinden_population_gvisys"
    / "saxony_gemeinden_population_gvisys_long.csv",
    "Berlin's BZR core indicators 2017": SHARED / "berlin_bzr_kernindikatoren_tsb" / "bzr_kernindikatoren_2017_long.csv",
    "INKAR, 400 Kreise 1995–2022": SHARED / "germany_kreise_inkar_gerda" / "county_covariates_inkar_1995_2022.csv",
}


def typed(path: Path) -> pd.DataFrame:
    """The table as a workbook would hold it: columns of numbers as numbers, codes (leading zeros) and text as
    text, empty cells empty."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in frame.columns:
        cells = frame[column]
        written = cells[cells.ne("")]
        numbers = pd.to_numeric(written, errors="coerce")
        if len(written) and numbers.notna().all() and not written.str.match(r"^0\d").any():
            frame[column] = pd.to_numeric(cells.replace("", None), errors="coerce").astype(object)
            frame[column] = frame[column].where(frame[column].notna(), None)
            whole = frame[column].map(lambda v: v is not None and float(v).is_integer())
            frame.loc[whole, column] = frame.loc[whole, column].map(lambda v: int(v))
    return frame


def main() -> None:
    """Write each table in the three kinds, read each, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sozialradar-workbooks-"))
    print("| table | rows × columns | workbook | ours: read_table, s | anchor: calamine's read alone, s | ratio | "
          "openpyxl's read alone, s | same cells as the .xlsx |")
    print("|---|---|---|---|---|---|---|---|")
    for label, csv in TABLES.items():
        frame = typed(csv)
        rows = [list(frame.columns)] + [[None if v is None or v == "" else v for v in row]
                                        for row in frame.itertuples(index=False)]
        books = {".xlsx": tmp / f"{csv.stem}.xlsx", ".xls": tmp / f"{csv.stem}.xls", ".ods": tmp / f"{csv.stem}.ods"}
        pd.DataFrame(rows).to_excel(books[".xlsx"], header=False, index=False)
        write_xls(books[".xls"], {"Tabelle1": rows})
        pd.DataFrame(rows).to_excel(books[".ods"], header=False, index=False, engine="odf")
        expected = None
        for suffix, path in books.items():
            ours_s, table = timed(lambda: read_table(path), args.rounds)
            anchor_s, _ = timed(lambda: pd.read_excel(path, header=None, dtype=object, engine="calamine"),
                                args.rounds)
            before = (f"{timed(lambda: pd.read_excel(path, header=None, dtype=object), args.rounds)[0]:.2f}"
                      if suffix == ".xlsx" else "–")
            if expected is None:
                expected, same = table, "–"
            else:
                same = "yes" if (table.header == expected.header and table.frame().equals(expected.frame())) else "NO"
            print(f"| {label} | {len(frame):,} × {len(frame.columns)} | {suffix} | {ours_s:.2f} | {anchor_s:.2f} | "
                  f"{ours_s / anchor_s:.2f} | {before} | {same} |", flush=True)


if __name__ == "__main__":
    main()

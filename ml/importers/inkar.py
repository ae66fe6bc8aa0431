"""The BBSR INKAR county file (400 Kreise, 1995–2022; 5-digit AGS)."""

from __future__ import annotations

import pandas as pd

from ml.catalog import Catalog
from ml.importers.common import Adapted, cell_column, melt
from ml.importers.mapping import Mapping
from ml.io import FileFormatError, RawTable
from ml.parsing import normalize_codes


LAENDER = {
    "01": "Schleswig-Holstein", "02": "Hamburg", "03": "Niedersachsen", "04": "Bremen",
    "05": "Nordrhein-Westfalen", "06": "Hessen", "07": "Rheinland-Pfalz", "08": "Baden-Württemberg",
    "09": "Bayern", "10": "Saarland", "11": "Berlin", "12": "Brandenburg", "13": "Mecklenburg-Vorpommern",
    "14": "Sachsen", "15": "Sachsen-Anhalt", "16": "Thüringen",
}


def adapt_inkar(table: RawTable, mapping: Mapping, catalog: Catalog) -> Adapted:
    """An INKAR export (Kreise or Gemeinden, one column per indicator and year) as long text cells with the INKAR
    catalog extension."""
    h = table.header
    if "county_code" not in h or "year" not in h:
        raise FileFormatError(f"{table.path}: INKAR file needs columns county_code and year; header is {', '.join(h)}")
    codes, _ = normalize_codes(cell_column(table, h.index("county_code")), 5)
    period = cell_column(table, h.index("year"))
    columns = {}
    unmapped = []
    for i, name in enumerate(h):
        if name in ("county_code", "year"):
            continue
        if f"inkar_{name}" in catalog:
            columns[i] = f"inkar_{name}"
        else:
            unmapped.append(i)
    cells, empty = melt(table, codes, period, columns)
    notes = []
    if unmapped:
        orphan, _ = melt(table, codes, period, {i: f"(unmapped column {h[i]!r})" for i in unmapped})
        cells = pd.concat([cells, orphan], ignore_index=True)
        notes.append(f"INKAR columns without a catalog entry (quarantined): {', '.join(h[i] for i in unmapped)}")
    uniq = sorted(set(codes[codes.str.fullmatch(r"\d{5}").fillna(False)]))
    kreise = pd.DataFrame({"region_id": uniq, "name": [f"Kreis {c}" for c in uniq], "level": "kreis",
                           "parent_id": [c[:2] for c in uniq], "geometry": None})
    laender = pd.DataFrame({"region_id": list(LAENDER), "name": list(LAENDER.values()), "level": "land",
                            "parent_id": None, "geometry": None})
    notes.append("INKAR names no Kreise: regions are named 'Kreis <AGS>' until a region list supplies names")
    return Adapted(cells=cells, regions=pd.concat([laender, kreise], ignore_index=True), notes=notes,
                   empty_cells=empty)

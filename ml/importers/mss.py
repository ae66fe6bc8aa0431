"""The Berlin *Monitoring Soziale Stadtentwicklung* tables from 2013 on (old 447-PLR and new 542-PLR grid; the
official German tables and the English-named open-data versions; S2's new meaning from the MSS 2023 on)."""

from __future__ import annotations

import re
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from ml.importers.common import Adapted, cell_column, empty_long, melt
from ml.importers.mapping import Mapping, norm_header
from ml.io import FileFormatError, RawTable


# "Planungsraum ohne Zuordnung" marks a PLR without index: no class, not an error
_MSS_STATUS_TEXT = {"hoch": "1", "mittel": "2", "niedrig": "3", "sehrniedrig": "4", "planungsraumohnezuordnung": ""}
_MSS_DYNAMIK_TEXT = {"positiv": "1", "stabil": "2", "negativ": "3", "planungsraumohnezuordnung": ""}
_MSS_DYNAMIK_SYMBOL = {"+": "1", "+/-": "2", "-": "3"}
_MSS_VALUE_INDICATORS = re.compile(r"^mss_(s|d|z_|k|status_summe|status_index|dynamik_summe|dynamik_index)")


S2_REDEFINED = 2023
"""From the MSS 2023 on, S2 counts children in single-parent households (until the MSS 2015 it was long-term
unemployment; the editions between have no S2): its values, change and z-values get ids of their own, so that
no series, change or page joins the two meanings."""
S2_NEW_IDS = {"mss_s2": "mss_s2_alleinerziehende", "mss_d2": "mss_d2_alleinerziehende",
              "mss_z_s2": "mss_z_s2_alleinerziehende", "mss_z_d2": "mss_z_d2_alleinerziehende"}


def _mss_role(name: str) -> tuple[str, str | None, Callable[[pd.Series], pd.Series] | None]:
    """Classify one MSS header: ('indicator', id, transform) | ('region'|'name'|'period'|'validity'|
    'ignore'|'skip_misaligned', reason, None)."""
    n = norm_header(name)
    if n in ("nummer", "plrid", "raumid", "id"):
        return "region", None, None
    if n in ("name", "plrname", "gebiet"):
        return "name", None, None
    if n == "zeit":
        return "period", None, None
    if n == "kom":
        return "validity", None, None
    if n.startswith("ew") or n == "inhabitants":
        return "indicator", "mss_einwohner", None
    if n == "s4new":
        return "indicator", "mss_s4_neu", None
    m = re.match(r"^([sd])([1-4])(percentage.*)?$", n)
    if m:
        return "indicator", f"mss_{m.group(1)}{m.group(2)}", None
    m = re.match(r"^z([sd])([1-4])(percentage.*)?$", n)
    if m:
        if m.group(3) and m.group(1) == "d":
            return "skip_misaligned", "z-values of D in this file are shifted against their headers", None
        return "indicator", f"mss_z_{m.group(1)}{m.group(2)}", None
    if n == "statussumme":
        return "indicator", "mss_status_summe", None
    if n == "dynamiksumme":
        return "indicator", "mss_dynamik_summe", None
    if n.startswith("statusindexstandardisierte"):
        return "indicator", "mss_status_index", None
    if n.startswith("dynamikindexstandardisierte"):
        return "indicator", "mss_dynamik_index", None
    if n in ("zuordnunggruppestatusindex", "zuordnungklassestatusindex", "statusindexclass", "siv"):
        return "indicator", "mss_status_klasse", lambda s: s.map(lambda v: _MSS_STATUS_TEXT.get(norm_header(v), v))
    if n in ("zuordnunggruppedynamikindex", "zuordnungklassedynamikindex", "dynamicindexclass", "div"):
        return "indicator", "mss_dynamik_klasse", lambda s: s.map(lambda v: _MSS_DYNAMIK_TEXT.get(norm_header(v), v))
    if n in ("statusindexgruppe", "statusindexklasse", "statusindex", "sin"):
        return "indicator", "mss_status_klasse", lambda s: s.str.replace(r"\.0$", "", regex=True)
    if n in ("dynamikindexgruppe", "dynamikindexklasse", "dynamicindex"):
        return "indicator", "mss_dynamik_klasse", lambda s: s.map(lambda v: _MSS_DYNAMIK_SYMBOL.get(v.strip(), v))
    if n == "din":
        return "ignore", "DI_N codes dynamics as 1/3/5; DI_V carries the same class as text", None
    if re.match(r"^(status1|status3|status4)$", n):
        return "ignore", "meaning of 'Status 1/3/4' in the 2017 table is not documented", None
    if n.endswith(("sdgr", "aggr")):
        return "ignore", "distribution groups of single indicators", None
    m = re.match(r"^ki?(\d{2})([a-z].*)?$", n)
    if m:
        return "indicator", f"mss_k{m.group(1)}", None
    if n in ("", "bezid") or "statusdynamik" in n or n.startswith(("sdi", "statusdynamic")):
        return "ignore", "combined status/dynamics code or label, derivable from the classes", None
    return "ignore", "no MSS indicator with this name", None


def _without_label_lines(table: RawTable, region_pos: int) -> tuple[RawTable, list[str]]:
    """``table`` without the lines under its header whose code cell is a label of the code column (``Nummer``): a
    second header line, as the open-data files per Bezirk write one (``Nummer, Name, SD: 1,66%, …``: the labels
    and each indicator's standard deviation over the areas). It names no region and holds no value of one, so it is
    left out, and the note returned quotes it; validation would otherwise quarantine its cells as an unknown
    region, and in a file of twelve Bezirke that one line is over the quarantine's limit."""
    from dataclasses import replace

    codes = cell_column(table, region_pos).str.strip()
    label = codes.map(lambda c: bool(c) and _mss_role(c)[0] == "region").to_numpy(dtype=bool)
    if not label.any():
        return table, []
    frame = table.frame()[label]
    quoted = [f"line {int(line)}: '{', '.join(str(v).strip() for v in row.iloc[:4])}, …'"
              for line, (_, row) in zip(table.lines[label], frame.iterrows())]
    note = (f"{int(label.sum())} line(s) under the header repeat its labels ({'; '.join(quoted[:3])}: a second "
            "header line, e.g. each indicator's standard deviation), no region: not imported")
    return replace(table, cells=table.cells.filter(pa.array(~label)), lines=table.lines[~label], _frame=None), [note]


def adapt_mss(table: RawTable, mapping: Mapping) -> Adapted:
    """A table of Berlin's Monitoring Soziale Stadtentwicklung (one row per Planungsraum) as long text cells of the
    MSS catalog, with the regions it names."""
    h = table.header
    roles = [_mss_role(name) for name in h]
    region_pos = next((i for i, r in enumerate(roles) if r[0] == "region"), None)
    if region_pos is None:
        raise FileFormatError(f"{table.path}: no PLR code column (Nummer, PLR_ID, PLR-ID, id) in the MSS table")
    name_pos = next((i for i, r in enumerate(roles) if r[0] == "name"), None)
    period_pos = next((i for i, r in enumerate(roles) if r[0] == "period"), None)
    validity_pos = next((i for i, r in enumerate(roles) if r[0] == "validity"), None)

    notes: list[str] = []
    table, said = _without_label_lines(table, region_pos)
    notes += said
    if mapping.period:
        period = pd.Series(mapping.period, index=table.frame().index, dtype="str")
        notes.append(f"MSS edition {mapping.period} from the mapping")
    elif period_pos is not None:
        # ZEIT is the reference date (e.g. 202012); the edition is the following year
        zeit = cell_column(table, period_pos).str.strip()
        year = pd.to_numeric(zeit.str.slice(0, 4), errors="coerce")
        period = (year + 1).astype("Int64").astype("str").fillna("")
        notes.append("MSS edition = year after the reference date in ZEIT")
    else:
        m = re.search(r"(20\d\d)", table.path.name)
        if not m:
            raise FileFormatError(f"{table.path}: cannot tell the MSS edition (no year in the file name, no ZEIT column); "
                                  "set 'period' in a mapping file")
        period = pd.Series(m.group(1), index=table.frame().index, dtype="str")
        notes.append(f"MSS edition {m.group(1)} from the file name")

    codes = cell_column(table, region_pos).str.strip()
    # flags: rows that the MSS marks invalid, or placeholder rows of zeros for PLR without index
    flag = pd.Series("", index=table.frame().index, dtype="str")
    validity = None
    if validity_pos is not None:
        kom = cell_column(table, validity_pos).str.strip()
        valid = kom.str.lower().eq("gültig")
        validity = valid.map({True: "1", False: "0"}).astype("str")
        small = kom.str.contains("300", regex=False)
        flag = flag.mask(small, "suppressed")
    s_cols = [i for i, r in enumerate(roles) if r[0] == "indicator" and re.match(r"^mss_s[1-4]$", r[1] or "")]
    placeholder = None
    if s_cols:
        svals = pd.concat([cell_column(table, i).str.strip() for i in s_cols], axis=1)
        placeholder = svals.isin(["0.00", "0", "0,00"]).all(axis=1) & (len(s_cols) >= 2)
        if placeholder.any():
            notes.append(f"{int(placeholder.sum())} rows hold only zeros for S1-S4 (PLR without index, fewer than "
                         "300 residents): their index values are stored as suppressed without a value")
        if validity is None:
            validity = (~placeholder).map({True: "1", False: "0"}).astype("str")

    # Known defect of the English-named PLR files of MSS 2015-2019: their header lacks K16 and K17 although
    # the data rows carry them, so every K column after K05 holds its neighbour's values.
    edition = pd.to_numeric(period, errors="coerce").max()
    english = any(norm_header(c).startswith("k01youth") for c in h)
    if english and edition >= 2015 and not any(norm_header(c).startswith("k16") for c in h):
        shifted = "K columns after K05 are shifted against their headers (K16/K17 missing from the header)"
        roles = [("skip_misaligned", shifted, None) if r[0] == "indicator" and re.match(r"^mss_k(0[6-9]|1\d)$", r[1] or "")
                 else r for r in roles]

    columns: dict[int, str] = {}
    transforms: dict[int, Callable] = {}
    ignored: dict[str, list[str]] = {}
    for i, (role, ind, fn) in enumerate(roles):
        if role == "indicator":
            columns[i] = ind
            if fn is not None:
                transforms[i] = fn
        elif role in ("ignore", "skip_misaligned"):
            ignored.setdefault(ind, []).append(h[i] or f"(unnamed column {i + 1})")
    for reason, names in ignored.items():
        notes.append(f"not imported ({reason}): {', '.join(names)}")

    cells_in = table.frame().copy()
    for i, fn in transforms.items():
        cells_in[f"c{i}"] = fn(cells_in[f"c{i}"].astype("str")).astype("str")
    cells_in = cells_in.replace({"-9999": ""})
    frames = []
    empty = 0
    for i, ind in columns.items():
        col_flag = flag
        if placeholder is not None and _MSS_VALUE_INDICATORS.match(ind):
            cells_in.loc[placeholder.to_numpy(), f"c{i}"] = "."
        if ind == "mss_einwohner":
            col_flag = pd.Series("", index=flag.index, dtype="str")
        part, e = melt(table, codes, period, {i: ind}, col_flag, cells=cells_in)
        frames.append(part)
        empty += e
    if validity is not None:
        kom = pd.DataFrame({"c0": validity.to_numpy()})
        part, _ = melt(RawTable(path=table.path, header=["KOM"], cells=pa.table({"c0": pa.array([], pa.string())}),
                                 lines=table.lines), codes, period, {0: "mss_gueltig"}, cells=kom)
        frames.append(part)
    cells = pd.concat(frames, ignore_index=True) if frames else empty_long()
    later = (pd.to_numeric(cells["period"], errors="coerce") >= S2_REDEFINED) & cells["indicator_id"].isin(S2_NEW_IDS)
    if later.any():
        cells.loc[later, "indicator_id"] = cells.loc[later, "indicator_id"].map(S2_NEW_IDS)
        notes.append(f"S2 of the MSS {S2_REDEFINED} and later counts children in single-parent households (until the "
                     "MSS 2015: long-term unemployment): imported as mss_s2_alleinerziehende (D2 and the z-values "
                     "likewise)")

    names = cell_column(table, name_pos).str.strip() if name_pos is not None else codes
    level = codes.str.len().map({8: "planungsraum", 6: "bezirksregion", 2: "bezirk"})
    parent = np.where(codes.str.len() == 8, codes.str.slice(0, 6), np.where(codes.str.len() == 6, codes.str.slice(0, 2), None))
    regions = pd.DataFrame({"region_id": codes, "name": names, "level": level, "parent_id": parent, "geometry": None})
    good = codes.str.fullmatch(r"\d{2}|\d{6}|\d{8}").fillna(False) & level.notna()
    regions = regions[good.to_numpy()].drop_duplicates("region_id")
    bad_lines = table.lines[~good.to_numpy()]
    if len(bad_lines):
        notes.append(f"rows without a PLR/BZR/Bezirk code (their cells are quarantined): lines "
                     f"{', '.join(str(x) for x in bad_lines[:10])}")
    return Adapted(cells=cells, regions=regions, notes=notes, empty_cells=empty)

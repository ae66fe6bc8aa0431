"""A facility register (Bestand): Kitas, Horte, Jugendclubs, Seniorentreffs, Beratungsstellen, Pflegeheime …

One row per facility: id, name, type, capacity (places), where it is (coordinates in WGS84, or the region it
lies in, or both) and when it opened and closed (a year or a date; empty: open). Rows are checked one by one;
what fails goes to the quarantine with its reason, as with every table.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ml.importers.common import cell_column, register_number, register_year, role_position
from ml.importers.mapping import Mapping, find_column, norm_header
from ml.io import FileFormatError, RawTable
from ml.parsing import MISSING_MARKERS, normalize_codes

ROLES = {
    "facility_id": ("facility_id", "einrichtung_id", "einrichtungsnummer", "einrichtung", "id", "nummer", "kennung"),
    "name": ("name", "bezeichnung", "einrichtungsname"),
    "type": ("type", "typ", "art", "einrichtungsart", "angebot", "kategorie"),
    "capacity": ("capacity", "kapazitaet", "kapazität", "plaetze", "plätze", "platzzahl", "genehmigte_plaetze"),
    "lat": ("lat", "latitude", "breite", "breitengrad", "y"),
    "lon": ("lon", "lng", "longitude", "laenge", "länge", "laengengrad", "x"),
    "region_id": ("region_id", "gebiet", "gemeinde", "sozialraum", "planungsraum", "ags", "raumid"),
    "opened": ("opened", "eroeffnet", "eröffnet", "eroeffnung", "in_betrieb_seit", "von", "seit"),
    "closed": ("closed", "geschlossen", "schliessung", "schließung", "bis"),
}
"""Header names each role is recognised by (compared without case, umlauts written out, punctuation dropped)."""
REQUIRED = ("facility_id", "type", "capacity")
"""The roles a facility register cannot be read without (and a region column or coordinates)."""

COLUMNS = ("facility_id", "name", "type", "capacity", "lat", "lon", "region_id", "opened", "closed")


def _find(header: list[str], role: str) -> int | None:
    return role_position(header, ROLES[role])


def is_facility_register(header: list[str]) -> bool:
    """Whether a header looks like a facility register: a type and a capacity column."""
    return _find(header, "type") is not None and _find(header, "capacity") is not None


def adapt_facilities(table: RawTable, mapping: Mapping, known: frozenset[str],
                     lookup=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate a facility register; returns (accepted facilities, quarantined rows). ``lookup`` (the store's
    :class:`~ml.regions.RegionLookup`) reads a region written by its name ('Kranichwalde, Stadt', 'JUERGENSBY')."""
    h = table.header
    idx = {role: _find(h, role) for role in ROLES}
    if mapping.region_column:
        idx["region_id"] = find_column(h, "region_id", mapping.region_column)
    missing = [r for r in REQUIRED if idx[r] is None]
    if missing:
        raise FileFormatError(f"{table.path}: a facility register needs column(s) {', '.join(missing)} (e.g. "
                              f"Einrichtung, Art, Plätze); header is {', '.join(h)}")
    if idx["region_id"] is None and (idx["lat"] is None or idx["lon"] is None):
        raise FileFormatError(f"{table.path}: a facility register needs coordinates (lat, lon) or a region column; "
                              f"header is {', '.join(h)}")
    text = {role: cell_column(table, i).astype("str") for role, i in idx.items()}
    codes, bad_code = normalize_codes(text["region_id"], mapping.region_code_width)
    lat, lon = register_number(text["lat"]), register_number(text["lon"])
    opened, bad_open = register_year(text["opened"])
    closed, bad_close = register_year(text["closed"])
    frame = pd.DataFrame({
        "facility_id": text["facility_id"].str.strip().to_numpy(), "name": text["name"].str.strip().to_numpy(),
        "type": text["type"].str.strip().to_numpy(), "capacity": register_number(text["capacity"]).to_numpy(),
        "lat": lat.to_numpy(), "lon": lon.to_numpy(), "region_id": codes.to_numpy(),
        "opened": opened.to_numpy(), "closed": closed.to_numpy()})
    reason = np.full(len(frame), "", dtype=object)
    column = np.full(len(frame), "", dtype=object)

    def fail(mask, why, col):
        m = np.asarray(mask, bool) & (reason == "")
        reason[m], column[m] = why, col

    fail(frame["facility_id"].eq("").to_numpy(), "facility id missing", "facility_id")
    fail(frame["type"].eq("").to_numpy(), "type missing", "type")
    cap = frame["capacity"].to_numpy()
    fail(np.isnan(cap), "capacity is not a number", "capacity")
    fail(cap < 0, "capacity below 0", "capacity")
    has_lat, has_lon = ~np.isnan(lat.to_numpy()), ~np.isnan(lon.to_numpy())
    raw_lat = ~text["lat"].str.strip().isin(MISSING_MARKERS).to_numpy()
    raw_lon = ~text["lon"].str.strip().isin(MISSING_MARKERS).to_numpy()
    fail((raw_lat & ~has_lat) | (raw_lon & ~has_lon), "coordinate is not a number", "lat")
    fail(has_lat != has_lon, "latitude and longitude must come together", "lat")
    fail(has_lat & ((np.abs(lat.to_numpy()) > 90) | (np.abs(lon.to_numpy()) > 180)),
         "coordinates outside WGS84 (latitude −90…90, longitude −180…180)", "lat")
    has_region = frame["region_id"].ne("").to_numpy()
    bad_code = np.asarray(bad_code, bool).copy()
    if lookup is not None:
        raw = text["region_id"].str.strip()
        named = has_region & ~frame["region_id"].isin(known).to_numpy()
        answers = {cell: lookup.resolve(cell) for cell in raw[named].unique()}
        code = raw.map(lambda c: answers.get(c, (None, None))[0]).where(named)
        why = raw.map(lambda c: answers.get(c, (None, None))[1] or "").where(named, "")
        found = code.notna().to_numpy()
        frame.loc[found, "region_id"] = code[found].to_numpy()
        bad_code[found] = False
        for reason_text in why[why != ""].unique():
            fail((why == reason_text).to_numpy(), reason_text, "region_id")
    fail(has_region & bad_code, "invalid region code", "region_id")
    fail(has_region & ~frame["region_id"].isin(known).to_numpy(), "unknown region (import the regions first)",
         "region_id")
    fail(~has_region & ~has_lat, "neither coordinates nor a region", "lat")
    fail(bad_open, "opening is not a year or date", "opened")
    fail(bad_close, "closing is not a year or date", "closed")
    fail((frame["closed"] < frame["opened"]).to_numpy(), "closed before it opened", "closed")
    fail(frame["facility_id"].duplicated(keep=False).to_numpy(), "facility id appears more than once in the file",
         "facility_id")
    ok = reason == ""
    value = [text.get(c, pd.Series("", index=frame.index)).iloc[i] if c in text else "" for i, c in enumerate(column)]
    accepted = frame[ok].replace({"region_id": {"": None}, "name": {"": None}}).reset_index(drop=True)
    quarantined = pd.DataFrame({"line": table.lines[~ok], "column": column[~ok],
                                "value": np.asarray(value, dtype=object)[~ok], "reason": reason[~ok]})
    return accepted, quarantined


def slug(text: str) -> str:
    """A facility type as an id for the API (``Kita`` → ``kita``, ``Seniorentreff`` → ``seniorentreff``)."""
    return re.sub(r"[^a-z0-9]+", "_", norm_header(text) or "").strip("_")

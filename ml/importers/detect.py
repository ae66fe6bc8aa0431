"""Which layout a raw table has, from its header and, where given, the mapping."""

from __future__ import annotations

from ml.age_groups import AgeGroupError, sexed_groups_of_header
from ml.importers.facilities import is_facility_register
from ml.importers.mapping import Mapping, find_column, find_region_column, list_code_column, norm_header
from ml.importers.measures import is_measure_register
from ml.io import FileFormatError


def detect_format(header: list[str], mapping: Mapping | None = None) -> str:
    """The layout of a raw table (regions, long, wide, mss, inkar, age, facilities, measures) from its header and, where
    given, the mapping ('unknown' when none fits). A mapping that names one level for all rows makes a table of
    region attributes only (code, name, parent, geometry) a region list."""
    n = {norm_header(c) for c in header}
    if mapping is not None and mapping.hierarchy:
        return "regions"
    if {"countycode", "year"} <= n:
        return "inkar"
    if is_facility_register(header):
        return "facilities"
    if is_measure_register(header):
        return "measures"
    if {"regionid", "name", "level"} <= n or ({"region_id"} <= set(header) and "level" in header):
        return "regions"
    # a region list under German or other names (Gebiet; Name; Ebene; Parent): region, name and level columns
    # and nothing that is not a region's attribute
    own = {role: find_column(header, role) for role in ("region_id", "name", "level", "parent_id", "geometry")}
    if mapping is not None and mapping.region_column:
        try:
            own["region_id"] = find_column(header, "region_id", mapping.region_column)
        except FileFormatError:
            own["region_id"] = None     # the adapter names the missing column
    level_given = own["level"] is not None or (mapping is not None and mapping.level is not None)
    listed = dict(own, region_id=own["region_id"] if own["region_id"] is not None else list_code_column(header))
    if listed["region_id"] is not None and own["name"] is not None and level_given and \
            len({i for i in listed.values() if i is not None}) == len(header):
        return "regions"
    has_code = bool(n & {"nummer", "plrid", "raumid", "id"})
    mss_markers = {"s1", "zs1", "ki01", "k01", "sin", "s1percentageunemployed", "k01youthunemployment"}
    if has_code and n & mss_markers:
        return "mss"
    roles = {role: find_column(header, role) for role in ("region_id", "indicator_id", "period", "value")}
    if all(v is not None for v in roles.values()):
        return "long"
    # a table by age of its regions, or of one region (the whole city: a mapping's region, or rows of years only)
    one_region = (mapping is not None and mapping.region) or (roles["period"] is not None and roles["region_id"] is None
                                                              and own["region_id"] is None)
    if (find_region_column(header, Mapping()) is not None or own["region_id"] is not None or one_region) and \
            _is_age_table(header):
        return "age"
    if roles["region_id"] is not None or own["region_id"] is not None or (mapping is not None and mapping.region):
        return "wide"
    return "unknown"


def _is_age_table(header: list[str]) -> bool:
    """Whether the headers hold age groups covering every age (a table of residents by age)."""
    try:
        sexed_groups_of_header(header)
    except AgeGroupError:
        return False
    return True

"""Importers: turn a monitoring file of any supported layout into validated observations in the store.

Supported layouts (``--format``):

* ``regions`` – a region list (``region_id, name, level, parent_id[, geometry]``);
* ``long`` – one observation per row (``region_id, indicator_id, period, value[, numerator,
  denominator, flag]``, German column names accepted);
* ``wide`` – one column per indicator, mapped by a YAML file;
* ``mss`` – the Berlin *Monitoring Soziale Stadtentwicklung* tables 2013–2021 (old and new PLR grid);
* ``inkar`` – the BBSR INKAR county file (400 Kreise, 1995–2022);
* ``age`` – residents by age group, one column per group (the input of the population projection);
* ``facilities`` – a facility register (id, name, type, capacity, coordinates or region, opening and closing);
* ``measures`` – a register of recommendations and measures (regions, start, end, cost, status, target indicators).

Each layout adapter produces a text frame in long form; one validator (``ml.validation``) checks it,
and ``ingest_file`` merges the accepted rows and records everything else in the quarantine.

One module per layout (``long``, ``wide``, ``region_list``, ``mss``, ``inkar``, ``age``, ``facilities``, ``measures``) beside the mapping
(``mapping``), what they share (``common``) and the orchestration (``ingest``).
"""

from ml.catalog import effective_catalog
from ml.importers.age import adapt_age
from ml.importers.common import LONG_COLUMNS, Adapted
from ml.importers.facilities import adapt_facilities
from ml.importers.detect import detect_format
from ml.importers.ingest import FORMATS, PARTIAL_SUFFIX, ImportReport, ingest_each, ingest_file
from ml.importers.inkar import LAENDER, adapt_inkar
from ml.importers.long import adapt_long
from ml.importers.mapping import (ALIASES, ColumnSpec, Mapping, MappingError, column_position, find_column,
                                  find_region_column, header_key, load_mapping, norm_header)
from ml.importers.mss import adapt_mss
from ml.importers.region_list import adapt_regions
from ml.importers.wide import adapt_wide

__all__ = [
    "ALIASES", "Adapted", "adapt_age", "adapt_facilities", "ColumnSpec", "FORMATS", "ImportReport", "LAENDER", "LONG_COLUMNS", "Mapping",
    "MappingError", "PARTIAL_SUFFIX", "adapt_inkar", "adapt_long", "adapt_mss", "adapt_regions", "adapt_wide",
    "column_position", "detect_format", "effective_catalog", "find_column", "find_region_column", "header_key",
    "ingest_each", "ingest_file", "load_mapping", "norm_header",
]

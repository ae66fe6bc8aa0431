"""Data contracts shared by every package: flags, levels, indicator kinds, frequencies.

Region codes are text (leading zeros kept); their form is checked by ``ml.parsing.CODE``. Periods are
``YYYY`` or ``YYYY-MM`` (``ml.parsing.parse_periods``).
"""

from __future__ import annotations

from typing import Final

FLAGS: Final = ("ok", "suppressed", "estimated", "imputed")
"""Observation flags. ``suppressed`` is never undone by any API; ``imputed`` is for modelling only."""

LEVELS: Final = ("land", "kreis", "sozialregion", "gemeinde", "bezirk", "prognoseraum", "bezirksregion", "stadtteil",
                  "ortsteil", "planungsraum")
"""Spatial levels, coarse to fine. A county may use any subset."""

KINDS: Final = ("count", "share", "rate", "mean", "index", "balance")
"""Indicator kinds. ``balance`` is a signed count (a Saldo such as births minus deaths)."""

FREQUENCIES: Final = ("annual", "monthly")

IMPORT_FORMATS: Final = ("auto", "regions", "long", "wide", "mss", "inkar", "age", "facilities", "measures")
"""File layouts the importers read (``auto``: recognised from the header)."""

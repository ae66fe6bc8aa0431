"""Data contracts shared by every package: flags, levels, indicator kinds, frequencies, withheld profiles, copied
editions, the inputs a stored training result names.

Region codes are text (leading zeros kept); their form is checked by ``ml.parsing.CODE``. Periods are
``YYYY`` or ``YYYY-MM`` (``ml.parsing.parse_periods``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:          # pandas is imported where a profile is read, not at the command line's start
    import numpy as np
    import pandas as pd

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


def withheld_profiles(profiles: pd.DataFrame) -> np.ndarray:
    """Per profile row: whether the region-year's values are withheld (too few residents or too many suppressed
    cells) — a status index is built in its period (the row names the index's indicators), the region has none,
    and it has suppressed cells. Where a county's tables hold no status indicator, a missing index says nothing.
    Rows without a profile (all columns missing) are not withheld by this rule."""
    import numpy as np
    import pandas as pd

    if "status_label" not in profiles or "n_suppressed" not in profiles:
        return np.zeros(len(profiles), dtype=bool)
    names = profiles["status_indicators"] if "status_indicators" in profiles else pd.Series("?", index=profiles.index)
    graded = names.map(lambda v: isinstance(v, str) and v.strip() != "").to_numpy(dtype=bool)
    unlabelled = ~profiles["status_label"].map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    suppressed = pd.to_numeric(profiles["n_suppressed"], errors="coerce").fillna(0).to_numpy() > 0
    return graded & unlabelled & suppressed


COPY_MIN_REGIONS: Final = 10
"""An indicator's year counts as a copy of the year before (the import names it, ``features`` computes no change
from or to it) only where at least this many regions repeat their values: fewer can agree by chance."""
COPY_MIN_DISTINCT: Final = 5
"""… and where the repeated values take at least this many distinct values: a flag or a count that rarely moves
(0/1, a validity marker) may repeat by right."""


def stored_inputs(settings_text: object, job: str) -> list[str]:
    """The input indicators a stored classifier or typology result names in its ``settings`` column (``job``:
    'classifier' or 'typology'): those the run used, else those configured; none where they are not stored (a
    store written before) or the text is no settings."""
    import json

    try:
        stored = json.loads(str(settings_text))
    except (TypeError, ValueError):
        return []
    if not isinstance(stored, dict):
        return []
    return list(stored.get("inputs") or (stored.get(job) or {}).get("features") or [])


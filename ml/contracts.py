"""Data contracts shared by every package: regions, observations, flags."""

from __future__ import annotations

import re
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

FLAGS: Final = ("ok", "suppressed", "estimated", "imputed")
"""Observation flags. ``suppressed`` is never undone by any API; ``imputed`` is for modelling only."""

LEVELS: Final = ("land", "kreis", "sozialregion", "gemeinde", "bezirk", "bezirksregion", "planungsraum")
"""Spatial levels, coarse to fine. A county may use any subset."""

KINDS: Final = ("count", "share", "rate", "mean", "index", "balance")
"""Indicator kinds. ``balance`` is a signed count (a Saldo such as births minus deaths)."""

FREQUENCIES: Final = ("annual", "monthly")

OBSERVATION_COLUMNS: Final = ("region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag")

REGION_CODE_RE: Final = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.\-/]{0,39}$")
"""A region code: text (leading zeros kept), letters, digits and ``_.-/``, at most 40 characters."""

ANNUAL_RE: Final = re.compile(r"^\d{4}$")
MONTHLY_RE: Final = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class Region(BaseModel):
    """One spatial unit of the monitoring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region_id: str = Field(description="AGS or local Sozialraum/PLR code, as text")
    name: str
    level: str
    parent_id: str | None = None
    geometry: str | None = Field(None, description="GeoJSON geometry as text, if known")

    @field_validator("region_id", "parent_id")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        if value is not None and not REGION_CODE_RE.match(value):
            raise ValueError(f"region code must match {REGION_CODE_RE.pattern}; got {value!r}")
        return value

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {value!r}")
        return value


def period_frequency(period: str) -> str:
    """``annual`` for ``YYYY``, ``monthly`` for ``YYYY-MM``; ValueError otherwise."""
    if ANNUAL_RE.match(period):
        return "annual"
    if MONTHLY_RE.match(period):
        return "monthly"
    raise ValueError(f"period must be YYYY or YYYY-MM; got {period!r}")


def period_year(period: str) -> int:
    """The calendar year of a period in canonical form."""
    period_frequency(period)
    return int(period[:4])

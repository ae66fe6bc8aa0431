"""Request and response models of ``/scenario`` (pydantic); field descriptions are German where planners read."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from serving.schemas import PERIOD_PATTERN, REGION_PATTERN, Driver, Level, Strict


class ScenarioChange(Strict):
    """One changed indicator: a new value or a change of the published one."""
    indicator_id: str = Field(pattern=r"^[0-9A-Za-z_]{1,60}$", description="Indikator des Katalogs")
    value: float | None = Field(None, description="neuer Wert in der Einheit des Indikators")
    change: float | None = Field(None, description="Änderung gegenüber dem veröffentlichten Wert (z. B. +2 Punkte)")

    @model_validator(mode="after")
    def _one_of(self) -> "ScenarioChange":
        if (self.value is None) == (self.change is None):
            raise ValueError("give either value or change")
        return self


class ScenarioRequest(Strict):
    """A region, a period and the indicator values to change."""
    region_id: str = Field(pattern=REGION_PATTERN)
    period: str | None = Field(None, pattern=PERIOD_PATTERN, description="leer: die letzte Periode mit Statusindex")
    changes: list[ScenarioChange] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _checked(self) -> "ScenarioRequest":
        ids = [c.indicator_id for c in self.changes]
        if len(set(ids)) != len(ids):
            raise ValueError("each indicator may be changed once")
        if SCENARIO_CHECK is not None:
            SCENARIO_CHECK(self)
        return self


SCENARIO_CHECK = None
"""Set by the service: checks a scenario against the data it serves (region known, values published, the new
values within the catalog's range) and raises ValueError naming the field; runs while the request is parsed, so
a refused request is a 400 of its own and never fails a batch."""


class ScenarioValue(BaseModel):
    """A changed indicator with its value before and after."""
    indicator_id: str
    name: str
    unit: str
    before: float
    after: float


class ScenarioStatus(BaseModel):
    """The status index and class before and after, and the classifier champion's answer."""
    index_before: float | None
    index_after: float | None
    class_before: str | None = Field(description="Statusklasse vorher")
    class_after: str | None = Field(description="Statusklasse nachher")
    prediction: str | None = Field(None, description="Klasse des Klassifikators (Champion) nachher")
    probabilities: dict[str, float] = Field(default_factory=dict, description="Wahrscheinlichkeiten des Klassifikators")
    classifier_version: str | None = None


class ScenarioWarning(BaseModel):
    """The early-warning champion's answer for one horizon, before and after, with its exact SHAP values."""
    horizon: int
    probability_before: float
    probability_after: float
    level_before: Level
    level_after: Level
    sentence: str
    drivers: list[Driver]
    shap: dict[str, float] = Field(description="exakte SHAP-Werte je Merkmal (Summe = Score − Basis)")
    base: float | None
    score: float


class ScenarioAnswer(BaseModel):
    """The answer to one scenario."""
    region_id: str
    name: str
    period: str
    changes: list[ScenarioValue]
    status: ScenarioStatus
    warnings: list[ScenarioWarning]
    model_version: str | None = Field(None, description="Version des Frühwarnmodells (Champion)")
    note: str = Field(description="was das Szenario annimmt")

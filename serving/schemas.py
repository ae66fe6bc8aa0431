"""Request and response models of the service (pydantic); field descriptions are German where planners read."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["keine", "beobachten", "Warnung", "akut"]
REGION_PATTERN = r"^\w[\w.\-/() ]{0,59}$"
"""A region id as the store accepts it (``ml.parsing.CODE`` and names used as ids): letters of any alphabet,
digits and ``_.-/()`` and blanks, up to 60 characters."""
PERIOD_PATTERN = r"^[0-9]{4}(-[0-9]{2})?$"


def finite(x) -> float | None:
    """``x`` as a float, or None where it is missing or not finite (for JSON answers)."""
    return float(x) if x is not None and math.isfinite(x) else None


class Strict(BaseModel):
    """A request model: unknown fields are refused."""
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    """The one error body of the API."""
    status: int
    error: str = Field(description="kurze Fehlerart")
    message: str
    field: str | None = None
    value: str | None = None


class Region(BaseModel):
    """A region in the list, with its status class and warning level."""
    region_id: str
    name: str
    level: str
    parent_id: str | None = None
    status_label: str | None = Field(None, description="Statusklasse der letzten Periode")
    warning_level: Level | None = Field(None, description="Frühwarnstufe (kürzester Horizont); leer: keine "
                                        "Frühwarnung, oder für diesen Horizont ist keine Stufe verfügbar")
    warning_probability: float | None = None
    status_rank: int | None = Field(None, description="nur wenn die Konfiguration ein Ranking erlaubt")
    parent_name: str | None = Field(None, description="Name des übergeordneten Gebiets (etwa des Kreises)")
    parent_level: str | None = Field(None, description="Ebene des übergeordneten Gebiets")
    type: int | None = Field(None, description="Sozialraumtyp der letzten Periode (Typologie)")
    type_description: str | None = Field(None, description="Beschreibung des Sozialraumtyps")


class OtherRegion(BaseModel):
    """A region of another level than the list's that holds values of its own or summed from its parts."""
    region_id: str
    name: str
    level: str
    level_name: str = Field(description="Ebene auf Deutsch (Kreis, Sozialregion)")


class RegionList(BaseModel):
    """The regions of a level in a period."""
    period: str | None
    ranking: bool
    regions: list[Region]
    elsewhere: list[OtherRegion] = Field([], description="Gebiete anderer Ebenen mit Werten bis zur Periode (die "
                                         "ganze Stadt, der Kreis): ihre Berichte unter /report; nur bei der Ebene "
                                         "der Profile")
    warning_note: str | None = Field(None, description="warum es keine Frühwarnung gibt, wenn das letzte Training "
                                     "keinen Zeitraum prüfen konnte")
    level_note: str | None = Field(None, description="warum die Liste keine Frühwarnstufen zeigt, obwohl es eine "
                                   "Frühwarnung gibt: für den kürzesten Horizont erreichte im Rückblick keine Stufe "
                                   "ihre verlangte Trefferquote")
    type_note: str | None = Field(None, description="warum die Periode keine oder ältere Typen zeigt: eine Ausgabe "
                                  "nach dem Training der Typisierung, oder ihr letztes Training wurde abgelehnt")


class ProfileValue(BaseModel):
    """An indicator's z-value in a profile (empty when suppressed)."""
    indicator_id: str
    name: str
    dimension: str
    z: float | None = Field(None, description="z-Wert; leer, wenn der Wert gesperrt oder nicht vorhanden ist")
    suppressed: bool = False
    suppressed_by: str | None = Field(None, description="warum gesperrt: 'source' (von der Quelle nicht "
                                      "veröffentlicht), 'count' (kleine Zahl), 'numerator' (Anteil einer kleinen "
                                      "Zahl), 'population' (Gebiet mit zu wenigen Einwohnern), 'complement' (mit "
                                      "den Teilgebieten ließe sich ein gesperrter Wert errechnen), 'parts' (mit der "
                                      "Gesamtzahl und ihren übrigen Teilen ließe sich ein gesperrter Wert errechnen), "
                                      "'secondary' (gesperrt, damit die Summe des übergeordneten Gebiets keinen "
                                      "gesperrten Wert verrät), 'balance' (über den Saldo ließe sich ein gesperrter "
                                      "Wert errechnen)")


class Profile(BaseModel):
    """A region's profile in a period: indices, classes, dimension scores, values, flags."""
    region_id: str
    period: str
    status_index: float | None
    status_label: str | None
    dynamics_index: float | None
    dynamics_label: str | None
    dimensions: dict[str, float | None]
    values: list[ProfileValue]
    flags: str | None
    status_indicators: list[str] = Field(
        default_factory=list, description="die Indikatoren, aus denen der Statusindex der Periode gebildet ist")
    status_note: str | None = Field(None, description="Hinweis zum Statusindex: aus weniger Indikatoren als "
                                    "vorgesehen gebildet (welche fehlen), oder warum er nicht berechnet ist")


class ClassifyRequest(Strict):
    """A region (and period) to classify."""
    region_id: str = Field(pattern=REGION_PATTERN)
    period: str | None = Field(None, pattern=PERIOD_PATTERN)


class Classification(BaseModel):
    """The stored class of a region with the classifier's probabilities."""
    region_id: str
    period: str
    prediction: str
    probabilities: dict[str, float]
    next_class: str | None = Field(None, description="the class of the nearest prototype of another class (the "
                                                     "second most probable class for a model without prototypes)")
    why: str | None = Field(None, description="German: the indicators that keep the region from the next class, "
                                              "its values against the prototype's (or the class's typical ones)")
    comparison: str | None = Field(None, description="German: how the model fared against logistic regression and "
                                                     "a random forest on the same folds (and on a later period)")
    served_by: str | None = Field(None, description="the model that answers: the LVQ model, or the classifier "
                                                    "served in its place where it was more accurate")
    target: str | None = Field(None, description="German: what the classes are classes of, where it is not the "
                                                 "status class (an indicator's groups: 'Anteil …: Drittel der "
                                                 "Gebiete 2022')")
    relevance: str | None = Field(None, description="German: the indicators that count most for the prototype "
                                                    "model's classification ('Für die Einordnung zählen vor allem "
                                                    "…', only what holds its place across refits on half-samples; "
                                                    "or 'Kein Indikator zählt … deutlich mehr …'); none where "
                                                    "another classifier answers")
    note: str | None = Field(None, description="German: the classifier's last training refused, and the classes "
                                               "served are those of the training before")


class TypologyAnswer(BaseModel):
    """The stored type of a region with its description."""
    region_id: str
    period: str
    type: int
    description: str
    distinct: bool | None = Field(None, description="whether the regions form distinct groups (the typology "
                                                    "separates better than the same choice on data without groups); "
                                                    "false: the types cut a continuum")
    structure: str | None = Field(None, description="German: that check in one sentence")
    note: str | None = Field(None, description="German: the asked year lacks the typology's inputs, and the type is "
                                               "that of its last year (``period``); the typology's last training "
                                               "refused, and the types served are those of the training before")


class ForecastPoint(BaseModel):
    """One forecast period of an indicator with its intervals."""
    indicator_id: str
    name: str
    period: str
    h: int
    yhat: float | None
    lo80: float | None
    hi80: float | None
    lo95: float | None
    hi95: float | None
    model: str
    suppressed: bool
    interval_reliable: bool | None = Field(
        None, description="whether the indicator's 80 % intervals covered 70–90 % of the values of the latest "
                          "backtest origin held out from their calibration (None: not checked)")
    interval_note: str | None = Field(None, description="German note where the interval is not reliable")


class ForecastAnswer(BaseModel):
    """The forecasts of a region."""
    region_id: str
    points: list[ForecastPoint]


class ProjectionPoint(BaseModel):
    """One age group of a region in one year: the served count (projection or, where the projection lost its
    check, the simpler rule), the projection itself with its error band, and whether it is suppressed."""
    group: str = Field(description="age group id (00_06 = 0 to 5 years, 80_plus = 80 and older)")
    label: str
    period: str
    horizon: int = Field(description="years after the latest stand (0: the stand itself)")
    served: float | None
    served_by: str = Field(description="kohorten (the projection), naive (the latest count) or trend")
    projected: float | None
    lower: float | None
    upper: float | None
    suppressed: bool


class ProjectionAnswer(BaseModel):
    """A region's residents by age group, observed at the latest stand and projected ahead."""
    region_id: str
    checks: dict[str, str] = Field(description="per age group: what is shown and how it did on the register's past")
    points: list[ProjectionPoint]


class LebenslageValue(BaseModel):
    """One Lebenslage's Belastungsindex of a region: index, class, and how robust the classes are."""
    lebenslage: str
    index: float | None
    label: str | None = Field(description="gering belastet, durchschnittlich, erhöht belastet, stark belastet")
    indicators: int
    imputed_share: float = Field(description="share of the weight resting on filled-in values")
    rank: int | None = Field(None, description="only where ranks are configured (lebenslagen.ranking)")
    verdict: str | None = Field(None, description="robust, abhängig von der Gewichtung, abhängig von einzelnen "
                                                  "Indikatoren (checked in the latest period)")


class LebenslagenAnswer(BaseModel):
    """A region's Belastungsindizes per Lebenslage in one period."""
    region_id: str
    period: str
    values: list[LebenslageValue]


class CoveragePoint(BaseModel):
    """One facility type of a region in one year: places needed, in the region, within reach (2SFCA) and missing."""
    type: str
    group: str = Field(description="the age group in need")
    period: str
    horizon: int
    demand: float | None
    in_region: float
    accessible: float | None
    ratio: float | None = Field(description="places within reach per place needed (1 = met)")
    gap: float | None
    suppressed: bool


class CoverageAnswer(BaseModel):
    """A region's Bestand und Bedarf per facility type and year."""
    region_id: str
    points: list[CoveragePoint]


class CoverageMapEntry(BaseModel):
    """One region's coverage ratio for the map layer."""
    region_id: str
    ratio: float | None
    gap: float | None


class CoverageMap(BaseModel):
    """Every region's coverage of one facility type in one year (the dashboard's map layer)."""
    type: str
    period: str
    regions: list[CoverageMapEntry]
    types: list[str] = Field(description="every facility type with coverage")
    horizons: list[int] = Field(description="years after the latest stand with coverage")


class ImpactEstimate(BaseModel):
    """A measure's estimated effect on one indicator in one region (synthetic control, placebo interval), or why
    there is none; the German sentence names the comparison regions and the caveat."""
    measure_id: str
    region_id: str
    indicator_id: str
    effect: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    distinguishable: bool = Field(description="the interval excludes zero")
    withheld: str | None
    comparison: dict[str, float] = Field(description="comparison regions and their weights")
    window_end: str | None = Field(None, description="the last year the effect is the mean over: the measure's end, "
                                   "the year before another measure on the indicator starts in the region, or the "
                                   "last year with values")
    net_of: list[str] = Field(default_factory=list, description="earlier measures in the region on the same "
                              "indicator whose effect the estimate takes as given (measured beyond it)")
    sentence: str


class Measure(BaseModel):
    """One recommendation or measure of the register, with its estimated effects."""
    measure_id: str
    title: str
    field: str | None
    regions: list[str]
    start: int
    end: int | None
    cost_per_year: float | None
    status: str
    indicators: list[str]
    impacts: list[ImpactEstimate]


class MeasuresAnswer(BaseModel):
    """The measures of a region (or of the whole register), what they cost, and what they did."""
    region_id: str | None
    measures: list[Measure]
    cost_per_year: float = Field(description="the yearly cost of the measures listed that are decided or carried out")


class Driver(BaseModel):
    """One of the strongest contributions to a warning."""
    feature: str
    label: str
    dimension: str
    contribution: float


class Warning_(BaseModel):
    """A region's stored early warning with its sentence and drivers."""
    region_id: str
    name: str
    period: str
    horizon: int = Field(description="Jahre voraus")
    probability: float = Field(description="Wahrscheinlichkeit, dass die Statusklasse nach horizon Jahren "
                                           "schlechter ist (0 in der ungünstigsten Klasse)")
    level: Level
    sentence: str
    drivers: list[Driver]


class EarlyWarningRequest(Strict):
    """Which regions, period and horizon to answer."""
    region_ids: list[str] | None = Field(
        None, max_length=5000, description="eine Region, eine Liste oder None für alle")
    period: str | None = Field(None, pattern=PERIOD_PATTERN)
    horizon: int | None = Field(None, ge=1, le=20, description="Jahre voraus; leer: der kürzeste angebotene")
    explain: bool = Field(True, description="Treiber und Satz mitliefern")


class LevelRecord(BaseModel):
    """What a warning level asks for and what it met in the backtest."""
    target: float | None = Field(None, description="verlangte Trefferquote: Anteil der markierten Gebiete, die sich "
                                                   "tatsächlich verschlechtern")
    threshold: float | None = Field(None, description="Wahrscheinlichkeitsschwelle; null: nicht verfügbar")
    backtest_precision: float | None = Field(None, description="Trefferquote im Rückblick auf ungesehene Jahre")
    backtest_flagged: int | None = Field(None, description="so markierte Gebiete und Jahre im Rückblick")
    reason: str | None = Field(None, description="warum die Stufe nicht verfügbar ist")


class EarlyWarningAnswer(BaseModel):
    """The warnings of a period and horizon with the method served and its levels."""
    period: str
    horizon: int
    horizons: list[int] = Field(description="alle angebotenen Horizonte (Jahre voraus)")
    horizons_without_warning: dict[int, str] = Field(
        default_factory=dict, description="konfigurierte Horizonte ohne Frühwarnung, mit Grund (die Daten reichen "
                                          "nicht für einen Rückblick auf ungesehene Jahre)")
    model: str = Field(description="gewählter Kandidat: boundary, dynamics, index_forecast, gmlvq, gbt, average")
    model_label: str
    rule: bool = Field(description="true: eine einfache Regel wird verwendet, weil kein Modell sie schlug")
    note: str = Field(description="was gewählt wurde und warum, in deutscher Sprache")
    model_version: str | None = None
    thresholds: dict[str, float | None] = Field(description="Wahrscheinlichkeitsschwelle je Stufe; null: nicht "
                                                            "verfügbar")
    unavailable: dict[str, str] = Field(default_factory=dict, description="Stufen, die nicht verfügbar sind, "
                                                                           "mit Grund")
    levels: dict[str, LevelRecord] = Field(default_factory=dict, description="je Stufe: verlangte Trefferquote, "
                                           "Schwelle und die im Rückblick auf ungesehene Jahre gemessene Trefferquote")
    warnings: list[Warning_]


class Explanation(BaseModel):
    """A warning's SHAP values by indicator and by dimension."""
    region_id: str
    period: str
    horizon: int
    model: str
    probability: float
    level: Level
    graded: bool = Field(True, description="false: für diesen Horizont ist keine Stufe verfügbar; 'keine' heißt "
                                           "dann nicht unauffällig, sondern dass niemand markiert werden kann")
    base: float = Field(description="mittlerer Warnwert des Hintergrunds")
    score: float = Field(description="Warnwert der Region (Basis + Summe der Beiträge)")
    by_indicator: dict[str, float]
    by_dimension: dict[str, float]
    dimension_names: dict[str, str] = Field(default_factory=dict, description="deutsche Namen der Dimensionen")
    sentence: str


class ReloadAnswer(BaseModel):
    """The versions loaded by a reload."""
    loaded: dict[str, str]


class RegionShapeProperties(BaseModel):
    """The properties of a region's map feature."""
    region_id: str
    name: str
    status_label: str | None = None
    warning_level: Level | None = None


class RegionShape(BaseModel):
    """A region's GeoJSON feature."""
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict = Field(description="GeoJSON Polygon oder MultiPolygon (WGS84, Länge/Breite)")
    properties: RegionShapeProperties


class GeometryAnswer(BaseModel):
    """The GeoJSON FeatureCollection of a level."""
    type: Literal["FeatureCollection"] = "FeatureCollection"
    level: str
    period: str | None
    features: list[RegionShape]
    missing: list[str] = Field(default_factory=list, description="Gebiete der Ebene ohne Geometrie")

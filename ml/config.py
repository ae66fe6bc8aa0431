"""One typed configuration object for every command.

Defaults live here and nowhere else. A YAML file (``--config``) overrides them, and environment
variables ``SOZIALRADAR_<SECTION>__<FIELD>`` override the file, e.g.
``SOZIALRADAR_STORE__PATH=/data/monitoring.duckdb`` or ``SOZIALRADAR_PRIVACY__MIN_COUNT=5``.

Longer than 450 lines because every setting of every job is declared here once, with its default, bounds and
the description an analyst reads; splitting the sections across modules would scatter the one place to look.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from ml.paths import DATA_DIR

ENV_PREFIX = "SOZIALRADAR_"


class ConfigError(ValueError):
    """The configuration file or an environment override is invalid."""


class _Section(BaseModel):
    # a year written as a number (``period: 2019`` in YAML, ``..._PERIOD=2019`` in the environment) is the text
    # "2019" wherever the setting is text
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class StoreConfig(_Section):
    """Where the DuckDB store lives and how many threads and how much memory it may use."""
    path: Path = Field(Path(".sozialradar/monitoring.duckdb"), description="DuckDB file of the monitoring store")
    threads: int = Field(2, ge=1, le=64, description="DuckDB worker threads")
    memory_limit: str | None = Field("512MB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
                                     description="DuckDB's memory for one command; beyond it a large import "
                                     "spills to a temporary file beside the store (None: DuckDB's default, 80 % of RAM)")


SHIPPED_CATALOG = DATA_DIR / "catalog" / "indicators.csv"
"""The indicator catalog that ships with sozialradar; a county's own files extend it."""


class CatalogConfig(_Section):
    """The catalog files: the dimensions, the shipped indicators and the county's own."""
    dimensions: Path = Field(DATA_DIR / "catalog" / "dimensions.csv", description="the groups (dimensions)")
    indicators: list[Path] = Field(
        default_factory=lambda: [SHIPPED_CATALOG],
        description="catalog files; a later file may add indicators, never redefine one",
    )
    shipped: bool = Field(True, description="load the shipped catalog first, so that the files listed in "
                          "'indicators' extend it (false: only the listed files)")
    part_of: dict[str, str] = Field(
        default_factory=dict,
        description="count → the count it is a part of, for counts of a file the county does not write (the shipped "
                    "catalog's Hilfen zur Erziehung by kind, where its kinds make up its total hze_faelle): as the "
                    "catalog column part_of, so that features withholds another part beside a withheld one")

    def files(self) -> list[Path]:
        """The catalog files in load order: the shipped one first (unless ``shipped`` is off), then the listed
        ones, each once."""
        out: list[Path] = []
        for path in ([SHIPPED_CATALOG] if self.shipped else []) + list(self.indicators):
            if not any(Path(path).resolve() == Path(seen).resolve() for seen in out):
                out.append(Path(path))
        return out


class PrivacyConfig(_Section):
    """The small-number rule: counts below ``min_count`` (and what they reveal) are suppressed."""
    min_count: int = Field(3, ge=1, description="counts below this are suppressed")
    min_population: int = Field(300, ge=0, description="areas with fewer residents are suppressed")
    secondary: bool = Field(False, description="withhold besides a withheld count the same count of the smallest "
                            "other part of its region one level up (Sekundärsperrung), so that the region's sum can "
                            "show; off: the sum is withheld where it would tell the withheld count")


class IngestConfig(_Section):
    """Import settings: the quarantine limit, where reports go, the reference years of the formats."""
    max_quarantine_share: float = Field(0.05, ge=0.0, le=1.0, description="exit non-zero above this share")
    period_min: int = Field(1950, ge=1800, le=2200)
    period_max: int = Field(2030, ge=1800, le=2200)
    encoding: Literal["auto", "utf-8", "cp1252", "latin-1", "utf-16"] = "auto"
    delimiter: Literal["auto", ";", ",", "\t", "|"] = "auto"
    decimal: Literal["auto", ",", "."] = "auto"
    dash: Literal["zero", "missing"] = Field(
        "zero", description="a cell holding only '-' in a long or wide file: exactly zero, as German official "
        "tables write it ('nichts vorhanden'), or no value (the MSS tables always read '-' as no value)")
    report_dir: Path | None = Field(None, description="quarantine reports; default: beside the store")
    consistency_tolerance: float = Field(
        0.06, ge=0.0, description="allowed gap between a share and scale·numerator/denominator"
    )

    @model_validator(mode="after")
    def _period_range(self) -> "IngestConfig":
        if self.period_min > self.period_max:
            raise ValueError(f"period_min ({self.period_min}) must not exceed period_max ({self.period_max})")
        return self


class SyntheticConfig(_Section):
    """The Musterkreis generator: seed, years, numbers of Gemeinden, Sozialregionen and planted deteriorations."""
    seed: int = Field(20260522, description="seed of the Musterkreis generator")
    first_year: int = Field(2010, ge=1990, le=2100)
    last_year: int = Field(2025, ge=1990, le=2100)
    n_gemeinden: int = Field(53, ge=10, le=999, description="Gemeinden (three-digit numbers in the AGS)")
    n_sozialregionen: int = Field(7, ge=2, le=50)
    n_deteriorating: int = Field(8, ge=0, le=500, description="Gemeinden with a planted deterioration")
    county_movement: float = Field(
        0.0, ge=0.0, le=2.0,
        description="yearly shock (standard units of the poverty factor) of a movement all Gemeinden share beside "
                    "the fixed course of the labour market: the county's own ups and downs that a before/after "
                    "comparison mistakes for a measure's effect; 0 in the embedded sample")
    county_persistence: float = Field(
        0.8, ge=0.0, le=1.0,
        description="persistence of that movement from one year to the next (AR(1)): 0.8 reverts within a few "
                    "years, as the Gemeinden's own strain does; 1.0 is a random walk, a course that stays where it "
                    "went (the falling unemployment of the 2010s in real series)")

    @model_validator(mode="after")
    def _years(self) -> "SyntheticConfig":
        if self.last_year - self.first_year < 5:
            raise ValueError(
                f"last_year - first_year must be at least 5; got {self.first_year}..{self.last_year}"
            )
        if self.n_sozialregionen > self.n_gemeinden:
            raise ValueError("n_sozialregionen must not exceed n_gemeinden")
        if self.n_deteriorating and self.last_year - self.first_year < 10:
            raise ValueError("planted deteriorations need at least 10 years (onsets lie 7 years after the first "
                             f"and 3 before the last); got {self.first_year}..{self.last_year} — set "
                             "n_deteriorating: 0 for a shorter county")
        return self


class IndexConfig(_Section):
    """Status and dynamics index as Berlin's MSS computes it, with a configurable indicator set."""

    status_indicators: list[str] = Field(
        default_factory=lambda: ["arbeitslosenquote", "sgb2_quote", "but_quote"],
        description="indicators summed (as z-values) into the status index; those without data in a period are left out",
    )
    dynamics_indicators: list[str] | None = Field(
        None, description="published change indicators (e.g. Berlin's D1-D4); None: change of the status indicators "
                          "over features.dynamics_periods",
    )
    status_thresholds: tuple[float, float, float] = (-1.0, 1.0, 1.5)
    status_labels: tuple[str, str, str, str] = ("hoch", "mittel", "niedrig", "sehr niedrig")
    dynamics_thresholds: tuple[float, float] = (-1.0, 1.0)
    dynamics_labels: tuple[str, str, str] = ("positiv", "stabil", "negativ")
    validity_indicator: str | None = Field(
        None, description="regions with value 1 form the reference set (Berlin: mss_gueltig); None: all regions "
                          "with at least privacy.min_population residents",
    )
    ranking: bool = Field(False, description="publish ranks; off by default, as many counties decide")

    @model_validator(mode="after")
    def _ordered(self) -> "IndexConfig":
        for name in ("status_thresholds", "dynamics_thresholds"):
            values = list(getattr(self, name))
            if values != sorted(values):
                raise ValueError(f"{name} must be ascending; got {values}")
        if not self.status_indicators:
            raise ValueError("status_indicators must not be empty")
        return self


class FeaturesConfig(_Section):
    """The features job: engine, level and reference level, the index (status and dynamics indicators, thresholds,
    labels), dynamics periods, imputation, output directory."""
    engine: Literal["local", "spark"] = "local"
    level: str = Field("gemeinde", description="the level profiles are built for")
    reference_level: str | None = Field(
        "kreis", description="z-values are computed within each ancestor at this level (None: all regions together)"
    )
    population_indicator: str = "einwohner"
    standard_deviation: Literal["population", "sample"] = Field(
        "population", description="sd of the z-values: 'population' (divide by n) reproduces Berlin's published "
                                  "MSS z-values; 'sample' divides by n - 1",
    )
    dynamics_periods: int = Field(2, ge=1, le=20)
    impute_neighbors: int = Field(5, ge=1, le=50)
    crosswalk: Path | None = Field(None, description="CSV old_id,new_id,weight to harmonise boundaries")
    output_dir: Path = Path(".sozialradar/features")
    spark_master: str = "local[2]"
    index: IndexConfig = IndexConfig()


class ClassifierConfig(_Section):
    """The classifier job: LVQ variant, target, features, period, prototypes, regularisation, reject option, CV
    folds, registered name and champion metric."""
    model: Literal["glvq", "gmlvq", "lgmlvq"] = "gmlvq"
    select: bool = Field(True, description="choose prototypes per class, rank, regularisation and class weighting "
                                           "by an inner cross-validation on balanced accuracy (nested in the "
                                           "reported one); false: the fixed settings below")
    search: dict[str, list[Any]] | None = Field(
        None, description="the settings searched (LVQ keyword → values, e.g. {prototypes_per_class: [1, 2]}); None: "
                          "prototypes per class 1–3, rank 2 and full, regularisation 0 and 0.01, class weighting "
                          "balanced and balanced_sqrt where the classes are imbalanced")
    prototypes_per_class: int = Field(1, ge=1, le=50)
    regularization: float = Field(0.0, ge=0.0)
    class_weight: Literal["auto", "none", "balanced", "balanced_sqrt"] = Field(
        "auto", description="without select: auto weights classes 'balanced' when they are imbalanced")
    beta: float = Field(5.0, gt=0.0, description="slope of the LVQ cost's logistic")
    compare: bool = Field(True, description="compare with GMLVQ/LGMLVQ, logistic regression (plain and balanced) "
                                            "and a random forest on the same folds; a table in every run")
    repeats: int = Field(1, ge=1, le=20, description="repeats of the cross-validation with new shuffles (spread)")
    serve: Literal["best", "lvq"] = Field(
        "best", description="best: the LVQ model is served unless another compared classifier beats it in the "
                            "cross-validation and the later-period check (higher balanced accuracy at most 0.02 "
                            "less accurate, or over 0.02 more accurate at most 0.02 lower in balanced accuracy); "
                            "then that one, and the run, API and region page say so. lvq: always the LVQ model")
    check_period: str | None = Field(
        "auto", description="the later-period check: every model fitted on this earlier period and judged on the "
                            "run's period; auto: the latest earlier period with the target and inputs; None or "
                            "'none': no check")
    reject_accuracy: float = Field(0.95, gt=0.0, le=1.0, description="accuracy the reject option aims at: the run "
                                                                      "reports the share of regions to leave to a person")
    relevance_subsamples: int = Field(
        25, ge=0, le=500, description="refits of the chosen setting on stratified half-samples behind the relevance "
                                      "profile the run shows (the mean diagonal of Λ and its 10–90 % band); 0: the "
                                      "one model's diagonal alone")
    target: str = Field("status_label", description="profile column to predict, 'planted_type' (needs "
                                                     "training.ground_truth), or an indicator id: its quantile "
                                                     "groups (target_groups) in the period")
    target_groups: int = Field(3, ge=2, le=10, description="groups of an indicator target (3: Drittel)")
    features: list[str] | None = Field(
        None, description="indicator ids whose z-values are the inputs; None: every profile indicator except "
                          "the status indicators of the index (they define the target)",
    )
    period: str | None = Field(None, description="profile year; None: the latest year with a status index")
    cv_folds: int = Field(5, ge=2, le=20)
    reject_threshold: float | None = Field(None, gt=0.0, lt=1.0)
    registered_name: str = "sozialradar-classifier"
    experiment: str = Field("sozialradar-classifier", description="the MLflow experiment of its runs")
    champion_metric: str = "cv_balanced_accuracy"
    seed: int = 0


class TypologyTrainingConfig(_Section):
    """The typology job: method, range of the number of types, period, seed, registered name and champion metric."""
    method: Literal["auto", "kmeans", "ward", "gmm"] = Field(
        "auto", description="auto: k-means, Ward and the Gaussian mixture each choose their number of types, and the "
                            "method whose types separate best (mean silhouette) is kept")
    k_min: int = Field(3, ge=2)
    k_max: int = Field(8, ge=2)
    period: str | None = None
    features: list[str] | None = Field(
        None, description="the indicators the types are built from; None: every indicator with a direction outside "
                          "the status index")
    registered_name: str = "sozialradar-typology"
    experiment: str = Field("sozialradar-typology", description="the MLflow experiment of its runs")
    champion_metric: str = "silhouette"
    seed: int = 0


class EarlyWarningConfig(_Section):
    """The early-warning job: horizons, outcome, candidates, feature set, calibration folds, bootstrap, precision
    targets of the levels, registered name."""
    horizons: list[int] | None = Field(
        None, description="years ahead (each trained, backtested and served); None: one and two editions of the "
                          "monitoring (Berlin's MSS: 2 and 4 years; annual data: 1 and 2)")
    outcome: Literal["class", "index_rise"] = Field(
        "class", description="class: the status class is worse at t + h (what planners read); index_rise: a worse "
                             "class or a rise of the status index by at least delta")
    delta: float = Field(0.5, gt=0, description="with outcome index_rise: a rise of the status index by at least "
                                                "this counts as worsening")
    candidates: list[Literal["boundary", "dynamics", "index_forecast", "gmlvq", "gbt", "average"]] = Field(
        default_factory=lambda: ["boundary", "dynamics", "index_forecast", "gmlvq", "gbt", "average"],
        description="the two rules (boundary, dynamics) compete as candidates; the champion is chosen by backtest "
                    "average precision (ROC AUC breaks ties), a rule where no model beats it")
    features: Literal["all", "changes"] = Field(
        "all", description="inputs of gmlvq and gbt: all (z-values, their changes, index features) or changes "
                           "(without the z-values)")
    calibration_folds: int = Field(3, ge=2, le=10, description="calibration and levels inside each backtest fold: "
                                                               "out-of-fold scores over this many region groups")
    bootstrap: int = Field(200, ge=0, le=5000, description="bootstrap resamples of regions for the 90 % intervals "
                                                           "of ROC AUC and average precision (0: none)")
    precision_watch: float = Field(0.5, gt=0, le=1, description="'beobachten': at least this share of the flagged "
                                                               "transitions worsens")
    precision_warning: float = Field(0.65, gt=0, le=1, description="'Warnung' needs at least this precision")
    precision_acute: float = Field(0.8, gt=0, le=1, description="'akut' needs at least this precision")
    level_confidence: float = Field(0.9, ge=0.5, lt=1, description="a level's threshold needs the lower bound of its "
                                    "precision at this confidence to reach the target (0.5: the precision itself); a "
                                    "level whose backtest precision lies below the target beyond this confidence is "
                                    "not served")
    k_share: float = Field(0.1, gt=0, le=1, description="precision at k: the top share of regions per period")
    background_size: int = Field(50, ge=5, le=1000, description="background sample of the SHAP values")
    n_jobs: int | None = Field(None, ge=1, le=64, description="worker processes for the backtest's test periods "
                                                              "(None: all cores; 1: none); the rows are the same")
    registered_name: str = "sozialradar-early-warning"
    experiment: str = Field("sozialradar-early-warning", description="the MLflow experiment of its runs")
    seed: int = 0

    @field_validator("horizons")
    @classmethod
    def _horizons(cls, v: list[int] | None) -> list[int] | None:
        if v is None:
            return v
        if not v or any(h < 1 or h > 20 for h in v) or len(set(v)) != len(v):
            raise ValueError(f"horizons must be distinct whole years in [1, 20]; got {v}")
        return sorted(v)

    @model_validator(mode="after")
    def _precisions_rise(self) -> "EarlyWarningConfig":
        targets = [self.precision_watch, self.precision_warning, self.precision_acute]
        if targets != sorted(targets):
            raise ValueError("precision_watch <= precision_warning <= precision_acute is required; got "
                             f"{targets}")
        return self


class TrainingConfig(_Section):
    """The training jobs' sections (classifier, typology, early warning) and an optional ground truth of a
    synthetic county."""
    classifier: ClassifierConfig = ClassifierConfig()
    typology: TypologyTrainingConfig = TypologyTrainingConfig()
    early_warning: EarlyWarningConfig = EarlyWarningConfig()
    ground_truth: Path | None = Field(None, description="ground_truth.json of a synthetic county (for ARI, planted types)")


class ForecastConfig(_Section):
    """The forecast job: engine, indicators, level, horizon, backtest origins, candidates, interval levels, worker
    processes."""
    engine: Literal["local", "spark"] = "local"
    indicators: list[str] = Field(
        default_factory=lambda: ["arbeitslosenquote", "sgb2_quote", "but_quote", "uvg_quote", "anteil_65plus",
                                 "ew_80plus", "arbeitslose_monat"],
        description="indicators forecast per region (annual or monthly, as the catalog says)",
    )
    level: str | None = Field(None, description="regions of this level; None: features.level")
    models: list[Literal["naive", "drift", "seasonal_naive", "theta", "ets", "arima", "combination", "global",
                         "prophet", "prophet_default"]] = Field(
        default_factory=lambda: ["naive", "drift", "seasonal_naive", "theta", "ets", "combination", "global",
                                 "prophet"],
        description="candidates; seasonal_naive only for monthly series; combination: the median of drift, theta "
                    "and ets; global: one LightGBM model across the regions of an indicator. "
                    "The champion per indicator is the simplest candidate whose backtest MASE is within the "
                    "backtest's spread of the best",
    )
    race_share: float = Field(
        0.25, gt=0, le=1,
        description="share of the regions (at least 10) on which the costly candidates (Prophet, ARIMA; ETS and the "
                    "combination on monthly series) are backtested first, in two stages (a candidate clearly behind after "
                    "the first third is out); only where one would become champion there is it fitted on the other "
                    "regions too (1: no race)")
    horizon_years: int = Field(3, ge=1, le=20, description="H for annual series")
    horizon_months: int = Field(12, ge=1, le=60, description="H for monthly series")
    backtest_origins: int = Field(3, ge=1, le=50, description="rolling origins per series, each forecasting h = 1…H")
    origin_step_months: int = Field(3, ge=1, le=12, description="months between the origins of a monthly series")
    min_train_years: int = Field(5, ge=2)
    min_train_months: int = Field(36, ge=13)
    train_until: str | None = Field(None, description="use only periods up to this one (YYYY or YYYY-MM); None: all")
    levels: tuple[float, float] = Field((0.8, 0.95), description="interval coverages (lo80/hi80, lo95/hi95)")
    prophet_uncertainty_samples: int = Field(
        200, ge=0, le=5000, description="Prophet's own interval samples in the final fit (0: none; backtests use none)")
    n_jobs: int | None = Field(None, description="local engine worker processes; None: all cores")
    spark_master: str = "local[2]"
    plot_regions: int = Field(3, ge=0, le=20, description="fan charts logged per indicator")
    experiment: str = "sozialradar-forecast"

    @model_validator(mode="after")
    def _levels_ordered(self) -> "ForecastConfig":
        lo, hi = self.levels
        if not (0 < lo < hi < 1):
            raise ValueError(f"levels must be two coverages 0 < a < b < 1; got {self.levels}")
        return self


class LebenslagenConfig(_Section):
    """Belastungsindizes per Lebenslage, computed with the profiles: which indicators with which weights, the
    classes, and the limits of the sensitivity check."""
    indices: dict[str, dict[str, float]] | None = Field(
        None, description="Lebenslage → {indicator: weight}; None: one index per Lebenslage of the catalog "
                          "(its 'lenses' column), every indicator with a burden direction, weight 1")
    thresholds: tuple[float, float, float] = (-1.0, 1.0, 1.5)
    labels: tuple[str, str, str, str] = ("gering belastet", "durchschnittlich", "erhöht belastet", "stark belastet")
    max_imputed_share: float = Field(0.5, ge=0, le=1, description="no index where more of the weight rests on "
                                     "filled-in values")
    perturbation: float = Field(0.2, gt=0, lt=1, description="weights drawn within ± this share")
    draws: int = Field(200, ge=10, le=5000)
    max_weights_share: float = Field(0.05, ge=0, le=1, description="robust: at most this share of regions changes "
                                     "class under weight draws (mean)")
    max_leave_one_out_share: float = Field(0.10, ge=0, le=1, description="robust: at most this share changes class "
                                           "when any one indicator is left out")
    ranking: bool = Field(False, description="publish ranks within a period; off, as for the status index")


class ProjectionConfig(_Section):
    """The population projection (Demografie-Monitor): regions, horizon, reported age groups, the fitting window,
    the check against the last count and the trend, optional death rates and a higher level's totals."""
    level: str | None = Field(None, description="regions of this level; None: features.level")
    horizon_years: int = Field(10, ge=1, le=30, description="years projected beyond the latest stand")
    groups: list[str] = Field(
        default_factory=lambda: ["0-2", "3-5", "0-5", "6-14", "15-17", "18-64", "65+", "80+"],
        description="age groups reported, as planners write them: 'a-b' is a to b inclusive, 'a+' a and older "
                    "(the total is always reported)")
    window: int = Field(6, ge=1, le=30, description="years of register changes before the origin that estimate "
                        "migration and births")
    open_age: int = Field(100, ge=80, le=110, description="the last single age (it holds everyone older)")
    choose: bool = Field(True, description="choose smoothing and shrinkage by a check on stands before the origin")
    check_lead: int = Field(6, ge=1, le=20, description="the check fits this many years before the latest stand "
                            "(or the nearest earlier stand) and compares on every later stand")
    min_count: float = Field(50, ge=0, description="regions whose actual count of a group is below this are left "
                             "out of that group's MAPE (the WAPE counts every region)")
    verdict_horizons: tuple[int, int] = Field((4, 6), description="horizons (years) on which the projection must "
                                              "beat both baselines to be served")
    death_rates: Path | None = Field(None, description="CSV of yearly death rates by single age (columns age;rate, "
                                     "ages 0..open_age); None: a Gompertz–Makeham schedule")
    align_to: Path | None = Field(None, description="CSV of a higher level's projected totals (columns region_id "
                                  "(an ancestor region, or 'gesamt'), period, value), e.g. the official regionalised "
                                  "projection of the Kreis; each region is scaled with its area, its age structure kept")
    interval_level: float = Field(0.8, gt=0, lt=1, description="coverage of the backtested error bands")
    experiment: str = "sozialradar-projection"


class NormConfig(_Section):
    """One planning norm: the places of a facility type needed per resident of an age group."""
    type: str = Field(description="facility type as the register names it (Kita, Pflegeheim …)")
    group: str = Field(description="the age group in need, as planners write it ('1-5', '80+')")
    per_person: float = Field(gt=0, description="places needed per resident of the group (a target share: 0.7 "
                              "for 70 % of the children)")
    distance_km: float | None = Field(None, gt=0, le=200, description="this type's catchment (None: "
                                      "coverage.distance_km)")


class CoverageConfig(_Section):
    """Bestand und Bedarf: the norms, the catchment (straight-line km from a region's population centre) and its
    distance decay."""
    norms: list[NormConfig] = Field(
        default_factory=lambda: [NormConfig(type="Kita", group="1-5", per_person=0.7, distance_km=5.0),
                                 NormConfig(type="Pflegeheim", group="80+", per_person=0.13, distance_km=15.0)],
        description="example values; a county sets its own Planungsrichtwerte")
    distance_km: float = Field(5.0, gt=0, le=200, description="the catchment: places within this straight-line "
                               "distance of a region's population centre count for it (a norm may set its own)")
    decay: Literal["none", "gauss"] = Field("gauss", description="weight of a distance within the catchment: "
                                            "none (all alike, the classic 2SFCA) or gauss (falling to 0 at its edge)")


class ImpactConfig(_Section):
    """Impact estimates of the measures in the register: which measures, how many comparison regions, when an
    estimate is withheld."""
    statuses: list[Literal["vorgeschlagen", "beschlossen", "umgesetzt", "abgelehnt"]] = Field(
        default_factory=lambda: ["umgesetzt"], description="measures of these statuses are evaluated")
    donors: int = Field(15, ge=3, le=500, description="comparison regions: the most alike before the start")
    level: float = Field(0.9, gt=0.5, lt=1, description="coverage of the placebo interval")
    min_donors: int = Field(5, ge=2, description="fewer comparison regions with a complete series: withheld")
    min_pre: int = Field(4, ge=2, description="fewer periods before the start: withheld")
    max_fit_ratio: float = Field(2.0, gt=0, description="withheld when the region's pre-period error exceeds this "
                                 "multiple of the median placebo's")
    experiment: str = "sozialradar-impact"


class TrackingConfig(_Section):
    """The MLflow tracking URI (a ``sqlite:///`` file by default)."""
    uri: str = Field("sqlite:///.sozialradar/mlflow.db", description="MLflow tracking URI")


class ServingConfig(_Section):
    """The service: host and port, the reload key, CORS origins, request size limit, workers, and where the
    champion models come from."""
    host: str = "127.0.0.1"
    port: int = Field(3000, ge=1, le=65535)
    api_key: SecretStr | None = Field(None, description="key for POST /reload (header X-API-Key), from the "
                                      "environment only (SOZIALRADAR_SERVING__API_KEY); None and no api_key_file: "
                                      "reload disabled")
    api_key_file: Path | None = Field(None, description="a file holding the key for POST /reload; readable by its "
                                      "owner only (mode 0600)")
    cors_origins: list[str] = Field(default_factory=list, description="origins the dashboard is served from")
    max_request_bytes: int = Field(65_536, ge=1024, description="larger request bodies get 413")
    workers: int = Field(1, ge=1, le=64)
    models: Literal["registry", "bento"] = Field(
        "registry", description="where the champion models come from: the MLflow registry (alias champion), or "
        "the BentoML model store of a Bento built by 'sozialradar bento' (its image sets 'bento')")

    def reload_key(self) -> str | None:
        """The key that guards POST /reload: the environment's, else the key file's (which must be readable by
        its owner only); None when reload is off. Raises :class:`ConfigError` for an unsafe or unreadable file."""
        if self.api_key is not None:
            return self.api_key.get_secret_value() or None
        if self.api_key_file is None:
            return None
        path = Path(self.api_key_file)
        try:
            mode = path.stat().st_mode
            key = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"serving.api_key_file {path}: cannot read it ({exc.strerror})") from None
        if mode & 0o077:
            raise ConfigError(f"serving.api_key_file {path}: mode {mode & 0o777:04o} lets others read the key; "
                              f"restrict it with 'chmod 600 {path}'")
        if not key:
            raise ConfigError(f"serving.api_key_file {path}: the file is empty")
        return key


class Settings(_Section):
    """The whole configuration, one section per concern; read by :func:`load_settings` from a YAML file and
    ``SOZIALRADAR_<SECTION>__<FIELD>`` variables."""
    store: StoreConfig = StoreConfig()
    catalog: CatalogConfig = CatalogConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    ingest: IngestConfig = IngestConfig()
    synthetic: SyntheticConfig = SyntheticConfig()
    features: FeaturesConfig = FeaturesConfig()
    training: TrainingConfig = TrainingConfig()
    forecast: ForecastConfig = ForecastConfig()
    projection: ProjectionConfig = ProjectionConfig()
    lebenslagen: LebenslagenConfig = LebenslagenConfig()
    coverage: CoverageConfig = CoverageConfig()
    impact: ImpactConfig = ImpactConfig()
    serving: ServingConfig = ServingConfig()
    tracking: TrackingConfig = TrackingConfig()

    def report_dir(self) -> Path:
        """Where quarantine reports go: ``ingest.report_dir``, else a ``quarantine`` directory beside the store."""
        return self.ingest.report_dir or self.store.path.parent / "quarantine"

    def resolved(self) -> dict[str, Any]:
        """The configuration as plain JSON-able data (for logs and MLflow)."""
        return json.loads(self.model_dump_json())


def _set_nested(tree: dict[str, Any], keys: list[str], value: Any) -> None:
    node = tree
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"cannot set {'.'.join(keys)}: {key} is not a section")
    node[keys[-1]] = value


CONFIG_FILE_VARIABLE = "SOZIALRADAR_CONFIG"
"""Names the YAML configuration file of a process that has no command line (the service)."""


def _env_overrides(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[tuple[str, ...], str]]:
    """The ``SOZIALRADAR_*`` variables as a tree of settings, and each setting's path -> its variable's name."""
    tree: dict[str, Any] = {}
    names: dict[tuple[str, ...], str] = {}
    for name, raw in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or name == CONFIG_FILE_VARIABLE:
            continue
        keys = [part.lower() for part in name[len(ENV_PREFIX):].split("__")]
        if len(keys) < 2 or not all(keys):
            raise ConfigError(
                f"environment variable {name} must have the form {ENV_PREFIX}<SECTION>__<FIELD>"
            )
        # YAML parsing turns "5" into 5 and "[a, b]" into a list, as in the file.
        try:
            value = yaml.safe_load(raw) if raw.strip() else raw
        except yaml.YAMLError as exc:
            raise ConfigError(f"environment variable {name}: cannot parse {raw!r}: {exc}") from exc
        _set_nested(tree, keys, value)
        names[tuple(keys)] = name
    return tree, names


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_yaml_mapping(path: Path | str, what: str, error: type[ValueError] = ValueError) -> dict[str, Any]:
    """A YAML file whose top level is a mapping; ``error`` is raised naming the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} file not found: {path}")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise error(f"{path}: expected a mapping at the top level, got {type(loaded).__name__}")
    return loaded


def load_settings(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Load the configuration: defaults, then the YAML file, then ``SOZIALRADAR_*`` variables."""
    data: dict[str, Any] = {} if path is None else read_yaml_mapping(path, "config", ConfigError)
    if isinstance(data.get("serving"), dict) and data["serving"].get("api_key") is not None:
        raise ConfigError(f"{path}: serving.api_key does not belong in a configuration file (it would be readable "
                          "by everyone who can read the file); set SOZIALRADAR_SERVING__API_KEY or name a key file "
                          "with mode 0600 in serving.api_key_file")
    overrides, variables = _env_overrides(os.environ if env is None else env)
    data = _merge(data, overrides)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        where = f"{path}" if path is not None else "configuration"

        def source(loc: tuple) -> str:
            # a setting that came from the environment is named by its variable, not the file
            names = [n for keys, n in variables.items() if keys[:len(loc)] == loc or loc[:len(keys)] == keys]
            return f" from the environment variable {', '.join(names)}" if names else ""

        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']} (got {err.get('input')!r}"
            f"{source(tuple(str(p) for p in err['loc']))})"
            for err in exc.errors()
        )
        raise ConfigError(f"{where}: {problems}") from exc

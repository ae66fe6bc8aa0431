"""The jobs, one public function each: read what the layer before wrote to the store, compute, write what the
next layer reads. The CLI, the MLproject entry points and the demo only parse arguments and call these.

    features_job      observations → feature_values, profiles, model_matrix, warning_inputs (+ settings),
                      lebenslagen (+ checks), copied_years, left_out_values
    classifier_job    profiles, model_matrix → MLflow run and registry; the champion's ``classes``
    typology_job      profiles, model_matrix → MLflow run and registry; the champion's ``types``
    forecast_job      feature_values → MLflow run; ``forecasts``, ``forecast_metrics``, ``forecast_champions``
    projection_job    residents by age (``ew_alter_*`` observations) → MLflow run; ``projection``,
                      ``projection_checks``
    coverage_job      projection, facilities → ``coverage`` (Bestand und Bedarf, 2SFCA)
    impact_job        measures, feature_values, profiles → MLflow run; ``impacts`` (synthetic control)
    early_warning_job warning_inputs, profiles → MLflow run and registry; ``early_warnings`` with their SHAP
                      values and models
    reports_job       a store snapshot → HTML pages
    bento_job         the registry's champions → BentoML model store; bentoml build → a Bento

Every failure a user can mend (no profiles yet, too few regions, a broken catalog) raises :class:`JobError` with
the reason; progress goes to the callbacks the caller passes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import pandas as pd

from ml.config import Settings
from experiments.store_summary import REFUSALS, awaiting_training

Progress = Callable[[int, int], None]
"""Called with (done, total) as a long job advances."""

class JobError(RuntimeError):
    """A job cannot run on what the store holds; the message says why and what to do."""


def catalog_for(settings: Settings):
    """The configured catalog with the MSS and INKAR extensions (:class:`JobError` when it is broken)."""
    from ml.catalog import CatalogError, serving_catalog

    try:
        return serving_catalog(settings)
    except CatalogError as exc:
        raise JobError(str(exc)) from None


def _store(settings: Settings, read_only: bool = False):
    from ml.store import Store

    if read_only:
        return Store(settings.store.path, read_only=True)
    return Store(settings.store.path, threads=settings.store.threads, memory_limit=settings.store.memory_limit)


def _need(tables: set[str], names: set[str], what: str) -> None:
    if not names <= tables:
        raise JobError(f"the store has no {what} yet: run 'sozialradar features' first")


# --- features ---------------------------------------------------------------------------------------------

def features_job(settings: Settings, engine: str | None = None, crosswalk: Path | None = None,
                 progress: Progress | None = None, force: bool = False):
    """Profiles from the store's observations (``engine``: local or spark; None: the configuration's). Writes
    ``feature_values``, ``profiles``, ``model_matrix``, the values of the regions of other levels
    (``other_level_values``) and the early-warning inputs to the store and the first
    three as Parquet to ``features.output_dir``. Returns the pipeline result; ``result.warning_inputs`` is the
    inputs frame or None (fewer than two periods with a status index) and ``result.seconds`` the time taken.

    A run that would drop indicators or the status index the stored profiles hold (the command run without the
    county's configuration, so with the shipped catalog and index alone) is refused, nothing written, unless
    ``force``."""
    from features.disclosure import complement_note, parts_note, secondary_hint, secondary_note
    from features.relations import balance_note
    from features.pipeline import FeatureError, other_level_values, run_pipeline, summed_note
    from ml.crosswalk import read_crosswalk
    from ml.io import FileFormatError, write_parquet, write_table

    catalog = catalog_for(settings)
    unknown = sorted({i for w in (settings.lebenslagen.indices or {}).values() for i in w if i not in catalog})
    if unknown:
        raise JobError(f"lebenslagen.indices: indicators not in the catalog: {', '.join(unknown)}")
    path = crosswalk or settings.features.crosswalk
    try:
        xwalk = read_crosswalk(path) if path else None
    except FileFormatError as exc:
        raise JobError(str(exc)) from None
    with _store(settings) as store:
        obs, regions = store.observations(), store.regions()
        t0 = time.perf_counter()
        try:
            result = run_pipeline(obs, regions, catalog, settings, crosswalk=xwalk, engine=engine, progress=progress)
        except FeatureError as exc:
            raise JobError(str(exc)) from None
        result.seconds = time.perf_counter() - t0
        dropped = [] if force else dropped_from_profiles(store, result)
        if dropped:
            files = ", ".join(Path(f).name for f in settings.catalog.files())
            raise JobError(f"this run would drop from the stored profiles {'; and '.join(dropped)} (catalog files "
                           f"read: {files}; status indicators: {', '.join(settings.features.index.status_indicators)}"
                           f"; level: {settings.features.level}). If the command lacks the county's configuration, "
                           "pass it (sozialradar --config FILE, SOZIALRADAR_CONFIG, or start it beside its "
                           "sozialradar.yaml); to rebuild the profiles "
                           "without them, run 'sozialradar features --force'. Nothing was written.")
        store.sync_catalog(catalog)      # the store lists every indicator its profiles hold (a county's own too)
        store.replace_table("feature_values", result.values)
        store.replace_table("profiles", result.profiles)
        store.replace_table("model_matrix", result.model)
        # the years a page shows no change into (a copy of the year before) nor measures a change from
        store.replace_table("copied_years", result.copied_table())
        # the values the profiles leave out (an edition's rows gone to the wrong regions …): a page says why
        store.replace_table("left_out_values", result.left_out)
        # the values of the regions of other levels (the whole city): their pages show them, without a comparison
        counted = result.counted is not None        # the counts by age the pipeline summed, not summed again
        other = other_level_values(result.counted if counted else obs, regions, catalog, settings, counted=counted,
                                   secondary=result.secondary)
        result.counted = None
        store.replace_table("other_level_values", other)
        result.notes.extend(summed_note(other, regions) + complement_note(other, regions) + secondary_note(
            result.values, regions) + parts_note(
            result.values, regions) + parts_note(other, regions, "regions of other levels than the profiles': ")
            + balance_note(result.values, regions)
            + balance_note(other, regions, "regions of other levels than the profiles': "))
        if not settings.privacy.secondary:
            result.notes.extend(secondary_hint(other, result.values, regions, catalog))
        result.warning_inputs = write_warning_inputs(store, result, catalog, settings)
        result.lebenslagen, result.lebenslagen_checks = write_lebenslagen(store, result.model, catalog, settings)
        result.notes.extend(awaiting_training(store, result.profiles).values())
    for name, frame in (("values", result.values), ("profiles", result.profiles), ("model_matrix", result.model)):
        write_parquet(frame, settings.features.output_dir / f"{name}.parquet")
    if xwalk is not None and xwalk["weight"].isna().any():
        # the weights features completed, as a crosswalk to check, correct and give back (a part that gets none of
        # its old area is left out: a weight of 0 is no crosswalk row)
        done = result.crosswalk.loc[result.crosswalk["weight"] > 0, ["old_id", "new_id", "weight"]]
        path = write_table(done, settings.features.output_dir / "crosswalk_weights.csv")
        result.notes.append(f"crosswalk: the weights as completed are in {path}; check them, correct any, and give the "
                            "file to 'sozialradar features --crosswalk' in place of the table of codes")
    return result


def dropped_from_profiles(store, result) -> list[str]:
    """What a features run would drop from the profiles the store holds: indicators with values there and none in
    the new run (their catalog entries missing), the status index where the stored profiles had one and the new
    have none in any period (other status indicators), and the profiles of a level the new run does not build
    (another ``features.level``). Empty for a first run."""
    tables = store.tables()
    if not {"feature_values", "profiles"} <= tables:
        return []
    before = {r[0] for r in store.con.execute("SELECT DISTINCT indicator_id FROM feature_values WHERE value IS NOT "
                                              "NULL").fetchall()}
    lost = sorted(before - set(result.values.loc[result.values["value"].notna(), "indicator_id"]))
    out = [f"{len(lost)} indicator{'s' if len(lost) > 1 else ''} with values ({', '.join(lost[:8])}"
           f"{', …' if len(lost) > 8 else ''})"] if lost else []
    had_index = store.con.execute("SELECT count(*) FROM profiles WHERE status_index IS NOT NULL").fetchall()[0][0]
    if had_index and not result.profiles["status_index"].notna().any():
        out.append(f"the status index ({had_index:,} region-periods have one, this run none)")
    # profiles of another level: the models, reports and the service rest on the regions they were built for
    level = store.regions().set_index("region_id")["level"]
    stored = [r[0] for r in store.con.execute("SELECT DISTINCT region_id FROM profiles").fetchall()]
    was = level.reindex(stored).dropna().value_counts()
    now = sorted(set(level.reindex(pd.unique(result.profiles["region_id"])).dropna()))
    gone = [lv for lv in was.index if lv not in now]
    if gone and now:     # first: it explains the rest
        out.insert(0, "the profiles of " + " and ".join(f"{was[lv]:,} regions of level {lv!r}" for lv in gone)
                   + f" (this run builds them for level {', '.join(now)})")
    return out


def write_lebenslagen(store, matrix: pd.DataFrame, catalog, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Belastungsindizes per Lebenslage for every region and period, and their sensitivity in the latest
    period, into ``store`` (tables ``lebenslagen``, ``lebenslagen_checks``)."""
    from ml.columns import MODEL, column
    from features.lebenslagen import IndexSpec, compute, default_specs, sensitivity

    cfg = settings.lebenslagen
    specs = ([IndexSpec(name, dict(w)) for name, w in cfg.indices.items()] if cfg.indices is not None
             else default_specs(catalog))
    # the indices with at least two of their indicators in the profiles (an indicator without data is left out:
    # the status index's columns are in the matrix even where a county's tables hold none of their values)
    held = {c for c in matrix.columns if matrix[c].notna().any()}
    specs = [s for s in specs if sum(column(MODEL, i) in held for i in s.weights) >= 2]
    if not specs:
        return pd.DataFrame(), pd.DataFrame()
    values = compute(matrix, specs, cfg.thresholds, cfg.labels, cfg.max_imputed_share, cfg.ranking)
    latest = str(matrix["period"].astype(str).max())
    checks = pd.DataFrame([vars(sensitivity(matrix, s, latest, cfg.thresholds, cfg.perturbation, cfg.draws,
                                            cfg.max_weights_share, cfg.max_leave_one_out_share,
                                            cfg.max_imputed_share)) for s in specs])
    store.replace_table("lebenslagen", values)
    store.replace_table("lebenslagen_checks", checks)
    return values, checks


def write_warning_inputs(store, result, catalog, settings: Settings) -> pd.DataFrame | None:
    """The early-warning inputs (a features step) and the settings that made them, into ``store``; None (and
    the old tables dropped) when the profiles have fewer than two periods with a status index."""
    from experiments.early_warning import early_warning_inputs
    from features.warning_inputs import WarningInputError

    try:
        inputs = early_warning_inputs(result.profiles, result.model, catalog, settings)
    except WarningInputError:
        for name in ("warning_inputs", "warning_inputs_settings"):
            store.drop_table(name)
        return None
    store.replace_table("warning_inputs", inputs)
    store.replace_table("warning_inputs_settings", pd.DataFrame([{
        "edition_step": inputs.attrs["edition_step"],
        "status_thresholds": json.dumps(list(settings.features.index.status_thresholds)),
        "status_indicators": json.dumps(settings.features.index.status_indicators),
        "dynamics_periods": settings.features.dynamics_periods, "written_at": pd.Timestamp.now(tz="UTC")}]))
    return inputs


# --- models -----------------------------------------------------------------------------------------------

def _train(train, settings: Settings, with_values: bool = False, **kwargs):
    """``train`` (a training function of :mod:`experiments.train`) on the store's profiles and model matrix (and
    with ``with_values`` its feature values), with the store open for the champion's results."""
    from experiments.train import TrainingError

    with _store(settings, read_only=True) as store:
        tables = store.tables()
        _need(tables, {"profiles", "model_matrix"}, "profiles")
        profiles, matrix = store.table("profiles"), store.table("model_matrix")
        if with_values:
            kwargs["values"] = store.table("feature_values") if "feature_values" in tables else None
    catalog = catalog_for(settings)
    job = train.__name__.removeprefix("train_")
    try:
        with _store(settings) as store:
            result = train(profiles, matrix, catalog, settings, store=store, **kwargs)
            _record_refusal(store, job, None)
            return result
    except TrainingError as exc:
        with _store(settings) as store:     # the champion's results stay served; 'store info' names the refusal
            _record_refusal(store, job, str(exc))
        raise JobError(str(exc)) from None


"""The store table of the last refusal per training job (classifier, typology): job, reason, refused_at; a run
that trains removes its job's row."""


def _record_refusal(store, job: str, reason: str | None) -> None:
    kept = [store.table(REFUSALS).query("job != @job")] if REFUSALS in store.tables() else []
    new = [pd.DataFrame({"job": [job], "reason": [reason], "refused_at": [pd.Timestamp.now().floor("s")]})]
    rows = [f for f in kept + (new if reason is not None else []) if len(f)]
    rows = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(rows):
        store.replace_table(REFUSALS, rows)
    elif REFUSALS in store.tables():
        store.drop_table(REFUSALS)


def classifier_job(settings: Settings, progress: Progress | None = None):
    """``training.classifier`` on the store's profiles: settings chosen by nested cross-validation, compared with
    the usual classifiers; a new champion's classes go to the store's ``classes``. Returns the run summary
    (:class:`experiments.train.RunSummary`)."""
    from experiments.train import train_classifier

    return _train(train_classifier, settings, with_values=True, progress=progress)


def typology_job(settings: Settings):
    """``training.typology`` on the store's profiles; a new champion's types go to the store's ``types``.
    Returns (run summary, fitted typology, type → German description)."""
    from experiments.train import train_typology

    return _train(train_typology, settings)


def forecast_job(settings: Settings, engine: str | None = None, progress: Progress | None = None):
    """Forecasts of ``forecast.indicators`` per region from the store's feature values (``engine``: local or
    spark; None: the configuration's); tables ``forecasts``, ``forecast_metrics`` and ``forecast_champions``.
    Returns the :class:`experiments.forecast.ForecastSummary`."""
    from experiments.forecast import run_forecast
    from models.forecasting import ForecastError

    catalog = catalog_for(settings)
    with _store(settings) as store:
        _need(store.tables(), {"feature_values"}, "feature values")
        values, regions = store.table("feature_values"), store.regions()
        try:
            return run_forecast(values, regions, catalog, settings, engine=engine, progress=progress, store=store)
        except ForecastError as exc:
            raise JobError(str(exc)) from None


def projection_job(settings: Settings, progress: Callable[[str], None] | None = None):
    """The population projection by age group per region from the store's residents by age: checked against the
    last count and the trend on the register's own past, projected ``projection.horizon_years`` ahead; tables
    ``projection`` and ``projection_checks``. Returns the :class:`experiments.projection.ProjectionSummary`."""
    from experiments.projection import run_projection
    from ml.age_groups import PREFIX
    from models.projection import ProjectionError

    with _store(settings) as store:
        ids = [r[0] for r in store.con.execute(
            "SELECT DISTINCT indicator_id FROM observations WHERE starts_with(indicator_id, ?)", [PREFIX]).fetchall()]
        if not ids:
            raise JobError("the store has no residents by age: import a table of residents by age group "
                           "('sozialradar ingest FILE --format age')")
        obs, regions = store.observations(indicator_ids=ids), store.regions()
        try:
            return run_projection(obs, regions, settings, store=store, progress=progress)
        except ProjectionError as exc:
            raise JobError(str(exc)) from None


def coverage_job(settings: Settings):
    """Bestand und Bedarf: per region, facility type of a norm and projected year, demand, places in the region,
    places within reach (2SFCA) and the gap, from the stored projection and facility register; table
    ``coverage``. Returns the :class:`experiments.coverage.CoverageSummary`."""
    from experiments.coverage import CoverageError, run_coverage

    with _store(settings) as store:
        tables = store.tables()
        projection = store.table("projection") if "projection" in tables else None
        facilities = store.table("facilities")
        try:
            summary = run_coverage(projection, facilities, store.regions(), settings)
        except CoverageError as exc:
            raise JobError(str(exc)) from None
        store.replace_table("coverage", summary.table)
    return summary


def impact_job(settings: Settings, progress: Callable[[str], None] | None = None):
    """The effect of every evaluated measure of the register on its target indicators in its regions (synthetic
    control with placebo intervals); table ``impacts``. Returns the :class:`experiments.impact.ImpactSummary`."""
    from experiments.impact import ImpactError, run_impact

    catalog = catalog_for(settings)
    with _store(settings) as store:
        tables = store.tables()
        _need(tables, {"feature_values", "profiles", "model_matrix"}, "profiles")
        measures = store.table("measures")
        if measures.empty:
            raise JobError("the store has no measures: import a register of measures (sozialradar ingest FILE)")
        try:
            return run_impact(store.table("feature_values"), store.table("model_matrix"), store.table("profiles"),
                              measures, store.regions(), catalog, settings, store=store, progress=progress)
        except ImpactError as exc:
            raise JobError(str(exc)) from None


def early_warning_job(settings: Settings, progress: Callable[[str], None] | None = None):
    """The early warning from the store's early-warning inputs: every horizon backtested, chosen, fitted,
    explained and registered; warnings with SHAP values and models into the store. ``progress`` gets a short
    German text per step. Returns the :class:`experiments.early_warning.EarlyWarningSummary`."""
    from experiments.early_warning import train_early_warning
    from models.early_warning import EarlyWarningError

    catalog = catalog_for(settings)
    with _store(settings) as store:
        tables = store.tables()
        _need(tables, {"profiles", "model_matrix", "feature_values"}, "profiles")
        if "warning_inputs" not in tables:
            raise JobError("the store has no early-warning inputs: the profiles need at least two periods with a "
                           "status index; run 'sozialradar features' after importing them")
        profiles, matrix, values = store.table("profiles"), store.table("model_matrix"), store.table("feature_values")
        try:
            return train_early_warning(profiles, matrix, values, catalog, settings, store=store,
                                       inputs=store.table("warning_inputs"), progress=progress)
        except EarlyWarningError as exc:
            raise JobError(str(exc)) from None


# --- reports ----------------------------------------------------------------------------------------------

def reports_job(settings: Settings, out: Path, region_ids: list[str] | None = None, period: str | None = None,
                progress: Progress | None = None):
    """HTML pages for ``region_ids`` (None: every region of the profiles' level, plus an index) in ``out``,
    built from a snapshot of the store alone (no registry, no model run). Returns (pages, index path)."""
    from ml.store import StoreError
    from serving.report import ReportBuilder, ReportError
    from serving.state import LoadError, NotReady, read_snapshot

    try:
        snap = read_snapshot(settings, catalog_for(settings))
        return ReportBuilder(settings, snap).write(out, region_ids, period, progress=progress)
    except (ReportError, NotReady, LoadError, StoreError) as exc:
        raise JobError(str(exc)) from None


# --- deployment -------------------------------------------------------------------------------------------

def bento_job(settings: Settings) -> str:
    """The Bento: the champions imported from the registry into BentoML's model store, then ``bentoml build``
    of ``bentofile.yaml``. Returns the Bento's tag."""
    from serving.bento import BentoError, build

    try:
        return build(settings)
    except BentoError as exc:
        raise JobError(str(exc)) from None

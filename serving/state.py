"""What the service holds: the store's tables and the champion models from the MLflow registry.

:meth:`ServiceState.load` reads everything at once and builds a new snapshot; requests always see one
complete snapshot (a reload swaps it in a single assignment), and before the first load finishes every
data endpoint answers 503.

Longer than 450 lines because the snapshot's fields and their reading from the store (every table a page or
endpoint shows, with the fallbacks for a store of an earlier version) belong in one place.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from functools import cached_property

import pandas as pd

from ml.columns import latest_complete_period
from ml.catalog import Catalog
from ml.config import Settings
from ml.contracts import withheld_profiles
from ml.store import Store, StoreError
from ml.tracking import CHAMPION, fresh_registry_connections, sqlite_path, tracking_uri
from models.explanations import by_dimension, group_name, refusal
from models.projection_check import served_sentences

REQUIRED_TABLES = ("regions", "profiles", "model_matrix", "feature_values")


class NotReady(RuntimeError):
    """The service has not finished loading (or the last load failed)."""


class LoadError(RuntimeError):
    """The store or the tracking database cannot be read (missing, damaged, locked); the message says which."""


class UnknownHorizon(LookupError):
    """The asked horizon is not served."""

    def __init__(self, message: str, horizon: int):
        super().__init__(message)
        self.horizon = horizon


class UnknownPeriod(LookupError):
    """No profiles for the asked period (``period`` is None when the store has no period with an index)."""

    def __init__(self, message: str, period: str | None = None):
        super().__init__(message)
        self.period = period


@dataclass
class Snapshot:
    """One complete, consistent view of what the store holds (and the champion models, once loaded): the
    service's requests and the report pages read only from it."""

    regions: pd.DataFrame
    profiles: pd.DataFrame
    model_matrix: pd.DataFrame
    values: pd.DataFrame
    forecasts: pd.DataFrame | None
    catalog: Catalog
    classifier: object | None = None          # the served classifier's pyfunc python model (features, model)
    typology: object | None = None
    warnings: pd.DataFrame | None = None      # stored early warnings: every region, period and horizon
    warning_shap: pd.DataFrame | None = None  # their SHAP values (long)
    warning_models: dict[int, dict] = field(default_factory=dict)   # horizon → model, note, levels, version
    warning_skipped: dict[int, str] = field(default_factory=dict)   # horizon without a backtest → why
    warning_refused: dict[str, str] = field(default_factory=dict)   # no horizon testable: 'reason' (en), 'text' (de)
    copies: dict[str, set[str]] = field(default_factory=dict)       # indicator → periods repeating the one before
    copied_cells: dict[tuple[str, str], set[str]] = field(default_factory=dict)   # … in one group: (r, i) → periods
    left_out: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (region, indicator, period) → why
    other_values: pd.DataFrame | None = None  # the values of regions of other levels (the whole city), as stored
    classes: pd.DataFrame | None = None       # the classifier champion's class per region and period (stored)
    types: pd.DataFrame | None = None         # the typology champion's type per region and period (stored)
    training_refused: pd.DataFrame | None = None   # classifier, typology: the last training's refusal, if any
    warning_inputs: pd.DataFrame | None = None   # the features job's early-warning inputs (for scenarios)
    edition_step: int | None = None
    warning_model: object | None = None       # the early-warning champion (per horizon models), for scenarios
    frames: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict)   # (period, horizon) → warnings
    answers: dict[tuple[str, int], dict[str, dict]] = field(default_factory=dict)  # … → region → answer
    answer_json: dict[tuple[str, int], dict[str, bytes]] = field(default_factory=dict)  # the same, serialised
    versions: dict[str, str] = field(default_factory=dict)
    level: str = "gemeinde"
    projection: pd.DataFrame | None = None         # the projection job's counts per region, group and year
    projection_verdict: dict[str, str] = field(default_factory=dict)   # group label → German check sentence
    lebenslagen: pd.DataFrame | None = None        # Belastungsindizes per region, period and Lebenslage
    lebenslagen_checks: pd.DataFrame | None = None  # their sensitivity (latest period)
    coverage: pd.DataFrame | None = None           # Bestand und Bedarf per region, facility type and year
    measures: pd.DataFrame | None = None           # the register of recommendations and measures
    impacts: pd.DataFrame | None = None            # their estimated effects per region and indicator

    @property
    def horizons(self) -> list[int]:
        """The horizons with a stored early warning, ascending."""
        return sorted(self.warning_models)

    @property
    def has_warnings(self) -> bool:
        """True when early warnings are stored."""
        return self.warnings is not None and bool(self.warning_models)

    def copied_periods(self, region_id: str, indicator_id: str) -> set[str]:
        """The periods whose value of ``indicator_id`` repeats the year before in ``region_id``: an edition copied
        in every region, or a block copied in the region's group. A page shows no change into them nor from them."""
        return self.copies.get(indicator_id, set()) | self.copied_cells.get((region_id, indicator_id), set())

    def warning_periods(self) -> set[str]:
        """The periods with stored warnings (computed once per snapshot)."""
        return self._warning_periods

    @cached_property
    def level_regions(self) -> pd.DataFrame:
        """The regions of the profiles' level that the profiles reach (in any period): not the areas of an earlier
        grid whose values the crosswalk carried onto the new ones; every region of the level without profiles."""
        regs = self.regions[self.regions["level"] == self.level]
        reached = regs[regs["region_id"].isin(set(self.profiles["region_id"]))]
        return reached if len(reached) else regs

    @cached_property
    def _warning_periods(self) -> set[str]:
        return set(self.warnings["period"]) if self.warnings is not None else set()

    @cached_property
    def latest_period(self) -> str | None:
        """The latest period with a status index, or None (computed once per snapshot: asked by every request)."""
        return latest_complete_period(self.profiles)

    @cached_property
    def indexed_periods(self) -> frozenset[str]:
        """The periods in which a region has a status index: the only ones an early warning can score."""
        return frozenset(self.profiles.loc[self.profiles["status_index"].notna(), "period"].astype(str))

    @cached_property
    def periods(self) -> frozenset[str]:
        """Every period with profiles."""
        return frozenset(self.profiles["period"].astype(str))

    @cached_property
    def default_period(self) -> str | None:
        """The period shown when none is asked: the latest with a status index; where no period has one (a county
        whose tables hold none of the index's indicators), the latest with profiles, whose pages say why they have
        no index; None without profiles."""
        return self.latest_period or (max(self.periods) if self.periods else None)

    def period_of(self, period: str | None) -> str:
        """The asked period, or :attr:`default_period`; :class:`UnknownPeriod` otherwise."""
        if period is None:
            if self.default_period is None:
                raise UnknownPeriod("no profiles: run 'sozialradar features'")
            return self.default_period
        if str(period) not in self.periods:
            raise UnknownPeriod(f"no profiles for period {period!r}", str(period))
        return str(period)


class ServiceState:
    """The service's current :class:`Snapshot`, how it is (re)loaded, and the readiness that follows."""

    def __init__(self, settings: Settings, catalog: Catalog):
        self.settings, self.catalog = settings, catalog
        self.snapshot: Snapshot | None = None
        self.error: str | None = None
        self.loaded_at: float | None = None
        self.loading_champions = False
        self.reload_error: str | None = None   # the last failed reload (the snapshot before it is still served)
        self.reload_failed_at: float | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Store and champions loaded (not after a failed load, even where the store's answers are served)."""
        return self.snapshot is not None and not self.loading_champions and self.error is None

    def current(self) -> Snapshot:
        """The snapshot being served (:class:`NotReady` before the first load)."""
        snap = self.snapshot
        if snap is None:
            raise NotReady(self.error or "models and data are still loading")
        return snap

    def load_in_background(self) -> threading.Thread:
        """Start the first load in a daemon thread (requests meanwhile get 503)."""
        thread = threading.Thread(target=self._load_logged, name="sozialradar-load", daemon=True)
        thread.start()
        return thread

    def readiness(self) -> tuple[int, dict]:
        """What ``/readyz`` answers: 200 when everything is loaded, else 503 and the reason."""
        snap = self.snapshot
        if self.error is not None:
            phase, message = "failed", self.error
        elif snap is None:
            phase, message = "loading", "the store's tables are still loading"
        elif self.loading_champions:
            phase, message = "loading_champions", "the registry's champion models are still loading"
        else:
            phase, message = "ready", "store and champion models loaded"
        body = {"ready": phase == "ready", "phase": phase, "message": message,
                "serving": snap is not None, "loaded_at": _iso(self.loaded_at),
                "versions": dict(snap.versions) if snap is not None else {},
                "last_reload_error": self.reload_error, "last_reload_failed_at": _iso(self.reload_failed_at)}
        return (200 if phase == "ready" else 503), body

    def _load_logged(self) -> None:
        try:
            self.load(stored_first=True)
        except Exception as exc:  # noqa: BLE001 — surfaced through 503 bodies, /readyz and the log
            self.loading_champions = False
            self.error = f"loading failed: {_reason(exc)}"
            log(self.error)

    def reload(self) -> Snapshot:
        """Load everything anew for POST /reload. On failure the snapshot before stays served, the reason is
        kept for /readyz and logged, and :class:`LoadError` carries it to the caller."""
        try:
            snap = self.load()
        except Exception as exc:  # noqa: BLE001 — the old snapshot stays; the caller gets the reason
            self.reload_error, self.reload_failed_at = f"reload failed: {_reason(exc)}", time.time()
            log(self.reload_error + ("; still serving the data loaded before" if self.snapshot is not None else ""))
            raise LoadError(self.reload_error) from exc
        self.reload_error = self.reload_failed_at = None
        return snap

    def load(self, stored_first: bool = False) -> Snapshot:
        """Read the store and the champions; replace the snapshot only when everything loaded.

        ``stored_first`` (the start-up): serve what the store holds — profiles, forecasts, the stored early
        warnings — as soon as it is read, and swap in the snapshot with the classifier and typology champions
        once the registry has them; until then those two endpoints answer 503 "still loading"."""
        with self._lock:
            snap = self._read_store()
            if not stored_first or self.snapshot is not None:
                snap = replace(snap, **self._champions(snap))
                self.snapshot, self.error, self.loaded_at = snap, None, time.time()
                return snap
            self.loading_champions = True
            self.snapshot, self.error = snap, None
            try:
                snap = replace(snap, **self._champions(snap))
            finally:
                self.loading_champions = False
            self.snapshot, self.error, self.loaded_at = snap, None, time.time()
            return snap

    def _champions(self, snap: Snapshot) -> dict:
        """The classifier's and the typology's registered champions (None where there is none yet)."""
        import mlflow

        s = self.settings
        names = {"classifier": s.training.classifier.registered_name, "typology": s.training.typology.registered_name,
                 "warning_model": s.training.early_warning.registered_name}
        if s.serving.models == "bento":
            versions = dict(snap.versions)
            return {**bento_champions(names, versions), "versions": versions}
        uri = tracking_uri(s.tracking.uri)
        db = sqlite_path(uri)
        if db is not None and not db.is_file():
            # MLflow would create an empty database here. Never having had one means no champions yet; losing
            # the one the served champions came from is a fault, and the snapshot before stays
            current = self.snapshot
            if current is not None and (current.classifier is not None or current.typology is not None):
                raise LoadError(f"tracking database not found: {db}")
            return {"versions": dict(snap.versions)}
        fresh_registry_connections()   # the file may have been replaced since the last load
        mlflow.set_tracking_uri(uri)
        out: dict = {"versions": dict(snap.versions)}
        for key, name in names.items():
            loaded = _champion(name)
            if loaded is None:
                continue
            model, version = loaded
            out["versions"][key] = version
            out[key] = model.unwrap_python_model()
        return out

    def _read_store(self) -> Snapshot:
        return read_snapshot(self.settings, self.catalog)

    def explain_period(self, snap: Snapshot, period: str, horizon: int | None = None) -> pd.DataFrame:
        """See :func:`explain_period`."""
        return explain_period(snap, period, horizon)

    def explanation(self, snap: Snapshot, period: str, region_id: str, horizon: int) -> dict:
        """See :func:`explanation`."""
        return explanation(snap, period, region_id, horizon)


def read_snapshot(settings: Settings, catalog: Catalog) -> Snapshot:
    """What the store holds, as one :class:`Snapshot` without champion models: regions, profiles, model
    matrix, feature values, forecasts, and what the training jobs stored — early warnings with their SHAP
    values and models, classes, types. Nothing is computed here. :class:`LoadError` when the store cannot be
    read, :class:`NotReady` when the features job has not run."""
    try:
        store = Store(settings.store.path, read_only=True)
        store.open()
    except StoreError as exc:
        raise LoadError(str(exc)) from None
    with store:
        tables = store.tables()
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise NotReady(f"the store lacks {', '.join(missing)}: run 'sozialradar features' first")
        regions = store.regions()
        profiles, matrix, values = store.table("profiles"), store.table("model_matrix"), store.table("feature_values")
        # why a value is withheld: '' for every value of a store whose 'features' ran before it was kept
        values["suppressed_by"] = (values["suppressed_by"].fillna("").astype(str) if "suppressed_by" in values
                                   else "")
        # served from what its training job stored, nothing recomputed; the last training's refusal withdraws them
        ew = ("early_warnings", "early_warning_shap", "early_warning_models")
        served = set(ew) <= tables and "early_warning_refused" not in tables
        w, shap, models = (store.table(t) for t in ew) if served else (None, None, None)
        untested = "early_warning_skipped" if served else "early_warning_refused"   # the last run: some or no horizon
        store_skipped = store.table(untested) if untested in tables else None
        if not served and store_skipped is not None and "withdrawn" not in store_skipped and set(ew) <= tables:
            kept = store.table(ew[2])["model_version"].astype(str)   # a store of an earlier version: withdrawn too
            store_skipped = store_skipped.assign(withdrawn=True, withdrawn_version=kept.iloc[0] if len(kept) else "")
        stored = {name: _by_region_period(store.table(name)) if name in tables else None
                  for name in ("classes", "types")}
        forecasts, projection, checks, lagen, lagen_checks, coverage, measures, impacts, refused = (
            store.table(t) if t in tables else None for t in ("forecasts", "projection", "projection_checks",
                                                              "lebenslagen", "lebenslagen_checks", "coverage",
                                                              "measures", "impacts", "training_refused"))
        copied = (store.table("copied_years") if "copied_years" in tables
                  else pd.DataFrame(columns=["indicator_id", "period"]))       # a store of an earlier version
        if "region_id" not in copied.columns:           # … before blocks copied in one group were kept
            copied["region_id"] = ""
        copied = copied.astype({"region_id": str, "indicator_id": str, "period": str})
        everywhere = copied["region_id"] == ""
        left_out = store.table("left_out_values") if "left_out_values" in tables else None
        other = store.table("other_level_values") if "other_level_values" in tables else None
        inputs, step = None, None
        if {"warning_inputs", "warning_inputs_settings"} <= tables:
            inputs = store.table("warning_inputs")
            step = int(store.table("warning_inputs_settings")["edition_step"].iloc[0])
    snap = Snapshot(regions=regions, profiles=profiles, model_matrix=matrix, values=values, forecasts=forecasts,
                    catalog=catalog, level=settings.features.level, warning_inputs=inputs, edition_step=step,
                    projection=projection, projection_verdict=served_sentences(projection, checks),
                    lebenslagen=lagen, lebenslagen_checks=lagen_checks, coverage=coverage, measures=measures,
                    impacts=impacts, training_refused=refused,
                    copies=copied[everywhere].groupby("indicator_id")["period"].agg(set).to_dict(),
                    copied_cells=copied[~everywhere].groupby(["region_id", "indicator_id"])["period"].agg(
                        set).to_dict(),
                    other_values=other,
                    left_out={} if left_out is None else {
                        (str(r), str(i), str(p)): str(why) for r, i, p, why in left_out[
                            ["region_id", "indicator_id", "period", "reason"]].itertuples(index=False)},
                    **stored)
    for name in ("classes", "types"):   # the stored results, beside the registry's "classifier" and "typology"
        if stored[name] is not None and len(stored[name]):
            snap.versions[name] = str(stored[name]["model_version"].iloc[0])
    if served:
        w["period"], shap["period"] = w["period"].astype(str), shap["period"].astype(str)
        snap.warnings, snap.warning_shap = w, shap
        for row in models.to_dict("records"):
            row["thresholds"] = json.loads(row["thresholds"])
            row["unavailable"] = json.loads(row["unavailable"])
            row["levels"] = json.loads(row["levels"]) if isinstance(row.get("levels"), str) else {}
            # no level available: 'keine' then flags nobody, it does not call a region unremarkable
            row["graded"] = any(t is not None for t in row["thresholds"].values())
            snap.warning_models[int(row["horizon"])] = row
        if len(models):
            snap.versions["early_warning"] = str(models["model_version"].iloc[0])
        if store_skipped is not None:
            snap.warning_skipped = dict(zip(store_skipped["horizon"].astype(int), store_skipped["reason"].astype(str)))
    elif store_skipped is not None and len(store_skipped):
        snap.warning_refused = refusal(store_skipped)
    return snap


def _by_region_period(frame: pd.DataFrame) -> pd.DataFrame:
    """A stored assignment table (classes, types) indexed by (region_id, period) for lookups."""
    frame = frame.assign(period=frame["period"].astype(str))
    return frame.set_index(["region_id", "period"], drop=False).sort_index()


def stored_row(table: pd.DataFrame | None, region_id: str, period: str) -> pd.Series | None:
    """The row of a stored assignment table (classes, types) for a region and period, or None."""
    if table is None or (region_id, period) not in table.index:
        return None
    return table.loc[(region_id, period)]


def horizon_of(snap: Snapshot, horizon: int | None) -> int:
    """The asked horizon, or the shortest served; :class:`UnknownHorizon` for one not served."""
    if horizon is None:
        return snap.horizons[0]
    if horizon not in snap.warning_models:
        why = f" ({snap.warning_skipped[horizon]})" if horizon in snap.warning_skipped else ""
        raise UnknownHorizon(f"no early warning for {horizon} years ahead{why}; served: "
                             f"{', '.join(map(str, snap.horizons))}", horizon)
    return horizon


def explain_period(snap: Snapshot, period: str, horizon: int | None = None) -> pd.DataFrame:
    """The stored warnings of one period and horizon, indexed by region (answers cached per snapshot)."""
    h = horizon_of(snap, horizon)
    key = (period, h)
    if key in snap.frames:
        return snap.frames[key]
    w = snap.warnings
    frame = w[(w["period"] == period) & (w["horizon"] == h)].set_index("region_id", drop=False)
    names = snap.regions.set_index("region_id")["name"]
    # answers are built once per snapshot, period and horizon: a request only collects them
    snap.answers[key] = {
        rid: {"region_id": rid, "name": str(names.get(rid, rid)), "period": period, "horizon": h,
              "probability": float(row["probability"]), "level": row["level"], "sentence": row["sentence"],
              "drivers": json.loads(row["drivers"])}
        for rid, row in frame.iterrows()}
    snap.answer_json[key] = {rid: json.dumps(a, ensure_ascii=False).encode() for rid, a in snap.answers[key].items()}
    snap.frames[key] = frame
    return frame


def explanation(snap: Snapshot, period: str, region_id: str, horizon: int) -> dict:
    """The stored SHAP values of one warning, by indicator and by dimension, with its score and base."""
    sh = snap.warning_shap
    rows = sh[(sh["region_id"] == region_id) & (sh["period"] == period) & (sh["horizon"] == horizon)]
    phi = rows.set_index("feature")["contribution"]
    w = snap.frames[(period, horizon)].loc[region_id]
    dims = by_dimension(phi.to_frame().T, snap.catalog).iloc[0] if len(phi) else pd.Series(dtype=float)
    names = {k: group_name(k, snap.catalog) for k in dims.index}
    base = float(w["base"]) if pd.notna(w["base"]) else float(w["score"])
    return {"by_indicator": {k: float(v) for k, v in phi.items()},
            "by_dimension": {k: float(v) for k, v in dims.items()}, "dimension_names": names,
            "score": float(w["score"]), "base": base}


def _iso(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t))


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, (LoadError, NotReady)) else f"{type(exc).__name__}: {exc}"


def log(message: str) -> None:
    """One line for the service's log (its standard error, which ``sozialradar serve`` writes to service.log)."""
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} sozialradar: {message}", file=sys.stderr, flush=True)


def _champion(name: str):
    """The registered model's ``champion`` version loaded as pyfunc, or None when there is none yet."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        version = MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    return mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}"), str(version.version)


def bento_champions(names: dict[str, str], versions: dict[str, str]) -> dict:
    """The champions a Bento carries (imported from the registry by ``sozialradar bento``), from BentoML's
    model store: key → unwrapped pyfunc model, and their registry versions (labels) added to ``versions``."""
    import bentoml
    import bentoml.mlflow

    out: dict = {}
    for key, name in names.items():
        try:
            model = bentoml.models.get(f"{name}:latest")
        except bentoml.exceptions.NotFound:
            continue
        out[key] = bentoml.mlflow.load_model(model).unwrap_python_model()
        versions[key] = str(model.info.labels.get("registry_version", model.tag.version))
    return out


def withheld(profile: pd.Series | None) -> bool:
    """A region-year whose values are withheld (:func:`ml.contracts.withheld_profiles`): its model inputs would be
    imputed in their place, so no class or type. In a county without a status index, the training jobs leave out
    the region-years whose every model input is imputed, and the store holds no class or type for them."""
    return profile is None or bool(withheld_profiles(profile.to_frame().T)[0])

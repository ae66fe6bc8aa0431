"""What the service holds: the store's tables and the champion models from the MLflow registry.

:meth:`ServiceState.load` reads everything at once and builds a new snapshot; requests always see one
complete snapshot (a reload swaps it in a single assignment), and before the first load finishes every
data endpoint answers 503.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import mlflow
import numpy as np
import pandas as pd

from ml.catalog import Catalog
from ml.config import Settings
from ml.store import Store
from ml.tracking import CHAMPION, tracking_uri
from models.early_warning import EarlyWarningModel, explain_period, transitions
from models.explanations import by_dimension, feature_dimension, feature_label, top_drivers

INDEX_GROUP_NAME = "Indizes und Klassengrenzen"
REQUIRED_TABLES = ("regions", "profiles", "model_matrix", "feature_values")


class NotReady(RuntimeError):
    """The service has not finished loading (or the last load failed)."""


class UnknownPeriod(LookupError):
    """No profiles for the asked period (``period`` is None when the store has no period with an index)."""

    def __init__(self, message: str, period: str | None = None):
        super().__init__(message)
        self.period = period


@dataclass
class Snapshot:
    regions: pd.DataFrame
    profiles: pd.DataFrame
    model_matrix: pd.DataFrame
    values: pd.DataFrame
    forecasts: pd.DataFrame | None
    catalog: Catalog
    classifier: object | None = None          # LVQ pyfunc's python model (features, model)
    typology: object | None = None
    early_warning: EarlyWarningModel | None = None
    ew_features: pd.DataFrame | None = None   # transitions' features, index (region_id, period)
    warnings: dict[str, pd.DataFrame] = field(default_factory=dict)   # period → explain_latest frame
    shap: dict[str, pd.DataFrame] = field(default_factory=dict)       # period → SHAP by feature
    answers: dict[str, dict[str, dict]] = field(default_factory=dict)  # period → region → warning answer
    answer_json: dict[str, dict[str, bytes]] = field(default_factory=dict)  # the same, serialised
    versions: dict[str, str] = field(default_factory=dict)
    level: str = "gemeinde"

    @property
    def latest_period(self) -> str | None:
        p = self.profiles[self.profiles["status_index"].notna()]["period"]
        return str(p.max()) if len(p) else None

    def period_of(self, period: str | None) -> str:
        """The asked period, or the latest with a status index; :class:`UnknownPeriod` otherwise."""
        if period is None:
            latest = self.latest_period
            if latest is None:
                raise UnknownPeriod("no period with a status index")
            return latest
        if str(period) not in set(self.profiles["period"].astype(str)):
            raise UnknownPeriod(f"no profiles for period {period!r}", str(period))
        return str(period)


class ServiceState:
    def __init__(self, settings: Settings, catalog: Catalog):
        self.settings, self.catalog = settings, catalog
        self.snapshot: Snapshot | None = None
        self.error: str | None = None
        self.loaded_at: float | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self.snapshot is not None

    def current(self) -> Snapshot:
        snap = self.snapshot
        if snap is None:
            raise NotReady(self.error or "models and data are still loading")
        return snap

    def load_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self._load_logged, name="sozialradar-load", daemon=True)
        thread.start()
        return thread

    def _load_logged(self) -> None:
        try:
            self.load()
        except Exception as exc:  # noqa: BLE001 — surfaced through 503 bodies and /readyz
            self.error = f"loading failed: {type(exc).__name__}: {exc}"

    def load(self) -> Snapshot:
        """Read the store and the champions; replace the snapshot only when everything loaded."""
        with self._lock:
            snap = self._build()
            self.snapshot, self.error, self.loaded_at = snap, None, time.time()
            return snap

    def _build(self) -> Snapshot:
        s = self.settings
        with Store(s.store.path, read_only=True) as store:
            tables = store.tables()
            missing = [t for t in REQUIRED_TABLES if t not in tables]
            if missing:
                raise NotReady(f"the store lacks {', '.join(missing)}: run 'sozialradar features' first")
            regions = store.regions()
            profiles, matrix, values = store.table("profiles"), store.table("model_matrix"), store.table("feature_values")
            forecasts = store.table("forecasts") if "forecasts" in tables else None
        level = s.features.level
        snap = Snapshot(regions=regions, profiles=profiles, model_matrix=matrix, values=values, forecasts=forecasts,
                        catalog=self.catalog, level=level)
        mlflow.set_tracking_uri(tracking_uri(s.tracking.uri))
        for key, name in (("classifier", s.training.classifier.registered_name),
                          ("typology", s.training.typology.registered_name),
                          ("early_warning", s.training.early_warning.registered_name)):
            loaded = _champion(name)
            if loaded is None:
                continue
            model, version = loaded
            snap.versions[key] = version
            inner = model.unwrap_python_model()
            if key == "early_warning":
                snap.early_warning = inner.model
            else:
                setattr(snap, key, inner)
        if snap.early_warning is not None:
            ew = snap.early_warning
            indicators = sorted({f[2:] for f in ew.features if f.startswith("m_")}
                                | {f[3:] for f in ew.features if f.startswith("dz_")})
            X, _ = transitions(profiles, matrix, indicators, ew.horizon, ew.delta,
                               s.features.index.status_thresholds)
            snap.ew_features = X.reindex(columns=ew.features, fill_value=0.0)
            latest = snap.latest_period
            if latest is not None:
                self.explain_period(snap, latest)
        return snap

    def explain_period(self, snap: Snapshot, period: str) -> pd.DataFrame:
        """Warnings with sentences and SHAP values of one period (cached per snapshot)."""
        if period in snap.warnings:
            return snap.warnings[period]
        frame, snap.shap[period] = explain_period(snap.early_warning, snap.ew_features, snap.values, snap.profiles,
                                                  snap.catalog, self.settings.features.dynamics_periods, period)
        frame = frame.set_index("region_id", drop=False)
        names = snap.regions.set_index("region_id")["name"]
        # answers are computed once per snapshot and period: a request only collects them
        snap.answers[period] = {
            rid: {"region_id": rid, "name": str(names.get(rid, rid)), "period": period,
                  "probability": float(row["probability"]), "level": row["level"], "sentence": row["sentence"],
                  "drivers": self.drivers(snap, period, rid)}
            for rid, row in frame.iterrows()}
        snap.answer_json[period] = {rid: json.dumps(a, ensure_ascii=False).encode()
                                    for rid, a in snap.answers[period].items()}
        snap.warnings[period] = frame
        return frame

    def drivers(self, snap: Snapshot, period: str, region_id: str, n: int = 3) -> list[dict]:
        phi = snap.shap[period].xs(region_id, level="region_id").iloc[0]
        return [{"feature": f, "label": feature_label(f, snap.catalog), "dimension": feature_dimension(f, snap.catalog),
                 "contribution": float(v)} for f, v in top_drivers(phi, n).items()]

    def explanation(self, snap: Snapshot, period: str, region_id: str) -> dict:
        phi = snap.shap[period].xs(region_id, level="region_id").iloc[0]
        ew = snap.early_warning
        row = snap.ew_features.loc[[(region_id, period)]]
        score = float(ew.model.score(row.to_numpy(float))[0])
        dims = by_dimension(phi.to_frame().T, snap.catalog).iloc[0]
        names = {k: snap.catalog.dimensions[k].name if k in snap.catalog.dimensions else INDEX_GROUP_NAME
                 for k in dims.index}
        return {"by_indicator": {k: float(v) for k, v in phi.items()},
                "by_dimension": {k: float(v) for k, v in dims.items()}, "dimension_names": names,
                "score": score, "base": float(score - phi.sum())}


def _champion(name: str):
    """The registered model's ``champion`` version loaded as pyfunc, or None when there is none yet."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        version = MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    return mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}"), str(version.version)


def withheld(profile: pd.Series | None) -> bool:
    """A region-year whose values are withheld (too few residents or too many suppressed cells): no status
    index, and suppressed cells. Its model inputs would be imputed in their place, so no class or type."""
    return profile is None or (not isinstance(profile.get("status_label"), str) and profile.get("n_suppressed", 0) > 0)


def finite(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None

"""Training runs, each one MLflow run: an LVQ classifier of region profiles, and the typology.

Every run logs its resolved configuration, the git commit, a fingerprint of its input data, metrics,
plots with German indicator names, and the model (a pyfunc with signature and input example) under a
registered name; a run that beats the current ``champion`` on the configured metric takes the alias.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.decomposition import PCA
from sklearn.metrics import (
    accuracy_score, adjusted_rand_score, balanced_accuracy_score, confusion_matrix, recall_score, silhouette_score,
)
from sklearn.model_selection import StratifiedKFold

from ml.catalog import Catalog
from ml.columns import MODEL, PROB, column, columns, ids
from ml.config import Settings
from ml.quiet import quiet_stderr
from ml.tracking import fingerprint, git_commit, job_run, promote_if_better
from models.lvq import GLVQ, GMLVQ, LGMLVQ, calibration_slope
from models.packaging import MODEL_CODE, save_lvq, save_typology
from models.typology import Typology, short_name

MODELS = {"glvq": GLVQ, "gmlvq": GMLVQ, "lgmlvq": LGMLVQ}


class TrainingError(ValueError):
    """The inputs do not allow a training run (no profiles, too few regions per class ...)."""


@dataclass
class RunSummary:
    run_id: str
    metrics: dict[str, float]
    model_version: str | None
    champion: bool
    notes: list[str]


def _period(profiles: pd.DataFrame, period: str | None) -> str:
    if period is not None:
        if period not in set(profiles["period"]):
            raise TrainingError(f"no profiles for period {period!r}; periods: {', '.join(sorted(set(profiles['period'])))}")
        return period
    with_index = profiles[profiles["status_index"].notna()]
    if with_index.empty:
        raise TrainingError("no profile has a status index; run 'sozialradar features' first")
    return str(with_index["period"].max())


def training_frame(profiles: pd.DataFrame, model_matrix: pd.DataFrame, catalog: Catalog, settings: Settings,
                   period: str, features: list[str] | None) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Inputs (imputed z-values, one row per region) of ``period``, their indicator ids and German names."""
    m = model_matrix[model_matrix["period"] == period].set_index("region_id")
    if features is None:
        status = set(settings.features.index.status_indicators) | set(settings.features.index.dynamics_indicators or [])
        features = [i for i in ids(m.columns, MODEL) if i not in status and catalog[i].polarity != 0]
    missing = [f for f in features if column(MODEL, f) not in m.columns]
    if missing:
        raise TrainingError(f"features not in the profiles: {', '.join(missing)}")
    X = m[columns(MODEL, features)].dropna(axis=1, how="all")
    kept = ids(X.columns, MODEL)
    X = X.dropna()
    X.columns = kept
    return X, kept, [short_name(catalog[f].name) for f in kept]


def _target(profiles: pd.DataFrame, period: str, target: str, settings: Settings) -> pd.Series:
    p = profiles[profiles["period"] == period].set_index("region_id")
    if target == "planted_type":
        if settings.training.ground_truth is None:
            raise TrainingError("target 'planted_type' needs training.ground_truth (a ground_truth.json)")
        truth = json.loads(Path(settings.training.ground_truth).read_text(encoding="utf-8"))
        return pd.Series({g["region_id"]: g["type"] for g in truth["gemeinden"]}).reindex(p.index)
    if target not in p.columns:
        raise TrainingError(f"target {target!r} is not a profile column")
    return p[target]


def _flat(prefix: str, data: dict) -> dict[str, str]:
    out = {}
    for k, v in data.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out.update(_flat(key, v))
        else:
            out[key] = str(v)[:500]
    return out


def _log_provenance(settings: Settings, data: pd.DataFrame, section: dict) -> None:
    mlflow.log_dict(settings.resolved(), "config.json")
    mlflow.log_params(_flat("", section))
    mlflow.set_tags({"git_commit": git_commit(), "data_fingerprint": fingerprint(data)})


def _figure(width: float = 8, height: float = 5):
    """A figure without pyplot (no global backend state)."""
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _log_figure(fig: Figure, name: str) -> None:
    mlflow.log_figure(fig, name, save_kwargs={"bbox_inches": "tight", "dpi": 110})


def train_classifier(profiles: pd.DataFrame, model_matrix: pd.DataFrame, catalog: Catalog,
                     settings: Settings) -> RunSummary:
    cfg = settings.training.classifier
    period = _period(profiles, cfg.period)
    X, features, names = training_frame(profiles, model_matrix, catalog, settings, period, cfg.features)
    y = _target(profiles, period, cfg.target, settings).reindex(X.index)
    keep = y.notna()
    X, y = X[keep], y[keep].astype(str)
    counts = y.value_counts()
    if len(counts) < 2:
        raise TrainingError(f"target {cfg.target!r} has fewer than two classes in {period}")
    folds = int(min(cfg.cv_folds, counts.min()))
    if folds < 2:
        raise TrainingError(f"class {counts.idxmin()!r} has a single region; cross-validation needs two")
    notes = [] if folds == cfg.cv_folds else [f"{folds}-fold CV (smallest class has {counts.min()} regions)"]

    def make():
        kwargs = {"prototypes_per_class": cfg.prototypes_per_class, "random_state": cfg.seed,
                  "reject_threshold": cfg.reject_threshold, "reject_label": "abgelehnt"}
        if cfg.model != "glvq":
            kwargs["regularization"] = cfg.regularization
        return MODELS[cfg.model](**kwargs)

    Xn, yn = X.to_numpy(), y.to_numpy()
    classes = sorted(counts.index)
    y_idx = np.searchsorted(classes, yn)
    margins = np.zeros((len(yn), len(classes)))
    nearest = np.empty(len(yn), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=cfg.seed)
    for train, test in splitter.split(Xn, yn):
        model = make().fit(Xn[train], yn[train])
        margins[test] = model.margins(Xn[test])
        nearest[test] = model.classes_[margins[test].argmin(axis=1)]
    # probabilities calibrated on the held-out margins (Platt-style slope, see models.lvq.calibration_slope)
    slope = calibration_slope(margins, y_idx)
    logits = -slope * margins
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    rejected = (proba.max(axis=1) < cfg.reject_threshold) if cfg.reject_threshold else np.zeros(len(yn), bool)
    pred = np.where(rejected, "abgelehnt", nearest).astype(object)
    decided = ~rejected
    metrics = {
        "cv_accuracy": float(accuracy_score(yn[decided], pred[decided].astype(str))) if decided.any() else 0.0,
        "cv_balanced_accuracy": float(balanced_accuracy_score(yn[decided], pred[decided].astype(str)))
        if decided.any() else 0.0,
        "cv_reject_rate": float(rejected.mean()),
        "cv_log_loss": float(-np.log(np.clip(proba[np.arange(len(yn)), y_idx], 1e-15, 1)).mean()),
        "cv_brier": float(((proba - np.eye(len(classes))[y_idx]) ** 2).sum(axis=1).mean()),
        "calibration_slope": slope,
        "n_regions": float(len(yn)), "n_features": float(len(features)), "cv_folds": float(folds),
    }
    recalls = recall_score(yn[decided], pred[decided].astype(str), labels=classes, average=None, zero_division=0)
    metrics.update({f"cv_recall_{c.replace(' ', '_')}": float(r) for c, r in zip(classes, recalls)})

    final = make().fit(Xn, yn)
    final.calibration_slope_ = slope
    with job_run(settings.tracking.uri, "sozialradar-classifier", f"{cfg.model}-{period}") as run:
        _log_provenance(settings, X.assign(target=y), {"classifier": cfg.model_dump(mode="json"), "period": period})
        mlflow.log_metrics(metrics)
        _classifier_plots(final, X, y, names, classes, yn, pred, decided)
        with tempfile.TemporaryDirectory() as tmp:
            save_lvq(final, features, Path(tmp))
            example = X.head(3)
            output = _predict_frame(final, example)
            with quiet_stderr():
                info = mlflow.pyfunc.log_model(
                    name="model", python_model=str(MODEL_CODE["lvq"]), artifacts={"lvq": tmp},
                    signature=infer_signature(example, output), input_example=example,
                    registered_model_name=cfg.registered_name,
                )
        version = str(info.registered_model_version) if info.registered_model_version is not None else None
        champion = bool(version) and promote_if_better(MlflowClient(), cfg.registered_name, version,
                                                      cfg.champion_metric, metrics[cfg.champion_metric])
        mlflow.set_tag("champion", str(champion))
    return RunSummary(run.info.run_id, metrics, version, champion, notes)


def _predict_frame(model, frame: pd.DataFrame) -> pd.DataFrame:
    X = frame.to_numpy(dtype=float)
    out = pd.DataFrame(model.predict_proba(X), columns=columns(PROB, model.classes_), index=frame.index)
    out.insert(0, "prediction", model.predict(X).astype(str))
    return out


def _classifier_plots(model, X: pd.DataFrame, y: pd.Series, names: list[str], classes: list[str],
                      yn: np.ndarray, pred: np.ndarray, decided: np.ndarray) -> None:
    if hasattr(model, "relevance_"):
        fig, ax = _figure(8, max(3, 0.25 * len(names)))
        order = np.argsort(model.relevance_)
        ax.barh(np.array(names)[order], model.relevance_[order], color="#2a6f97")
        ax.set_xlabel("Relevanz (Diagonale von Λ)")
        ax.set_title("Relevanzprofil")
        _log_figure(fig, "plots/relevanzprofil.png")
    fig, ax = _figure(max(6, 0.3 * len(names)), 3 + 0.3 * len(model.prototypes_))
    im = ax.imshow(model.prototypes_, aspect="auto", cmap="RdBu_r", vmin=-2, vmax=2)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(model.prototypes_)), [str(model.classes_[c]) for c in model.prototype_labels_])
    ax.set_title("Prototypen (z-Werte)")
    fig.colorbar(im, ax=ax)
    _log_figure(fig, "plots/prototypen.png")
    cm = confusion_matrix(yn[decided], pred[decided].astype(str), labels=classes)
    fig, ax = _figure(5, 4)
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center")
    ax.set_xticks(range(len(classes)), classes, rotation=45)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("vorhergesagt (Kreuzvalidierung)")
    ax.set_ylabel("tatsächlich")
    _log_figure(fig, "plots/konfusionsmatrix.png")
    Z = model.transform(X.to_numpy())[:, :2] if hasattr(model, "transform") else PCA(2).fit_transform(X.to_numpy())
    fig, ax = _figure(6, 5)
    for c in classes:
        sel = y.to_numpy() == c
        ax.scatter(Z[sel, 0], Z[sel, 1], s=12, label=c)
    ax.legend(fontsize=7)
    ax.set_title("Projektion (führende Richtungen von Λ)" if hasattr(model, "transform") else "Projektion (PCA)")
    _log_figure(fig, "plots/projektion.png")


def train_typology(profiles: pd.DataFrame, model_matrix: pd.DataFrame, catalog: Catalog,
                   settings: Settings, previous: Typology | None = None) -> tuple[RunSummary, Typology, dict[int, str]]:
    cfg = settings.training.typology
    period = _period(profiles, cfg.period)
    X, features, names = training_frame(profiles, model_matrix, catalog, settings, period, None)
    if len(X) <= cfg.k_min:
        raise TrainingError(f"{len(X)} complete profiles in {period}; the typology needs more than k_min={cfg.k_min}")
    if previous is not None and previous.n_features_in_ != X.shape[1]:
        raise TrainingError(f"the previous typology used {previous.n_features_in_} features, {period} has {X.shape[1]}; "
                            "type numbers can only be carried over on the same indicators")
    model = Typology(method=cfg.method, k_min=cfg.k_min, k_max=cfg.k_max, random_state=cfg.seed).fit(
        X.to_numpy(), previous=previous)
    orientation = np.array([catalog[f].polarity or 1 for f in features])
    descriptions = model.describe(names, orientation=orientation)
    metrics = {"n_types": float(model.n_types_), "n_regions": float(len(X)),
               "silhouette": float(silhouette_score(X.to_numpy(), model.labels_))}
    if settings.training.ground_truth is not None:
        truth = json.loads(Path(settings.training.ground_truth).read_text(encoding="utf-8"))
        planted = pd.Series({g["region_id"]: g["type"] for g in truth["gemeinden"]}).reindex(X.index)
        ok = planted.notna().to_numpy()
        metrics["ari_planted_types"] = float(adjusted_rand_score(planted[ok], model.labels_[ok]))
    with job_run(settings.tracking.uri, "sozialradar-typology", f"{cfg.method}-{period}") as run:
        _log_provenance(settings, X, {"typology": cfg.model_dump(mode="json"), "period": period})
        mlflow.log_metrics(metrics)
        mlflow.log_metrics({f"criterion_k{k}": v for k, v in model.scores_.items()})
        mlflow.log_dict({str(k): v for k, v in descriptions.items()}, "typen.json")
        fig, ax = _figure(max(6, 0.3 * len(names)), 2 + 0.5 * model.n_types_)
        im = ax.imshow(model.prototypes_ * orientation, aspect="auto", cmap="RdBu_r", vmin=-2, vmax=2)
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
        ax.set_yticks(range(model.n_types_), [f"Typ {t}" for t in range(1, model.n_types_ + 1)])
        ax.set_title("Typprofile (z-Werte, Richtung des Indikators)")
        fig.colorbar(im, ax=ax)
        _log_figure(fig, "plots/typprofile.png")
        with tempfile.TemporaryDirectory() as tmp:
            save_typology(model, features, descriptions, Path(tmp))
            example = X.head(3)
            output = pd.DataFrame({"type": model.predict(example.to_numpy()),
                                   "description": [descriptions[t] for t in model.predict(example.to_numpy())]},
                                  index=example.index)
            with quiet_stderr():
                info = mlflow.pyfunc.log_model(name="model", python_model=str(MODEL_CODE["typology"]),
                                               artifacts={"typology": tmp},
                                               signature=infer_signature(example, output), input_example=example,
                                               registered_model_name=cfg.registered_name)
        version = str(info.registered_model_version) if info.registered_model_version is not None else None
        champion = bool(version) and promote_if_better(MlflowClient(), cfg.registered_name, version,
                                                      cfg.champion_metric, metrics[cfg.champion_metric])
        mlflow.set_tag("champion", str(champion))
    return RunSummary(run.info.run_id, metrics, version, champion, []), model, descriptions

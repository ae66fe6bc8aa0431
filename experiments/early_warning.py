"""The early-warning run, one MLflow run: transitions, rolling backtests of the candidates and two anchors,
the champion candidate calibrated and thresholded, fitted on all known transitions, explained and registered.

Anchors, scored on exactly the backtest's transitions: the official dynamics index at t (today's backward-
looking early warning) and the closeness of the status index to the next worse class boundary.
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
from sklearn.metrics import average_precision_score, roc_auc_score

from experiments.train import _flat, _log_figure, _start
from ml.catalog import Catalog
from ml.config import Settings
from ml.tracking import fingerprint, git_commit, promote_if_better
from models.early_warning import (
    CANDIDATES, EarlyWarningError, EarlyWarningModel, Platt, background_sample, backtest_metrics,
    calibrated_out_of_period, choose_thresholds, explain_latest, feature_columns, flagged_before_onset, lead_times,
    level_of, rolling_backtest, transitions,
)
from models.explanations import INDEX_GROUP_NAME, by_dimension, feature_label
from models.packaging import MODEL_CODE, save_early_warning


@dataclass
class EarlyWarningSummary:
    run_id: str
    chosen: str
    metrics: dict[str, float]
    thresholds: dict[str, float]
    backtest: pd.DataFrame          # the chosen candidate's out-of-sample rows with calibrated p and level
    warnings: pd.DataFrame          # the latest period: probability, level, sentence, dimension contributions
    model: EarlyWarningModel
    model_version: str | None
    champion: bool


def _anchors(bt: pd.DataFrame, X: pd.DataFrame) -> dict[str, float]:
    key = pd.MultiIndex.from_arrays([bt["region_id"], bt["period"]])
    y = bt["y"].to_numpy(int)
    out = {}
    for name, score in (("dynamics_index", X["dynamics_index"].reindex(key).to_numpy()),
                        ("boundary_closeness", -X["boundary_distance"].reindex(key).to_numpy())):
        ok = np.isfinite(score)
        out[f"anchor_{name}_roc_auc"] = float(roc_auc_score(y[ok], score[ok]))
        out[f"anchor_{name}_average_precision"] = float(average_precision_score(y[ok], score[ok]))
    return out


def _planted(bt: pd.DataFrame, thresholds: dict[str, float], settings: Settings) -> dict[str, float]:
    """With a synthetic county's ground truth: the share of its planted deteriorating Gemeinden that the
    backtest flags at 'beobachten' or higher in one of the three periods before their onset."""
    path = settings.training.ground_truth
    if path is None or not Path(path).exists():
        return {}
    onsets = {d["region_id"]: int(d["onset_year"])
              for d in json.loads(Path(path).read_text(encoding="utf-8")).get("deteriorating", [])}
    tested = set(bt["region_id"])
    onsets = {r: o for r, o in onsets.items() if r in tested}
    if not onsets:
        return {}
    hit = flagged_before_onset(bt, bt["p"] >= thresholds["beobachten"], onsets)
    return {"planted_deteriorations": float(len(onsets)), "planted_flagged_before_onset": float(len(hit)),
            "planted_flagged_before_onset_share": len(hit) / len(onsets)}


def train_early_warning(profiles: pd.DataFrame, model_matrix: pd.DataFrame, values: pd.DataFrame, catalog: Catalog,
                        settings: Settings, store=None) -> EarlyWarningSummary:
    cfg = settings.training.early_warning
    index_cfg = settings.features.index
    indicators = [c[2:] for c in model_matrix.columns if c.startswith("m_") and c[2:] in catalog
                  and catalog[c[2:]].polarity != 0]
    X_all, y = transitions(profiles, model_matrix, indicators, cfg.horizon, cfg.delta, index_cfg.status_thresholds)
    if y.notna().sum() == 0:
        raise EarlyWarningError(f"no transition has an outcome yet: profiles need periods {cfg.horizon} apart")
    features = feature_columns(X_all, cfg.features)
    X = X_all[features]
    results, backtests = {}, {}
    for kind in cfg.candidates:
        make = (lambda k=kind: CANDIDATES[k](seed=cfg.seed))
        bt = rolling_backtest(X, y, make, cfg.horizon)
        backtests[kind] = bt
        results[kind] = backtest_metrics(bt, cfg.horizon, cfg.k_share)
    chosen = max(results, key=lambda k: results[k][cfg.selection_metric])
    bt = backtests[chosen].copy()
    platt = Platt().fit(bt["score"], bt["y"])
    bt["p"] = platt(bt["score"])
    bt["p_out_of_period"] = calibrated_out_of_period(bt)
    thresholds = choose_thresholds(bt["p"].to_numpy(), bt["y"].to_numpy(), cfg.precision_watch, cfg.precision_warning,
                                   cfg.precision_acute)
    bt["level"] = level_of(bt["p"], thresholds)
    metrics = {f"{k}.{name}": v for k, m in results.items() for name, v in m.items()}
    metrics.update({name: v for name, v in results[chosen].items()})
    metrics.update(_anchors(bt, X_all))
    for level in ("beobachten", "Warnung", "akut"):
        flagged = bt["p"] >= thresholds[level]
        metrics[f"precision_{level}"] = float(bt.loc[flagged, "y"].mean()) if flagged.any() else float("nan")
        metrics[f"recall_{level}"] = float(bt.loc[flagged, "y"].sum() / max(bt["y"].sum(), 1))
        metrics[f"threshold_{level}"] = thresholds[level]
    leads = lead_times(bt, bt["p"] >= thresholds["beobachten"], cfg.horizon)
    metrics["mean_lead_time"] = float(np.mean(leads)) if leads else float("nan")
    metrics["events_detected_early"] = float(len(leads))
    metrics.update(_planted(bt, thresholds, settings))

    known = y.notna()
    final = CANDIDATES[chosen](seed=cfg.seed).fit(X[known].to_numpy(float), y[known].to_numpy())
    background = background_sample(X[known].to_numpy(float), cfg.background_size, cfg.seed)
    model = EarlyWarningModel(kind=chosen, model=final, features=features, platt=platt, thresholds=thresholds,
                              background=background, horizon=cfg.horizon, delta=cfg.delta,
                              metrics={k: results[k] for k in results})
    warnings = explain_latest(model, X, values, profiles, catalog, settings.features.dynamics_periods)

    _start(settings, "sozialradar-early-warning")
    with mlflow.start_run(run_name=f"early-warning-{chosen}") as run:
        mlflow.log_dict(settings.resolved(), "config.json")
        mlflow.log_params(_flat("", {"early_warning": cfg.model_dump(mode="json"), "chosen": chosen,
                                     "n_features": len(features)}))
        mlflow.set_tags({"git_commit": git_commit(), "data_fingerprint": fingerprint(X.reset_index())})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if np.isfinite(v)})
        mlflow.log_dict(thresholds, "thresholds.json")
        mlflow.log_text(bt.to_csv(index=False), "backtest.csv")
        mlflow.log_text(warnings.to_csv(index=False), "warnings_latest.csv")
        _plots(bt, model, X[known], catalog)
        with tempfile.TemporaryDirectory() as tmp:
            save_early_warning(model, Path(tmp))
            example = X[known].head(3)
            out = pd.DataFrame({"probability": model.probability(example),
                                "level": level_of(model.probability(example), thresholds).astype(str)},
                               index=example.index)
            info = mlflow.pyfunc.log_model(
                name="model", python_model=str(MODEL_CODE["early_warning"]), artifacts={"early_warning": tmp},
                signature=infer_signature(example.reset_index(drop=True), out.reset_index(drop=True)),
                input_example=example.reset_index(drop=True), registered_model_name=cfg.registered_name)
        version = str(info.registered_model_version) if info.registered_model_version is not None else None
        champion = bool(version) and promote_if_better(MlflowClient(), cfg.registered_name, version,
                                                      cfg.selection_metric, metrics[cfg.selection_metric])
        mlflow.set_tag("champion", str(champion))
    if store is not None:
        store.replace_table("early_warnings", warnings.assign(run_id=run.info.run_id))
    return EarlyWarningSummary(run.info.run_id, chosen, metrics, thresholds, bt, warnings, model, version, champion)


def _plots(bt: pd.DataFrame, model: EarlyWarningModel, X: pd.DataFrame, catalog: Catalog) -> None:
    # calibration: observed share of worsenings per bin of the out-of-period calibrated probability
    fig = Figure(figsize=(5, 4.5))
    ax = fig.subplots()
    ok = bt["p_out_of_period"].notna()
    b = bt[ok]
    if len(b):
        bins = np.unique(np.quantile(b["p_out_of_period"], np.linspace(0, 1, 9)))
        groups = b.groupby(pd.cut(b["p_out_of_period"], bins, include_lowest=True), observed=True)
        ax.plot(groups["p_out_of_period"].mean(), groups["y"].mean(), marker="o", color="#1f3b73",
                label="Backtest (Kalibrierung ohne die Testperiode)")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="ideal")
    ax.set_xlabel("vorhergesagte Wahrscheinlichkeit")
    ax.set_ylabel("beobachteter Anteil Verschlechterungen")
    ax.set_title("Kalibrierung der Frühwarnung")
    ax.legend(fontsize=7)
    _log_figure(fig, "calibration.png")
    # SHAP summary: mean |φ| per dimension and for the 15 strongest features
    sample = X.iloc[np.random.default_rng(0).choice(len(X), min(len(X), 300), replace=False)]
    phi = model.shap(sample)
    dims = by_dimension(phi.abs(), catalog).mean().sort_values()
    names = {d: catalog.dimensions[d].name if d in catalog.dimensions else INDEX_GROUP_NAME for d in dims.index}
    top = phi.abs().mean().sort_values().tail(15)
    fig = Figure(figsize=(11, 5))
    a1, a2 = fig.subplots(1, 2)
    a1.barh([names[d] for d in dims.index], dims.to_numpy(), color="#c8553d")
    a1.set_title("mittlerer |SHAP-Beitrag| je Dimension", fontsize=9)
    a2.barh([feature_label(f, catalog)[:45] for f in top.index], top.to_numpy(), color="#1f3b73")
    a2.set_title("stärkste Merkmale", fontsize=9)
    for a in (a1, a2):
        a.tick_params(labelsize=7)
    _log_figure(fig, "shap_summary.png")


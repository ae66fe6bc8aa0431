"""Training runs, each one MLflow run: an LVQ classifier of region profiles, and the typology.

Every run logs its resolved configuration, the git commit, a fingerprint of its input data, metrics,
plots with German indicator names, and the model (a pyfunc with signature and input example) under a
registered name; a run that beats the current ``champion`` on the configured metric takes the alias.

The classifier run chooses the LVQ model's settings by nested cross-validation and compares it with logistic
regression and a random forest on the same folds (:mod:`models.lvq_selection`); the typology run chooses its
method as well as its number of types (:func:`models.typology.choose_method`).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score, adjusted_rand_score, recall_score, silhouette_score,
)
from sklearn.base import clone

from ml.catalog import Catalog
from ml.columns import MODEL, column
from ml.config import Settings
from ml.tracking import figure, job_run, log_figure, log_provenance, register
from experiments.assignments import predict_frame, stored_classes, stored_types
from experiments.run_inputs import (  # noqa: F401 (TrainingError, RunSummary, training_frame: this module's API)
    RunSummary, TrainingError, plain_indicators, require_two_inputs, training_frame, training_period, typology_period,
)
from experiments.classifier_run import (
    TargetError, classifier_plots, comparison_markdown, holds_own, index_twin_notes, indicator_target,
    log_interpretation, metric_key, rejection_plot, served_choice, served_sentence, target_text, unit_scale_of, verdict,
)
from models.class_contrasts import typical_profiles
from models.lvq_interpret import (
    diagonal_rows, direction_profile, relevance_profile, subsampled_refits, subsampled_relevance,
)
from models.lvq_selection import (
    IMBALANCE, SelectedLVQ, balanced_accuracy, baselines, compare, later_period, rejection_curve, relevance_stability,
    share_to_reject,
)
from models.packaging import MODEL_CODE, save_classifier, save_lvq, save_typology
from models.typology import METHODS, Typology, choose_method, structure_check, structure_sentence


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


LVQ_NAMES = {"glvq": "GLVQ", "gmlvq": "GMLVQ", "lgmlvq": "LGMLVQ"}
WORKERS = 2
"""Processes that score the settings of an inner cross-validation."""


def _lvq(cfg, kind: str, y: pd.Series) -> SelectedLVQ:
    """The LVQ candidate ``kind`` as the run fits it: its settings chosen by inner cross-validation (``select``), or
    the configured ones (a one-setting search, which still calibrates on held-out margins)."""
    grid = cfg.search
    if not cfg.select:
        counts = y.value_counts()
        weight = {"none": None, "auto": "balanced" if counts.max() > IMBALANCE * counts.min() else None}.get(
            cfg.class_weight, cfg.class_weight)
        grid = {"prototypes_per_class": [cfg.prototypes_per_class], "class_weight": [weight]}
        if kind != "glvq":
            grid["regularization"] = [cfg.regularization]
    elif grid is not None and kind == "glvq":
        grid = {k: v for k, v in grid.items() if k not in ("rank", "regularization")}
    return SelectedLVQ(kind, grid=grid, folds=cfg.cv_folds, beta=cfg.beta, random_state=cfg.seed, n_jobs=WORKERS)


def _labelled(profiles, model_matrix, catalog, settings, values, period, features, target_indicator):
    """Inputs and target of one period: X (regions × features), y (text), the features kept and their names."""
    cfg = settings.training.classifier
    X, features, names = training_frame(profiles, model_matrix, catalog, settings, period, features)
    if target_indicator:
        if cfg.target in features:
            raise TrainingError(f"the target indicator {cfg.target!r} cannot be one of the features")
        try:
            y = indicator_target(profiles, values, catalog, period, cfg.target, cfg.target_groups).reindex(X.index)
        except TargetError as exc:
            raise TrainingError(str(exc)) from None
    else:
        y = _target(profiles, period, cfg.target, settings).reindex(X.index)
    keep = y.notna()
    return X[keep], y[keep].astype(str), features, names


def _check_periods(profiles: pd.DataFrame, period: str, wanted: str | None) -> list[str]:
    """The earlier periods the later-period check may fit on, the first usable one taken: ``wanted``, or with
    'auto' every period before ``period``, latest first (none: no check)."""
    if wanted is None or wanted.lower() == "none":
        return []
    earlier = sorted((p for p in set(profiles["period"].astype(str)) if p < period), reverse=True)
    if wanted.lower() != "auto":
        if wanted not in earlier:
            raise TrainingError(f"check_period {wanted!r} is not a period before {period}; earlier: "
                                f"{', '.join(sorted(earlier)) or 'none'}")
        return [wanted]
    return earlier


def train_classifier(profiles: pd.DataFrame, model_matrix: pd.DataFrame, catalog: Catalog,
                     settings: Settings, store=None, values: pd.DataFrame | None = None,
                     progress=None) -> RunSummary:
    """The classifier job: ``training.classifier`` on the profiles of one period (``profiles`` with
    ``region_id``, ``period`` and the target column; ``model_matrix`` with ``region_id``, ``period`` and the
    model columns), its settings chosen by nested cross-validation, compared with the usual classifiers on the
    same folds and, where an earlier period has the target, fitted on that period and judged on this one. The
    LVQ model is served only where it holds its own in both; otherwise the classifier that wins is (``serve``).
    Logged and registered in MLflow. ``values`` (the feature values: region_id, period, indicator_id, value) put
    the prototypes into the indicators' units. With a ``store`` and the run taking the ``champion`` alias, the
    served model's class of every region and period, with the nearest other class and why, is written to its
    ``classes`` table. ``progress(done, total)`` follows the cross-validation's fits."""
    cfg = settings.training.classifier
    target_indicator = (cfg.target not in profiles.columns and cfg.target != "planted_type"
                        and cfg.target in catalog)
    # the thirds of an indicator or the planted types need no status index (a county of census tables)
    period = training_period(profiles, cfg.period, needs_index=not target_indicator and cfg.target != "planted_type",
                             instead="; or classify the regions by the thirds of an indicator: "
                                     "training.classifier.target: its id")
    features = cfg.features
    if target_indicator and features is None:
        _, all_features, _ = training_frame(profiles, model_matrix, catalog, settings, period, None)
        features = [f for f in all_features if f != cfg.target]
    X, y, features, names = _labelled(profiles, model_matrix, catalog, settings, values, period, features,
                                      target_indicator)
    by_default = cfg.features is None
    twins, max_index_r, twin_ids = index_twin_notes(X, profiles, period, cfg.target, dict(zip(features, names)),
                                                    leave_out=by_default)
    if by_default and twin_ids:      # a default input that is the status index again is left out, not learned from
        X, y, features, names = _labelled(profiles, model_matrix, catalog, settings, values, period,
                                          [f for f in features if f not in twin_ids], target_indicator)
    require_two_inputs("classifier", features, period, by_default,
                       [i for i in plain_indicators(model_matrix, catalog, period) if i != cfg.target]
                       if len(features) < 2 else [],
                       "training.classifier.features", index=settings.features.index.status_indicators,
                       why=f" (left out as nearly the status index: {', '.join(twin_ids)})" if twin_ids else "")
    counts = y.value_counts()
    if len(counts) < 2:
        raise TrainingError(f"target {cfg.target!r} has fewer than two classes in {period}")
    folds = int(min(cfg.cv_folds, counts.min()))
    if folds < 2:
        raise TrainingError(
            f"class {counts.idxmin()!r} has a single region in {period} ({', '.join(f'{c} {n}' for c, n in counts.items())}"
            f" of {len(y)} regions); the cross-validation needs two per class, so a classifier of these classes "
            "cannot be checked here (the Sozialraumtypen group the regions without classes: sozialradar train "
            "typology)")
    notes = [] if folds == cfg.cv_folds else [f"{folds}-fold CV (smallest class has {counts.min()} regions)"]

    Xn, yn = X.to_numpy(), y.to_numpy()
    name = LVQ_NAMES[cfg.model]
    candidates = {name: _lvq(cfg, cfg.model, y)}
    if cfg.compare:
        for kind in ("gmlvq", "lgmlvq"):
            candidates.setdefault(LVQ_NAMES[kind], _lvq(cfg, kind, y))
        candidates.update(baselines(cfg.seed))
    comparison = compare(Xn, yn, candidates, folds=folds, repeats=cfg.repeats, seed=cfg.seed, progress=progress)
    classes = list(comparison.classes)
    y_idx = np.searchsorted(classes, yn)
    proba = comparison.proba[name]
    nearest = comparison.classes[proba.argmax(axis=1)]
    rejected = (proba.max(axis=1) < cfg.reject_threshold) if cfg.reject_threshold else np.zeros(len(yn), bool)
    pred = np.where(rejected, "abgelehnt", nearest).astype(object)
    decided = ~rejected
    metrics = {
        "cv_accuracy": float(accuracy_score(yn[decided], pred[decided].astype(str))) if decided.any() else 0.0,
        "cv_balanced_accuracy": balanced_accuracy(yn[decided], pred[decided].astype(str))
        if decided.any() else 0.0,
        "cv_reject_rate": float(rejected.mean()),
        "cv_log_loss": float(-np.log(np.clip(proba[np.arange(len(yn)), y_idx], 1e-15, 1)).mean()),
        "cv_brier": float(((proba - np.eye(len(classes))[y_idx]) ** 2).sum(axis=1).mean()),
        "n_regions": float(len(yn)), "n_features": float(len(features)), "cv_folds": float(folds),
        "max_feature_index_correlation": max_index_r,
    }
    recalls = recall_score(yn[decided], pred[decided].astype(str), labels=classes, average=None, zero_division=0)
    metrics.update({f"cv_recall_{c.replace(' ', '_')}": float(r) for c, r in zip(classes, recalls)})
    table = comparison.table
    for row in table.itertuples():
        key = metric_key(row.model)
        metrics.update({f"cmp.{key}.{m}": float(getattr(row, m)) for m in ("accuracy", "balanced_accuracy",
                                                                             "macro_f1", "log_loss")})
    share = share_to_reject(proba, yn, comparison.classes, cfg.reject_accuracy)
    metrics[f"reject_share_for_{round(100 * cfg.reject_accuracy)}"] = float("nan") if share is None else share
    relevances = [relevance_profile(m.model_) for m in comparison.fitted[name]]
    if relevances and relevances[0] is not None and len(relevances) > 1:
        metrics["relevance_rank_correlation"] = relevance_stability(relevances)
        metrics["relevance_rank_correlation_top5"] = relevance_stability(relevances, top=5)
        # the direction profile of each fold's model, read on the same regions
        profiles_ = [direction_profile(m.model_, Xn) for m in comparison.fitted[name]]
        metrics["direction_rank_correlation"] = relevance_stability(profiles_)
        metrics["direction_rank_correlation_top5"] = relevance_stability(profiles_, top=5)
        # each fold's chosen setting refitted on half-samples of that fold's training part
        subsampled = [subsampled_relevance(m.model_, Xn[train], yn[train], n=cfg.relevance_subsamples, seed=cfg.seed)
                      for m, (train, _) in zip(comparison.fitted[name], comparison.splits)]
        if all(r is not None for r in subsampled):
            means = [r.mean(axis=0) for r in subsampled]
            metrics["relevance_subsampled_rank_correlation"] = relevance_stability(means)
            metrics["relevance_subsampled_rank_correlation_top5"] = relevance_stability(means, top=5)
    checks = _check_periods(profiles, period, cfg.check_period) if cfg.compare else []
    later, check = _later_table(candidates, profiles, model_matrix, catalog, settings, values, checks, X, y,
                                features, target_indicator, notes)
    if not checks and cfg.compare and str(cfg.check_period).lower() == "auto":
        notes.append(f"no later-period check: no period before {period}")
    judged = verdict(table, name)
    judged_on, basis = [table], "in der Kreuzvalidierung"
    if later is not None:
        for row in later.itertuples():
            metrics.update({f"later.{metric_key(row.model)}.{m}": float(getattr(row, m))
                            for m in ("accuracy", "balanced_accuracy", "macro_f1", "log_loss")})
        judged += " " + verdict(later, name, f"Mit {check} angepasst, auf {period} geprüft: ")
        judged_on.append(later)
        basis += f" und auf der späteren Periode {period} (angepasst mit {check})"
    served = name if cfg.serve == "lvq" else served_choice(judged_on, name)
    if len(table) > 1:
        judged += " " + served_sentence(name, served, basis, not all(holds_own(t, name) for t in judged_on),
                                        isinstance(candidates[served], SelectedLVQ))
    notes += [judged, *twins]

    selected = clone(candidates[name]).fit(Xn, yn)
    final = selected.model_
    served_model = final
    if served != name:
        served_model = clone(candidates[served]).fit(Xn, yn)
        if isinstance(served_model, SelectedLVQ):     # the LVQ model its selection chose
            served_model = served_model.model_
    served_row = table.set_index("model").loc[served]
    metrics.update({f"served.{m}": float(served_row[m]) for m in ("accuracy", "balanced_accuracy", "log_loss")})
    # the champion is judged on the served model's figure where the metric is one of them (cv_x → served.x)
    champion_metric = f"served.{cfg.champion_metric[3:]}"
    champion_metric = champion_metric if champion_metric in metrics else cfg.champion_metric
    metrics["calibration_slope"] = float(final.calibration_slope_)
    scale = unit_scale_of(values, profiles, period, features, catalog)
    typical = typical_profiles(Xn, yn, served_model.classes_)
    with job_run(settings.tracking.uri, cfg.experiment, f"{cfg.model}-{period}") as run:
        log_provenance(settings, X.assign(target=y), {"classifier": cfg.model_dump(mode="json"), "period": period})
        mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
        mlflow.log_params({f"selected_{k}": "voll" if v is None and k == "rank" else v
                           for k, v in selected.best_params_.items()})
        mlflow.log_params({"served_model": served, "check_period": check or "–"})
        mlflow.set_tag("vergleich", " ".join([judged, *twins]))
        mlflow.log_text(comparison_markdown(table, cfg.repeats), "vergleich.md")
        if later is not None:
            mlflow.log_text(comparison_markdown(later, 1).replace(
                "über 1 Wiederholung(en) der Kreuzvalidierung", f"angepasst mit {check}, geprüft auf {period}"),
                "spaetere_periode.md")
        mlflow.log_text(comparison.runs.to_csv(index=False), "vergleich_wiederholungen.csv")
        mlflow.log_text(selected.search_.to_csv(index=False), "auswahl.csv")
        per_fold = pd.DataFrame([m.best_params_ for m in comparison.fitted[name]])
        mlflow.log_text(per_fold.to_csv(index_label="fold"), "auswahl_je_fold.csv")
        curve = rejection_curve(proba, yn, comparison.classes)
        mlflow.log_text(curve.to_csv(index=False), "rueckweisung.csv")
        rejection_plot(curve, cfg.reject_accuracy, share)
        refits = subsampled_refits(final, Xn, yn, n=cfg.relevance_subsamples, seed=cfg.seed)
        relevance, relevance_table = log_interpretation(final, Xn, features, names, scale, refits)
        classifier_plots(final, X, y, names, classes, yn, pred, decided,
                         diagonal_rows(refits) if refits else None, relevance)
        with tempfile.TemporaryDirectory() as tmp:
            if hasattr(served_model, "prototypes_"):
                artifacts = {"lvq": save_lvq(served_model, features, Path(tmp))}
            else:
                artifacts = {"classifier": save_classifier(served_model, features, Path(tmp), served, typical)}
            version, champion, reason = register(MODEL_CODE["lvq"], {k: str(v) for k, v in artifacts.items()}, X.head(3),
                                         predict_frame(served_model, X.head(3)), cfg.registered_name,
                                         champion_metric, metrics[champion_metric])
    tables = {"vergleich": table, "wiederholungen": comparison.runs, "rueckweisung": curve,
              "auswahl": selected.search_, "auswahl_je_fold": per_fold}
    if later is not None:
        tables["spaetere_periode"] = later
    if relevance_table is not None:
        tables["relevanz"] = relevance_table
    summary = RunSummary(run.info.run_id, metrics, version, champion, notes, tables, served, reason, relevance)
    if store is not None and champion:
        stamp = _stamp(summary, cfg.registered_name, {"classifier": cfg.model_dump(mode="json"), "period": period,
                                                      "inputs": list(features)})
        lvq_served = hasattr(served_model, "prototypes_")
        store.replace_table("classes", stored_classes(served_model, features, model_matrix, profiles, names, scale,
                                                      typical).assign(
            model=served, served_by=served, lvq_served=lvq_served, comparison=judged,
            target=target_text(cfg.target, catalog, period, cfg.target_groups, target_indicator),
            relevance=relevance if lvq_served else None, **stamp))
    return summary


def _later_table(candidates: dict, profiles, model_matrix, catalog, settings, values, checks: list[str],
                 X: pd.DataFrame, y: pd.Series, features: list[str], target_indicator: bool,
                 notes: list[str]) -> tuple[pd.DataFrame | None, str | None]:
    """Every candidate fitted on the first period of ``checks`` that has the target in two classes of at least two
    regions each, and judged on the run's period (``X``, ``y``) on the features both periods know; the table
    and that period, or (None, None) with a note where none can be fitted on."""
    reasons = []
    for check in checks:
        try:
            Xe, ye, kept, _ = _labelled(profiles, model_matrix, catalog, settings, values, check, features,
                                        target_indicator)
        except TrainingError as exc:
            reasons.append(f"{check}: {exc}")
            continue
        counts = ye.value_counts()
        if len(counts) < 2 or counts.min() < 2:
            reasons.append(f"{check}: {len(counts)} class(es), the smallest with "
                           f"{counts.min() if len(counts) else 0} region(s)")
            continue
        common = [f for f in features if f in kept]
        if len(common) < len(features):
            notes.append(f"later-period check on {len(common)} of {len(features)} features (the others are unknown "
                         f"in {check})")
        return later_period(Xe[common].to_numpy(), ye.to_numpy(), X[common].to_numpy(), y.to_numpy(),
                            candidates), check
    if reasons:
        notes.append("no later-period check: " + "; ".join(reasons))
    return None, None


def _stamp(summary: RunSummary, registered_name: str, settings: dict) -> dict:
    return {"run_id": summary.run_id, "registered_name": registered_name, "model_version": summary.model_version,
            "settings": json.dumps(settings, ensure_ascii=False, default=str)}


def train_typology(profiles: pd.DataFrame, model_matrix: pd.DataFrame, catalog: Catalog,
                   settings: Settings, previous: Typology | None = None,
                   store=None) -> tuple[RunSummary, Typology, dict[int, str]]:
    """The typology job: ``training.typology`` on the model matrix of one period, logged and registered in
    MLflow; returns the run, the fitted typology and its German type descriptions (type → text). With a
    ``store`` and the run taking the ``champion`` alias, the type of every region and period is written to
    its ``types`` table."""
    cfg = settings.training.typology
    period, notes = typology_period(profiles, model_matrix, catalog, settings)
    X, features, names = training_frame(profiles, model_matrix, catalog, settings, period, cfg.features)
    plain = plain_indicators(model_matrix, catalog, period) if cfg.features is None and len(features) < 3 else []
    require_two_inputs("typology", features, period, cfg.features is None, plain, "training.typology.features",
                       why=": types from one indicator are only its value ranges",
                       index=settings.features.index.status_indicators)
    if cfg.features is None and len(features) < 3:
        left_out = [i for i in settings.features.index.status_indicators if column(MODEL, i) in model_matrix.columns
                    and model_matrix.loc[model_matrix["period"] == period, column(MODEL, i)].notna().any()]
        notes.append(f"the types rest on {len(features)} indicator(s) with a direction ({', '.join(features)})"
                     + (f"; the status index's indicators are left out by default ({', '.join(left_out)}): name "
                        "them under training.typology.features to type the regions by them too" if left_out else "")
                     + (f"; indicators without a direction have values here ({', '.join(plain)}): name the ones "
                        "that describe the regions under training.typology.features" if plain else ""))
    if len(X) <= cfg.k_min:
        raise TrainingError(f"{len(X)} complete profiles in {period}; the typology needs more than k_min={cfg.k_min}")
    if previous is not None and previous.n_features_in_ != X.shape[1]:
        raise TrainingError(f"the previous typology used {previous.n_features_in_} features, {period} has {X.shape[1]}; "
                            "type numbers can only be carried over on the same indicators")
    methods = METHODS if cfg.method == "auto" else (cfg.method,)
    try:
        model, method_table = choose_method(X.to_numpy(), methods, cfg.k_min, cfg.k_max, cfg.seed, previous)
    except ValueError as exc:
        raise TrainingError(str(exc)) from None
    orientation = np.array([catalog[f].polarity or 1 for f in features])
    descriptions = model.describe(names, orientation=orientation)
    metrics = {"n_types": float(model.n_types_), "n_regions": float(len(X)),
               "silhouette": float(silhouette_score(X.to_numpy(), model.labels_)),
               **{f"silhouette_{r.method}": float(r.silhouette) for r in method_table.itertuples()}}
    # groups, or a continuum cut into sections? the same choice on data without groups is the simple rival
    check = structure_check(X.to_numpy(), metrics["silhouette"], methods, cfg.k_min, cfg.k_max, random_state=cfg.seed)
    metrics.update({"silhouette_reference_mean": check["reference_mean"],
                    "silhouette_reference_max": check["reference_max"], "structure_p_value": check["p_value"]})
    structure = structure_sentence(check)
    if not check["distinct"]:
        notes.append("the regions form no distinct groups: typologies of data without groups, with each "
                     "indicator's distribution and their rank correlations, separate as well (silhouette "
                     f"{metrics['silhouette']:.2f}, references {check['reference_mean']:.2f} on average, up to "
                     f"{check['reference_max']:.2f}); the types cut a continuum, and the region pages say so")
    if settings.training.ground_truth is not None:
        truth = json.loads(Path(settings.training.ground_truth).read_text(encoding="utf-8"))
        planted = pd.Series({g["region_id"]: g["type"] for g in truth["gemeinden"]}).reindex(X.index)
        ok = planted.notna().to_numpy()
        metrics["ari_planted_types"] = float(adjusted_rand_score(planted[ok], model.labels_[ok]))
    with job_run(settings.tracking.uri, cfg.experiment, f"{model.method}-{period}") as run:
        log_provenance(settings, X, {"typology": cfg.model_dump(mode="json"), "period": period})
        mlflow.log_metrics(metrics)
        mlflow.log_params({"chosen_method": model.method, "chosen_n_types": model.n_types_})
        mlflow.log_text(method_table.rename(columns={"method": "Verfahren", "n_types": "Typen",
                                                     "silhouette": "Silhouette", "chosen": "gewählt"}).to_csv(
            index=False), "methodenwahl.csv")
        mlflow.log_metrics({f"criterion_k{k}": v for k, v in model.scores_.items()})
        mlflow.log_dict({str(k): v for k, v in descriptions.items()}, "typen.json")
        mlflow.set_tags({"distinct_types": str(check["distinct"]).lower(), "struktur": structure})
        fig, ax = figure(max(6, 0.3 * len(names)), 2 + 0.5 * model.n_types_)
        im = ax.imshow(model.prototypes_ * orientation, aspect="auto", cmap="RdBu_r", vmin=-2, vmax=2)
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
        ax.set_yticks(range(model.n_types_), [f"Typ {t}" for t in range(1, model.n_types_ + 1)])
        ax.set_title("Typprofile (z-Werte, Richtung des Indikators)")
        fig.colorbar(im, ax=ax)
        log_figure(fig, "plots/typprofile.png")
        with tempfile.TemporaryDirectory() as tmp:
            save_typology(model, features, descriptions, Path(tmp))
            example = X.head(3)
            output = pd.DataFrame({"type": model.predict(example.to_numpy()),
                                   "description": [descriptions[t] for t in model.predict(example.to_numpy())]},
                                  index=example.index)
            version, champion, reason = register(MODEL_CODE["typology"], {"typology": tmp}, example, output,
                                         cfg.registered_name, cfg.champion_metric, metrics[cfg.champion_metric])
    summary = RunSummary(run.info.run_id, metrics, version, champion, notes, champion_reason=reason)
    if store is not None and champion:
        store.replace_table("types", stored_types(model, features, descriptions, model_matrix, profiles).assign(
            model=model.method, structure=structure, distinct=check["distinct"],
            **_stamp(summary, cfg.registered_name, {"typology": cfg.model_dump(mode="json"), "period": period,
                                                    "inputs": list(features)})))
    return summary, model, descriptions

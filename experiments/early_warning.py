"""The early-warning job, one MLflow run: per horizon, the rolling backtest of every candidate (the two rules
among them), the champion by out-of-sample average precision, fitted on all known transitions, every region
and period explained; the models registered, the warnings with their explanations written to the store.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from features.warning_inputs import basis_breaks, build_warning_inputs, edition_step
from ml.catalog import Catalog
from ml.columns import MODEL, ids
from ml.config import Settings
from ml.tracking import fingerprint, flat_params, git_commit, job_run, log_figure, register
from models.early_warning import (
    MODEL_LABELS, RULES, WARNING_LEVELS, BacktestConfig, EarlyWarningError, EarlyWarningModel,
    backtest, choose_champion, evaluate, explain, fit_final, lead_times, level_record, make_transitions,
    missing_inputs, planted_goal, out_of_time, ranking, reliability, served_over_time,
)
from models.explanations import (basis_note, by_dimension, feature_label, group_name, missing_inputs_note,
                                 years_ahead)
from models.packaging import MODEL_CODE, save_early_warning
from models.warning_candidates import INDEX_COLUMNS


@dataclass
class HorizonResult:
    """One horizon's outcome: backtests and metrics of every candidate, the champion, the served model, its
    warnings and SHAP values."""
    horizon: int
    chosen: str
    metrics: dict[str, dict[str, float]]       # candidate → out-of-sample figures
    out_of_time: dict[str, dict[str, float]]   # candidate → figures of the last test period alone
    backtests: dict[str, pd.DataFrame]         # candidate → out-of-sample rows (p, level)
    model: EarlyWarningModel
    warnings: pd.DataFrame                     # every region and period: probability, level, sentence …
    shap: pd.DataFrame                         # long: region_id, period, feature, contribution
    planted: dict[str, float] = field(default_factory=dict)
    served: pd.DataFrame = field(default_factory=pd.DataFrame)  # each test period: the champion then vs the rule

    @property
    def backtest(self) -> pd.DataFrame:
        """The champion's backtest rows."""
        return self.backtests[self.chosen]


@dataclass
class EarlyWarningSummary:
    """The early-warning run: its id, the result per horizon, the horizons skipped with why, the registered version
    and whether it became champion."""
    run_id: str
    horizons: dict[int, HorizonResult]
    skipped: dict[int, str]                    # horizons without an out-of-sample test, with the reason
    model_version: str | None
    champion: bool
    champion_reason: str = ""
    untested: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The skipped horizons with their reason, known transitions, worsenings, the worsenings a test needs, and the
    worsenings by the year they end in."""

    @property
    def first(self) -> HorizonResult:
        """The result of the shortest horizon."""
        return self.horizons[min(self.horizons)]

    def latest(self) -> pd.DataFrame:
        """The warnings of the latest period, every horizon."""
        frames = [r.warnings.assign(horizon=h) for h, r in self.horizons.items()]
        w = pd.concat(frames, ignore_index=True)
        return w[w["period"] == w["period"].max()].reset_index(drop=True)


def warning_indicators(model_matrix: pd.DataFrame, catalog: Catalog) -> list[str]:
    """Indicators with a direction (polarity) that the model matrix holds: the early-warning features."""
    return [i for i in ids(model_matrix.columns, MODEL) if i in catalog and catalog[i].polarity != 0]


def early_warning_inputs(profiles: pd.DataFrame, model_matrix: pd.DataFrame, catalog: Catalog,
                         settings: Settings) -> pd.DataFrame:
    """The features step's early-warning inputs (as the features job writes them to the store)."""
    return build_warning_inputs(profiles, model_matrix, warning_indicators(model_matrix, catalog),
                                settings.features.index.status_thresholds)


def _planted(bt: pd.DataFrame, settings: Settings) -> dict[str, float]:
    """With a synthetic county's ground truth: the share of its planted deteriorating Gemeinden that the
    backtest flags at 'beobachten' or higher in one of the three periods before their onset, and the
    out-of-sample precision at that level."""
    path = settings.training.ground_truth
    if path is None or not Path(path).exists():
        return {}
    onsets = {d["region_id"]: int(d["onset_year"])
              for d in json.loads(Path(path).read_text(encoding="utf-8")).get("deteriorating", [])}
    tested = set(bt["region_id"])
    onsets = {r: o for r, o in onsets.items() if r in tested}
    if not onsets:
        return {}
    hit, precision = planted_goal(bt, onsets)
    return {"planted_deteriorations": float(len(onsets)), "planted_flagged_before_onset": float(len(hit)),
            "planted_flagged_before_onset_share": len(hit) / len(onsets), "planted_precision_beobachten": precision}


def train_early_warning(profiles: pd.DataFrame, model_matrix: pd.DataFrame, values: pd.DataFrame, catalog: Catalog,
                        settings: Settings, store=None, inputs: pd.DataFrame | None = None,
                        progress=None) -> EarlyWarningSummary:
    """Backtest, choose, fit, explain and register the early warning for every configured horizon.

    ``inputs`` are the early-warning inputs the features job wrote (computed from the profiles when None).
    ``progress`` is called with a short German text per step.
    """
    cfg = settings.training.early_warning
    say = progress or (lambda text: None)
    if inputs is None:
        inputs = early_warning_inputs(profiles, model_matrix, catalog, settings)
    step = edition_step(profiles)
    horizons = cfg.horizons or [step, 2 * step]
    bcfg = BacktestConfig(candidates=list(cfg.candidates), outcome=cfg.outcome, delta=cfg.delta, features=cfg.features,
                          targets={"beobachten": cfg.precision_watch, "Warnung": cfg.precision_warning,
                                   "akut": cfg.precision_acute},
                          index_columns=INDEX_COLUMNS, calibration_folds=cfg.calibration_folds,
                          confidence=cfg.level_confidence, seed=cfg.seed, n_jobs=cfg.n_jobs)
    results: dict[int, HorizonResult] = {}
    skipped: dict[int, str] = {}
    counts: dict[int, tuple[int, int]] = {}          # horizon without a backtest → (known transitions, worsenings)
    ending: dict[int, str] = {}                      # … and its worsenings by the year they end in ('2017: 9')
    for h in horizons:
        T = make_transitions(inputs, h, cfg.outcome, cfg.delta)
        counts[h] = (int(T.known.sum()), int(T.y[T.known].sum()))
        if T.known.sum() == 0:
            skipped[h] = f"no transition over {h} years has an outcome yet"
            continue
        say(f"{years_ahead(h)} voraus: Rückblick über {int(T.year[T.known].nunique())} Perioden, "
            f"{len(cfg.candidates)} Kandidaten")
        try:
            marks = set()

            def fold_done(done: int, total: int, h=h, marks=marks) -> None:
                quarter = 4 * done // total          # a line at each quarter of the folds
                if quarter not in marks and quarter > 0:
                    marks.add(quarter)
                    say(f"{years_ahead(h)} voraus: Rückblick {done} von {total} Perioden")

            bts = backtest(T, bcfg, progress=fold_done)
        except EarlyWarningError as exc:
            skipped[h] = str(exc)
            ending[h] = ", ".join(f"{year}: {n}" for year, n in sorted(exc.ending.items()))
            continue
        metrics = {k: evaluate(bt, cfg.k_share, cfg.bootstrap, cfg.seed) for k, bt in bts.items()}
        for k, bt in bts.items():
            leads = lead_times(bt, bt["level"].isin(WARNING_LEVELS), h)
            metrics[k]["mean_lead_time"] = float(np.mean(leads)) if leads else float("nan")
        chosen = choose_champion(metrics)
        served = served_over_time(bts, h)
        model = fit_final(T, chosen, bcfg, metrics, cfg.background_size, served)
        last = max(T.X.index.get_level_values("period").astype(str)[T.known.to_numpy()])
        for said in (basis_note([(a, b) for a, b in basis_breaks(inputs) if b > last]),
                     missing_inputs_note(missing_inputs(model, T, values, catalog), catalog)):
            model.note = f"{model.note} {said}" if said else model.note
        say(f"{years_ahead(h)} voraus: {MODEL_LABELS[chosen]} gewählt; Erklärungen für {len(T.X)} Gebiete und "
            "Perioden")
        warnings, shap = explain(model, T.X, values, catalog, settings.features.dynamics_periods, step)
        results[h] = HorizonResult(h, chosen, metrics, {k: out_of_time(bt) for k, bt in bts.items()}, bts, model,
                                   warnings, shap, _planted(bts[chosen], settings), served)
    untested = pd.DataFrame({"horizon": pd.Series(list(skipped), dtype="int64"),
                             "reason": pd.Series(list(skipped.values()), dtype="string"),
                             "transitions": pd.Series([counts[h][0] for h in skipped], dtype="int64"),
                             "worsenings": pd.Series([counts[h][1] for h in skipped], dtype="int64"),
                             "needed": pd.Series([bcfg.min_positives] * len(skipped), dtype="int64"),
                             "ending": pd.Series([ending.get(h, "") for h in skipped], dtype="string")})
    if not results:
        withdrawn = _withdraw(store, untested) if store is not None else None
        raise EarlyWarningError("no horizon allows an out-of-sample test: "
                                + "; ".join(f"{h} years: {why}" for h, why in skipped.items())
                                + ("" if withdrawn is None else "; the early warning of the training before"
                                   + (f" (model version {withdrawn})" if withdrawn else "") + " is no longer served"))
    return _track_and_store(results, untested, inputs, settings, catalog, store)


def _withdraw(store, untested: pd.DataFrame) -> str | None:
    """Store the refusal (``early_warning_refused``): the page and the service say why there is no warning, not
    that nobody trained one. Warnings of an earlier training stay in the store but are no longer served — they
    rest on data or settings the last training could not test; the refusal says so (``withdrawn``, with their
    model version where registered). Returns that version ('' when unregistered), None when there were none."""
    version = None
    if "early_warning_models" in store.tables():
        versions = store.table("early_warning_models")["model_version"].dropna().astype(str)
        version = versions.iloc[0] if len(versions) else ""
    store.replace_table("early_warning_refused", untested.assign(
        refused_at=pd.Timestamp.now().floor("s"), withdrawn=version is not None,
        withdrawn_version=pd.Series([version or ""] * len(untested), dtype="string", index=untested.index)))
    return version


def _flat_metrics(results: dict[int, HorizonResult]) -> dict[str, float]:
    out: dict[str, float] = {}
    for h, r in results.items():
        for k, m in r.metrics.items():
            out.update({f"h{h}.{k}.{name}": v for name, v in m.items()})
        if len(r.served):
            out.update({f"h{h}.served_then.{c}": float(r.served[c].mean()) for c in (
                "roc_auc", "average_precision", "rule_roc_auc", "rule_average_precision")})
            out[f"h{h}.served_then.periods"] = float(len(r.served))
        for k, m in r.out_of_time.items():
            out.update({f"h{h}.{k}.out_of_time.{name}": v for name, v in m.items() if name != "period"})
        out.update({f"h{h}.{name}": v for name, v in r.metrics[r.chosen].items()})
        out.update({f"h{h}.{name}": v for name, v in r.planted.items()})
        out[f"h{h}.rule_served"] = float(r.chosen in RULES)
        for level, t in r.model.levels.thresholds.items():
            if t is not None:
                out[f"h{h}.threshold_{level}"] = t
    return out


def _track_and_store(results: dict[int, HorizonResult], untested: pd.DataFrame, inputs: pd.DataFrame,
                     settings: Settings, catalog: Catalog, store) -> EarlyWarningSummary:
    cfg = settings.training.early_warning
    skipped = dict(zip(untested["horizon"].astype(int), untested["reason"].astype(str)))
    metrics = _flat_metrics(results)
    first = results[min(results)]
    # the registry compares runs on the first horizon's average precision within the test periods (as the
    # champion is chosen); the pooled figures are logged beside it
    metrics["average_precision"] = first.metrics[first.chosen]["average_precision"]
    metrics["roc_auc"] = first.metrics[first.chosen]["roc_auc"]
    metrics["period_average_precision"], metrics["period_roc_auc"] = ranking(first.metrics[first.chosen])
    models = {h: r.model for h, r in results.items()}
    features = sorted({f for m in models.values() for f in m.features} | {"worst_class"})
    with job_run(settings.tracking.uri, cfg.experiment,
                 "early-warning-" + "-".join(f"h{h}-{r.chosen}" for h, r in results.items())) as run:
        mlflow.log_dict(settings.resolved(), "config.json")
        mlflow.log_params(flat_params({"early_warning": cfg.model_dump(mode="json"),
                                     "horizons": ",".join(map(str, results)),
                                     **{f"chosen_h{h}": r.chosen for h, r in results.items()}}))
        mlflow.set_tags({"git_commit": git_commit(), "data_fingerprint": fingerprint(inputs),
                         **{f"note_h{h}": r.model.note for h, r in results.items()},
                         **{f"skipped_h{h}": why[:500] for h, why in skipped.items()}})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if np.isfinite(v)})
        for h, r in results.items():
            mlflow.log_dict({"thresholds": r.model.levels.thresholds, "unavailable": r.model.levels.reasons,
                             "levels": level_record(r.model.levels, r.metrics[r.chosen])}, f"levels_h{h}.json")
            mlflow.log_text(comparison_table(r).to_csv(index=False), f"comparison_h{h}.csv")
            mlflow.log_text(backtest_rows(r).to_csv(index=False), f"backtest_h{h}.csv")
            mlflow.log_text(r.served.to_csv(index=False), f"served_then_h{h}.csv")
            _plots(r, inputs, catalog)
        with tempfile.TemporaryDirectory() as tmp:
            save_early_warning(models, Path(tmp))
            example = first.model.background.reindex(columns=features).head(3).reset_index(drop=True)
            out = pd.DataFrame({f"probability_h{h}": m.probability(example) for h, m in models.items()}
                               | {f"level_h{h}": m.levels.of(m.probability(example)).astype(str)
                                  for h, m in models.items()})
            version, champion, reason = register(MODEL_CODE["early_warning"], {"early_warning": tmp}, example, out,
                                         cfg.registered_name, "period_average_precision",
                                         metrics["period_average_precision"])
    summary = EarlyWarningSummary(run.info.run_id, results, skipped, version, champion, reason, untested)
    if store is not None:
        write_warnings(store, summary, cfg.registered_name)
    return summary


def write_warnings(store, summary: EarlyWarningSummary, registered_name: str) -> None:
    """The served answers: warnings with sentences and drivers, SHAP values, and per horizon the model, its
    levels and the note on what was chosen — each stamped with run, registered model and version."""
    stamp = {"run_id": summary.run_id, "registered_name": registered_name, "model_version": summary.model_version}
    warnings, shap, models = [], [], []
    for h, r in summary.horizons.items():
        m = r.model
        warnings.append(r.warnings.assign(horizon=h, model=m.kind, model_label=m.label, rule=m.is_rule, **stamp))
        shap.append(r.shap.assign(horizon=h))
        chosen = r.metrics[r.chosen]
        models.append({"horizon": h, "model": m.kind, "model_label": m.label, "rule": m.is_rule,
                       "outcome": m.outcome, "note": m.note,
                       "thresholds": json.dumps(m.levels.thresholds), "unavailable": json.dumps(m.levels.reasons,
                                                                                               ensure_ascii=False),
                       "levels": json.dumps(level_record(m.levels, chosen), ensure_ascii=False),
                       "roc_auc": chosen["roc_auc"], "average_precision": chosen["average_precision"],
                       "period_roc_auc": ranking(chosen)[1], "period_average_precision": ranking(chosen)[0],
                       "comparison": comparison_table(r).to_json(orient="records", force_ascii=False), **stamp})
    store.replace_table("early_warnings", pd.concat(warnings, ignore_index=True))
    store.replace_table("early_warning_shap", pd.concat(shap, ignore_index=True))
    store.replace_table("early_warning_models", pd.DataFrame(models))
    # a horizon the data allow no backtest for is said so on the page, not left out without a word
    store.replace_table("early_warning_skipped", summary.untested.assign(**stamp))
    store.drop_table("early_warning_refused")


def backtest_rows(r: HorizonResult) -> pd.DataFrame:
    """Every candidate's out-of-sample rows of one horizon in one table (``candidate`` column), as the run logs
    them (``backtest_h<h>.csv``) and ``benchmarks/champion_criterion.py`` reads them."""
    return pd.concat([bt.assign(candidate=k) for k, bt in r.backtests.items()], ignore_index=True)


def save_backtests(summary: EarlyWarningSummary, folder: Path, prefix: str = "") -> list[Path]:
    """The backtest rows of every horizon as ``<prefix>backtest_h<h>.csv`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for h, r in summary.horizons.items():
        out.append(folder / f"{prefix}backtest_h{h}.csv")
        backtest_rows(r).to_csv(out[-1], index=False)
    return out


def comparison_table(r: HorizonResult) -> pd.DataFrame:
    """Every candidate side by side: out-of-sample AUC and AP with 90 % intervals, pooled over the test periods and
    within each (averaged: what the champion is chosen by), Brier, ECE, precision per level, and the out-of-time
    figures of the last test period."""
    rows = []
    for k, m in r.metrics.items():
        oot = r.out_of_time.get(k, {})
        rows.append({"candidate": k, "label": MODEL_LABELS[k], "rule": k in RULES, "chosen": k == r.chosen,
                     **{name: m.get(name, np.nan) for name in (
                         "roc_auc", "roc_auc_lo", "roc_auc_hi", "average_precision", "average_precision_lo",
                         "average_precision_hi", "period_roc_auc", "period_roc_auc_lo", "period_roc_auc_hi",
                         "period_average_precision", "period_average_precision_lo", "period_average_precision_hi",
                         "brier", "ece", "precision_beobachten", "recall_beobachten",
                         "precision_Warnung", "precision_akut", "flagged_beobachten", "n_transitions",
                         "positive_rate", "n_test_periods")},
                     "out_of_time_period": oot.get("period", np.nan), "out_of_time_roc_auc": oot.get("roc_auc", np.nan),
                     "out_of_time_average_precision": oot.get("average_precision", np.nan)})
    return pd.DataFrame(rows)


def _plots(r: HorizonResult, inputs: pd.DataFrame, catalog: Catalog) -> None:
    h = r.horizon
    # reliability: observed share of worsenings per bin of the out-of-sample probability, every candidate
    fig = Figure(figsize=(5.5, 4.8))
    ax = fig.subplots()
    for k, bt in r.backtests.items():
        rel = reliability(bt["p"], bt["y"])
        ax.plot(rel["p_mean"], rel["observed"], marker="o", label=f"{MODEL_LABELS[k]}" + (" (gewählt)" if k == r.chosen
                                                                                          else ""),
                linewidth=2.2 if k == r.chosen else 1, alpha=1 if k == r.chosen else 0.6)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="ideal")
    ax.set_xlabel("vorhergesagte Wahrscheinlichkeit (außerhalb der Stichprobe)")
    ax.set_ylabel("beobachteter Anteil Verschlechterungen")
    ax.set_title(f"Verlässlichkeit der Frühwarnung, {h} Jahre voraus", fontsize=9)
    ax.legend(fontsize=6)
    log_figure(fig, f"reliability_h{h}.png")
    # SHAP summary of the chosen model: mean |φ| per dimension and for the 15 strongest features
    phi = r.shap.pivot_table(index=["region_id", "period"], columns="feature", values="contribution")
    if phi.empty:
        return
    dims = by_dimension(phi.abs(), catalog).mean().sort_values()
    names = {d: group_name(d, catalog) for d in dims.index}
    top = phi.abs().mean().sort_values().tail(15)
    fig = Figure(figsize=(11, 5))
    a1, a2 = fig.subplots(1, 2)
    a1.barh([names[d] for d in dims.index], dims.to_numpy(), color="#c8553d")
    a1.set_title("mittlerer |SHAP-Beitrag| je Dimension", fontsize=9)
    a2.barh([feature_label(f, catalog)[:45] for f in top.index], top.to_numpy(), color="#1f3b73")
    a2.set_title(f"stärkste Merkmale ({MODEL_LABELS[r.chosen]})", fontsize=9)
    for a in (a1, a2):
        a.tick_params(labelsize=7)
    log_figure(fig, f"shap_summary_h{h}.png")

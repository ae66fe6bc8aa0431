"""The ``/scenario`` answer: a region with changed indicator values scored by the champion models loaded from the
registry — the status index and class (the features job's rule, its standardisation held fixed), the classifier
champion's class with probabilities, and per horizon the early-warning champion's probability, level and exact
SHAP explanation with a German sentence. See :mod:`models.scenario` for how a change is carried through."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ml.columns import MODEL, PROB, column, columns, ids
from ml.config import Settings
from models.early_warning import explain
from models.scenario import Scenario, ScenarioError, apply_changes, build_inputs, check_range
from serving.scenario_schemas import ScenarioAnswer, ScenarioRequest, ScenarioStatus, ScenarioValue, ScenarioWarning
from serving.schemas import finite
from serving.state import NotReady, Snapshot, withheld

NOTE = ("Szenario: nur die genannten Werte dieses Gebiets ändern sich; alle anderen Gebiete und die Maßstäbe der "
        "Standardisierung (Mittel und Streuung der Vergleichsgebiete) bleiben wie veröffentlicht.")


def ready(snap: Snapshot) -> None:
    """:class:`NotReady` unless the store's inputs and the early-warning champion are loaded."""
    if snap.warning_inputs is None or snap.edition_step is None:
        raise NotReady("the store holds no early-warning inputs: run 'sozialradar features'")
    if snap.warning_model is None:
        raise NotReady("no early-warning champion loaded (still loading, or run 'sozialradar train early-warning')")


def new_values(snap: Snapshot, request: ScenarioRequest, period: str) -> dict[str, float]:
    """Indicator → new value of a request (a ``change`` added to the published value), range-checked;
    :class:`ScenarioError` naming the field for an unknown region or indicator, a withheld or unpublished
    value, or a new value outside the catalog's range."""
    profile = snap.profiles[(snap.profiles["region_id"] == request.region_id)
                            & (snap.profiles["period"].astype(str) == period)]
    if profile.empty:
        raise ScenarioError(f"no profile of region {request.region_id!r} in {period}", "region_id", request.region_id)
    if withheld(profile.iloc[0]):
        raise ScenarioError(f"the values of region {request.region_id!r} in {period} are withheld (too few "
                            "residents or suppressed cells): no scenario", "region_id", request.region_id)
    own = _period_values(snap, period)
    own = own[own["region_id"] == request.region_id].set_index("indicator_id")
    out = {}
    for k, c in enumerate(request.changes):
        field = f"changes[{k}]"
        if c.indicator_id not in snap.catalog:
            raise ScenarioError(f"unknown indicator {c.indicator_id!r}", f"{field}.indicator_id", c.indicator_id)
        published = own["value"].get(c.indicator_id) if c.indicator_id in own.index else None
        if published is None or own.at[c.indicator_id, "flag"] == "suppressed" or not np.isfinite(published):
            raise ScenarioError(f"region {request.region_id!r} has no published value of {c.indicator_id!r} in "
                                f"{period} to change", f"{field}.indicator_id", c.indicator_id)
        after = c.value if c.value is not None else float(published) + c.change
        try:
            check_range({c.indicator_id: after}, snap.catalog)
        except ScenarioError as exc:
            raise ScenarioError(str(exc), f"{field}.{'value' if c.value is not None else 'change'}",
                                c.value if c.value is not None else c.change) from None
        out[c.indicator_id] = float(after)
    return out


def period_of(snap: Snapshot, period: str | None) -> str:
    """The asked period, or the latest with early-warning inputs."""
    if period is not None:
        return str(period)
    return str(snap.warning_inputs["period"].astype(str).max())


def answer(snap: Snapshot, settings: Settings, request: ScenarioRequest) -> ScenarioAnswer:
    """One scenario computed with the snapshot's champions (see the module docstring)."""
    return answer_batch(snap, settings, [request])[0]


def answer_batch(snap: Snapshot, settings: Settings, requests: list[ScenarioRequest]) -> list[ScenarioAnswer]:
    """Several scenarios at once: each carried through on its own, the early-warning models and their SHAP
    values evaluated once over all of them (one call per horizon)."""
    ready(snap)
    idx = settings.features.index
    labels = dict(enumerate(idx.status_labels, start=1))
    names = snap.regions.set_index("region_id")["name"]
    scenarios = []
    for request in requests:
        period = period_of(snap, request.period)
        changes = new_values(snap, request, period)
        scenarios.append(apply_changes(
            _values(snap, period, settings.features.dynamics_periods), snap.profiles, snap.model_matrix,
            snap.warning_inputs, request.region_id, period, changes, thresholds=idx.status_thresholds,
            status_indicators=idx.status_indicators, dynamics_indicators=idx.dynamics_indicators,
            dynamics_periods=settings.features.dynamics_periods, build=False))
    build_inputs(scenarios, snap.warning_inputs, idx.status_thresholds)
    warnings = _warnings(snap, settings, scenarios)
    out = []
    for k, (request, sc) in enumerate(zip(requests, scenarios)):
        status = ScenarioStatus(index_before=finite(sc.status_before), index_after=finite(sc.status_after),
                                class_before=labels.get(sc.class_before), class_after=labels.get(sc.class_after),
                                **_classified(snap, sc))
        out.append(ScenarioAnswer(
            region_id=sc.region_id, name=str(names.get(sc.region_id, sc.region_id)), period=sc.period,
            changes=[ScenarioValue(indicator_id=r.indicator_id, name=snap.catalog[r.indicator_id].name,
                                   unit=snap.catalog[r.indicator_id].unit, before=r.before, after=r.after)
                     for r in sc.changes.itertuples()],
            status=status, warnings=[w[k] for w in warnings], model_version=snap.versions.get("warning_model"),
            note=NOTE))
    return out


def _period_values(snap: Snapshot, period: str) -> pd.DataFrame:
    """The feature values of one period (cached per snapshot: every scenario request is checked against it)."""
    key = ("period-values", period)
    if key not in snap.frames:
        v = snap.values
        snap.frames[key] = v[v["period"].astype(str) == period]
    return snap.frames[key]


def _values(snap: Snapshot, period: str, dynamics_periods: int) -> pd.DataFrame:
    """The feature values of ``period`` and of the dynamics period before it (cached per snapshot): what a
    scenario reads of its block and region."""
    key = ("scenario-values", period)
    if key not in snap.frames:
        v = snap.values
        years = {period, str(int(period[:4]) - dynamics_periods)}
        snap.frames[key] = v[v["period"].astype(str).isin(years)].assign(period=lambda f: f["period"].astype(str))
    return snap.frames[key]


def _classified(snap: Snapshot, sc: Scenario) -> dict:
    model = snap.classifier
    if model is None:
        return {}
    cols = columns(MODEL, model.features)
    row = sc.matrix_row.reindex(cols).astype(float)
    if row.isna().any():
        return {}
    frame = pd.DataFrame([row.to_numpy()], columns=model.features)
    out = model.predict(None, frame).iloc[0]
    return {"prediction": str(out["prediction"]),
            "probabilities": {k: float(out[column(PROB, k)]) for k in ids(out.index, PROB)},
            "classifier_version": snap.versions.get("classifier")}


def _warnings(snap: Snapshot, settings: Settings, scenarios: list[Scenario]) -> list[list[ScenarioWarning]]:
    """Per horizon, the answers of every scenario (in order). The rows are keyed ``<k>`` (their position), so
    that two scenarios of the same region stay apart; each brings its own changed values for the sentences."""
    keys = [str(k) for k in range(len(scenarios))]
    before_all = pd.concat([sc.inputs_before.reset_index().assign(region_id=k) for k, sc in zip(keys, scenarios)])
    after_all = pd.concat([sc.inputs_after.reset_index().assign(region_id=k) for k, sc in zip(keys, scenarios)])
    values = pd.concat([sc.values.assign(region_id=k) for k, sc in zip(keys, scenarios)], ignore_index=True)
    before_all, after_all = (f.set_index(["region_id", "period"]) for f in (before_all, after_all))
    out = []
    for h, model in sorted(snap.warning_model.models.items()):
        cols = [*model.features, "worst_class"]    # the worst class cannot get worse: probability 0 there
        before = before_all.reindex(columns=cols).astype(float)
        after = after_all.reindex(columns=cols).astype(float)
        p_before = model.probability(before)
        frame, long = explain(model, after, values, snap.catalog, settings.features.dynamics_periods,
                              snap.edition_step)
        level_before = model.levels.of(p_before)
        answers = []
        for k, key in enumerate(keys):
            row = frame.iloc[k]
            phi = long[long["region_id"] == key]
            answers.append(ScenarioWarning(
                horizon=int(h), probability_before=float(p_before[k]), probability_after=float(row["probability"]),
                level_before=str(level_before[k]), level_after=str(row["level"]), sentence=str(row["sentence"]),
                drivers=json.loads(row["drivers"]),
                shap={str(f): float(c) for f, c in zip(phi["feature"], phi["contribution"])},
                base=finite(row["base"]), score=float(row["score"])))
        out.append(answers)
    return out

"""What the training jobs store for the service: the served classifier's class of every region and period it may
assign (with the nearest other class and why), and the typology's type of each."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ml.columns import IMPUTED, MODEL, PROB, column, columns, id_of
from ml.contracts import withheld_profiles
from models.class_contrasts import probability_contrasts
from models.lvq_interpret import region_contrasts
from models.typology import Typology


def complete_rows(features: list[str], model_matrix: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """Rows of the model matrix (region_id, period, the features' values) that a model may assign: every
    feature known, and the region-year's values not withheld (:func:`withheld`)."""
    cols = columns(MODEL, features)
    if any(c not in model_matrix.columns for c in cols):
        return pd.DataFrame(columns=["region_id", "period", *features])
    m = model_matrix.dropna(subset=cols)
    m = m.loc[~withheld(profiles, m, features), ["region_id", "period", *cols]].reset_index(drop=True)
    m.columns = ["region_id", "period", *features]
    return m


def withheld(profiles: pd.DataFrame, rows: pd.DataFrame, features: list[str]) -> np.ndarray:
    """Per row of the model matrix ``rows``: whether the region-year's values are withheld, so that no model may
    learn from or assign it — every one of ``features`` imputed in place of a suppressed value (a small area), or
    the profile withheld (:func:`ml.contracts.withheld_profiles`, the service's rule too)."""
    flags = [column(IMPUTED, f) for f in features]
    imputed = (rows[flags].fillna(True).astype(bool).all(axis=1).to_numpy()
               if flags and set(flags) <= set(rows.columns) else np.zeros(len(rows), dtype=bool))
    key = pd.MultiIndex.from_frame(rows[["region_id", "period"]])
    profile = profiles.set_index(["region_id", "period"]).reindex(key)
    return imputed | withheld_profiles(profile)


def stored_classes(model, features: list[str], model_matrix: pd.DataFrame, profiles: pd.DataFrame,
                   names: list[str] | None = None, scale: pd.DataFrame | None = None,
                   typical: np.ndarray | None = None) -> pd.DataFrame:
    """The fitted classifier applied to every region and period it may assign: ``region_id``, ``period``,
    ``prediction``, ``probabilities`` (JSON: class → probability), ``next_class`` and ``why`` (German: what keeps
    the region from it, in units where ``scale`` knows them). An LVQ model answers from its prototypes (the class
    of the nearest prototype of another class; :func:`models.lvq_interpret.region_contrasts`), any other
    classifier from its probabilities and the classes' ``typical`` profiles (class × feature, in the model's class
    order; :func:`models.class_contrasts.probability_contrasts`)."""
    rows = complete_rows(features, model_matrix, profiles)
    if rows.empty:
        return pd.DataFrame(columns=["region_id", "period", "prediction", "probabilities", "next_class", "why"])
    out = predict_frame(model, rows[features])
    probs = out.drop(columns="prediction")
    classes = [id_of(c, PROB) for c in probs.columns]
    X = rows[features].to_numpy(dtype=float)
    if hasattr(model, "prototypes_"):
        contrasts = region_contrasts(model, X, names or features, scale=scale, features=features,
                                     predicted=out["prediction"].to_numpy())
    else:
        if typical is None:
            raise ValueError("a classifier without prototypes needs the classes' typical profiles")
        contrasts = probability_contrasts(model, X, typical, names or features, scale=scale, features=features)
    return pd.DataFrame({"region_id": rows["region_id"], "period": rows["period"].astype(str),
                         "prediction": out["prediction"].to_numpy(),
                         "probabilities": [json.dumps(dict(zip(classes, map(float, r))), ensure_ascii=False)
                                           for r in probs.to_numpy()],
                         "next_class": contrasts["next_class"].to_numpy(), "why": contrasts["why"].to_numpy()})


def stored_types(model: Typology, features: list[str], descriptions: dict[int, str], model_matrix: pd.DataFrame,
                 profiles: pd.DataFrame) -> pd.DataFrame:
    """The fitted typology applied to every region and period it may assign: ``region_id``, ``period``,
    ``type`` (1 …) and its German ``description``."""
    rows = complete_rows(features, model_matrix, profiles)
    types = model.predict(rows[features].to_numpy()) if len(rows) else np.array([], dtype=int)
    return pd.DataFrame({"region_id": rows["region_id"], "period": rows["period"].astype(str),
                         "type": types.astype(int), "description": [descriptions[int(t)] for t in types]})


def predict_frame(model, frame: pd.DataFrame) -> pd.DataFrame:
    """``prediction`` and ``p_<class>`` of a fitted classifier per row of ``frame`` (the features as columns)."""
    X = frame.to_numpy(dtype=float)
    out = pd.DataFrame(model.predict_proba(X), columns=columns(PROB, model.classes_), index=frame.index)
    out.insert(0, "prediction", model.predict(X).astype(str))
    return out

"""Why a region is not in the next class, for any classifier with class probabilities.

The LVQ models answer from their prototypes (:func:`models.lvq_interpret.region_contrasts`). A classifier without
prototypes — logistic regression, a random forest, served where it was more accurate than the LVQ model — answers
here the same question the same way: the class it finds second most probable is the next class, and the
indicators that keep the region from it are those whose change to the next class's typical value (the median of
that class's regions in training) would raise the next class's probability most."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.lvq_interpret import names_list, value_against


def typical_profiles(X: np.ndarray, y: np.ndarray, classes) -> np.ndarray:
    """Per class of ``classes`` (rows, in that order) the median of its rows of ``X`` (NaN where a class has
    none)."""
    X, y = np.asarray(X, dtype=float), np.asarray(y).astype(str)
    out = np.full((len(classes), X.shape[1]), np.nan)
    for k, c in enumerate(classes):
        rows = X[y == str(c)]
        if len(rows):
            out[k] = np.median(rows, axis=0)
    return out


def probability_contrasts(model, X: np.ndarray, profiles: np.ndarray, names: list[str], top: int = 3,
                          scale: pd.DataFrame | None = None, features: list[str] | None = None) -> pd.DataFrame:
    """Per row of ``X`` (z-values): ``own_class`` (the most probable class of ``model.predict_proba``),
    ``next_class`` (the second most probable), ``p_own``, ``p_next`` and ``why`` — German: the ``top`` indicators
    whose change to the next class's typical value (``profiles``: class × feature, in ``model.classes_`` order)
    raises the next class's probability most, with the region's value and the typical one (in units where
    ``scale`` knows them). A model with one class answers no next class."""
    X = np.asarray(X, dtype=float)
    classes = np.asarray(model.classes_).astype(str)
    n, d = X.shape
    if n == 0:
        return pd.DataFrame(columns=["own_class", "next_class", "p_own", "p_next", "why"])
    P = model.predict_proba(X)
    order = np.argsort(-P, axis=1, kind="stable")
    own, nxt = order[:, 0], order[:, 1] if len(classes) > 1 else order[:, 0]
    rows = np.arange(n)
    gain = np.zeros((n, d))
    target = profiles[nxt]                      # the next class's typical value, per row and feature
    for k in range(d):
        Xk = X.copy()
        known = np.isfinite(target[:, k])
        Xk[known, k] = target[known, k]
        gain[:, k] = model.predict_proba(Xk)[rows, nxt] - P[rows, nxt]
    out = []
    for i in range(n):
        next_label = classes[nxt[i]]
        idx = [k for k in np.argsort(-gain[i], kind="stable")[:top] if gain[i, k] > 1e-9]
        parts = [value_against(names[k], X[i, k], target[i, k], scale, features[k] if features is not None else None,
                               "statt typisch") for k in idx]
        if len(classes) < 2:
            why = "Das Modell kennt nur eine Klasse."
        elif parts:
            why = f"Zur Klasse „{next_label}“ trennt vor allem: {names_list(parts)}."
        else:
            why = f"Kein einzelner Indikator rückt das Gebiet näher an die Klasse „{next_label}“."
        out.append({"own_class": classes[own[i]], "next_class": next_label if len(classes) > 1 else None,
                    "p_own": float(P[i, own[i]]), "p_next": float(P[i, nxt[i]]), "why": why})
    return pd.DataFrame(out)

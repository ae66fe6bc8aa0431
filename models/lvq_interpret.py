"""What a fitted LVQ model says, in words and units a planner reads.

- :func:`relevance_sentence`: the indicators that count most for the classification ("Für die Einordnung zählen
  vor allem …"), from the diagonal of Λ or, stable where indicators are correlated, from :func:`direction_profile`
  (each indicator's correlation with the directions Λ separates the classes by).
- :func:`subsampled_relevance`: the diagonal of Λ of the model's setting refitted on many half-samples — what the
  model relies on, not what one fit happened to pick among correlated indicators — with its spread
  (:func:`subsampled_refits` keeps the refits, so that the sentence can say which leading indicators hold their
  place across them, :func:`leading_shares`).
- :func:`leading_directions`: the leading eigen-directions of Λ, each with its share of the relevance and the
  indicators that load on it.
- :func:`prototype_profiles`: the prototypes in the indicators' own units (back from z-values).
- :func:`region_contrasts`: per region, the nearest prototype of its own class and of the next class, and the
  indicators that keep it from the next class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.formatting import de as de_number


def relevance_matrix(model) -> np.ndarray | None:
    """Λ of a GMLVQ model, the mean of the prototypes' Λⱼ of an LGMLVQ model, None for GLVQ."""
    if hasattr(model, "lambda_"):
        return model.lambda_
    if hasattr(model, "lambdas_"):
        return model.lambdas_.mean(axis=0)
    return None


def relevance_profile(model) -> np.ndarray | None:
    """The diagonal of :func:`relevance_matrix` (sums to 1), or None."""
    lam = relevance_matrix(model)
    return None if lam is None else np.diag(lam).copy()


def direction_profile(model, X: np.ndarray) -> np.ndarray | None:
    """How strongly each indicator goes along with the directions Λ separates the classes by: Σₖ λₖ·corr(xⱼ, zₖ)²
    over the eigen-directions zₖ = X·vₖ of Λ (eigenvalues λₖ), as shares summing to 1; None for GLVQ.

    The structure correlations of discriminant analysis. Unlike the diagonal of Λ, which may put the weight of a
    group of correlated indicators on any one of them, they give every indicator of such a group its part, so
    the order stays put when the data change a little (the cross-validation folds)."""
    lam = relevance_matrix(model)
    if lam is None:
        return None
    X = np.asarray(X, dtype=float)
    values, vectors = np.linalg.eigh(lam)
    keep = values > 1e-9 * max(values.max(), 1e-300)
    Z = X @ vectors[:, keep]
    Xc, Zc = X - X.mean(axis=0), Z - Z.mean(axis=0)
    sx, sz = np.sqrt((Xc ** 2).sum(axis=0)), np.sqrt((Zc ** 2).sum(axis=0))
    corr = (Xc.T @ Zc) / np.maximum(np.outer(sx, sz), 1e-300)
    score = (corr ** 2 * values[keep][None, :]).sum(axis=1)
    return score / score.sum() if score.sum() > 0 else score


SUBSAMPLES = 25
"""Refits behind :func:`subsampled_relevance` (its 10–90 % band rests on them)."""


def subsampled_refits(model, X, y, n: int = SUBSAMPLES, share: float = 0.5, seed: int = 0) -> list | None:
    """``model``'s setting refitted on ``n`` stratified subsamples holding ``share`` of the regions, each with its own
    start; None for GLVQ, for ``n`` < 1 and where a class has too few regions to be split."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedShuffleSplit

    if n < 1 or relevance_matrix(model) is None:
        return None
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    try:
        splits = list(StratifiedShuffleSplit(n, train_size=share, random_state=seed).split(X, y))
    except ValueError:          # a class with a single region, or too few regions for every class in a half
        return None
    return [clone(model).set_params(random_state=seed + 1 + i).fit(X[part], y[part])
            for i, (part, _) in enumerate(splits)]


def diagonal_rows(refits: list) -> np.ndarray:
    """The relevance profile (diagonal of :func:`relevance_matrix`, summing to 1) of each refit, one row per refit."""
    rows = [np.diag(relevance_matrix(refit)) for refit in refits]
    return np.asarray([d / d.sum() for d in rows])


def subsampled_relevance(model, X, y, n: int = SUBSAMPLES, share: float = 0.5, seed: int = 0) -> np.ndarray | None:
    """The relevance profile of ``model``'s setting refitted on ``n`` stratified subsamples holding ``share`` of the
    regions (:func:`subsampled_refits`), one row per refit; its mean is the relevance profile with the spread of
    what one fit would show. None for GLVQ, for ``n`` < 1 and where a class has too few regions to be split.

    Where indicators are correlated, one fit of Λ may put the weight of the group on any one of them, so the
    diagonal of a single model changes its order with a little change in the data. Averaged over half-samples
    (subagging) the weight is shared the way the data support, and the order stays put."""
    refits = subsampled_refits(model, X, y, n=n, share=share, seed=seed)
    return None if refits is None else diagonal_rows(refits)


STEADY = 0.5
"""An indicator leads steadily where it is among the leading ones in at least this share of the refits."""


def leading_shares(rows: np.ndarray, top: int = 3) -> np.ndarray:
    """For each indicator, the share of ``rows`` (one profile per refit) in which it is among the ``top`` largest
    (ties go to the indicator listed first)."""
    rows = np.asarray(rows, dtype=float)
    ranks = np.argsort(np.argsort(-rows, axis=1, kind="stable"), axis=1)
    return (ranks < top).mean(axis=0)


def names_list(items: list[str]) -> str:
    """German enumeration: 'a', 'a und b', 'a, b und c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " und " + items[-1]


def value_against(name: str, region_v: float, other_v: float, scale: pd.DataFrame | None, feature: str | None,
                  other_word: str = "statt") -> str:
    """'SGB-II-Quote (12,3 statt 4,1)': a region's value against another class's (a prototype's, or its typical
    value), both z-values turned into the indicator's unit where ``scale`` knows ``feature``."""
    if scale is not None and feature is not None and feature in scale.index and np.isfinite(scale.at[feature, "scale"]):
        region_v, other_v = to_units(scale, feature, region_v), to_units(scale, feature, other_v)
        return f"{name} ({de_number(region_v, 1)} {other_word} {de_number(other_v, 1)})"
    return f"{name} (z {de_number(region_v, 1)} {other_word} {de_number(other_v, 1)})"


def relevance_sentence(relevance: np.ndarray, names: list[str], top: int = 3, of: str = "der Relevanz",
                       rows: np.ndarray | None = None) -> str:
    """"Für die Einordnung zählen vor allem A (31 %), B (18 %) und C (12 %); zusammen 61 % der Relevanz." The
    shares are a profile summing to 1: the diagonal of Λ, or :func:`direction_profile` (``of`` names it).

    With ``rows`` (the same profile of refits on subsamples, :func:`subsampled_refits`) the sentence names as
    leading only the first indicators that are each among the ``top`` in at least half of the refits
    (:data:`STEADY`). The rest of the ``top`` and the next one are named as close together, their order changing
    with the regions the model learns from; where the first does not lead steadily, the sentence says that no
    indicator counts clearly more than the others."""
    relevance = np.asarray(relevance, dtype=float)
    order = np.argsort(relevance)[::-1]

    def listed(indices) -> str:
        return names_list([f"{names[i]} ({de_number(100 * relevance[i], 0)} %)" for i in indices])

    head = list(order[:top])
    steady = head
    if rows is not None and len(rows) > 1:
        shares = leading_shares(rows, top)
        held = [shares[i] >= STEADY for i in head] + [False]
        steady = head[:held.index(False)]
    if len(steady) == len(head):
        total = 100 * relevance[head].sum()
        return (f"Für die Einordnung zählen vor allem {listed(head)}; zusammen "
                f"{de_number(total, 0)} % {of}.")
    close = [i for i in order[:top + 1] if i not in steady]
    if not steady:
        total = 100 * relevance[close].sum()
        return (f"Kein Indikator zählt für die Einordnung deutlich mehr als die anderen: vorn liegen {listed(close)} "
                f"in wechselnder Reihenfolge, je nachdem aus welchen Gebieten das Modell lernt; zusammen "
                f"{de_number(total, 0)} % {of} von {len(relevance)} Indikatoren.")
    return (f"Für die Einordnung zählen vor allem {listed(steady)}; dahinter liegen {listed(close)} so nah "
            f"beieinander, dass ihre Reihenfolge wechselt, je nachdem aus welchen Gebieten das Modell lernt.")


DIRECTIONS = "des Zusammenhangs mit den trennenden Richtungen"
"""How :func:`relevance_sentence` names the :func:`direction_profile`."""


def leading_directions(lam: np.ndarray, names: list[str], k: int = 2, top: int = 3) -> list[dict]:
    """The ``k`` leading eigen-directions of Λ: {'share' (of the trace), 'loadings' [(name, weight)] of the
    ``top`` indicators by absolute weight, 'text' (German)}. The sign of a direction is arbitrary; it is turned
    so that its largest loading is positive."""
    values, vectors = np.linalg.eigh(lam)
    order = np.argsort(values)[::-1][:k]
    total = max(values.clip(min=0).sum(), 1e-300)
    out = []
    for n, i in enumerate(order, start=1):
        v = vectors[:, i]
        if v[np.argmax(np.abs(v))] < 0:
            v = -v
        idx = np.argsort(np.abs(v))[::-1][:top]
        loadings = [(names[j], float(v[j])) for j in idx]
        share = float(max(values[i], 0) / total)
        high = [nm for nm, w in loadings if w > 0]
        low = [nm for nm, w in loadings if w < 0]
        text = f"Richtung {n} ({de_number(100 * share, 0)} % der Relevanz): hoch bei {names_list(high)}"
        text += f", niedrig bei {names_list(low)}." if low else "."
        out.append({"direction": n, "share": share, "loadings": loadings, "text": text})
    return out


def unit_scale(values: pd.DataFrame, z: pd.DataFrame) -> pd.DataFrame:
    """Per indicator the line value = centre + scale · z, fitted by least squares over the rows where both are
    known (exact when one reference group was standardised; the pooled line otherwise). ``values`` and ``z``:
    regions × indicators on the same index. Returns columns ``centre``, ``scale`` (NaN where too few rows)."""
    rows = {}
    for col in z.columns:
        v = values[col] if col in values else pd.Series(np.nan, index=z.index)
        ok = v.notna() & z[col].notna()
        if ok.sum() < 2 or z[col][ok].std() == 0:
            rows[col] = (np.nan, np.nan)
            continue
        slope, intercept = np.polyfit(z[col][ok].to_numpy(float), v[ok].to_numpy(float), 1)
        rows[col] = (intercept, slope)
    return pd.DataFrame(rows, index=["centre", "scale"]).T


def to_units(scale: pd.DataFrame, feature: str, z: float) -> float:
    """A z-value in the indicator's unit by ``scale`` (columns centre, scale, optionally lo and hi: the range the
    indicator can take, e.g. 0–100 % for a share; a prototype may lie beyond it, and is shown at its edge)."""
    value = float(scale.at[feature, "centre"] + scale.at[feature, "scale"] * z)
    lo = scale.at[feature, "lo"] if "lo" in scale.columns else np.nan
    hi = scale.at[feature, "hi"] if "hi" in scale.columns else np.nan
    if np.isfinite(lo):
        value = max(value, float(lo))
    if np.isfinite(hi):
        value = min(value, float(hi))
    return value


def prototype_profiles(model, features: list[str], names: list[str], scale: pd.DataFrame | None) -> pd.DataFrame:
    """One row per prototype (class, number) and one column per indicator (German name): the prototype in the
    indicator's unit where ``scale`` (from :func:`unit_scale`) knows it (:func:`to_units`), its z-value otherwise."""
    rows = []
    counter: dict[str, int] = {}
    for w, c in zip(model.prototypes_, model.prototype_labels_):
        label = str(model.classes_[c])
        counter[label] = counter.get(label, 0) + 1
        row = {"Klasse": label, "Prototyp": counter[label]}
        for f, name, z in zip(features, names, w):
            if scale is not None and f in scale.index and np.isfinite(scale.at[f, "scale"]):
                row[name] = to_units(scale, f, z)
            else:
                row[f"{name} (z)"] = float(z)
        rows.append(row)
    return pd.DataFrame(rows)


def _contributions(model, x: np.ndarray, j: int) -> np.ndarray:
    """Per indicator, its part of the distance (x − wⱼ)ᵀΛⱼ(x − wⱼ) (the parts sum to the distance)."""
    diff = x - model.prototypes_[j]
    if hasattr(model, "lambdas_"):
        lam = model.lambdas_[j]
    elif hasattr(model, "lambda_"):
        lam = model.lambda_
    else:
        return diff ** 2
    return diff * (lam @ diff)


def region_contrasts(model, X: np.ndarray, names: list[str], top: int = 3,
                     scale: pd.DataFrame | None = None, features: list[str] | None = None,
                     predicted=None) -> pd.DataFrame:
    """Per row of ``X`` (z-values): ``own_class`` (the ``predicted`` class where given and known to the model, the
    class of the nearest prototype otherwise), ``next_class`` (the class of the nearest prototype of any other
    class), the distances to the nearest prototype of each, ``relative_gap`` (d_next − d_own)/(d_next + d_own), and
    ``why`` — German: the ``top`` indicators whose distance to the next class's prototype most exceeds that to its
    own class's, with the region's value and the prototype's (in units where ``scale`` knows them)."""
    D = model.prototype_distances(X)
    labels = model.prototype_labels_
    known = {str(c): k for k, c in enumerate(model.classes_)}
    out = []
    for i, x in enumerate(X):
        own_j = int(D[i].argmin())
        if predicted is not None and str(predicted[i]) in known:
            mine = np.flatnonzero(labels == known[str(predicted[i])])
            own_j = int(mine[D[i, mine].argmin()])
        other = np.flatnonzero(labels != labels[own_j])
        next_j = int(other[D[i, other].argmin()])
        gap = _contributions(model, x, next_j) - _contributions(model, x, own_j)
        idx = [k for k in np.argsort(gap)[::-1][:top] if gap[k] > 0]
        next_label = str(model.classes_[labels[next_j]])
        parts = [value_against(names[k], x[k], model.prototypes_[next_j][k], scale,
                               features[k] if features is not None else None) for k in idx]
        d_own, d_next = float(D[i, own_j]), float(D[i, next_j])
        why = (f"Zur Klasse „{next_label}“ trennt vor allem: {names_list(parts)}." if parts else
               f"Die Klasse „{next_label}“ liegt fast gleich nah.")
        out.append({"own_class": str(model.classes_[labels[own_j]]), "next_class": next_label,
                    "distance_own": d_own, "distance_next": d_next,
                    "relative_gap": (d_next - d_own) / max(d_next + d_own, 1e-300), "why": why})
    return pd.DataFrame(out)

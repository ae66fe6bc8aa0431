"""SHAP explanations of warning scores, their aggregation to the 9 dimensions, and plain German sentences.

For a GMLVQ score s(x) = d(x, w₀) − d(x, w₁) (distance to the "no worsening" prototype minus distance to the
"worsening" prototype, d(x, w) = (x − w)ᵀΛ(x − w)) the interventional SHAP values are exact in closed form:
for one background point z a quadratic form splits as

    d(x, w) − d(z, w) = Σᵢ (xᵢ − zᵢ)·[Λ(x + z − 2w)]ᵢ ,

and each term is feature i's Shapley value (the pairwise terms Λᵢⱼ are shared equally), so
φᵢ = mean over background z of (xᵢ − zᵢ)·[Λ(x + z − 2w₀)]ᵢ − the same for w₁; Σᵢ φᵢ = s(x) − mean s(z).
Tree models use SHAP's exact path-dependent Tree SHAP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.columns import DZ, MODEL, id_of
from ml.formatting import de, percent

INDEX_GROUP = "index"
"""Dimension key of features that are not one indicator (status index, trend, boundary distance …)."""

INDEX_GROUP_NAME = "Index und Entwicklung"


def quadratic_shap(X: np.ndarray, background: np.ndarray, lam: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Exact interventional SHAP values of f(x) = (x − w)ᵀΛ(x − w), shape (n, d)."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    Z = np.asarray(background, dtype=float)
    # φᵢ(x) = mean_z (xᵢ − zᵢ)·[Λ(x + z − 2w)]ᵢ = xᵢ(Λx)ᵢ − 2xᵢ(Λw)ᵢ + xᵢ(Λz̄)ᵢ − z̄ᵢ(Λx)ᵢ − mean_z zᵢ(Λz)ᵢ + 2z̄ᵢ(Λw)ᵢ
    zbar = Z.mean(axis=0)
    LX = X @ lam.T
    Lw = lam @ w
    Lz = lam @ zbar
    zLz = (Z * (Z @ lam.T)).mean(axis=0)
    return X * LX - 2 * X * Lw + X * Lz - zbar * LX - zLz + 2 * zbar * Lw


def gmlvq_score_shap(X, background, lam, w_negative, w_positive) -> np.ndarray:
    """SHAP values of s(x) = d(x, w_negative) − d(x, w_positive)."""
    return quadratic_shap(X, background, lam, w_negative) - quadratic_shap(X, background, lam, w_positive)


def tree_shap(model, X: np.ndarray) -> tuple[np.ndarray, float]:
    """Exact (path-dependent) Tree SHAP values of a tree ensemble's raw (log-odds) output, shape (n, d), and the
    base value they start from (Σφ + base = the model's output). The interventional variant with a background
    set is not used: for HistGradientBoosting its values miss the output by a constant (shap 0.51)."""
    import shap

    explainer = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent", model_output="raw")
    values = np.asarray(explainer.shap_values(np.atleast_2d(X)))
    base = np.asarray(explainer.expected_value, dtype=float).ravel()
    if values.ndim == 3:                      # (n, d, classes) in some versions: take the positive class
        values = values[..., -1]
    return values, float(base[-1])


def group_name(group: str, catalog) -> str:
    """The German name of a SHAP group: the catalog dimension's name, or the index group's for features of the
    status index itself (level, changes, boundary distances)."""
    return catalog.dimensions[group].name if group in catalog.dimensions else INDEX_GROUP_NAME


def feature_dimension(feature: str, catalog) -> str:
    """The dimension of a model feature: its indicator's (``m_x``, ``dz_x``, ``x``), else :data:`INDEX_GROUP`."""
    for prefix in (MODEL, DZ, ""):
        name = id_of(feature, prefix)
        if name is not None and name in catalog:
            return catalog[name].dimension
    return INDEX_GROUP


def by_dimension(phi: pd.DataFrame, catalog) -> pd.DataFrame:
    """Sum SHAP values (rows: regions, columns: features) per dimension."""
    groups = {c: feature_dimension(c, catalog) for c in phi.columns}
    return phi.T.groupby(pd.Series(groups)).sum().T


def years_ahead(h: int) -> str:
    """German: "1 Jahr", "2 Jahre"."""
    return "1 Jahr" if h == 1 else f"{h} Jahre"


def level_sentence(horizon: int, record: dict[str, dict]) -> str:
    """What each warning level of a horizon asks for and what it met on unseen years, in one German sentence
    ("" for a store written without the record)."""
    parts = []
    for name, r in record.items():
        asked = f"verlangt {percent(r['target'])}" if r.get("target") is not None else ""
        n, hit = r.get("backtest_flagged"), r.get("backtest_precision")
        met = (f"im Rückblick auf ungesehene Jahre verschlechterten sich {percent(hit)} der {de(n, 0)} so "
               "markierten" if n and hit is not None else "im Rückblick auf ungesehene Jahre nie erreicht")
        if r.get("threshold") is None:
            parts.append(f"„{name}“ nicht verfügbar – {r.get('reason') or asked}")
        else:
            parts.append(f"„{name}“ ab {percent(r['threshold'])} Wahrscheinlichkeit ({asked}; {met})")
    if not parts:
        return ""
    return f"{years_ahead(horizon)} voraus: " + "; ".join(parts) + "."


def untested_sentence(horizon: int, transitions: int, worsenings: int) -> str:
    """German: a horizon's transitions with a known outcome and its worsenings, the counts that decide whether it
    can be backtested ("2 Jahre voraus: 46 Übergänge mit bekanntem Ausgang, davon 1 Verschlechterung")."""
    if transitions == 0:
        return f"{years_ahead(horizon)} voraus: noch kein Übergang mit bekanntem Ausgang"
    return (f"{years_ahead(horizon)} voraus: {de(transitions, 0)} Übergänge mit bekanntem Ausgang, davon "
            f"{de(worsenings, 0)} {'Verschlechterung' if worsenings == 1 else 'Verschlechterungen'}")


def refusal(untested: pd.DataFrame) -> dict[str, str]:
    """What the service says when the last training could test no horizon (the store's
    ``early_warning_refused``): ``reason`` in English for the API, ``text`` in German for the page; both say when
    the warnings of a training before are withdrawn."""
    rows = untested.sort_values("horizon").to_dict("records")
    when = pd.Timestamp(rows[0]["refused_at"]) if "refused_at" in untested.columns else None
    on = f" am {when:%d.%m.%Y}" if when is not None and not pd.isna(when) else ""
    reason = ("no early warning: the last training found no horizon with an out-of-sample test ("
              + "; ".join(f"{int(r['horizon'])} years: {r['reason']}" for r in rows) + ")")
    needed = max(int(r["needed"]) for r in rows)
    version = str(rows[0].get("withdrawn_version") or "")
    withdrawn = bool(rows[0].get("withdrawn", False))    # a store of an earlier version has no such column
    if withdrawn:
        reason += ("; the early warning of the training before" + (f" (model version {version})" if version else "")
                   + " is no longer served")
    text = (f"Keine Frühwarnung: beim letzten Training{on} ließ sie sich an keiner ungesehenen Periode prüfen, und "
            "ungeprüft wird keine ausgegeben. Bisher: "
            + "; ".join(untested_sentence(int(r["horizon"]), int(r["transitions"]), int(r["worsenings"]))
                        for r in rows)
            + f". Geprüft werden kann erst eine Periode, vor der mindestens {needed} Verschlechterungen und {needed} "
            "andere Übergänge liegen. Das heißt nicht, dass keine Verschlechterung droht."
            + (" Die Frühwarnung des Trainings davor" + (f" (Modellversion {version})" if version else "")
               + " wird nicht mehr ausgegeben: sie beruht auf Daten oder Einstellungen, die sich beim letzten "
               "Training nicht prüfen ließen." if withdrawn else ""))
    return {"reason": reason, "text": text}


def unscored(period: str, scored, indexed=None) -> dict[str, str] | None:
    """Why ``period`` has no early warning when it is an edition after the last one the stored warnings cover
    (``scored``: their periods): imported since the training, not a gap in a region's values; or, where ``indexed``
    (the periods with a status index) lacks it, an edition without a status index (a Land's register of residents
    past the index's last edition), which no training scores. ``reason`` in English for the API, ``text`` in German
    for the page and the dashboard; None for any other period."""
    if not scored or str(period) <= max(map(str, scored)):
        return None
    last = max(map(str, scored))
    if indexed is not None and str(period) not in set(map(str, indexed)):
        return {"reason": f"no early warnings for period {period!r}: it has no status index, from which the early "
                          "warning predicts a worse status class (the status indicators have no values there)",
                "text": f"Für {period} liegt keine Frühwarnung vor: für {period} ist kein Statusindex berechnet "
                        "(es fehlen die Statusindikatoren), und die Frühwarnung sagt aus ihm eine schlechtere "
                        f"Statusklasse voraus. Die jüngste Frühwarnung gilt für {last}; das heißt nicht, dass seither "
                        "keine Verschlechterung droht."}
    return {"reason": f"no early warnings for period {period!r}: the early warning was trained on the editions up to "
                      f"{last}; 'sozialradar train early-warning' scores the new one",
            "text": f"Für {period} liegt noch keine Frühwarnung vor: das Frühwarnmodell wurde mit den Ausgaben bis "
                    f"{last} trainiert; die neue Ausgabe bewertet erst das nächste Training (sozialradar train "
                    "early-warning). Das heißt nicht, dass keine Verschlechterung droht."}


FEATURE_NAMES = {"status_index": "Statusindex", "dynamics_index": "Dynamikindex",
                 "boundary_distance": "Abstand zur nächst schlechteren Statusklasse",
                 "status_change_1": "Veränderung des Statusindex seit der letzten Ausgabe",
                 "status_change_2": "Veränderung des Statusindex über zwei Ausgaben",
                 "status_trend": "Trend des Statusindex (je Jahr)",
                 "worst_class": "bereits ungünstigste Statusklasse"}


def feature_label(feature: str, catalog) -> str:
    """The German label of a feature: the indicator's name (with '(Veränderung)' for a change) or the index
    feature's name."""
    if feature in FEATURE_NAMES:
        return FEATURE_NAMES[feature]
    boundary = id_of(feature, "boundary_")
    if boundary is not None and boundary.isdigit():
        return f"Abstand zur {boundary}. Klassengrenze"
    for prefix, suffix in ((MODEL, ""), (DZ, " (Veränderung)")):
        name = id_of(feature, prefix)
        if name is not None and name in catalog:
            return catalog[name].name + suffix
    return feature


def missing_inputs_note(gaps: dict[str, list[str]], catalog, shown: int = 4) -> str:
    """The German note on indicators a period lacks that the model learned with (:func:`models.early_warning.
    missing_inputs`: features by period), each indicator named once; empty where there are none."""
    parts = []
    for period, features in sorted(gaps.items()):
        names = list(dict.fromkeys(feature_label(f, catalog).removesuffix(" (Veränderung)") for f in features))
        more = f" und {len(names) - shown} weitere" if len(names) > shown else ""
        parts.append(f"Für {period} fehlen den meisten Gebieten Werte, die das Modell beim Lernen meist hatte: "
                     f"{', '.join(names[:shown])}{more}; an ihrer Stelle rechnet es mit ergänzten Werten (aus "
                     "ähnlichen Gebieten, sonst dem Durchschnitt). Wie gut das trägt, ließ sich an keinem ungesehenen "
                     f"Jahr prüfen: die Wahrscheinlichkeiten für {period} sind mit Vorsicht zu lesen.")
    return " ".join(parts)


def basis_note(breaks: list[tuple[str, str]]) -> str:
    """The German note on editions served after the last known outcome whose status index is built from other
    indicators than the edition before (``breaks``: (before, after) pairs); empty where there are none."""
    return " ".join(f"Der Statusindex von {b} ist aus anderen Indikatoren gebildet als der von {a}: Klassen und "
                    f"Abstände zur Klassengrenze von {b} sind mit denen, aus denen das Modell gelernt hat, nicht "
                    "vergleichbar." for a, b in breaks)


def top_drivers(phi: pd.Series, n: int = 3) -> pd.Series:
    """The n features that raise the score most (positive SHAP values first, then the largest |φ|)."""
    positive = phi[phi > 0].sort_values(ascending=False)
    if len(positive) >= n:
        return positive.head(n)
    rest = phi.drop(positive.index)
    return pd.concat([positive, rest.reindex(rest.abs().sort_values(ascending=False).index).head(n - len(positive))])


UNGRADED = "nicht verfügbar"
"""The ``level`` of :func:`driver_sentence` where no warning level of the horizon is reachable."""


def driver_sentence(drivers: pd.Series, facts: dict[str, dict], catalog, level: str) -> str:
    """A German sentence naming the drivers with value, change and contribution (``level``: the region's warning
    level, or :data:`UNGRADED` where the horizon has none).

    ``facts[feature]``: ``value``, ``change`` (over the dynamics periods), ``unit``, ``suppressed`` (bool); a
    suppressed value is never written, only that it is withheld.
    """
    parts = []
    for feature, contribution in drivers.items():
        f = facts.get(feature, {})
        label = feature_label(feature, catalog)
        if f.get("suppressed"):
            detail = "Wert gesperrt (kleine Fallzahl)"
        else:
            bits = []
            if f.get("value") is not None and np.isfinite(f["value"]):
                unit = f" {f['unit']}" if f.get("unit") and f["unit"] not in ("Index", "z") else ""
                bits.append(f"{de(f['value'])}{unit}")
            if f.get("change") is not None and np.isfinite(f["change"]):
                bits.append(f"{de(f['change'], sign=True)} gegenüber {f.get('since', 'dem Vergleichsjahr')}")
            detail = ", ".join(bits) if bits else "ohne Wert"
        parts.append(f"{label} ({detail}; Beitrag {de(contribution, 2, sign=True)})")
    # no level reachable for this horizon: 'Stufe keine' would read as "below every threshold"
    said = "Keine Stufe verfügbar" if level == UNGRADED else f"Stufe {level}"
    if not parts:
        return f"{said}: keine Treiber bestimmbar."
    head = "Stärkste Treiber" if level not in ("keine", UNGRADED) else "Größte Beiträge"
    return f"{said}. {head}: " + "; ".join(parts) + "."

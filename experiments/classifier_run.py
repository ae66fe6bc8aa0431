"""Parts of the classifier run that speak to its readers: an indicator as target (its quantile groups), the
comparison table and verdict in German, the reject curve's chart, the run's plots, and the model's interpretation as
artifacts."""

from __future__ import annotations

import textwrap

import mlflow
import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import confusion_matrix

from ml.catalog import Catalog
from ml.columns import Z, column
from ml.formatting import de
from ml.tracking import figure, log_figure
from models.lvq_interpret import (
    DIRECTIONS, diagonal_rows, direction_profile, leading_directions, leading_shares, prototype_profiles,
    relevance_matrix, relevance_profile, relevance_sentence, unit_scale,
)
from models.typology import short_name

GROUP_NAMES = {3: "Drittel", 4: "Viertel", 5: "Fünftel"}


class TargetError(ValueError):
    """An indicator cannot serve as the classifier's target."""


def indicator_groups(values: pd.Series, groups: int) -> pd.Series:
    """Quantile groups of an indicator's values ("unteres Drittel" … for three groups), NaN where unknown."""
    names = GROUP_NAMES.get(groups)
    if groups == 3:
        labels = ["1 unteres Drittel", "2 mittleres Drittel", "3 oberes Drittel"]
    else:
        labels = [f"{i}. {names}" if names else f"Gruppe {i} von {groups}" for i in range(1, groups + 1)]
    known = values.dropna()
    if known.nunique() < groups:
        raise TargetError(f"the target indicator has {known.nunique()} distinct values; {groups} groups need more")
    out = pd.qcut(known.rank(method="first"), groups, labels=labels).astype(str)
    return out.reindex(values.index)


def indicator_target(profiles: pd.DataFrame, values: pd.DataFrame | None, catalog: Catalog, period: str,
                     indicator: str, groups: int) -> pd.Series:
    """Quantile groups of ``indicator`` in ``period``: from its values where given, from its z-value turned back
    to the indicator's direction otherwise (the same order)."""
    if values is not None and indicator in set(values["indicator_id"]):
        v = values[(values["indicator_id"] == indicator) & (values["period"].astype(str) == period)]
        if "flag" in v.columns:
            v = v[v["flag"] != "suppressed"]
        v = v.drop_duplicates("region_id").set_index("region_id")["value"]
    else:
        col = column(Z, indicator)
        if col not in profiles.columns:
            raise TargetError(f"target {indicator!r} is neither a profile column nor an indicator of the profiles")
        p = profiles[profiles["period"].astype(str) == period].set_index("region_id")
        v = p[col] * (catalog[indicator].polarity or 1)
    return indicator_groups(v.astype(float), groups)


def target_text(target: str, catalog: Catalog, period: str, groups: int, is_indicator: bool) -> str | None:
    """What the classes are classes of, in German, for the page and the API: an indicator's groups ('Anteil
    Ausländerinnen und Ausländer: Drittel der Gebiete 2022'), the planted types; None for the status class, which
    names itself."""
    if is_indicator:
        return f"{short_name(catalog[target].name)}: {GROUP_NAMES.get(groups, 'Gruppen')} der Gebiete {period}"
    return {"status_label": None, "planted_type": "vorgegebene Typen"}.get(target, target)


def metric_key(model_name: str) -> str:
    """The short name of a compared model in metric names (``cmp.<key>.<metric>``)."""
    return {"GLVQ": "glvq", "GMLVQ": "gmlvq", "LGMLVQ": "lgmlvq", "Logistische Regression": "logreg",
            "Logistische Regression (balanciert)": "logreg_balanced",
            "Random Forest (300 Bäume)": "random_forest"}.get(model_name, model_name.lower().replace(" ", "_"))


ACCURACY_TOLERANCE = 0.02
"""How far below the best accuracy a model may stay and still hold its own (with the best balanced accuracy)."""


def holds_own(table: pd.DataFrame, name: str) -> bool:
    """Whether ``name`` holds its own in a comparison table: balanced accuracy at least every other model's and
    accuracy within :data:`ACCURACY_TOLERANCE` of the best."""
    rows = table.set_index("model")
    if len(rows) == 1:
        return True
    others = rows.drop(index=name)
    return bool(rows.at[name, "balanced_accuracy"] >= others["balanced_accuracy"].max()
                and rows.at[name, "accuracy"] >= rows["accuracy"].max() - ACCURACY_TOLERANCE)


def beats(table: pd.DataFrame, other: str, name: str) -> bool:
    """Whether ``other`` beats ``name`` in a comparison table: a higher balanced accuracy with an accuracy at most
    :data:`ACCURACY_TOLERANCE` lower, or an accuracy higher by more than the tolerance with a balanced accuracy at
    most the tolerance lower. Mixed results (better on one, clearly worse on the other) are no win."""
    rows = table.set_index("model")
    d_bal = rows.at[other, "balanced_accuracy"] - rows.at[name, "balanced_accuracy"]
    d_acc = rows.at[other, "accuracy"] - rows.at[name, "accuracy"]
    return bool((d_bal > 0 and d_acc >= -ACCURACY_TOLERANCE)
                or (d_acc > ACCURACY_TOLERANCE and d_bal >= -ACCURACY_TOLERANCE))


def served_choice(tables: list[pd.DataFrame], name: str) -> str:
    """The model to serve: among the models that beat ``name`` (:func:`beats`) in every table of ``tables`` (the
    cross-validation and, where there is one, the later-period check), the one with the best balanced accuracy in
    the last table; ``name`` where none does."""
    last = tables[-1].set_index("model")
    winners = [m for m in last.index if m != name and all(beats(t, m, name) for t in tables)]
    return str(last.loc[winners, "balanced_accuracy"].idxmax()) if winners else name


def verdict(table: pd.DataFrame, name: str, where: str = "") -> str:
    """A German sentence: does the LVQ model hold its own against the other classifiers? ``where`` names the
    comparison (e.g. "Auf der späteren Periode 2021: ")."""
    rows = table.set_index("model")
    if len(rows) == 1:
        return f"{name}: kein Vergleich gerechnet (compare: false)."
    ours = rows.loc[name]
    others = rows.drop(index=name)
    best_bal = others["balanced_accuracy"].idxmax()
    best_acc = rows["accuracy"].idxmax()
    text = (f"{where}{name}: balancierte Trefferquote {de(ours['balanced_accuracy'], 3)} (bester Vergleich: {best_bal} "
            f"{de(others.at[best_bal, 'balanced_accuracy'], 3)}), Trefferquote {de(ours['accuracy'], 3)} (beste: "
            f"{best_acc} {de(rows.at[best_acc, 'accuracy'], 3)}).")
    if holds_own(table, name):
        return text + " Das Prototypmodell ist mindestens so treffsicher wie die übrigen Klassifikatoren."
    # the models it falls behind: a higher balanced accuracy, or an accuracy more than the tolerance higher
    ahead = [m for m in others.index if others.at[m, "balanced_accuracy"] > ours["balanced_accuracy"]
             or others.at[m, "accuracy"] > rows["accuracy"].max() - 1e-12
             and others.at[m, "accuracy"] > ours["accuracy"] + ACCURACY_TOLERANCE]
    names = " und ".join([", ".join(ahead[:-1]), ahead[-1]] if len(ahead) > 1 else ahead)
    return text + (f" Das Prototypmodell ist weniger treffsicher als {names}; seine Stärke bleibt die Erklärung.")


def served_sentence(name: str, served: str, basis: str, lost: bool, prototypes: bool = False) -> str:
    """German: which model the service answers with, and why (``basis``: where the models were compared, e.g. "in
    der Kreuzvalidierung"; ``lost``: whether ``name`` failed to hold its own there; ``prototypes``: whether the
    served model is a prototype model too, which then explains by its own prototypes)."""
    if served == name:
        return (f"Bereitgestellt wird dennoch {name}: kein anderes Modell schnitt {basis} insgesamt besser ab (jedes "
                "ist bei einer Kennzahl besser, bei der anderen um mehr als 2 Prozentpunkte schlechter)."
                if lost else f"Bereitgestellt wird {name}.")
    return (f"Bereitgestellt wird daher {served}: es schnitt {basis} besser ab als {name} (höhere balancierte "
            "Trefferquote bei höchstens 2 Prozentpunkten weniger Trefferquote, oder mehr als 2 Punkte höhere "
            "Trefferquote bei höchstens 2 Punkten weniger balancierter Trefferquote)."
            + ("" if prototypes else " Die Erklärung je Gebiet vergleicht dann mit dem typischen Profil der nächsten "
                                     "Klasse."))


def comparison_markdown(table: pd.DataFrame, repeats: int) -> str:
    """The comparison as a German markdown table (mean ± standard deviation when repeated)."""
    spread = repeats > 1
    head = ("| Modell | Trefferquote | balancierte Trefferquote | Makro-F1 | Log-Loss | Anpassung s |\n"
            "|---|---|---|---|---|---|\n")
    lines = []
    for r in table.itertuples():
        cell = (lambda m: f"{getattr(r, m):.3f} ± {getattr(r, m + '_sd'):.3f}" if spread else f"{getattr(r, m):.3f}")
        lines.append(f"| {r.model} | {cell('accuracy')} | {cell('balanced_accuracy')} | {cell('macro_f1')} | "
                     f"{cell('log_loss')} | {r.fit_seconds:.3f} |")
    note = f"\n\nMittel{' ± Standardabweichung' if spread else ''} über {repeats} Wiederholung(en) der Kreuzvalidierung."
    return head + "\n".join(lines) + note + "\n"


def unit_scale_of(values: pd.DataFrame | None, profiles: pd.DataFrame, period: str, features: list[str],
                  catalog: Catalog | None = None) -> pd.DataFrame | None:
    """Per feature the line from z-value to the indicator's unit in ``period`` (:func:`unit_scale`) and the range
    the indicator can take (``lo``, ``hi``: the catalog's valid range), or None without values."""
    if values is None or values.empty:
        return None
    v = values[(values["period"].astype(str) == period) & values["indicator_id"].isin(features)]
    wide = v.pivot_table(index="region_id", columns="indicator_id", values="value", aggfunc="first")
    p = profiles[profiles["period"].astype(str) == period].set_index("region_id")
    z = pd.DataFrame({f: p[column(Z, f)] for f in features if column(Z, f) in p.columns})
    scale = unit_scale(wide.reindex(z.index), z).reindex(features)
    scale["lo"], scale["hi"] = np.nan, np.nan
    for f in features:
        if catalog is None or f not in catalog:
            continue
        lo, hi = catalog[f].valid_range
        scale.loc[f, ["lo", "hi"]] = [lo if np.isfinite(lo) else np.nan, hi if np.isfinite(hi) else np.nan]
    return scale


def rejection_plot(curve: pd.DataFrame, target: float, share: float | None) -> None:
    """The accuracy–rejection curve as ``plots/rueckweisung.png``, the target and the share needed marked."""
    fig, ax = figure(6, 4)
    ax.plot(100 * curve["rejected"], 100 * curve["accuracy"], marker="o", color="#2a6f97")
    ax.axhline(100 * target, color="#b00020", linestyle="--", linewidth=1)
    if share is not None:
        ax.axvline(100 * share, color="#b00020", linestyle=":", linewidth=1)
    ax.set_xlabel("einer Fachkraft überlassene Gebiete (%, die unsichersten zuerst)")
    ax.set_ylabel("Trefferquote der übrigen (%)")
    ax.set_title("Rückweisung: Trefferquote gegen Anteil abgegebener Gebiete")
    log_figure(fig, "plots/rueckweisung.png")


def log_interpretation(model, X: np.ndarray, features: list[str], names: list[str],
                       scale: pd.DataFrame | None, refits: list | None = None
                       ) -> tuple[str | None, pd.DataFrame | None]:
    """The interpretation as artifacts: ``einordnung.txt`` (the sentence from the direction profile, the one from
    the diagonal of Λ — averaged over ``refits`` where given (:func:`models.lvq_interpret.subsampled_refits`) —,
    the leading directions; the first also as the tag ``einordnung``), ``relevanz.csv`` (the profiles per
    indicator, with the refits' mean and 10–90 % band, and how often each indicator is among the three leading
    ones across the refits) and ``prototypen.csv`` (the prototypes in the indicators' units). With refits the
    sentences name as leading only what holds its place across them. Returns the first sentence and the table of
    ``relevanz.csv`` (both None for a model without relevances)."""
    lam = relevance_matrix(model)
    lines, table = [], None
    if lam is not None:
        directions = direction_profile(model, X)
        refit_directions = None if not refits else np.asarray([direction_profile(r, X) for r in refits])
        lines.append(relevance_sentence(directions, names, of=DIRECTIONS, rows=refit_directions))
        table = pd.DataFrame({"Indikator": features, "Name": names, "Relevanz (Diagonale von Λ)": np.diag(lam),
                              "Zusammenhang mit den trennenden Richtungen": directions})
        if not refits:
            lines.append("Gewicht im Modell (Diagonale von Λ): " + relevance_sentence(np.diag(lam), names))
        else:
            subsampled = diagonal_rows(refits)
            mean = subsampled.mean(axis=0)
            lines.append(f"Gewicht im Modell (Diagonale von Λ, Mittel aus {len(subsampled)} Anpassungen auf "
                         f"Halbstichproben): " + relevance_sentence(mean, names, rows=subsampled))
            table = table.assign(**{
                "Relevanz, Mittel der Halbstichproben": mean,
                "Relevanz, 10 %": np.quantile(subsampled, 0.1, axis=0),
                "Relevanz, 90 %": np.quantile(subsampled, 0.9, axis=0),
                "Relevanz unter den ersten drei (Anteil der Halbstichproben)": leading_shares(subsampled),
                "Zusammenhang unter den ersten drei (Anteil der Halbstichproben)": leading_shares(refit_directions)})
        lines.extend(d["text"] for d in leading_directions(lam, names))
        mlflow.set_tag("einordnung", lines[0])
        mlflow.log_text(table.to_csv(index=False), "relevanz.csv")
    mlflow.log_text("\n".join(lines) + "\n", "einordnung.txt")
    mlflow.log_text(prototype_profiles(model, features, names, scale).to_csv(index=False), "prototypen.csv")
    return (lines[0] if lam is not None else None), table


def classifier_plots(model, X: pd.DataFrame, y: pd.Series, names: list[str], classes: list[str],
                     yn: np.ndarray, pred: np.ndarray, decided: np.ndarray,
                     subsampled: np.ndarray | None = None, sentence: str | None = None) -> None:
    """The run's plots: ``relevanzprofil.png`` (the direction profile, the diagonal of Λ — with the mean and
    10–90 % band of ``subsampled`` where given —; titled with ``sentence``, else the direction profile's sentence),
    ``prototypen.png``, ``konfusionsmatrix.png`` (out of fold) and ``projektion.png``."""
    relevance = relevance_profile(model)
    if relevance is not None:
        directions = direction_profile(model, X.to_numpy())
        fig, ax = figure(8, max(3, 0.35 * len(names)) + 0.8)
        order = np.argsort(directions)
        rows = np.arange(len(names))
        ax.barh(rows + 0.2, 100 * directions[order], height=0.4, color="#2a6f97",
                label="Zusammenhang mit den trennenden Richtungen (stabil bei verwandten Merkmalen)")
        diagonal = "Diagonale von Λ" + (", Mittel der Prototypen" if hasattr(model, "lambdas_") else "")
        if subsampled is None:
            ax.barh(rows - 0.2, 100 * relevance[order], height=0.4, color="#a9c6d8",
                    label=f"Gewicht im Modell ({diagonal})")
        else:
            mean, (lo, hi) = subsampled.mean(axis=0), np.quantile(subsampled, [0.1, 0.9], axis=0)
            ax.barh(rows - 0.2, 100 * mean[order], height=0.4, color="#a9c6d8",
                    label=f"Gewicht im Modell ({diagonal}; Mittel aus {len(subsampled)} Anpassungen auf "
                          "Halbstichproben)")
            ax.hlines(rows - 0.2, 100 * lo[order], 100 * hi[order], color="#4a4a4a", linewidth=0.8,
                      label="10–90 % der Anpassungen")
            ax.plot(100 * relevance[order], rows - 0.2, "k|", markersize=8, label="Gewicht in diesem Modell")
        ax.set_yticks(rows, np.array(names)[order], fontsize=7)
        ax.set_xlabel("Anteil in %")
        ax.legend(fontsize=7, loc="lower right")
        ax.set_title("Relevanzprofil: was die Einordnung bestimmt\n"
                     + textwrap.fill(sentence or relevance_sentence(directions, names, of=DIRECTIONS), 90),
                     fontsize=9)
        log_figure(fig, "plots/relevanzprofil.png")
    fig, ax = figure(max(6, 0.3 * len(names)), 3 + 0.3 * len(model.prototypes_))
    im = ax.imshow(model.prototypes_, aspect="auto", cmap="RdBu_r", vmin=-2, vmax=2)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(model.prototypes_)), [str(model.classes_[c]) for c in model.prototype_labels_])
    ax.set_title("Prototypen (z-Werte)")
    fig.colorbar(im, ax=ax)
    log_figure(fig, "plots/prototypen.png")
    cm = confusion_matrix(yn[decided], pred[decided].astype(str), labels=classes)
    fig, ax = figure(5, 4)
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center")
    ax.set_xticks(range(len(classes)), classes, rotation=45)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("vorhergesagt (Kreuzvalidierung)")
    ax.set_ylabel("tatsächlich")
    log_figure(fig, "plots/konfusionsmatrix.png")
    Z = model.transform(X.to_numpy())[:, :2] if hasattr(model, "transform") else PCA(2).fit_transform(X.to_numpy())
    fig, ax = figure(6, 5)
    for c in classes:
        sel = y.to_numpy() == c
        ax.scatter(Z[sel, 0], Z[sel, 1], s=12, label=c)
    ax.legend(fontsize=7)
    ax.set_title("Projektion (führende Richtungen von Λ)" if hasattr(model, "transform") else "Projektion (PCA)")
    log_figure(fig, "plots/projektion.png")


INDEX_TWIN_R = 0.99
"""An input whose correlation with the status index reaches this is the index again under another name (a published
composite of the index's own parts, say): the classes then follow from one input."""


def index_twin_notes(X: pd.DataFrame, profiles: pd.DataFrame, period: str, target: str, names: dict[str, str],
                     leave_out: bool = False) -> tuple[list[str], float, list[str]]:
    """For a status-class target: the inputs that nearly are the status index the classes are cut from (|r| ≥
    :data:`INDEX_TWIN_R` over the regions of ``period``) — a high accuracy is then given by construction, not
    learned. Returns a German note, the largest |r| of the inputs that stay (NaN for other targets) and the twins.
    ``leave_out`` (the default inputs): the note says they are left out; otherwise (inputs the analyst named) it
    warns that they are in."""
    if not target.startswith("status") or "status_index" not in profiles.columns:
        return [], float("nan"), []
    index = profiles[profiles["period"] == period].set_index("region_id")["status_index"].reindex(X.index)
    r = X.apply(lambda col: col.corr(index)).abs().dropna().sort_values(ascending=False)
    twins = r[r >= INDEX_TWIN_R]
    rest = r[r < INDEX_TWIN_R] if leave_out else r
    largest = float(rest.iloc[0]) if len(rest) else float("nan")
    if twins.empty:
        return [], largest, []
    listed = ", ".join(f"{names.get(f, f)} (r = {de(v, 2)})" for f, v in twins.items())
    one = len(twins) == 1
    same = (f"{'entspricht' if one else 'entsprechen'} fast dem Statusindex, aus dem die Klassen gebildet werden")
    if leave_out:
        return [f"Nicht unter den Eingaben: {listed} {same}; mit {'ihm' if one else 'ihnen'} wäre die Treffsicherheit "
                "vorgegeben, nicht gelernt (aufnehmen lässt es sich nur ausdrücklich, unter "
                "training.classifier.features)."], largest, list(twins.index)
    return [f"Achtung: {listed} {same}; die Treffsicherheit ist damit weitgehend vorgegeben, nicht gelernt. "
            "Solche Merkmale gehören nicht zu den Eingaben (training.classifier.features)."], largest, list(twins.index)

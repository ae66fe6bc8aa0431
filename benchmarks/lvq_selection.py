"""Prototype models on real tasks: the classifier job (settings chosen by nested cross-validation) against the
classifiers an analyst would try first, and LGMLVQ's time to the sklearn-lvq reference's accuracy.

(a) Berlin MSS 2021: the context indicators → the official status class (536 PLR), 5-fold stratified CV,
    repeated with the shuffles 0–4. (b) INKAR 2019 (400 Kreise): thirds of the share of households with low income
    from the other indicators (without the index's status indicators). (c) The Musterkreis' planted types
    (53 × 42): seconds until LGMLVQ reaches the reference's cross-validated accuracy, ours along an iteration budget.
(d) Berlin on a later period: every model fitted on the MSS 2019 (447-PLR grid mapped to the 542 PLR by the LOR
    crosswalk) and judged on 2021, beside the 2021 cross-validation; the model the job then serves.

    .venv/bin/python benchmarks/lvq_selection.py [--repeats 5] [--skip-berlin] [--skip-inkar] [--skip-speed]
                                                 [--skip-later]
    .venv/bin/python benchmarks/lvq_selection.py --skip-berlin --skip-later --skip-speed \
        --inkar-file EXPORT --inkar-period 2023        # (b) on a later INKAR edition
    .venv/bin/python benchmarks/lvq_selection.py --projection    # (e) only
    .venv/bin/python benchmarks/lvq_selection.py --fixed-settings    # (f) only
    .venv/bin/python benchmarks/lvq_selection.py --starts            # (g) only
    .venv/bin/python benchmarks/lvq_selection.py --subsampled        # (h) only

(e) Why the diagonal of Λ is unsteady across the folds: the relevances of PΛP, P the projection onto the
    indicators' leading principal directions (Frénay et al. 2014), for several cuts, beside the smallest P under
    which PΛP still assigns 99 % of the regions as Λ does (Berlin 2021, the five folds of shuffle 0).
(f) The same five folds with GMLVQ's settings fixed instead of chosen per fold.
(g) The same, with Ω started from the data (LDA, PCA) and with a penalty for relevance put on one indicator.
(h) The relevance profile the run shows — each fold's chosen setting refitted on 25 half-samples of the fold's
    training part, the mean diagonal of Λ — against the one fitted model's diagonal, across the five folds of
    each of the shuffles 0–4, with the settings chosen in every fold as the job chooses them (Berlin 2021, and the
    Musterkreis' planted types).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments.cases import berlin_2021_context, berlin_mss_profiles, inkar_profiles  # noqa: E402
from experiments.train import train_classifier  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
INKAR = SHARED / "germany_kreise_inkar_gerda" / "county_covariates_inkar_1995_2022.csv"


def _run(settings, catalog, result, values, **update):
    cfg = settings.training.classifier.model_copy(update=update)
    s = settings.model_copy(update={"training": settings.training.model_copy(update={"classifier": cfg})})
    t0 = time.perf_counter()
    summary = train_classifier(result.profiles, result.model, catalog, s, values=values)
    print(f"  job {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return summary


def berlin(repeats: int):
    with tempfile.TemporaryDirectory() as tmp:
        settings, catalog, result, context = berlin_2021_context(SHARED, Path(tmp))
        return _run(settings, catalog, result, result.values, features=context, period="2021", repeats=repeats)


def berlin_later():
    """Berlin 2021 with the later-period check on 2019 (the 16 context indicators both editions have)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings, catalog, profiles, model, values = berlin_mss_profiles(SHARED, Path(tmp), years=(2019,), context=True)
        context = sorted(c[2:] for c in model.columns if c.startswith("m_mss_k"))
        result = type("Result", (), {"profiles": profiles, "model": model})
        return _run(settings, catalog, result, values, features=context, period="2021", check_period="2019",
                    repeats=1)


def projection() -> None:
    """(e): the selected GMLVQ's Λ of each fold, and the relevances of PΛP for several principal subspaces P."""
    import experiments.train as job
    from models.lvq_interpret import relevance_matrix
    from models.lvq_selection import relevance_stability

    kept = {}

    def compare_and_keep(X, y, models, **kw):
        kept["X"], kept["comparison"] = np.asarray(X, float), job_compare(X, y, models, **kw)
        return kept["comparison"]

    job_compare, job.compare = job.compare, compare_and_keep
    try:
        berlin(1)
    finally:
        job.compare = job_compare
    X, fitted = kept["X"], kept["comparison"].fitted["GMLVQ"]
    models = [f.model_ for f in fitted]
    values, vectors = np.linalg.eigh(np.cov(X, rowvar=False))
    order = np.argsort(-values)
    share = np.cumsum(values[order]) / values.sum()

    def projected(lam, k):
        P = vectors[:, order[:k]] @ vectors[:, order[:k]].T
        return P @ lam @ P

    def profile(lam, k):
        d = np.diag(projected(lam, k))
        return d / d.sum()

    def assigns(model, lam):
        diff = X[:, None, :] - model.prototypes_[None]
        return model.prototype_labels_[np.einsum("nmd,de,nme->nm", diff, lam, diff).argmin(axis=1)]

    d = X.shape[1]
    cuts = [("all (diag Λ)", d), ("99 % of the variance", int(np.searchsorted(share, 0.99)) + 1),
            ("95 % of the variance", int(np.searchsorted(share, 0.95)) + 1),
            ("eigenvalue ≥ 5 % of the total", int((values > 0.05 * values.sum()).sum()))]
    print("\n| principal directions kept | rank correlation, all | five most relevant |\n|---|---|---|")
    for label, k in cuts:
        R = [profile(relevance_matrix(m), k) for m in models]
        print(f"| {k} ({label}) | {relevance_stability(R):.2f} | {relevance_stability(R, top=5):.2f} |")
    smallest, R = [], []
    for m in models:
        lam = relevance_matrix(m)
        full = assigns(m, lam)
        k = next(k for k in range(1, d + 1) if (assigns(m, projected(lam, k)) == full).mean() >= 0.99)
        smallest.append(k)
        R.append(profile(lam, k))
    print(f"| the fewest keeping ≥ 99 % of the assignments ({min(smallest)}–{max(smallest)}) | "
          f"{relevance_stability(R):.2f} | {relevance_stability(R, top=5):.2f} |")


class _Captured(Exception):
    """Raised by the stand-in comparison once it holds the job's data."""


def _berlin_matrix() -> tuple[np.ndarray, np.ndarray]:
    """The classifier job's matrix of Berlin 2021 (imputed, standardised) and its classes, as the job builds them."""
    import experiments.train as job

    kept = {}

    def capture(X, y, models, **kw):
        kept["X"], kept["y"] = np.asarray(X, float), np.asarray(y)
        raise _Captured

    job_compare, job.compare = job.compare, capture
    try:
        berlin(1)
    except _Captured:
        pass
    finally:
        job.compare = job_compare
    return kept["X"], kept["y"]


def fixed_settings() -> None:
    """(f): the diagonal of Λ across the five folds of shuffle 0 with the settings fixed (rank 2, 'balanced_sqrt',
    β = 5; 1–3 prototypes per class, regularisation 0 and 0.01, two initial seeds): is the unsteadiness the
    folds' different choices, or the model's?"""
    from sklearn.model_selection import StratifiedKFold

    from models.lvq import GMLVQ
    from models.lvq_interpret import relevance_matrix
    from models.lvq_selection import relevance_stability

    X, y = _berlin_matrix()
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    print("\n| prototypes per class | regularisation | seed | rank correlation, all | five most relevant |\n"
          "|---|---|---|---|---|")
    for k in (1, 2, 3):
        for reg in (0.0, 0.01):
            for seed in (0, 1):
                R = []
                for train, _ in folds:
                    m = GMLVQ(rank=2, prototypes_per_class=k, beta=5.0, class_weight="balanced_sqrt",
                              regularization=reg, random_state=seed).fit(X[train], y[train])
                    d = np.diag(relevance_matrix(m))
                    R.append(d / d.sum())
                print(f"| {k} | {reg} | {seed} | {relevance_stability(R):.2f} | {relevance_stability(R, top=5):.2f} |")


def starts_and_spread() -> None:
    """(g): two changes to GMLVQ that could steady the diagonal of Λ, on the same folds and settings as (f), with
    regularisation 0: Ω started from the data instead of the identity's first rows (the leading directions of a
    shrinkage LDA, or of a PCA), and a penalty λ·Σⱼ Λⱼⱼ² added to the cost, which prefers relevance spread over
    correlated indicators to relevance put on any one of them (the cost itself does not care). Both live here,
    not in the model: neither was adopted."""
    from scipy.linalg import eigh
    from sklearn.metrics import accuracy_score, balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold

    import models.lvq as lvq
    from models.lvq_interpret import direction_profile
    from models.lvq_selection import relevance_stability

    X, y = _berlin_matrix()
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    identity, cost = lvq.GMLVQ._extra_params, lvq._glvq_cost_and_grad
    state = {"start": "identity", "spread": 0.0, "X": None, "y": None}

    def start(self, n_features, rng):
        r, Xt, yt = self._rank(n_features), state["X"], state["y"]
        if state["start"] == "identity":
            return identity(self, n_features, rng)
        if state["start"] == "pca":
            return np.linalg.svd(Xt - Xt.mean(axis=0), full_matrices=False)[2][:r].ravel()
        within = sum(np.cov(Xt[yt == c].T, bias=True) * (yt == c).sum() for c in np.unique(yt)) / len(Xt)
        between = sum(np.outer(Xt[yt == c].mean(0) - Xt.mean(0), Xt[yt == c].mean(0) - Xt.mean(0)) * (yt == c).sum()
                      for c in np.unique(yt)) / len(Xt)
        shrunk = 0.5 * within + 0.5 * np.trace(within) / n_features * np.eye(n_features)
        values, vectors = eigh(between, shrunk)
        return vectors[:, np.argsort(values)[::-1][:r]].T.ravel()

    def penalised(params, X_, same, weights, m, d, kind, rank, beta, reg):
        c, g = cost(params, X_, same, weights, m, d, kind, rank, beta, reg)
        if state["spread"] > 0 and kind == "gmlvq":
            omega = params[m * d:].reshape(rank, d)
            total = (omega ** 2).sum()
            diag = (omega ** 2).sum(axis=0) / total
            c += state["spread"] * (diag ** 2).sum()
            g = g.copy()
            g[m * d:] += state["spread"] * ((4.0 / total) * omega * (diag[None, :] - (diag ** 2).sum())).ravel()
        return c, g

    lvq.GMLVQ._extra_params, lvq._glvq_cost_and_grad = start, penalised
    print("\n| Ω started from | spread penalty λ | prototypes per class | seed | rank correlation of diag Λ, all | "
          "five most relevant | direction profile | balanced accuracy | accuracy |\n|---|---|---|---|---|---|---|---|---|")
    try:
        for begin, spread in [("identity", 0.0), ("lda", 0.0), ("pca", 0.0), ("identity", 0.03),
                              ("identity", 0.1)]:
            state.update(start=begin, spread=spread)
            for k in (1, 2, 3):
                for seed in (0, 1):
                    R, D, ba, acc = [], [], [], []
                    for train, test in folds:
                        state.update(X=X[train], y=y[train])
                        m = lvq.GMLVQ(rank=2, prototypes_per_class=k, beta=5.0, class_weight="balanced_sqrt",
                                      random_state=seed).fit(X[train], y[train])
                        d = np.diag(m.lambda_)
                        R.append(d / d.sum())
                        D.append(direction_profile(m, X[train]))
                        p = m.predict(X[test])
                        ba.append(balanced_accuracy_score(y[test], p))
                        acc.append(accuracy_score(y[test], p))
                    print(f"| {begin} | {spread} | {k} | {seed} | {relevance_stability(R):.2f} | "
                          f"{relevance_stability(R, top=5):.2f} | {relevance_stability(D):.2f} | {np.mean(ba):.3f} | "
                          f"{np.mean(acc):.3f} |", flush=True)
    finally:
        lvq.GMLVQ._extra_params, lvq._glvq_cost_and_grad = identity, cost


def subsampled(shuffles: int = 5) -> None:
    """(h): the rank correlation across folds of the one model's diagonal of Λ and of the mean over refits on
    half-samples (:func:`models.lvq_interpret.subsampled_relevance`), settings chosen per fold by the job's rule;
    Berlin 2021, then the Musterkreis' planted types (53 × 42)."""
    import warnings

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from lvq import synthetic_case

    print("\n### (h) Berlin 2021: context indicators → status class")
    _subsampled(*_berlin_matrix(), shuffles)
    print("\n### (h) The Musterkreis' planted types")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)      # a class of 4 regions in 5 folds
        _subsampled(*synthetic_case(), shuffles)


def leading() -> None:
    """(i): the served model's direction profile on all regions, its first five and how often each is among the
    three leading ones across the 25 refits on half-samples, and the sentence the run writes; Berlin 2021, then the
    Musterkreis' planted types (53 × 42)."""
    import warnings

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from lvq import synthetic_case

    from models.lvq_interpret import direction_profile, leading_shares, relevance_sentence, subsampled_refits
    from models.lvq_selection import SelectedLVQ

    for title, (X, y) in (("Berlin 2021: context indicators → status class", _berlin_matrix()),
                          ("the Musterkreis' planted types", synthetic_case())):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)      # a class of 4 regions in 5 folds
            model = SelectedLVQ("gmlvq").fit(X, y).model_
            refits = subsampled_refits(model, X, y)
        profile = direction_profile(model, X)
        rows = np.asarray([direction_profile(r, X) for r in refits])
        held = leading_shares(rows)
        first = np.argsort(profile)[::-1][:5]
        print(f"\n### (i) {title}: {X.shape[1]} indicators\n")
        print("first five (column, share, among the three leading in the refits): "
              + ", ".join(f"{i} {profile[i]:.1%} ({held[i]:.0%})" for i in first))
        print(relevance_sentence(profile, [f"x{i}" for i in range(X.shape[1])], rows=rows))


def _subsampled(X, y, shuffles: int) -> None:
    from sklearn.model_selection import StratifiedKFold

    from models.lvq_interpret import SUBSAMPLES, relevance_profile, subsampled_relevance
    from models.lvq_selection import SelectedLVQ, relevance_stability

    print(f"\n| shuffle | settings chosen per fold (prototypes per class, rank) | one model: all | five most relevant "
          f"| {SUBSAMPLES} half-samples: all | five most relevant | s |\n|---|---|---|---|---|---|---|")
    rows = []
    for shuffle in range(shuffles):
        t0 = time.perf_counter()
        single, means, chosen = [], [], []
        for train, _ in StratifiedKFold(5, shuffle=True, random_state=shuffle).split(X, y):
            fit = SelectedLVQ("gmlvq").fit(X[train], y[train])
            single.append(relevance_profile(fit.model_))
            means.append(subsampled_relevance(fit.model_, X[train], y[train]).mean(axis=0))
            chosen.append(f"{fit.best_params_['prototypes_per_class']}/{fit.best_params_['rank'] or 'voll'}")
        row = [relevance_stability(single), relevance_stability(single, top=5), relevance_stability(means),
               relevance_stability(means, top=5)]
        rows.append(row)
        print(f"| {shuffle} | {', '.join(chosen)} | " + " | ".join(f"{v:.2f}" for v in row)
              + f" | {time.perf_counter() - t0:.0f} |", flush=True)
    mean = np.mean(rows, axis=0)
    print("| mean | | " + " | ".join(f"{v:.2f}" for v in mean) + " | |")


def _print_later(summary) -> None:
    later = summary.tables.get("spaetere_periode")
    if later is None:
        print("\nno later-period check (no earlier period with the target)")
        return
    cv = summary.tables["vergleich"].set_index("model")
    print("\n| model | CV accuracy | CV balanced accuracy | later: accuracy | later: balanced accuracy | later: macro-F1 "
          "| later: log loss |")
    print("|---|---|---|---|---|---|---|")
    for r in later.itertuples():
        print(f"| {r.model} | {cv.at[r.model, 'accuracy']:.3f} | {cv.at[r.model, 'balanced_accuracy']:.3f} | "
              f"{r.accuracy:.3f} | {r.balanced_accuracy:.3f} | {r.macro_f1:.3f} | {r.log_loss:.3f} |")
    print(f"\nserved: {summary.served}")


def inkar(repeats: int, period: str, source: Path = INKAR):
    with tempfile.TemporaryDirectory() as tmp:
        settings, catalog, result = inkar_profiles(SHARED, Path(tmp), source)
        return _run(settings, catalog, result, result.values, target="inkar_share_low_income_hh", period=period,
                    repeats=repeats)


def _print(title: str, summary, repeats: int) -> None:
    table, runs = summary.tables["vergleich"], summary.tables["wiederholungen"]
    first = runs[runs["repeat"] == 0].set_index("model")
    print(f"\n### {title}\n")
    print(f"| model | accuracy (mean ± sd, {repeats}×) | balanced accuracy | macro-F1 | log loss | fit s | "
          "accuracy, shuffle 0 | balanced accuracy, shuffle 0 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in table.itertuples():
        print(f"| {r.model} | {r.accuracy:.3f} ± {r.accuracy_sd:.3f} | {r.balanced_accuracy:.3f} ± "
              f"{r.balanced_accuracy_sd:.3f} | {r.macro_f1:.3f} ± {r.macro_f1_sd:.3f} | {r.log_loss:.3f} ± "
              f"{r.log_loss_sd:.3f} | {r.fit_seconds:.3f} | {first.at[r.model, 'accuracy']:.3f} | "
              f"{first.at[r.model, 'balanced_accuracy']:.3f} |")
    m = summary.metrics
    share = [v for k, v in m.items() if k.startswith("reject_share_for_")]
    print(f"\nreject share for 95 % accuracy: {share[0]:.1%}" if share and np.isfinite(share[0]) else
          "\nreject share for 95 % accuracy: not reachable")
    if "relevance_rank_correlation" in m:
        print(f"relevance rank correlation across the folds of shuffle 0: {m['relevance_rank_correlation']:.3f} "
              f"(all indicators), {m['relevance_rank_correlation_top5']:.3f} (the five most relevant); direction "
              f"profile {m['direction_rank_correlation']:.3f} (all), {m['direction_rank_correlation_top5']:.3f} (five)")
    if "relevance_subsampled_rank_correlation" in m:
        print(f"the same of the relevance profile shown (mean over refits on half-samples): "
              f"{m['relevance_subsampled_rank_correlation']:.3f} (all), "
              f"{m['relevance_subsampled_rank_correlation_top5']:.3f} (five)")
    if summary.interpretation:
        print(f"einordnung: {summary.interpretation}")
        share, held = "Zusammenhang mit den trennenden Richtungen", "Zusammenhang unter den ersten drei"
        leading = summary.tables["relevanz"].sort_values(share, ascending=False).head(5)
        held = [c for c in leading if c.startswith(held)][0]
        print("direction profile, the first five, and how often each is among the three leading ones across the "
              "refits on half-samples: " + ", ".join(
                  f"{r['Indikator']} {r[share]:.1%} ({r[held]:.0%})" for _, r in leading.iterrows()))
    curve = summary.tables["rueckweisung"].set_index("rejected")["accuracy"]
    print("accuracy of the rest when the least certain share is left to a person: " + ", ".join(
        f"{r:.0%} → {curve.loc[r]:.3f}" for r in curve.index if round(100 * r) % 10 == 0))
    print("settings chosen per fold (shuffle 0):")
    chosen = summary.tables["auswahl_je_fold"].astype(object)
    if "rank" in chosen:
        chosen["rank"] = chosen["rank"].where(chosen["rank"].notna(), "voll")
    print(chosen.to_string())
    print("note:", summary.notes[-1])
    _print_later(summary)
    name = table["model"].iloc[0]
    for label, frame in (("mean of the repeats", table.set_index("model")), ("shuffle 0", first)):
        ours = frame.loc[name]
        logreg = frame.loc[[i for i in frame.index if i.startswith("Logistische")], "balanced_accuracy"].max()
        best = frame["accuracy"].max()
        print(f"goal ({label}): balanced accuracy {ours['balanced_accuracy']:.3f} ≥ better logistic regression "
              f"{logreg:.3f}: {'met' if ours['balanced_accuracy'] >= logreg else 'NOT met'}; accuracy "
              f"{ours['accuracy']:.3f} within 0.02 of the best {best:.3f}: "
              f"{'met' if ours['accuracy'] >= best - 0.02 else 'NOT met'}")


def speed() -> None:
    """Seconds (summed over the 5 folds, best of 3) until LGMLVQ reaches the reference's accuracy."""
    import warnings

    from sklearn.model_selection import StratifiedKFold

    from models.lvq import LGMLVQ
    from tests.models.reference_lvq import reference_compat, reference_models

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from lvq import synthetic_case

    X, y = synthetic_case()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)      # a class of 4 regions in 5 folds
        splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))

    def cv(make) -> tuple[float, float]:
        best, acc = np.inf, 0.0
        for _ in range(3):
            t0, hit = time.perf_counter(), 0
            for train, test in splits:
                hit += int((make().fit(X[train], y[train]).predict(X[test]) == y[test]).sum())
            best, acc = min(best, time.perf_counter() - t0), hit / len(y)
        return best, acc

    with reference_compat():
        ref_s, ref_acc = cv(lambda: reference_models()["lgmlvq"](random_state=0))
    print(f"\n### (c) LGMLVQ on the Musterkreis' planted types, {len(y)} × {X.shape[1]}, 5-fold CV\n")
    print(f"reference (sklearn-lvq, defaults): {ref_s:.3f} s, accuracy {ref_acc:.3f}\n")
    print("| our iteration budget | ours s | accuracy | reaches the reference | speed-up |")
    print("|---|---|---|---|---|")
    reached = None
    for budget in (5, 10, 20, 40, 80, 2500):
        s, acc = cv(lambda: LGMLVQ(random_state=0, max_iter=budget))
        ok = acc >= ref_acc
        if ok and reached is None:
            reached = (budget, s)
        print(f"| {budget} | {s:.3f} | {acc:.3f} | {'yes' if ok else 'no'} | {ref_s / s:.1f}× |")
    if reached:
        print(f"\ntime to the reference's accuracy: {reached[1]:.3f} s (budget {reached[0]}) against {ref_s:.3f} s: "
              f"{ref_s / reached[1]:.1f}× (goal ≥ 20×)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--inkar-period", default="2019")
    parser.add_argument("--inkar-file", type=Path, default=INKAR,
                        help="(b) on another INKAR export of the same shape (a later edition)")
    parser.add_argument("--skip-berlin", action="store_true")
    parser.add_argument("--skip-inkar", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-later", action="store_true")
    parser.add_argument("--projection", action="store_true", help="(e) only: relevances of PΛP on Berlin's folds")
    parser.add_argument("--fixed-settings", action="store_true",
                        help="(f) only: the diagonal of Λ on Berlin's folds with the settings fixed")
    parser.add_argument("--subsampled", action="store_true",
                        help="(h) only: the relevance profile from refits on half-samples across folds and shuffles")
    parser.add_argument("--leading", action="store_true",
                        help="(i) only: which leading indicators hold their place across the refits on half-samples")
    parser.add_argument("--starts", action="store_true",
                        help="(g) only: Ω started from the data, and a penalty for relevance put on one indicator")
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    if args.projection:
        projection()
        return
    if args.fixed_settings:
        fixed_settings()
        return
    if args.starts:
        starts_and_spread()
        return
    if args.subsampled:
        subsampled()
        return
    if args.leading:
        leading()
        return
    if not args.skip_berlin and (SHARED / "berlin_mss").is_dir():
        _print("(a) Berlin MSS 2021: context indicators → status class, 536 PLR", berlin(args.repeats), args.repeats)
    if not args.skip_inkar and args.inkar_file != INKAR and not args.inkar_file.is_file():
        sys.exit(f"INKAR file not found: {args.inkar_file}")
    if not args.skip_inkar and args.inkar_file.is_file():
        _print(f"(b) INKAR {args.inkar_period}: thirds of the share of low-income households, 400 Kreise",
               inkar(args.repeats, args.inkar_period, args.inkar_file), args.repeats)
    if not args.skip_later and (SHARED / "berlin_mss_447plr_cschwab1").is_dir():
        summary = berlin_later()
        print("\n### (d) Berlin: fitted on the MSS 2019, judged on 2021 (542 PLR; 2019 mapped by the crosswalk)")
        _print_later(summary)
        print("note:", summary.notes[-1])
    if not args.skip_speed:
        speed()


if __name__ == "__main__":
    main()

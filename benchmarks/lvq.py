"""LVQ benchmark: our GLVQ, GMLVQ and LGMLVQ against the sklearn-lvq reference, in one run.

Fit seconds and test accuracy on (a) the synthetic county's planted types (2012 profiles, 5-fold CV),
(b) Berlin MSS 2021 context indicators → official status class (536 PLR, 5-fold CV; needs
../shared/data), (c) a generated 10,000 × 30 four-class problem (train/test split).

    .venv/bin/python benchmarks/lvq.py [--skip-berlin] [--large-n 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold, train_test_split

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.lvq import GLVQ, GMLVQ, LGMLVQ  # noqa: E402
from tests.models.reference_lvq import reference_compat, reference_models  # noqa: E402

OURS = {"glvq": GLVQ, "gmlvq": GMLVQ, "lgmlvq": LGMLVQ, "lgmlvq rank 5": lambda **kw: LGMLVQ(rank=5, **kw)}


def _references() -> dict:
    ref = reference_models()

    class LowRank(ref["lgmlvq"]):
        """The reference with Ω of 5 rows per prototype (its ``initialdim`` is one entry per prototype)."""

        def fit(self, x, y):
            self.initialdim = [5] * len(np.unique(y))
            return super().fit(x, y)

    return {**ref, "lgmlvq rank 5": LowRank}


def _fit_score(make, X_train, y_train, X_test, y_test) -> tuple[float, float]:
    t0 = time.perf_counter()
    model = make().fit(X_train, y_train)
    seconds = time.perf_counter() - t0
    return seconds, float((model.predict(X_test) == y_test).mean())


def compare_cv(X: np.ndarray, y: np.ndarray, folds: int = 5) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    with reference_compat():
        ref = _references()
        for kind in OURS:
            ours_s = ref_s = 0.0
            ours_hit = ref_hit = 0
            for train, test in splitter.split(X, y):
                s, a = _fit_score(lambda: OURS[kind](random_state=0), X[train], y[train], X[test], y[test])
                ours_s, ours_hit = ours_s + s, ours_hit + a * len(test)
                s, a = _fit_score(lambda: ref[kind](random_state=0), X[train], y[train], X[test], y[test])
                ref_s, ref_hit = ref_s + s, ref_hit + a * len(test)
            out[kind] = (ours_s, ours_hit / len(y), ref_s, ref_hit / len(y))
    return out


def compare_split(X, y) -> dict[str, tuple[float, float, float, float]]:
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    out = {}
    with reference_compat():
        ref = _references()
        for kind in OURS:
            s_o, a_o = _fit_score(lambda: OURS[kind](random_state=0), X_train, y_train, X_test, y_test)
            s_r, a_r = _fit_score(lambda: ref[kind](random_state=0), X_train, y_train, X_test, y_test)
            out[kind] = (s_o, a_o, s_r, a_r)
    return out


def synthetic_case():
    import json

    from experiments.cases import musterkreis_profiles
    from ml.paths import SAMPLE_DIR

    with tempfile.TemporaryDirectory() as tmp:
        settings, catalog, result = musterkreis_profiles(Path(tmp))
    m = result.model[result.model["period"] == "2012"].set_index("region_id")
    cols = [c for c in m.columns if c.startswith("m_") and catalog[c[2:]].polarity != 0]
    X = m[cols].dropna(axis=1, how="all").dropna()
    truth = {g["region_id"]: g["type"] for g in json.loads((SAMPLE_DIR / "ground_truth.json").read_text())["gemeinden"]}
    return X.to_numpy(), np.array([truth[r] for r in X.index])


def berlin_case():
    from experiments.cases import berlin_2021_context

    shared = ROOT.parent / "shared" / "data"
    if not (shared / "berlin_mss" / "tesch-ch").is_dir():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        _, _, result, _ = berlin_2021_context(shared, Path(tmp))
    p = result.profiles[result.profiles["period"] == "2021"].set_index("region_id")
    m = result.model[result.model["period"] == "2021"].set_index("region_id")
    cols = sorted(c for c in m.columns if c.startswith("m_mss_k"))
    X = m[cols].dropna(axis=1, how="all")
    y = p["status_label"].reindex(X.index)
    keep = y.notna() & X.notna().all(axis=1)
    return X[keep].to_numpy(), y[keep].astype(str).to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-berlin", action="store_true")
    parser.add_argument("--large-n", type=int, default=10_000)
    args = parser.parse_args()
    cases = []
    X, y = synthetic_case()
    cases.append((f"(a) Musterkreis planted types, {len(y)} × {X.shape[1]}, 5-fold CV", compare_cv(X, y)))
    if not args.skip_berlin:
        berlin = berlin_case()
        if berlin is not None:
            X, y = berlin
            cases.append((f"(b) Berlin MSS 2021 context → status class, {len(y)} × {X.shape[1]}, 5-fold CV",
                          compare_cv(X, y)))
    X, y = make_classification(n_samples=args.large_n, n_features=30, n_informative=12, n_redundant=6,
                               n_classes=4, n_clusters_per_class=1, random_state=0)
    cases.append((f"(c) generated {args.large_n:,} × 30, four classes, 75/25 split", compare_split(X, y)))
    print("| case | model | ours fit s | reference fit s | speed-up | ours accuracy | reference accuracy |")
    print("|---|---|---|---|---|---|---|")
    for title, results in cases:
        for kind, (s_o, a_o, s_r, a_r) in results.items():
            print(f"| {title} | {kind.upper()} | {s_o:.2f} | {s_r:.2f} | {s_r / s_o:.1f}× | {a_o:.3f} | {a_r:.3f} |")


if __name__ == "__main__":
    main()

"""Sozialraumtypen: groups, or a continuum cut into sections? The typology job's structure check on real data.

A clustering always returns types, even of data that has none. The job compares the chosen typology's mean
silhouette with the same choice (methods, number of types) on 19 reference data sets without groups, as many
regions — each indicator with its own distribution, the indicators with their rank correlations, joined by a
Gaussian copula — and calls the types distinct only where they separate better than all 19 (p ≤ 0.05). Beside it
the same count against SigClust's null (normal, with the profiles' covariance), which a skewed indicator alone
beats. This runs the job's inputs and check on:

* the Musterkreis (embedded sample; its five planted types in 2010, and the latest year, after the strain and the
  planted deteriorations moved the Gemeinden),
* Berlin's 542 Planungsräume by the MSS 2021 context indicators,
* Germany's 400 Kreise (INKAR, the indicators with a direction outside the status index, 2019),
* the 52 Gemeinden of the Saarland from the Zensus 2022 (share 65+, share of foreigners, household size),
* Flensburg's 13 Stadtteile (the README's example: the two shares of the status index, 65+ and foreigners).

    .venv/bin/python benchmarks/typology_structure.py        # ~5 min on two cores
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import silhouette_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments.cases import (  # noqa: E402
    berlin_2021_context, census_county_store, inkar_profiles, musterkreis_profiles,
)
from experiments.run_inputs import training_frame  # noqa: E402
from features.pipeline import run_pipeline  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.importers import ingest_file  # noqa: E402
from ml.store import Store  # noqa: E402
from models.typology import METHODS, choose_method, structure_check  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def _check(label: str, profiles, model, catalog, settings, period: str, features=None, k=(3, 8)) -> dict:
    X, used, _ = training_frame(profiles, model, catalog, settings, period, features)
    typ, _ = choose_method(X.to_numpy(), METHODS, k[0], k[1], random_state=0)
    observed = float(silhouette_score(X.to_numpy(), typ.labels_))
    t0 = time.perf_counter()
    c = structure_check(X.to_numpy(), observed, METHODS, k[0], k[1], random_state=0)
    seconds = time.perf_counter() - t0
    normal = _normal_references(X.to_numpy(), k)
    return {"data": label, "period": period, "regions": len(X), "indicators": len(used), "method": typ.method,
            "types": typ.n_types_, "silhouette": observed, "references: mean": c["reference_mean"],
            "max": c["reference_max"], "p": c["p_value"], "distinct": "yes" if c["distinct"] else "no",
            "check s": seconds, "normal null: mean": float(normal.mean()), "normal null: max": float(normal.max()),
            "distinct against it": "yes" if observed > normal.max() else "no"}


def _normal_references(X: np.ndarray, k: tuple[int, int], n: int = 19) -> np.ndarray:
    """The silhouettes of the same choice on SigClust's null: normal data with the profiles' means and
    covariance."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        R = rng.multivariate_normal(X.mean(axis=0), np.atleast_2d(np.cov(X, rowvar=False)), size=len(X),
                                    method="eigh")
        model, _ = choose_method(R, METHODS, k[0], k[1], random_state=0)
        out.append(silhouette_score(R, model.labels_))
    return np.asarray(out)


def _env(tmp: str) -> dict:
    return {"SOZIALRADAR_STORE__PATH": f"{tmp}/s.duckdb", "SOZIALRADAR_INGEST__REPORT_DIR": f"{tmp}/q",
            "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp}/mlflow.db"}


def flensburg(tmp: Path) -> dict:
    """The README's Flensburg example as far as its step 4, built in-process: Stadtteile, five tables, two shares
    of the city's own."""
    from ml.importers import load_mapping
    from ml.suggest import suggest_mapping

    d = SHARED / "flensburg_sozialatlas" / "csv"
    own = tmp / "flensburg_indikatoren.csv"
    own.write_text(
        "indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,frequency,monitors,lenses,basis,"
        "persons,min,max,source\n"
        "sgb2_je100_ew,Leistungsberechtigte nach SGB II je 100 Einwohner,intervention,%,1,share,sgb2_empfaenger,"
        "einwohner,100,annual,,,false,,,,Sozialatlas Flensburg\n"
        "alo_je100_ew,Arbeitslose je 100 Einwohner,arbeit,%,1,share,arbeitslose,einwohner,100,annual,,,false,,,,"
        "Sozialatlas Flensburg\n", encoding="utf-8")
    config = tmp / "fl.yaml"
    config.write_text(f"catalog:\n  indicators: [{own}]\nfeatures:\n  level: stadtteil\n  index:\n"
                      "    status_indicators: [sgb2_je100_ew, alo_je100_ew]\n", encoding="utf-8")
    settings = load_settings(config, env=_env(str(tmp)))
    catalog = effective_catalog(settings)
    with Store(settings.store.path) as store:
        regions = tmp / "regions.yaml"
        regions.write_text(suggest_mapping(d / "fl_district.csv", catalog).to_yaml() + "level: stadtteil\n",
                           encoding="utf-8")
        ingest_file(d / "fl_district.csv", store, settings, mapping=load_mapping(regions))
        for t in ("residents", "unemployed_residents", "beneficiaries", "residents_age_65_and_above",
                  "migration_background"):
            path = d / f"fl_{t}_by_district.csv"
            m = tmp / f"map_{t}.yaml"
            m.write_text(suggest_mapping(path, catalog).to_yaml(), encoding="utf-8")
            ingest_file(path, store, settings, mapping=load_mapping(m))
        obs, regs = store.observations(), store.regions()
    result = run_pipeline(obs, regs, catalog, settings)
    return _check("Flensburg, Stadtteile", result.profiles, result.model, catalog, settings, "2022",
                  ["sgb2_je100_ew", "alo_je100_ew", "anteil_65plus", "auslaender_anteil"])


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings, catalog, result = musterkreis_profiles(Path(tmp))
        latest = str(result.profiles["period"].max())
        for period in ("2010", latest):
            rows.append(_check("Musterkreis (planted types)", result.profiles, result.model, catalog, settings,
                               period))
        print(rows[-1], file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        settings, catalog, result, context = berlin_2021_context(SHARED, Path(tmp))
        rows.append(_check("Berlin, Planungsräume (context)", result.profiles, result.model, catalog, settings,
                           "2021", context))
        print(rows[-1], file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        settings, catalog, result = inkar_profiles(SHARED, Path(tmp))
        rows.append(_check("INKAR, Kreise", result.profiles, result.model, catalog, settings, "2019"))
        print(rows[-1], file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        settings = census_county_store(SHARED, Path(tmp))
        catalog = effective_catalog(settings)
        with Store(settings.store.path, read_only=True) as store:
            profiles, model = store.table("profiles"), store.table("model_matrix")
        rows.append(_check("Saarland, Gemeinden (Zensus 2022)", profiles, model, catalog, settings,
                           str(profiles["period"].max()), list(settings.training.typology.features), (2, 5)))
        print(rows[-1], file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(flensburg(Path(tmp)))
    table = pd.DataFrame(rows)
    print("\n| " + " | ".join(table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for r in table.itertuples(index=False):
        cells = [f"{v:.3f}" if isinstance(v, float) and k != "check s" else f"{v:.1f}" if isinstance(v, float)
                 else str(v) for k, v in zip(table.columns, r)]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

"""Belastungsindizes per Lebenslage: computed like the status index, never ranked unless configured, and checked
for how much their classes depend on the weights and on single indicators."""

import numpy as np
import pandas as pd
import pytest

from experiments.jobs import JobError, features_job
from features.lebenslagen import (
    IndexSpec, LebenslageError, classify, compute, default_specs, index_values, sensitivity,
)
from ml.importers import ingest_file
from ml.paths import SAMPLE_DIR
from ml.store import Store


def matrix(n=300, periods=("2022", "2023"), seed=0, noise=(0.3, 0.3, 0.3, 3.0)):
    """A model matrix: one latent burden, indicators a–c measuring it closely, d loosely."""
    rng = np.random.default_rng(seed)
    frames = []
    for p in periods:
        latent = rng.normal(size=n)
        cols = {f"m_{k}": latent + rng.normal(scale=s, size=n) for k, s in zip("abcd", noise)}
        frames.append(pd.DataFrame({"region_id": [f"R{i}" for i in range(n)], "period": p, **cols,
                                    **{f"imputed_{k}": False for k in "abcd"}}))
    return pd.concat(frames, ignore_index=True)


def test_defaults_from_the_catalog(catalog):
    specs = {s.name: s for s in default_specs(catalog)}
    assert set(specs) == {"Kindheit und Jugend", "Teilhabe", "Senioren", "Bildung"}
    assert "hze_dichte" in specs["Kindheit und Jugend"].weights
    assert all(catalog[i].polarity != 0 for s in specs.values() for i in s.weights)


def test_index_classes_and_no_ranks():
    m = matrix()
    out = compute(m, [IndexSpec("Teilhabe", {"a": 1, "b": 1, "c": 1})])
    for _, g in out.groupby("period"):
        assert g["index"].mean() == pytest.approx(0, abs=1e-9) and g["index"].std(ddof=0) == pytest.approx(1)
    assert (out["class"] == classify(out["index"])).all() and out["rank"].isna().all()
    assert set(out["label"]) <= {"gering belastet", "durchschnittlich", "erhöht belastet", "stark belastet"}
    ranked = compute(m, [IndexSpec("Teilhabe", {"a": 1, "b": 1})], ranking=True)
    top = ranked[(ranked["period"] == "2023") & (ranked["rank"] == 1)]
    assert top["index"].iloc[0] == ranked.loc[ranked["period"] == "2023", "index"].max()


def test_filled_in_values_withhold_the_index():
    m = matrix(n=50)
    m.loc[:4, ["imputed_a", "imputed_b"]] = True
    out = compute(m, [IndexSpec("X", {"a": 1, "b": 1, "c": 1})])
    assert out.loc[:4, "index"].isna().all() and out.loc[5:, "index"].notna().all()
    assert out.loc[0, "imputed_share"] == pytest.approx(2 / 3)


def test_sensitivity_tells_robust_from_dependent():
    m = matrix()
    robust = sensitivity(m, IndexSpec("fest", {"a": 1, "b": 1, "c": 1}), "2023")
    assert robust.verdict == "robust" and robust.weights_share < 0.05 and robust.regions == 300
    # an index carried by one loose indicator: leaving any one out moves many regions
    shaky = sensitivity(m, IndexSpec("wacklig", {"a": 1, "d": 1}), "2023")
    assert shaky.leave_one_out_share > 0.10 and shaky.verdict != "robust" and shaky.worst_indicator in ("a", "d")
    # tiny perturbations change nothing
    assert sensitivity(m, IndexSpec("fest", {"a": 1, "b": 1}), "2023", perturbation=1e-9).weights_share == 0
    with pytest.raises(LebenslageError, match="none of its indicators"):
        compute(m, [IndexSpec("leer", {"zz": 1})])



def test_sensitivity_counts_as_one_draw_after_the_other_would():
    """All draws in one product give what computing the index and its classes once per set of weights gives,
    filled-in values and a period without an index included."""
    m = matrix(n=80)
    rows = m.index[m["period"] == "2023"]
    m.loc[rows[:30], ["imputed_a", "imputed_d"]] = True           # no index: 3 of 4.5 of the weight filled in
    m.loc[rows[30:50], "imputed_a"] = True                        # an index, lost under some weights
    spec = IndexSpec("X", {"a": 1.0, "b": 0.5, "c": 1.0, "d": 2.0})
    latest = m[m["period"] == "2023"]
    base = classify(index_values(latest, spec, None, 0.4))
    ok = base.notna()
    rng = np.random.default_rng(3)
    w = np.array(list(spec.weights.values()))
    shares = [(classify(index_values(latest, spec, w * rng.uniform(0.5, 1.5, size=4), 0.4))[ok] != base[ok]).mean()
              for _ in range(50)]
    left_out = [(classify(index_values(latest, spec, np.where(np.arange(4) == j, 0.0, w), 0.4))[ok]
                 != base[ok]).mean() for j in range(4)]
    got = sensitivity(m, spec, "2023", perturbation=0.5, draws=50, max_imputed_share=0.4, seed=3)
    assert 0 < got.weights_share == pytest.approx(np.mean(shares), abs=1e-12)
    assert got.leave_one_out_share == pytest.approx(max(left_out)) and got.worst_indicator == "abcd"[
        int(np.argmax(left_out))]
    assert got.regions == ok.sum() == 50
    none = m.assign(m_a=np.nan, m_b=np.nan, m_c=np.nan, m_d=np.nan)
    assert sensitivity(none, spec, "2023").verdict == "ohne Werte"
def test_the_features_job_stores_them(settings, store):
    for name in ("regions.csv", "observations.parquet"):
        assert ingest_file(SAMPLE_DIR / name, store, settings).status == "ok"
    store.close()
    s = settings.model_copy(update={"features": settings.features.model_copy(update={"output_dir": settings.store.path.parent / "f"})})
    result = features_job(s)
    assert set(result.lebenslagen["lebenslage"]) == {"Kindheit und Jugend", "Teilhabe", "Senioren", "Bildung"}
    assert result.lebenslagen["rank"].isna().all()
    with Store(s.store.path, read_only=True) as st:
        checks = st.table("lebenslagen_checks")
        stored = st.table("lebenslagen")
    assert len(stored) == len(result.lebenslagen) and set(checks["period"]) == {"2025"}
    assert set(checks["verdict"]) <= {"robust", "abhängig von der Gewichtung", "abhängig von einzelnen Indikatoren"}
    # a configured index with an indicator the profiles lack is refused with its name
    bad = s.model_copy(update={"lebenslagen": s.lebenslagen.model_copy(update={"indices": {"X": {"gibtsnicht": 1.0}}})})
    with pytest.raises(JobError, match="gibtsnicht"):
        features_job(bad)


def test_an_index_whose_indicators_hold_no_values_is_not_built(store, settings):
    """The model matrix carries the status index's columns even where a county's tables hold none of their values
    (Berlin's residence-duration tables alone): the Lebenslage built from them ('Teilhabe': SGB II, BuT) has no
    values, so it is neither stored nor reported as 'ohne Werte'; one with values beside it is."""
    from experiments.jobs import write_lebenslagen
    from ml.catalog import serving_catalog

    catalog = serving_catalog(settings)
    by_name = {s.name: s for s in default_specs(catalog)}
    teilhabe = ["sgb2_quote", "arbeitslosenquote", "but_quote"]     # the status index's, without values
    senioren = ["anteil_65plus", "durchschnittsalter", "alterungsindex"]
    assert {"sgb2_quote", "arbeitslosenquote"} <= set(by_name["Teilhabe"].weights) and set(senioren) <= set(
        by_name["Senioren"].weights) and not set(senioren) & set(by_name["Teilhabe"].weights)
    rng = np.random.default_rng(0)
    m = pd.DataFrame({"region_id": [f"r{k}" for k in range(30)], "period": "2019", "reference_group": "x"})
    for i in teilhabe:
        m[f"m_{i}"] = np.nan
    for i in senioren:
        m[f"m_{i}"] = rng.normal(size=30)
    values, checks = write_lebenslagen(store, m, catalog, settings)
    assert set(checks["lebenslage"]) == set(values["lebenslage"]) == {"Senioren"}
    empty, none = write_lebenslagen(store, m.drop(columns=[f"m_{i}" for i in senioren]), catalog, settings)
    assert empty.empty and none.empty

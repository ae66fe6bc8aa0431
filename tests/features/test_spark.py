"""The Spark engine (local mode) gives the local engine's profiles, with the counts withheld besides
(``privacy.secondary``) and without."""

import shutil

import numpy as np
import pandas as pd
import pytest

from features.pipeline import run_pipeline


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (java not on PATH)")
@pytest.mark.parametrize("secondary", [False, True])
def test_spark_equals_local(sample_inputs, secondary):
    settings, catalog, obs, regions = sample_inputs
    settings = settings.model_copy(update={"privacy": settings.privacy.model_copy(update={"secondary": secondary})})
    # two reference groups so that applyInPandas really splits the work
    regions = regions.copy()
    sr = regions["level"] == "sozialregion"
    regions.loc[sr, "level"] = "kreis"
    local = run_pipeline(obs, regions, catalog, settings, engine="local")
    spark = run_pipeline(obs, regions, catalog, settings, engine="spark")
    assert local.profiles["reference_group"].nunique() == 7
    assert local.secondary == spark.secondary and bool(local.secondary) == secondary
    assert local.values["suppressed_by"].eq("secondary").any() == secondary
    for name in ("values", "profiles", "model"):
        a, b = getattr(local, name), getattr(spark, name)
        assert list(a.columns) == list(b.columns) and len(a) == len(b)
        numeric = [c for c in a.columns if pd.api.types.is_numeric_dtype(a[c]) and not pd.api.types.is_bool_dtype(a[c])]
        np.testing.assert_allclose(a[numeric].to_numpy(float), b[numeric].to_numpy(float), rtol=0, atol=1e-9)
        for c in set(a.columns) - set(numeric):
            assert a[c].fillna("").astype(str).tolist() == b[c].fillna("").astype(str).tolist(), (name, c)

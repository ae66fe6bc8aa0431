"""The Spark engine: the same per-group step functions through ``groupBy().applyInPandas``.

Selected with ``features.engine: spark``; ``features.spark_master`` says where (``local[2]`` runs Spark in
this process's machine, as the tests do). The workers must run this interpreter, so PYSPARK_PYTHON is set
to it when the session starts.
"""

from __future__ import annotations

import os
import sys

import pandas as pd

from features.pipeline import GROUP_COLUMN, VALUE_OUTPUT_COLUMNS, prepare_values, profile_group
from features.steps import ProfileSpec, model_columns, profile_columns
from ml.catalog import Catalog
from ml.columns import IMPUTED
from ml.config import PrivacyConfig


def _spark_type(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    return "string"


def _schema(columns: list[str], dtypes: dict[str, object]) -> str:
    return ", ".join(f"`{c}` {_spark_type(dtypes[c])}" for c in columns)


def session(master: str, driver_memory: str = "8g"):
    """A Spark session on ``master`` with Arrow transfer; the caller stops it."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(master).appName("sozialradar-features")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", driver_memory)
            .getOrCreate())


def _quiet(spark) -> None:
    spark.sparkContext.setLogLevel("ERROR")


def _profile_dtypes(spec: ProfileSpec) -> dict[str, object]:
    dtypes: dict[str, object] = {}
    for c in profile_columns(spec) + model_columns(spec):
        if c in ("region_id", "period", GROUP_COLUMN, "flags", "status_label", "dynamics_label",
                 "status_indicators", "dynamics_indicators"):
            dtypes[c] = "str"
        elif c in ("is_reference", "status_copied") or c.startswith(IMPUTED):
            dtypes[c] = "bool"
        else:
            dtypes[c] = "float64"
    return dtypes


def run_on_spark(selected: pd.DataFrame, catalog: Catalog, privacy: PrivacyConfig, spec: ProfileSpec,
                 master: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The profiles of every reference group computed by Spark (``groupBy(reference_group).applyInPandas`` over the
    same per-group function as the local engine); returns the feature values and the profile rows (the
    profiles' columns with the model matrix's beside them), as the local engine's chunks do."""
    spark = session(master)
    _quiet(spark)
    try:
        population = spec.population_indicator
        value_dtypes = {c: "str" for c in VALUE_OUTPUT_COLUMNS}
        value_dtypes.update({"value": "float64", "numerator": "float64", "denominator": "float64"})
        value_schema = _schema(VALUE_OUTPUT_COLUMNS, value_dtypes)
        combined_cols = profile_columns(spec) + [c for c in model_columns(spec)
                                                  if c not in ("region_id", "period", GROUP_COLUMN)]
        dtypes = _profile_dtypes(spec)
        combined_schema = _schema(combined_cols, dtypes)

        def prep(pdf: pd.DataFrame) -> pd.DataFrame:
            return prepare_values(pdf, catalog, privacy, population)

        def prof(pdf: pd.DataFrame) -> pd.DataFrame:
            out = profile_group(pdf, spec).loc[:, combined_cols]
            return out.astype({c: ("object" if dtypes[c] == "str" else dtypes[c]) for c in combined_cols})

        source = spark.createDataFrame(selected.astype({c: "object" for c in selected.columns
                                                        if selected[c].dtype == "str"}))
        values_sdf = source.groupBy(GROUP_COLUMN).applyInPandas(prep, schema=value_schema).cache()
        combined_sdf = values_sdf.groupBy(GROUP_COLUMN).applyInPandas(prof, schema=combined_schema)
        values = values_sdf.toPandas()
        combined = combined_sdf.toPandas()
    finally:
        spark.stop()
    for frame in (values, combined):
        for c in frame.columns:
            if frame[c].dtype == object:       # text, with missing values kept missing (not the text "None")
                frame[c] = frame[c].where(frame[c].isna(), frame[c].astype("str"))
    return values.loc[:, VALUE_OUTPUT_COLUMNS], combined

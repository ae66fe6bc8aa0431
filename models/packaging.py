"""Models as MLflow pyfunc models that store plain arrays (npz + JSON), not pickles."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow.pyfunc
import numpy as np
import pandas as pd

from models.early_warning import EarlyWarningModel, Platt, WarningGMLVQ, WarningTrees, level_of
from models.lvq import GLVQ, GMLVQ, LGMLVQ
from models.typology import Typology

_LVQ = {"GLVQ": GLVQ, "GMLVQ": GMLVQ, "LGMLVQ": LGMLVQ}


def save_lvq(model, features: list[str], path: Path) -> Path:
    """Write a fitted LVQ model's arrays and parameters."""
    arrays = {"prototypes": model.prototypes_, "prototype_labels": model.prototype_labels_,
              "classes": np.asarray(model.classes_).astype(str)}
    if hasattr(model, "omega_"):
        arrays["omega"] = model.omega_
    if hasattr(model, "omegas_"):
        arrays["omegas"] = model.omegas_
    np.savez(path / "lvq.npz", **arrays)
    meta = {"class": type(model).__name__, "features": features, "params": model.get_params(),
            "calibration_slope": model.calibration_slope_}
    (path / "lvq.json").write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def load_lvq(path: Path):
    meta = json.loads((Path(path) / "lvq.json").read_text(encoding="utf-8"))
    data = np.load(Path(path) / "lvq.npz", allow_pickle=False)
    model = _LVQ[meta["class"]](**{k: v for k, v in meta["params"].items()})
    model.prototypes_ = data["prototypes"]
    model.prototype_labels_ = data["prototype_labels"]
    model.classes_ = data["classes"]
    model.n_features_in_ = model.prototypes_.shape[1]
    model.calibration_slope_ = meta["calibration_slope"]
    if "omega" in data:
        model.omega_ = data["omega"]
        model.lambda_ = model.omega_.T @ model.omega_
        model.relevance_ = np.diag(model.lambda_).copy()
    if "omegas" in data:
        model.omegas_ = data["omegas"]
        model.lambdas_ = np.einsum("mkd,mke->mde", model.omegas_, model.omegas_)
        model.relevances_ = np.einsum("mdd->md", model.lambdas_).copy()
    return model, meta["features"]


def save_early_warning(model: EarlyWarningModel, path: Path) -> Path:
    """Write the early-warning model: JSON (kind, features, calibration, thresholds) and plain arrays; the
    tree candidate as a skops file (no pickle)."""
    path = Path(path)
    meta = {"kind": model.kind, "features": model.features, "platt": [model.platt.a, model.platt.b],
            "thresholds": model.thresholds, "horizon": model.horizon, "delta": model.delta, "metrics": model.metrics}
    arrays = {"background": model.background}
    if model.kind == "gmlvq":
        m = model.model
        arrays.update(mean=m.mean_, std=m.std_, w0=m.w0_, w1=m.w1_, lam=m.lambda_)
    else:
        import skops.io

        skops.io.dump(model.model.model_, path / "trees.skops")
    np.savez(path / "early_warning.npz", **arrays)
    (path / "early_warning.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


def load_early_warning(path: Path) -> EarlyWarningModel:
    path = Path(path)
    meta = json.loads((path / "early_warning.json").read_text(encoding="utf-8"))
    data = np.load(path / "early_warning.npz", allow_pickle=False)
    if meta["kind"] == "gmlvq":
        inner = WarningGMLVQ()
        inner.mean_, inner.std_, inner.w0_, inner.w1_, inner.lambda_ = (data[k] for k in ("mean", "std", "w0", "w1", "lam"))
    else:
        import skops.io

        inner = WarningTrees()
        file = path / "trees.skops"
        inner.model_ = skops.io.load(file, trusted=skops.io.get_untrusted_types(file=file))
    a, b = meta["platt"]
    return EarlyWarningModel(kind=meta["kind"], model=inner, features=meta["features"], platt=Platt(a, b),
                             thresholds=meta["thresholds"], background=data["background"], horizon=meta["horizon"],
                             delta=meta["delta"], metrics=meta.get("metrics", {}))


class EarlyWarningPyfunc(mlflow.pyfunc.PythonModel):
    """Probability that the status worsens within the horizon, and the warning level, per row."""

    def load_context(self, context):
        self.model = load_early_warning(Path(context.artifacts["early_warning"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        p = self.model.probability(model_input)
        return pd.DataFrame({"probability": p, "level": level_of(p, self.model.thresholds).astype(str)},
                            index=model_input.index)


MODEL_CODE = {"lvq": Path(__file__).with_name("pyfunc_lvq.py"),
              "typology": Path(__file__).with_name("pyfunc_typology.py"),
              "early_warning": Path(__file__).with_name("pyfunc_early_warning.py")}


class LVQPyfunc(mlflow.pyfunc.PythonModel):
    """Predicts class and probability per row of a frame with the training features as columns."""

    def load_context(self, context):
        self.model, self.features = load_lvq(Path(context.artifacts["lvq"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        X = model_input.loc[:, self.features].to_numpy(dtype=float)
        proba = self.model.predict_proba(X)
        out = pd.DataFrame(proba, columns=[f"p_{c}" for c in self.model.classes_], index=model_input.index)
        out.insert(0, "prediction", self.model.predict(X).astype(str))
        return out


def save_typology(model: Typology, features: list[str], descriptions: dict[int, str], path: Path) -> Path:
    np.savez(path / "typology.npz", prototypes=model.prototypes_)
    meta = {"features": features, "descriptions": {str(k): v for k, v in descriptions.items()},
            "n_types": model.n_types_, "method": model.method, "scores": {str(k): v for k, v in model.scores_.items()}}
    (path / "typology.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


class TypologyPyfunc(mlflow.pyfunc.PythonModel):
    """Assigns each row to the nearest type prototype and returns type number and description."""

    def load_context(self, context):
        base = Path(context.artifacts["typology"])
        self.prototypes = np.load(base / "typology.npz", allow_pickle=False)["prototypes"]
        meta = json.loads((base / "typology.json").read_text(encoding="utf-8"))
        self.features, self.descriptions = meta["features"], meta["descriptions"]

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        X = model_input.loc[:, self.features].to_numpy(dtype=float)
        d = ((X[:, None, :] - self.prototypes[None, :, :]) ** 2).sum(axis=2)
        types = d.argmin(axis=1) + 1
        return pd.DataFrame({"type": types, "description": [self.descriptions[str(t)] for t in types]},
                            index=model_input.index)

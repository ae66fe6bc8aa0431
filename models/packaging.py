"""Models as MLflow pyfunc models that store plain arrays (npz + JSON), not pickles."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow.pyfunc
import numpy as np
import pandas as pd

from ml.columns import PROB, columns
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
    if getattr(model, "calibration_coef_", None) is not None:
        arrays["calibration_coef"] = model.calibration_coef_
        arrays["calibration_intercept"] = model.calibration_intercept_
    np.savez(path / "lvq.npz", **arrays)
    meta = {"class": type(model).__name__, "features": features, "params": model.get_params(),
            "calibration_slope": model.calibration_slope_}
    (path / "lvq.json").write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def load_lvq(path: Path):
    """An LVQ model saved by :func:`save_lvq` and its feature names."""
    meta = json.loads((Path(path) / "lvq.json").read_text(encoding="utf-8"))
    data = np.load(Path(path) / "lvq.npz", allow_pickle=False)
    model = _LVQ[meta["class"]](**{k: v for k, v in meta["params"].items()})
    model.prototypes_ = data["prototypes"]
    model.prototype_labels_ = data["prototype_labels"]
    model.classes_ = data["classes"]
    model.n_features_in_ = model.prototypes_.shape[1]
    model.calibration_slope_ = meta["calibration_slope"]
    model.calibration_coef_ = data["calibration_coef"] if "calibration_coef" in data else None
    model.calibration_intercept_ = data["calibration_intercept"] if "calibration_intercept" in data else None
    if "omega" in data:
        model.omega_ = data["omega"]
        model.lambda_ = model.omega_.T @ model.omega_
        model.relevance_ = np.diag(model.lambda_).copy()
    if "omegas" in data:
        model.omegas_ = data["omegas"]
        model.lambdas_ = np.einsum("mkd,mke->mde", model.omegas_, model.omegas_)
        model.relevances_ = np.einsum("mdd->md", model.lambdas_).copy()
        model.relevances_ = np.einsum("mdd->md", model.lambdas_).copy()
    return model, meta["features"]


def _candidate_state(model, prefix: str, arrays: dict) -> dict:
    from models.warning_candidates import Average

    if isinstance(model, Average):
        return {"kind": "average", "components": [
            {**_candidate_state(m, f"{prefix}c{k}.", arrays), "platt": [platt.a, platt.b]}
            for k, (m, platt) in enumerate(model.components)]}
    meta, arr = model.state()
    arrays.update({prefix + k: v for k, v in arr.items()})
    return {"kind": model.kind, "meta": meta}


def _candidate_from_state(state: dict, prefix: str, data) -> object:
    from models.early_warning import Platt
    from models.warning_candidates import CANDIDATES, Average

    if state["kind"] == "average":
        return Average([(_candidate_from_state(c, f"{prefix}c{k}.", data), Platt(*c["platt"]))
                        for k, c in enumerate(state["components"])])
    arrays = {k[len(prefix):]: data[k] for k in data.files if k.startswith(prefix) and "." not in k[len(prefix):]}
    return CANDIDATES[state["kind"]].from_state(state["meta"], arrays)


def save_early_warning(models: dict, path: Path) -> Path:
    """Write the early-warning models of every horizon: JSON (kind, calibration, levels, note, metrics) and
    plain arrays (the tree candidate as skops bytes; no pickle)."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    meta = {}
    for h, m in models.items():
        arrays[f"h{h}.background"] = m.background.to_numpy(float)
        meta[str(h)] = {"kind": m.kind, "platt": [m.platt.a, m.platt.b], "thresholds": m.levels.thresholds,
                        "reasons": m.levels.reasons, "targets": m.levels.targets, "horizon": m.horizon,
                        "outcome": m.outcome, "delta": m.delta,
                        "note": m.note, "metrics": m.metrics, "background_columns": list(m.background.columns),
                        "model": _candidate_state(m.model, f"h{h}.m.", arrays)}
    np.savez(path / "early_warning.npz", **arrays)
    (path / "early_warning.json").write_text(json.dumps(meta, ensure_ascii=False, default=float), encoding="utf-8")
    return path


def load_early_warning(path: Path) -> dict:
    """Horizon → :class:`models.early_warning.EarlyWarningModel`, as :func:`save_early_warning` wrote them."""
    from models.early_warning import EarlyWarningModel, Levels, Platt

    path = Path(path)
    meta = json.loads((path / "early_warning.json").read_text(encoding="utf-8"))
    data = np.load(path / "early_warning.npz", allow_pickle=False)
    out = {}
    for key, m in meta.items():
        h = int(key)
        background = pd.DataFrame(data[f"h{h}.background"], columns=m["background_columns"])
        out[h] = EarlyWarningModel(kind=m["kind"], model=_candidate_from_state(m["model"], f"h{h}.m.", data),
                                   platt=Platt(*m["platt"]),
                                   levels=Levels(m["thresholds"], m["reasons"], m.get("targets", {})),
                                   background=background, horizon=h, outcome=m["outcome"], delta=m["delta"],
                                   note=m["note"], metrics=m["metrics"])
    return out


class EarlyWarningPyfunc(mlflow.pyfunc.PythonModel):
    """Per row of early-warning inputs and per horizon h: the probability that the status class is worse h
    years later (``probability_h<h>``) and the warning level (``level_h<h>``)."""

    def load_context(self, context):
        """Load the per-horizon models from the artifact directory."""
        self.models = load_early_warning(Path(context.artifacts["early_warning"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """``probability_h<h>`` and ``level_h<h>`` per row of early-warning inputs."""
        out = pd.DataFrame(index=model_input.index)
        for h, m in sorted(self.models.items()):
            p = m.probability(model_input)
            out[f"probability_h{h}"] = p
            out[f"level_h{h}"] = m.levels.of(p).astype(str)
        return out


MODEL_CODE = {"lvq": Path(__file__).with_name("pyfunc_lvq.py"),
              "typology": Path(__file__).with_name("pyfunc_typology.py"),
              "early_warning": Path(__file__).with_name("pyfunc_early_warning.py")}


def save_classifier(model, features: list[str], path: Path, name: str, profiles: np.ndarray) -> Path:
    """Write a fitted scikit-learn classifier (served where it was more accurate than the LVQ model): the
    estimator as skops bytes (no pickle), its classes, the classes' typical profiles (for the region contrasts)
    and its German display ``name``."""
    import skops.io

    blob = np.frombuffer(skops.io.dumps(model), dtype=np.uint8)
    np.savez(path / "classifier.npz", skops=blob, classes=np.asarray(model.classes_).astype(str), profiles=profiles)
    meta = {"class": type(model).__name__, "name": name, "features": features}
    (path / "classifier.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


def load_classifier(path: Path):
    """A classifier saved by :func:`save_lvq` or :func:`save_classifier`: the model, its features and (for a
    scikit-learn classifier) its display name and the classes' typical profiles, else None for both."""
    path = Path(path)
    if (path / "lvq.json").is_file():
        model, features = load_lvq(path)
        return model, features, None, None
    meta = json.loads((path / "classifier.json").read_text(encoding="utf-8"))
    data = np.load(path / "classifier.npz", allow_pickle=False)
    model = sklearn_from_skops(data["skops"].tobytes(), path / "classifier.npz")
    return model, meta["features"], meta["name"], data["profiles"]


def sklearn_from_skops(blob: bytes, source) -> object:
    """A scikit-learn estimator from skops bytes, trusting the types skops does not know by default only where
    they are scikit-learn's own (a tree's ``Tree``); a ValueError naming ``source`` and any other type."""
    import skops.io

    untrusted = skops.io.get_untrusted_types(data=blob)
    foreign = [t for t in untrusted if not t.startswith("sklearn.")]
    if foreign:
        raise ValueError(f"{source}: types outside scikit-learn: {', '.join(foreign)}")
    return skops.io.loads(blob, trusted=untrusted)


class LVQPyfunc(mlflow.pyfunc.PythonModel):
    """Predicts class and probability per row of a frame with the training features as columns: the LVQ model,
    or the classifier served in its place where it was more accurate (``name`` says which; None for LVQ)."""

    def load_context(self, context):
        """Load the classifier and its features from the artifact directory."""
        folder = context.artifacts.get("lvq") or context.artifacts["classifier"]
        self.model, self.features, self.name, self.profiles = load_classifier(Path(folder))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """``prediction`` and ``p_<class>`` per row of a frame with the training features."""
        X = model_input.loc[:, self.features].to_numpy(dtype=float)
        proba = self.model.predict_proba(X)
        out = pd.DataFrame(proba, columns=columns(PROB, self.model.classes_), index=model_input.index)
        out.insert(0, "prediction", self.model.predict(X).astype(str))
        return out


def save_typology(model: Typology, features: list[str], descriptions: dict[int, str], path: Path) -> Path:
    """A typology with its features and German descriptions saved as plain arrays and JSON in ``path``."""
    np.savez(path / "typology.npz", prototypes=model.prototypes_)
    meta = {"features": features, "descriptions": {str(k): v for k, v in descriptions.items()},
            "n_types": model.n_types_, "method": model.method, "scores": {str(k): v for k, v in model.scores_.items()}}
    (path / "typology.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


class TypologyPyfunc(mlflow.pyfunc.PythonModel):
    """Assigns each row to the nearest type prototype and returns type number and description."""

    def load_context(self, context):
        """Load the typology, its features and descriptions from the artifact directory."""
        base = Path(context.artifacts["typology"])
        self.prototypes = np.load(base / "typology.npz", allow_pickle=False)["prototypes"]
        meta = json.loads((base / "typology.json").read_text(encoding="utf-8"))
        self.features, self.descriptions = meta["features"], meta["descriptions"]

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """``type`` (1 …) and its ``description`` per row of a frame with the typology's features."""
        X = model_input.loc[:, self.features].to_numpy(dtype=float)
        d = ((X[:, None, :] - self.prototypes[None, :, :]) ** 2).sum(axis=2)
        types = d.argmin(axis=1) + 1
        return pd.DataFrame({"type": types, "description": [self.descriptions[str(t)] for t in types]},
                            index=model_input.index)

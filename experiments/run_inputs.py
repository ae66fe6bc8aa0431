"""What a training run starts from and ends with: the period it trains on, its inputs (imputed z-values of one
period), the error for inputs that do not allow a run, and the summary of the run."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from experiments.assignments import withheld
from ml.catalog import Catalog
from ml.columns import MODEL, column, columns, ids, latest_complete_period
from ml.config import Settings
from models.typology import short_name


class TrainingError(ValueError):
    """The inputs do not allow a training run (no profiles, too few regions per class ...)."""


@dataclass
class RunSummary:
    """A training run: its id, metrics, registered version, whether it became champion, and notes."""
    run_id: str
    metrics: dict[str, float]
    model_version: str | None
    champion: bool
    notes: list[str]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Tables of the run for callers (the classifier: 'vergleich', 'wiederholungen', 'rueckweisung', 'auswahl',
    'auswahl_je_fold', 'relevanz' for a model with relevances and, with a later-period check, 'spaetere_periode')."""
    served: str | None = None
    """The classifier run: the display name of the model the service answers with."""
    champion_reason: str = ""
    """Why the run became champion or did not (``ml.tracking.promote``)."""
    interpretation: str | None = None
    """The classifier run: what counts most for the LVQ model's classification (the first line of
    ``einordnung.txt``); None for a model without relevances."""


def training_period(profiles: pd.DataFrame, period: str | None, needs_index: bool = True, instead: str = "") -> str:
    """The asked period, else the latest with a status index; where the model does not need the index (the
    typology) and no period has one, the latest period with profiles. ``instead`` ends the error where no period
    has an index (what the job could do without one)."""
    if period is not None:
        if period not in set(profiles["period"]):
            raise TrainingError(f"no profiles for period {period!r}; periods: {', '.join(sorted(set(profiles['period'])))}")
        return period
    latest = latest_complete_period(profiles)
    if latest is None and not needs_index and not profiles.empty:
        return str(profiles["period"].max())
    if latest is None:
        raise TrainingError("no profile has a status index: the status indicators "
                            "(features.index.status_indicators) have no values; 'sozialradar features' names "
                            "the ones that have" + instead if not profiles.empty else
                            "no profiles; run 'sozialradar features' first")
    return latest


def default_inputs(model_matrix: pd.DataFrame, catalog: Catalog, settings: Settings) -> list[str]:
    """The default inputs of the typology and the classifier: the indicators with a direction outside the status
    and dynamics index."""
    status = set(settings.features.index.status_indicators) | set(settings.features.index.dynamics_indicators or [])
    return [i for i in ids(model_matrix.columns, MODEL) if i not in status and catalog[i].polarity != 0]


def periods_with_inputs(model_matrix: pd.DataFrame, features: list[str]) -> list[str]:
    """The periods in which the most of ``features`` have values (at least one), in order: a census table's year
    among the later years of a population register that holds the residents alone."""
    cols = [c for c in columns(MODEL, features) if c in model_matrix.columns]
    if not cols:
        return []
    held = model_matrix[cols].notna().groupby(model_matrix["period"]).any().sum(axis=1)
    held = held[held.gt(0)]
    return sorted(str(p) for p in held[held.eq(held.max())].index) if not held.empty else []


def typology_period(profiles: pd.DataFrame, model_matrix: pd.DataFrame, catalog: Catalog,
                    settings: Settings) -> tuple[str, list[str]]:
    """The typology's period (``training.typology.period``, else the latest with a status index) and its note: where
    no period has a status index, the latest period in which the most of the typology's inputs have values (a census
    year before years of the residents alone), not merely the latest."""
    cfg = settings.training.typology
    period = training_period(profiles, cfg.period, needs_index=False)
    if cfg.period is not None or latest_complete_period(profiles) is not None:
        return period, []
    inputs = cfg.features or default_inputs(model_matrix, catalog, settings)
    period = next(iter(periods_with_inputs(model_matrix, inputs)[-1:]), period)
    return period, [f"no period has a status index: the types are built from the profiles of {period}, the latest "
                    "period in which the most of their inputs have values"]


def training_frame(profiles: pd.DataFrame, model_matrix: pd.DataFrame, catalog: Catalog, settings: Settings,
                   period: str, features: list[str] | None) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Inputs (imputed z-values, one row per region) of ``period``, their indicator ids and German names. A region
    whose values are withheld (a small area: every input imputed) is left out."""
    m = model_matrix[model_matrix["period"] == period]
    if features is None:
        features = default_inputs(m, catalog, settings)
    missing = [f for f in features if column(MODEL, f) not in m.columns]
    if missing:
        raise TrainingError(f"features not in the profiles: {', '.join(missing)}")
    m = m[~withheld(profiles, m, features)].set_index("region_id")
    X = m[columns(MODEL, features)].dropna(axis=1, how="all")
    if X.shape[1] == 0:
        held = periods_with_inputs(model_matrix, features)
        named = ", ".join(features[:8]) + (" …" if len(features) > 8 else "")
        raise TrainingError(f"none of the features ({named}) has values in {period}" + (
            f"; they have values in {', '.join(held)}: choose the period under training.<job>.period" if held else ""))
    kept = ids(X.columns, MODEL)
    X = X.dropna()
    X.columns = kept
    return X, kept, [short_name(catalog[f].name) for f in kept]


def plain_indicators(model_matrix: pd.DataFrame, catalog: Catalog, period: str) -> list[str]:
    """Shares, rates and means without a direction that have values in ``period`` (left out of the default
    inputs, named to the analyst where few inputs remain)."""
    m = model_matrix[model_matrix["period"] == period]
    return [i for i in ids(m.columns, MODEL) if i in catalog and catalog[i].polarity == 0
            and catalog[i].kind in ("share", "rate", "mean") and m[column(MODEL, i)].notna().any()]


def require_two_inputs(what: str, features: list[str], period: str, by_default: bool, plain: list[str],
                       setting: str, why: str = "", index: list[str] | None = None) -> None:
    """Refuse a model of a single input indicator (a county of census tables may have one share with a
    direction), naming the status index's indicators the default leaves out (``index``), the shares and means
    without a direction that could join (``plain``) and the setting."""
    if len(features) >= 2:
        return
    raise TrainingError(
        f"the {what} needs at least two indicators; {period} has values of only {', '.join(features)}"
        + (" among those with a direction" + (f" outside the status index ({', '.join(index)})" if index else "")
           if by_default else "") + why
        + (f"; shares and means without a direction that have values here: {', '.join(plain)}" if plain else "")
        + f"; name two or more under {setting}")

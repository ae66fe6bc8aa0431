"""What-if scenarios: a region's published values changed ("what if the SGB-II share rose by 2 points?") and
carried through the same steps as the features job — z-value, change over the dynamics periods, status and
dynamics index and class, model matrix row, early-warning inputs — so that the champion models can score the
changed region.

The period's standardisation is held fixed: every z-value, the status index and the dynamics index are linear
in the values within a (reference group, period) block, and the scenario moves along those lines (the slopes
are read from the stored block itself). One region's change would shift its block's mean and spread only by
its own weight among the block's reference regions; holding them fixed answers the planner's question ("this
region, everything else as published") and keeps the other regions' classes where they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.steps import classify_index
from features.warning_inputs import build_warning_inputs
from ml.catalog import Catalog
from ml.columns import DZ, MODEL, Z, column, id_of


class ScenarioError(ValueError):
    """A scenario that cannot be computed; ``field`` and ``value`` name the offending input."""

    def __init__(self, message: str, field: str, value=None):
        super().__init__(message)
        self.field, self.value = field, value


@dataclass
class Scenario:
    """A changed region-period: ``changes`` (indicator_id, before, after, z_before, z_after), the status and
    dynamics index before and after with the status class (1 best … n worst), the changed model-matrix row
    (``m_<indicator>`` columns) and the early-warning inputs row before and after (index region_id, period);
    ``values`` are the region's feature values with the changed cells (for the explanation's sentences)."""

    region_id: str
    period: str
    changes: pd.DataFrame
    status_before: float
    status_after: float
    class_before: int | None
    class_after: int | None
    dynamics_before: float
    dynamics_after: float
    matrix_row: pd.Series
    inputs_before: pd.DataFrame
    inputs_after: pd.DataFrame | None
    values: pd.DataFrame
    history: tuple[pd.DataFrame, pd.DataFrame] | None = None   # the region's rows until its inputs are built


def slope(x, z) -> float:
    """Least-squares slope of ``z`` on ``x`` over the pairs where both are finite (exact when z is linear in x);
    NaN with fewer than two distinct x."""
    x, z = np.asarray(x, float), np.asarray(z, float)
    ok = np.isfinite(x) & np.isfinite(z)
    if ok.sum() < 2 or np.ptp(x[ok]) == 0:
        return float("nan")
    xc = x[ok] - x[ok].mean()
    return float((xc * (z[ok] - z[ok].mean())).sum() / (xc ** 2).sum())


def check_range(changes: dict[str, float], catalog: Catalog, field: str = "changes") -> None:
    """Every changed indicator is in the catalog and its new value within the indicator's valid range
    (:class:`ScenarioError` naming ``field.<indicator>`` otherwise)."""
    for ind, value in changes.items():
        if ind not in catalog:
            raise ScenarioError(f"unknown indicator {ind!r}", f"{field}.{ind}", ind)
        lo, hi = catalog[ind].valid_range
        if not np.isfinite(value) or not lo <= value <= hi:
            raise ScenarioError(f"{catalog[ind].name} ({ind}) = {value:g} lies outside its valid range "
                                f"[{lo:g}, {hi:g}]", f"{field}.{ind}", value)


def apply_changes(values: pd.DataFrame, profiles: pd.DataFrame, model_matrix: pd.DataFrame, warning_inputs: pd.DataFrame,
                  region_id: str, period: str, changes: dict[str, float], *, thresholds, status_indicators: list[str],
                  dynamics_indicators: list[str] | None, dynamics_periods: int, build: bool = True) -> Scenario:
    """The region-period with ``changes`` (indicator → new published value) carried through the features
    steps, the standardisation of its block held fixed.

    ``values``: the feature values (region_id, indicator_id, period, value, flag, reference_group) — at least
    the region's own and its block's of the period and of the dynamics period before;
    ``profiles``: with ``z_``/``dz_`` columns, status and dynamics sums and indices; ``model_matrix``: with
    ``m_`` columns; ``warning_inputs``: the stored early-warning inputs (their columns are kept). A changed
    indicator must have a published (not suppressed) value in that period, and be a model indicator.
    ``build=False`` leaves the early-warning inputs after the change to :func:`build_inputs` (several
    scenarios in one pass of the features step)."""
    period = str(period)
    periods = profiles["period"].astype(str)
    key = (profiles["region_id"] == region_id) & (periods == period)
    if not key.any():
        raise ScenarioError(f"no profile of region {region_id!r} in {period}", "region_id", region_id)
    row = profiles[key].iloc[0].copy()
    row["period"] = period
    block = profiles[(profiles["reference_group"] == row["reference_group"]) & (periods == period)]
    mine = values["region_id"] == region_id
    v = values[mine | values["region_id"].isin(block["region_id"])]
    v = v.assign(period=v["period"].astype(str))
    own = v[(v["region_id"] == region_id)].set_index(["indicator_id", "period"])
    block_values = v[v["region_id"].isin(block["region_id"]) & (v["period"] == period)]
    earlier = str(int(period[:4]) - dynamics_periods)

    new_row, new_matrix = row.copy(), _matrix_row(model_matrix, region_id, period).copy()
    status_shift = dynamics_shift = 0.0
    listed = []
    changed_values = v[v["region_id"] == region_id].copy()     # the region's values, for the sentences
    for ind, after in changes.items():
        field = f"changes.{ind}"
        if column(MODEL, ind) not in new_matrix.index or column(Z, ind) not in block.columns:
            raise ScenarioError(f"{ind!r} is not an indicator of the profiles' models", field, ind)
        if (ind, period) not in own.index or own.at[(ind, period), "flag"] == "suppressed" \
                or not np.isfinite(own.at[(ind, period), "value"]):
            raise ScenarioError(f"region {region_id!r} has no published value of {ind!r} in {period} to change",
                                field, ind)
        before = float(own.at[(ind, period), "value"])
        x = block_values[block_values["indicator_id"] == ind].set_index("region_id")["value"]
        dz_ = slope(x.reindex(block["region_id"]).to_numpy(), block[column(Z, ind)].to_numpy()) * (after - before)
        if not np.isfinite(dz_):
            raise ScenarioError(f"{ind!r} does not vary among the comparison regions in {period}; its z-value "
                                "cannot move", field, ind)
        new_row[column(Z, ind)] = row[column(Z, ind)] + dz_
        new_matrix[column(MODEL, ind)] = new_matrix[column(MODEL, ind)] + dz_
        if ind in status_indicators:
            status_shift += dz_
        # the change since the dynamics period moves by the same amount as the value
        d_col = column(DZ, ind)
        if d_col in block.columns and np.isfinite(row[d_col]):
            past = v[(v["indicator_id"] == ind) & (v["period"] == earlier)].set_index("region_id")["value"]
            change = x.reindex(block["region_id"]).to_numpy() - past.reindex(block["region_id"]).to_numpy()
            d_dz = slope(change, block[d_col].to_numpy()) * (after - before)
            if np.isfinite(d_dz):
                new_row[d_col] = row[d_col] + d_dz
                if dynamics_indicators is None and ind in status_indicators:
                    dynamics_shift += d_dz
        if dynamics_indicators and ind in dynamics_indicators:
            dynamics_shift += dz_
        hit = ((changed_values["region_id"] == region_id) & (changed_values["indicator_id"] == ind)
               & (changed_values["period"] == period))
        changed_values.loc[hit, "value"] = after
        listed.append({"indicator_id": ind, "before": before, "after": float(after),
                       "z_before": float(row[column(Z, ind)]), "z_after": float(new_row[column(Z, ind)])})

    for name, shift in (("status", status_shift), ("dynamics", dynamics_shift)):
        if shift and np.isfinite(row[f"{name}_index"]):
            k = slope(block[f"{name}_sum"].to_numpy(), block[f"{name}_index"].to_numpy())
            new_row[f"{name}_sum"] = row[f"{name}_sum"] + shift
            new_row[f"{name}_index"] = row[f"{name}_index"] + k * shift
    cls_before = _class(row["status_index"], thresholds)
    cls_after = _class(new_row["status_index"], thresholds)
    new_row["status_class"] = cls_after

    sc = Scenario(region_id=region_id, period=period, changes=pd.DataFrame(listed),
                  status_before=float(row["status_index"]), status_after=float(new_row["status_index"]),
                  class_before=cls_before, class_after=cls_after,
                  dynamics_before=float(row["dynamics_index"]), dynamics_after=float(new_row["dynamics_index"]),
                  matrix_row=new_matrix, inputs_before=_inputs_row(warning_inputs, region_id, period),
                  inputs_after=None, values=changed_values,
                  history=_history(profiles, model_matrix, region_id, period, new_row, new_matrix, warning_inputs))
    if build:
        build_inputs([sc], warning_inputs, thresholds)
    return sc


def _class(index: float, thresholds) -> int | None:
    if not np.isfinite(index):
        return None
    return int(classify_index(pd.Series([index]), tuple(thresholds)).iloc[0])


def _matrix_row(model_matrix: pd.DataFrame, region_id: str, period: str) -> pd.Series:
    m = model_matrix[(model_matrix["region_id"] == region_id) & (model_matrix["period"].astype(str) == period)]
    if m.empty:
        raise ScenarioError(f"region {region_id!r} has no model input in {period}", "region_id", region_id)
    return m.iloc[0]


def _inputs_row(inputs: pd.DataFrame, region_id: str, period: str) -> pd.DataFrame:
    row = inputs[(inputs["region_id"] == region_id) & (inputs["period"].astype(str) == period)]
    if row.empty:
        raise ScenarioError(f"region {region_id!r} has no early-warning input in {period} (no status index)",
                            "region_id", region_id)
    return row.assign(period=period).set_index(["region_id", "period"])


def _indicators(stored: pd.DataFrame) -> list[str]:
    return sorted({i for c in stored.columns for i in (id_of(c, MODEL), id_of(c, DZ)) if i is not None})


def _history(profiles: pd.DataFrame, model_matrix: pd.DataFrame, region_id: str, period: str, new_row: pd.Series,
             new_matrix: pd.Series, stored: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The region's profile and model-matrix rows, only the columns the features step reads, with the changed
    period's rows replaced."""
    indicators = _indicators(stored)
    p_cols = ["region_id", "period", "status_index", "status_class", "dynamics_index",
              *[c for c in ("status_indicators", "status_copied") if c in profiles.columns and c in new_row.index],
              *[c for c in (column(DZ, i) for i in indicators) if c in profiles.columns]]
    m_cols = ["region_id", "period", *[c for c in (column(MODEL, i) for i in indicators) if c in model_matrix.columns]]
    own = profiles.loc[profiles["region_id"] == region_id, p_cols]
    own = own.assign(period=own["period"].astype(str))
    own = pd.concat([own[own["period"] != period], new_row[p_cols].to_frame().T.astype(own.dtypes.to_dict())],
                    ignore_index=True)
    matrix = model_matrix.loc[model_matrix["region_id"] == region_id, m_cols].assign(
        period=lambda f: f["period"].astype(str))
    matrix = pd.concat([matrix[matrix["period"] != period],
                        new_matrix[m_cols].to_frame().T.assign(period=period).astype(matrix.dtypes.to_dict())],
                       ignore_index=True)
    return own, matrix


def build_inputs(scenarios: list[Scenario], stored: pd.DataFrame, thresholds) -> None:
    """The early-warning inputs after the change of every scenario (``inputs_after``, in the stored inputs'
    columns), built by the features step in one pass over their histories: each region's own history with the
    changed row in place (two scenarios of one region stay apart)."""
    todo = [(k, sc) for k, sc in enumerate(scenarios) if sc.history is not None]
    if not todo:
        return
    own = pd.concat([sc.history[0].assign(region_id=f"s{k}") for k, sc in todo], ignore_index=True)
    matrix = pd.concat([sc.history[1].assign(region_id=f"s{k}") for k, sc in todo], ignore_index=True)
    # the editions repeated in every region; a row of a block copied in one group is marked in its history
    every = (stored["repeats"].astype(bool).groupby(stored["period"].astype(str)).all() if "repeats" in stored.columns
             else pd.Series(dtype=bool))
    repeated = sorted(every.index[every])
    built = build_warning_inputs(own, matrix, _indicators(stored), thresholds,
                                 repeated=repeated).set_index(["region_id", "period"])
    fill = [c for c in stored.columns if id_of(c, MODEL) is not None or id_of(c, DZ) is not None]
    for k, sc in todo:
        row = built.loc[[(f"s{k}", sc.period)]].reset_index().reindex(columns=stored.columns)
        row[fill] = row[fill].fillna(0.0)
        sc.inputs_after = row.assign(region_id=sc.region_id, period=sc.period).set_index(["region_id", "period"])
        sc.history = None

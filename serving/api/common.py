"""What every router of the API shares: the error answer, the request parameters for region and period, and
the lookups on the served snapshot (:class:`Context`)."""

from __future__ import annotations

import pandas as pd
from fastapi import Query
from fastapi.responses import JSONResponse

from ml.config import Settings
from models.explanations import unscored
from serving.key_figures import refused_training
from serving.schemas import PERIOD_PATTERN, REGION_PATTERN, ErrorBody
from serving.state import (NotReady, ServiceState, Snapshot, UnknownHorizon, UnknownPeriod, horizon_of, stored_row,
                           withheld)

REGION_ID = Query(pattern=REGION_PATTERN, description="Gebietskennziffer")
PERIOD = Query(None, pattern=PERIOD_PATTERN, description="Jahr; leer: letzte Periode mit Statusindex")


class ApiError(Exception):
    """An error answer with the shared body (status, error, message, field, value)."""

    def __init__(self, status: int, error: str, message: str, field: str | None = None, value=None):
        self.status, self.error, self.message, self.field = status, error, message, field
        self.value = None if value is None else str(value)[:200]


def error_body(status, error, message, field=None, value=None) -> JSONResponse:
    """The shared error body as a JSON response."""
    return JSONResponse(status_code=status, content=ErrorBody(status=status, error=error, message=message,
                                                              field=field, value=value).model_dump())


class Context:
    """The service state and settings the routers answer from, with the lookups they share."""

    def __init__(self, state: ServiceState, settings: Settings):
        self.state, self.settings = state, settings
        self.reload_key = settings.serving.reload_key()   # read once: an unsafe key file stops the start

    def snap(self) -> Snapshot:
        """The snapshot being served (503 before the first load)."""
        return self.state.current()

    def region(self, s: Snapshot, region_id: str) -> pd.Series:
        """The region's row (404 for an unknown id)."""
        hit = s.regions[s.regions["region_id"] == region_id]
        if hit.empty:
            raise ApiError(404, "unknown_region", f"no region {region_id!r}", "region_id", region_id)
        return hit.iloc[0]

    def period_of(self, s: Snapshot, period: str | None) -> str:
        """The asked period, or the latest with a status index (404 for an unknown one)."""
        try:
            return s.period_of(period)
        except UnknownPeriod as exc:
            if exc.period is None:
                raise ApiError(404, "no_period", str(exc)) from None
            raise ApiError(404, "unknown_period", str(exc), "period", exc.period) from None

    def profile_row(self, s: Snapshot, region_id: str, period: str) -> pd.Series:
        """The region's profile row in a period (404 without one)."""
        self.region(s, region_id)
        p = s.profiles[(s.profiles["region_id"] == region_id) & (s.profiles["period"] == period)]
        if p.empty:
            raise ApiError(404, "no_profile", f"region {region_id!r} has no profile in {period}", "region_id", region_id)
        return p.iloc[0]

    def level_regions(self, s: Snapshot, level: str | None) -> tuple[str, pd.DataFrame]:
        """The level (default: the profiles') and its regions (404 for an unknown level); on the profiles' level
        those the profiles reach."""
        lv = level or s.level
        regs = s.level_regions if lv == s.level else s.regions[s.regions["level"] == lv]
        if regs.empty:
            raise ApiError(404, "unknown_level", f"no regions of level {lv!r}", "level", lv)
        return lv, regs

    def assigned(self, s: Snapshot, table: str, region_id: str, period: str) -> pd.Series:
        """The stored class or type of a region in a period, as its training job wrote it."""
        stored, job = getattr(s, table), "classifier" if table == "classes" else "typology"
        if stored is None:
            refused = refused_training(s, job)
            raise NotReady(refused["reason"] if refused else f"the store holds no {table} yet: run 'sozialradar "
                           f"train {job}'")
        if withheld(self.profile_row(s, region_id, period)):
            raise ApiError(404, "values_withheld", f"the values of region {region_id!r} in {period} are withheld "
                           "(too few residents or suppressed cells): no class or type", "region_id", region_id)
        row = stored_row(stored, region_id, period)
        last = str(stored["period"].max())
        if row is None and period > last:     # an edition imported since the training
            refused = refused_training(s, job)
            raise ApiError(404, "unknown_period", f"no {table} for period {period!r}: the {job} was trained on the "
                           f"periods up to {last}; 'sozialradar train {job}' assigns the new one"
                           + (f" ({refused['reason']})" if refused else ""), "period", period)
        if row is None:
            raise ApiError(404, "no_model_input", f"region {region_id!r} has no complete model input in {period}",
                           "region_id", region_id)
        return row

    def warnings_for(self, s: Snapshot, period: str | None, horizon: int | None) -> tuple[str, int, pd.DataFrame]:
        """Period, horizon and the stored warnings of that period (503 without warnings, 404 for an unknown
        horizon or period)."""
        if not s.has_warnings:
            raise NotReady(s.warning_refused.get("reason")
                           or "no early warnings in the store: run 'sozialradar train early-warning'")
        per = self.period_of(s, period)
        try:
            h = horizon_of(s, horizon)
        except UnknownHorizon as exc:
            raise ApiError(404, "unknown_horizon", str(exc), "horizon", exc.horizon) from None
        if per not in s.warning_periods():    # an edition imported since the training says so
            why = unscored(per, s.warning_periods(), s.indexed_periods)
            raise ApiError(404, "unknown_period", why["reason"] if why else f"no early warnings for period {per!r}",
                           "period", per)
        return per, h, self.state.explain_period(s, per, h)

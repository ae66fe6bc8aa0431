"""The stored early warnings: ``/early_warning`` (answers cached per snapshot) and ``/explain`` (SHAP values)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Query
from fastapi.responses import Response

from serving.api.common import PERIOD, REGION_ID, ApiError, Context
from serving.schemas import EarlyWarningAnswer, EarlyWarningRequest, Explanation


def router(ctx: Context) -> APIRouter:
    """The routes of this resource, answering from ``ctx``."""
    router = APIRouter()

    @router.post("/early_warning", response_model=EarlyWarningAnswer)
    async def early_warning(request: EarlyWarningRequest):
        # answers are stored and cached per snapshot, period and horizon; with explanations the cached JSON is
        # joined as is (the dashboard's most frequent call), so this runs on the event loop without a thread hop
        s = ctx.snap()
        per, h, _ = ctx.warnings_for(s, request.period, request.horizon)
        answers = s.answers[(per, h)]
        ids = request.region_ids if request.region_ids is not None else list(answers)
        for rid in ids:
            if rid not in answers:
                ctx.region(s, rid)
                raise ApiError(404, "no_warning", f"region {rid!r} has no early warning in {per}", "region_ids", rid)
        m = s.warning_models[h]
        head = {"period": per, "horizon": h, "horizons": s.horizons, "horizons_without_warning": s.warning_skipped,
                "model": m["model"],
                "model_label": m["model_label"], "rule": bool(m["rule"]), "note": m["note"],
                "model_version": m["model_version"] if isinstance(m["model_version"], str) else None,
                "thresholds": m["thresholds"], "unavailable": m["unavailable"], "levels": m.get("levels", {})}
        if request.explain:
            cached = s.answer_json[(per, h)]
            return Response(json.dumps(head, ensure_ascii=False).encode()[:-1] + b', "warnings": ['
                            + b", ".join(cached[r] for r in ids) + b"]}", media_type="application/json")
        out = [{**answers[r], "sentence": "", "drivers": []} for r in ids]
        return EarlyWarningAnswer(**head, warnings=out)

    @router.get("/explain", response_model=Explanation)
    def explain(region_id: str = REGION_ID, period: str | None = PERIOD,
                horizon: int | None = Query(None, ge=1, le=20, description="Jahre voraus; leer: der kürzeste")
                ) -> Explanation:
        s = ctx.snap()
        per, h, w = ctx.warnings_for(s, period, horizon)
        if region_id not in w.index:
            ctx.region(s, region_id)
            raise ApiError(404, "no_warning", f"region {region_id!r} has no early warning in {per}", "region_id", region_id)
        row = w.loc[region_id]
        e = ctx.state.explanation(s, per, region_id, h)
        return Explanation(region_id=region_id, period=per, horizon=h, model=str(row["model"]),
                           probability=float(row["probability"]), level=row["level"],
                           graded=s.warning_models[h]["graded"], sentence=row["sentence"], **e)

    return router

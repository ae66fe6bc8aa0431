"""``/reload``: read the store and the champions anew, guarded by the API key."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Header

from serving.api.common import ApiError, Context
from serving.schemas import ErrorBody, ReloadAnswer
from serving.state import LoadError


def router(ctx: Context) -> APIRouter:
    """The routes of this resource, answering from ``ctx``."""
    router = APIRouter()

    @router.post("/reload", response_model=ReloadAnswer, responses={403: {"model": ErrorBody}})
    def reload(x_api_key: str | None = Header(None, max_length=200)) -> ReloadAnswer:
        expected = ctx.reload_key
        if not expected:
            raise ApiError(404, "reload_disabled", "reload is disabled: no key configured (SOZIALRADAR_SERVING__API_KEY or serving.api_key_file)")
        if x_api_key is None or not hmac.compare_digest(x_api_key.encode(), expected.encode()):
            raise ApiError(403, "invalid_api_key", "X-API-Key is missing or wrong", "X-API-Key")
        try:
            snapshot = ctx.state.reload()
        except LoadError as exc:
            raise ApiError(503, "reload_failed", f"{exc}; the data loaded before is still served"
                           if ctx.state.snapshot is not None else str(exc)) from None
        return ReloadAnswer(loaded=dict(snapshot.versions))

    return router

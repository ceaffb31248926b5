"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis
from sqlalchemy import text

from teamtasks.storage import StorageUnavailableError
from teamtasks.web.deps import StateDep

router = APIRouter(tags=["health"])
STORAGE_PROBE_TIMEOUT = 3.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(state: StateDep) -> JSONResponse:
    """Every part this process needs answers; 503 names the ones that do not."""
    checks: dict[str, str] = {}
    try:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"failed: {type(exc).__name__}"
    if state.settings.redis_url:
        redis = Redis.from_url(state.settings.redis_url, socket_timeout=2)
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"failed: {type(exc).__name__}"
        finally:
            await redis.aclose()
    try:
        # The store's client retries: a probe is answered in time, whatever it waits for.
        async with asyncio.timeout(STORAGE_PROBE_TIMEOUT):
            await state.files_store.ready()
        checks["storage"] = "ok"
    except (StorageUnavailableError, TimeoutError) as exc:
        checks["storage"] = f"failed: {type(exc.__cause__ or exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get(
    "/metrics", responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text"}}
)
async def metrics() -> Response:
    """Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

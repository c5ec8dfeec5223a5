"""Operator routes: Prometheus metrics and readiness (liveness is ``/healthz``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.context import Context, get_context
from wirefeed import metrics
from wirefeed.messages import QUEUES
from wirefeed.ops import health

router = APIRouter(tags=["ops"])


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request, context: Context = Depends(get_context)) -> Response:
    """Prometheus text exposition: this process's metrics and the queue depths."""
    if not hasattr(request.app.state, "metrics_registry"):
        depths = metrics.QueueDepthCollector(context.redis, QUEUES)
        request.app.state.metrics_registry = metrics.registry([depths])
    body = generate_latest(request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/readyz")
def readyz(context: Context = Depends(get_context)) -> Any:
    """200 when Redis and the bucket answer, 503 (with the failing check) otherwise."""
    checks = health.readiness(context.store, context.redis)
    code = status.HTTP_200_OK if health.ready(checks) else status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(status_code=code, content=checks)

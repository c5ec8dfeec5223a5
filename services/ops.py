"""Operator routes: Prometheus metrics and readiness (liveness is ``/healthz``).

``/metrics`` needs ``WIREFEED_METRICS_TOKEN`` as a bearer token when that is set.
``/readyz`` tells anonymous callers only which check failed; the reason (which names
hosts and ports) is for the admin token.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services import auth
from services.context import Context, get_context
from wirefeed import metrics
from wirefeed.messages import QUEUES
from wirefeed.ops import health

router = APIRouter(tags=["ops"])


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request, context: Context = Depends(get_context)) -> Response:
    """Prometheus text exposition: this process's metrics and the queue depths."""
    expected = context.settings.metrics_token
    if expected:
        secret = auth.presented(request).secret
        if secret is None:
            raise auth.unauthenticated("the metrics token is required")
        if not hmac.compare_digest(secret.encode(), expected.encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "the metrics token is not valid")
    if not hasattr(request.app.state, "metrics_registry"):
        depths = metrics.QueueDepthCollector(context.redis, QUEUES)
        request.app.state.metrics_registry = metrics.registry([depths])
    body = generate_latest(request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/readyz")
def readyz(request: Request, context: Context = Depends(get_context)) -> Any:
    """200 when Redis and the bucket answer, 503 (with the failing check) otherwise."""
    checks = health.readiness(context.store, context.redis)
    code = status.HTTP_200_OK if health.ready(checks) else status.HTTP_503_SERVICE_UNAVAILABLE
    # Only a secret counts here: a session lookup needs the very Redis being checked.
    caller = auth.identify(context, auth.Presented(secret=auth.presented(request).secret))
    if caller is None or caller.kind is not auth.Kind.admin:
        checks = {name: "ok" if value == "ok" else "failing" for name, value in checks.items()}
    return JSONResponse(status_code=code, content=checks)

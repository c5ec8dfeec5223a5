"""Who may do what: every route of the API and the gateway against every kind of credential.

Routes are enumerated from the apps themselves, so a new route is in the matrix at
once; one whose prefix is not in ``REACH`` fails the test until its role is declared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from services.api import create_app
from services.gateway import create_gateway_app
from wirefeed.intake import agencies
from wirefeed.publish import subscription_store as partners
from wirefeed.publish.subscriptions import Partner
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore

PUBLIC = "public"
# Route prefixes (the longest match wins) and the credentials whose role reaches them.
REACH: dict[str, set[str]] = {
    "/healthz": {PUBLIC},
    "/readyz": {PUBLIC},
    "/metrics": {PUBLIC},  # open unless WIREFEED_METRICS_TOKEN is set (tests/services/test_ops)
    "/v1/stories": {"admin", "agency"},
    "/v1/admin": {"admin"},
    "/v1/quarantine": {"admin"},
    "/v1/editor": {"editor"},
    "/editor": {"editor"},
    "/editor/login": {PUBLIC},
    "/editor/static": {PUBLIC},
    "/feeds": {"partner"},  # the gateway
}
# The dev credentials of each kind (a partner key is issued for each test).
DEV_CREDENTIALS = {
    "admin": "dev-token",
    "agency": "dev-agency-a",
    "editor": "dev-token-editor-admin",  # the admin role, so no action is refused for its role
}
SAMPLE_PARAMS = {"path": "all.rss", "name": "agency-a"}


def reach(path: str) -> set[str]:
    """The credentials that may use ``path``, by its longest declared prefix."""
    found = [p for p in REACH if path == p or path.startswith(p.rstrip("/") + "/")]
    assert found, f"{path}: declare who may use it in REACH"
    return REACH[max(found, key=len)]


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route of the app, those of included routers too.

    FastAPI 0.16x keeps included routers as branches (``effective_route_contexts``
    yields their routes with the prefix applied); older versions list APIRoutes.
    """
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, concrete path) for every route, path parameters filled in."""
    for route in api_routes(app):
        path = re.sub(
            r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE_PARAMS.get(m[1], "x"), route.path_format
        )
        for method in sorted(route.methods - {"HEAD"}):
            yield method, path


@pytest.fixture
def credentials(store: MemoryStore) -> dict[str, str]:
    agencies.ensure_dev_agencies(store)
    partners.put_partner(store, Partner(id="acme", name="Acme"))
    return {**DEV_CREDENTIALS, "partner": partners.new_partner_key(store, "acme")}


@pytest.fixture
def apps(store: MemoryStore, redis_url: str) -> list[TestClient]:
    settings = Settings(dev_mode=True, redis_url=redis_url, auth_failures_per_window=10_000)
    api = create_app(settings, store, enqueue=lambda *args: None)
    return [TestClient(api), TestClient(create_gateway_app(settings, store))]


def test_every_route_refuses_every_credential_its_role_does_not_reach(
    apps: list[TestClient], credentials: dict[str, str]
) -> None:
    checked, wrong = 0, []
    for client in apps:
        assert isinstance(client.app, FastAPI)
        for method, path in routes(client.app):
            allowed = reach(path)
            anonymous = client.request(method, path, follow_redirects=False).status_code
            expected_anonymous = {401, 303} if path.startswith("/editor") else {401}
            if PUBLIC not in allowed and anonymous not in expected_anonymous:
                wrong.append(f"{method} {path} anonymous: {anonymous}")
            for kind, secret in credentials.items():
                headers = {"Authorization": f"Bearer {secret}"}
                code = client.request(method, path, headers=headers).status_code
                checked += 1
                if PUBLIC in allowed or kind in allowed:
                    if code in (401, 403):
                        wrong.append(f"{method} {path} {kind}: {code}, should be let in")
                elif code != 403:
                    wrong.append(f"{method} {path} {kind}: {code}, should be 403")
    assert not wrong, "\n".join(wrong)
    assert checked > 4 * 40  # every route of both apps, each against every credential

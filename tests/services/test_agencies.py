"""The admin API for agencies: the same operations as ``wirefeed agencies``."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.api import create_app
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore

ADMIN = {"Authorization": "Bearer dev-token"}


def test_an_admin_adds_an_agency_whose_key_works_without_a_restart(store: MemoryStore) -> None:
    settings = Settings(dev_mode=True, config_refresh_s=0)
    client = TestClient(create_app(settings, store, enqueue=lambda *args: None))
    assert client.put("/v1/admin/agencies/efe", headers=ADMIN).status_code == 200
    assert client.put("/v1/admin/agencies/Bad Name", headers=ADMIN).status_code == 422
    issued = client.post("/v1/admin/agencies/efe/keys", headers=ADMIN)
    assert issued.status_code == 201
    key = issued.json()["api_key"]
    agency = {"Authorization": f"Bearer {key}"}
    sent = client.post("/v1/stories", content=b"Headline\n\nBody.", headers=agency)
    assert sent.status_code == 202
    listed = client.get("/v1/admin/agencies", headers=ADMIN).json()
    assert listed[0]["name"] == "efe"
    assert listed[0]["keys"][0]["id"] == issued.json()["key_id"]
    assert key not in str(listed) and "sha256" not in str(listed)
    gone = client.delete(f"/v1/admin/agencies/efe/keys/{issued.json()['key_id']}", headers=ADMIN)
    assert gone.status_code == 204
    assert client.post("/v1/stories", content=b"H\n\nB", headers=agency).status_code == 401
    assert client.post("/v1/admin/agencies/nobody/keys", headers=ADMIN).status_code == 404

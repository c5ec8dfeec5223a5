"""Payloads of several items, e-mail sniffing, derived headlines and charset repairs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from services.api import create_app
from wirefeed import stories
from wirefeed.ingest import ingesting
from wirefeed.intake import receiving
from wirefeed.intake.parsers import ParseError, RawItem, parse
from wirefeed.intake.parsers.charsets import decode_text
from wirefeed.intake.parsers.headlines import first_sentence, shorten
from wirefeed.intake.parsers.mail import is_mail, person_of
from wirefeed.intake.quarantine import get_record
from wirefeed.ops.reconcile import plan_recovery
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore

CORPUS = Path(__file__).parent / "parsers" / "corpus"
AUTH = {"Authorization": "Bearer dev-token"}
THREE = (CORPUS / "g2-ap-newsmessage-three-items.xml").read_bytes()
# "41-årig i Bodø" decoded once too often.
MOJIBAKE = "41-\u00c3\u00a5rig i Bod\u00c3\u00b8"
BROKEN = (CORPUS / "g2-newsmessage-one-broken-item.xml").read_bytes()


@pytest.fixture
def sent() -> list[tuple[str, tuple[Any, ...]]]:
    return []


@pytest.fixture
def client(
    store: MemoryStore, sent: list[tuple[str, tuple[Any, ...]]], redis_url: str
) -> TestClient:
    settings = Settings(dev_mode=True, redis_url=redis_url)
    app = create_app(settings, store, enqueue=lambda t, *a: sent.append((t, a)))
    return TestClient(app)


def test_one_story_gets_the_same_answer_as_before(client: TestClient) -> None:
    answer = client.post("/v1/stories", content=b"Headline\n\nBody.", headers=AUTH)
    assert answer.status_code == 202
    body = answer.json()
    assert body["status_url"].endswith(f"/v1/stories/{body['id']}")
    assert body["items"] == [{"id": body["id"], "status_url": body["status_url"]}]


def test_a_three_item_message_is_three_stories_each_with_a_status_url(
    client: TestClient, sent: list[tuple[str, tuple[Any, ...]]]
) -> None:
    answer = client.post("/v1/stories", content=THREE, headers=AUTH)
    assert answer.status_code == 202
    items = answer.json()["items"]
    assert len(items) == 3 == len({i["id"] for i in items}) and answer.json()["quarantined"] == 0
    for item in items:
        assert client.get(item["status_url"], headers=AUTH).json()["state"] == "received"
    assert [args[0] for _, args in sent] == [f"{sent[0][1][0][:-2]}#{n}" for n in range(3)]


def test_a_failed_item_is_quarantined_alone_and_the_others_are_kept(
    client: TestClient, store: MemoryStore
) -> None:
    body = client.post("/v1/stories", content=BROKEN, headers=AUTH).json()
    outcomes = [("id" in i, i.get("error")) for i in body["items"]]
    assert outcomes == [(True, None), (False, "invalid_newsml"), (True, None)]
    record = get_record(store, body["items"][1]["quarantine_id"])
    assert record is not None and record.raw_key.endswith("#1")
    assert body["items"][1]["quarantine_id"] == record.raw_key[4:28] + "-1"


def test_nothing_usable_is_a_422_listing_each_reason(client: TestClient) -> None:
    payload = b'[{"uri": "a", "type": "event", "headlines": [{"value": "E"}]}, {"uri": "b"}]'
    answer = client.post("/v1/stories", content=payload, headers=AUTH)
    assert answer.status_code == 422 and answer.json()["error"] == "no_story"
    assert [i["error"] for i in answer.json()["items"]] == ["unsupported_item", "no_headline"]


def test_each_item_is_ingested_and_reconciled_by_its_own_key(store: MemoryStore) -> None:
    results = receiving.receive_all(store, RawItem(THREE, "application/xml"))
    keys = [r.raw_key for r in results if isinstance(r, receiving.Receipt)]
    for key in keys[:2]:
        outcome = ingesting.ingest(store, key)
        assert stories.load_story(store, outcome.story_id) is not None
    # The third item's message was lost: only it is planned again, not the whole payload.
    plan = plan_recovery(store, now=datetime.now(UTC) + timedelta(hours=1))
    assert plan.ingest == [keys[2]]


def test_a_quarantined_item_is_replayed_alone(store: MemoryStore) -> None:
    results = receiving.receive_all(store, RawItem(BROKEN, "application/xml"))
    refused = results[1]
    assert isinstance(refused, receiving.Quarantined)
    with pytest.raises(receiving.Quarantined) as still:
        receiving.replay(store, refused.record_id)
    assert still.value.reason == "invalid_newsml"


def test_an_item_key_parses_only_its_item_and_a_whole_multi_payload_is_refused() -> None:
    assert parse(RawItem(THREE, part=2)).headline == "Museum returns looted bronzes to Nigeria"
    with pytest.raises(ParseError, match="multiple_items"):
        parse(RawItem(THREE))


@pytest.mark.parametrize(
    ("payload", "content_type", "mail"),
    [
        (b"Watch: film crew back on Earth\n\nThe crew landed.", "", False),
        (b"From: A <a@b.example>\nSubject: S\nDate: Tue, 3 Nov 2026 10:00:00 +0000\n\nB", "", True),
        (b"From: A <a@b.example>\nSubject: S\nDate: x\n\nB", "application/nitf+xml", False),
        (b"Anything at all", "message/rfc822", True),
        (b"From a@b.example Tue Nov  3\nFrom: a@b.example\nTo: c@d\nSubject: S\n\nB", "", True),
    ],
)
def test_mail_is_recognised_by_type_or_header_block(
    payload: bytes, content_type: str, mail: bool
) -> None:
    assert is_mail(payload, content_type) is mail


@pytest.mark.parametrize(
    ("sender", "person"),
    [
        ("Jane Smith <jane.smith@aap.example>", "Jane Smith"),
        ('"Smith, Jane" <js@aap.example>', "Jane Smith"),
        ("Ludwig van Beethoven <lvb@dpa.example>", "Ludwig van Beethoven"),
        ('"AAP Newswire" <newswire@aap.example>', None),
        ("Jane Smith <noreply@aap.example>", None),
        ("newsdesk@aap.example", None),
        ("Desk 4 <d4@aap.example>", None),
    ],
)
def test_only_a_person_becomes_the_byline(sender: str, person: str | None) -> None:
    assert person_of(sender) == person


def test_a_derived_headline_is_the_first_sentence_cut_at_a_word() -> None:
    assert first_sentence("Mr. J. Smith met U.S. officials. Then he left.") == (
        "Mr. J. Smith met U.S. officials."
    )
    long = "word " * 40
    cut = shorten(long)
    assert len(cut) <= 91 and cut.endswith("word\u2026")
    assert shorten("A short lead.") == "A short lead"


def test_an_item_with_neither_headline_nor_text_is_refused() -> None:
    with pytest.raises(ParseError, match="no_headline"):
        parse(RawItem(b'{"uri": "u1", "headlines": [], "bodies": []}'))


def _repairs(kind: str) -> float:
    return REGISTRY.get_sample_value("wirefeed_charset_repairs_total", {"kind": kind}) or 0.0


def test_mislabelled_utf8_is_read_as_utf8_counted_once_and_the_raw_kept(
    store: MemoryStore,
) -> None:
    payload = (CORPUS / "nitf-ntb-declared-latin1-bytes-utf8.xml").read_bytes()
    before = _repairs("mislabelled_utf8")
    receipt = receiving.receive(store, RawItem(payload, "application/nitf+xml"))
    ingesting.ingest(store, receipt.raw_key)  # parsing again does not count again
    assert _repairs("mislabelled_utf8") == before + 1
    assert store.get(receipt.raw_key).body == payload
    story = stories.load_story(store, receipt.story_id)
    assert story is not None and story.headline.startswith("41-årig")


@pytest.mark.parametrize(
    ("payload", "content_type", "text", "repairs"),
    [
        ("41-årig".encode(), "text/plain; charset=iso-8859-1", "41-årig", ("mislabelled_utf8",)),
        ("41-årig".encode("latin-1"), "text/plain; charset=iso-8859-1", "41-årig", ()),
        ("Café Ã  la".encode(), "", "Café Ã  la", ()),  # not certain: left alone
        (MOJIBAKE.encode(), "", "41-årig i Bodø", ("double_encoded",)),
        ("„Zitat“ €".encode("cp1252"), "text/plain; charset=windows-1252", "„Zitat“ €", ()),
    ],
)
def test_charsets_are_read_as_they_are(
    payload: bytes, content_type: str, text: str, repairs: tuple[str, ...]
) -> None:
    decoded = decode_text(payload, content_type)
    assert (decoded.text, decoded.repairs) == (text, repairs)


def test_a_payload_of_more_items_than_allowed_is_quarantined_whole(
    store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receiving, "MAX_ITEMS_PER_PAYLOAD", 2)
    results = receiving.receive_all(store, RawItem(THREE, "application/xml"))
    assert len(results) == 1 and isinstance(results[0], receiving.Quarantined)
    record = get_record(store, results[0].record_id)
    assert record is not None and record.reason == "too_many_items"
    assert record.detail == "3 items; at most 2 per payload"
    assert not list(store.list("private/stories/"))

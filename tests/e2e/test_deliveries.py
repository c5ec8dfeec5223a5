"""Agency deliveries as they arrive, on the real stack: multi-item, e-mail, charsets."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import wait_for
from tests.e2e.test_transports import feed_titles, state_of
from wirefeed.layout import feed_key
from wirefeed.settings import Settings
from wirefeed.storage import S3Store

pytestmark = pytest.mark.e2e
CORPUS = Path(__file__).resolve().parents[1] / "wirefeed" / "intake" / "parsers" / "corpus"
SOURCE = {"source": "e2e-deliveries"}


def test_a_three_item_news_message_yields_three_stories_in_the_firehose(
    api: httpx.Client, stack_settings: Settings
) -> None:
    answer = api.post(
        "/v1/stories",
        content=(CORPUS / "g2-ap-newsmessage-three-items.xml").read_bytes(),
        params=SOURCE,
        headers={"Content-Type": "application/vnd.iptc.g2.newsmessage+xml"},
    )
    assert answer.status_code == 202, answer.text
    items = answer.json()["items"]
    assert len({item["id"] for item in items}) == 3
    titles = {
        "Storm closes schools across Oklahoma",
        "Fed holds rates steady, signals patience",
        "Museum returns looted bronzes to Nigeria",
    }
    wait_for(lambda: titles <= set(feed_titles(stack_settings)), timeout=90)
    for item in items:
        assert api.get(item["status_url"]).json()["state"] == "published"


def test_an_email_with_a_nitf_attachment_yields_the_nitf_story(
    api: httpx.Client, stack_settings: Settings
) -> None:
    answer = api.post(
        "/v1/stories",
        content=(CORPUS / "mail-with-nitf-attachment.eml").read_bytes(),
        params=SOURCE,
        headers={"Content-Type": "message/rfc822"},
    )
    assert answer.status_code == 202, answer.text
    wait_for(lambda: "Great Barrier Reef bleaching eases" in feed_titles(stack_settings), 90)
    story = state_of(api, answer.json()["id"])["story"]
    assert isinstance(story, dict)
    assert story["uri"] == "AAP-20261103-0311" and "copy desk" not in str(story["bodies"])


def test_a_headline_less_item_gets_a_derived_headline(
    api: httpx.Client, stack_settings: Settings
) -> None:
    answer = api.post(
        "/v1/stories",
        content=(CORPUS / "g2-stt-empty-headline-with-summary.xml").read_bytes(),
        params=SOURCE,
        headers={"Content-Type": "application/vnd.iptc.g2.newsitem+xml"},
    )
    assert answer.status_code == 202, answer.text
    derived = "Helsingin kaupunki aikoo rakentaa uuden raitiotien"
    wait_for(lambda: any(t.startswith(derived) for t in feed_titles(stack_settings)), 90)
    story = state_of(api, answer.json()["id"])["story"]
    assert isinstance(story, dict) and story["headlines"][0]["role"] == "derived"


def test_a_mislabelled_file_shows_its_real_characters_in_every_feed_format(
    api: httpx.Client, stack_settings: Settings
) -> None:
    answer = api.post(
        "/v1/stories",
        content=(CORPUS / "nitf-ntb-declared-latin1-bytes-utf8.xml").read_bytes(),
        params=SOURCE,
        headers={"Content-Type": "application/nitf+xml"},
    )
    assert answer.status_code == 202, answer.text
    headline = "41-årig mann omkom i trafikkulykke i Bodø"
    wait_for(lambda: headline in feed_titles(stack_settings), timeout=90)
    for fmt in ("rss", "atom", "json"):
        document = httpx.get(stack_settings.public_url(feed_key("all", fmt)), timeout=30)
        text = document.content.decode("utf-8")
        assert "41-årig" in text and "Ã" not in text, fmt


def test_an_eml_in_the_drop_box_yields_the_items_of_its_attachment(
    stack_store: S3Store, stack_settings: Settings
) -> None:
    stack_store.put(
        "inbox/ap/delivery.eml", (CORPUS / "mail-with-newsmessage-attachment.eml").read_bytes()
    )
    titles = {"Tornado watch issued for Kansas", "Fed holds rates steady, signals patience"}
    wait_for(lambda: titles <= set(feed_titles(stack_settings)), timeout=90)
    done = stack_store.get("inbox/done/ap/delivery.eml")
    assert len(done.metadata["story-id"].split()) == 2

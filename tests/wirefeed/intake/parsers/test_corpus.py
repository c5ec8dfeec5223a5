"""A corpus of agency deliveries as they arrive, through the transport each would use.

Every file in ``corpus/`` is taken in by its transport (pushed to the intake API, put in
the S3 drop box, or served to the upstream poller), ingested, and compared with the
stories it should become: how many, their headlines, the first words of their bodies,
version and pubstatus, and the reasons of the items that are refused. The live stories
of the whole corpus are then rendered into one feed in every format.

To check those feeds with the W3C validator, set ``WIREFEED_CORPUS_FEEDS`` to a folder:
the documents are written there (``corpus.rss``, ``corpus.atom``, ``corpus.json``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from fastapi.testclient import TestClient

from services.api import create_app
from wirefeed import stories
from wirefeed.ingest import ingesting
from wirefeed.intake import dropbox, upstreams
from wirefeed.intake.quarantine import list_records
from wirefeed.model import Story
from wirefeed.publish.feeds import FeedDocument, FeedLinks, entry_from_story, render
from wirefeed.publish.subscriptions import FIREHOSE
from wirefeed.sanitize import html_to_text
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore

CORPUS = Path(__file__).with_name("corpus")
AUTH = {"Authorization": "Bearer dev-token"}
SETTINGS = Settings(dev_mode=True, public_base_url="https://feeds.example.com/wirefeed")

# (headline, first words of the body, version, pubstatus)
Expected = tuple[str, str, str, str]
U = "usable"


@dataclass(frozen=True)
class Delivery:
    """One corpus file: how it travels and what it must become."""

    transport: str  # push (intake API), dropbox (S3 inbox) or upstream (polled URL)
    content_type: str
    stories: list[Expected]
    refused: list[str] = field(default_factory=list)
    derived: bool = False  # the headline was derived from the text


G2_MESSAGE = "application/vnd.iptc.g2.newsmessage+xml"

CASES: dict[str, Delivery] = {
    # NewsML-G2: multi-item messages, item classes that are not stories, media items.
    "g2-ap-newsmessage-three-items.xml": Delivery(
        "push",
        G2_MESSAGE,
        [
            ("Storm closes schools across Oklahoma", "OKLAHOMA CITY (AP) — A powerful", "1", U),
            ("Fed holds rates steady, signals patience", "WASHINGTON (AP) — The Federal", "2", U),
            ("Museum returns looted bronzes to Nigeria", "LONDON (AP) — A London museum", "1", U),
        ],
    ),
    "g2-newsmessage-package-with-items.xml": Delivery(
        "dropbox",
        "",
        [
            ("Volcano erupts on Iceland's Reykjanes peninsula", "GRINDAVIK, Iceland (AP)", "1", U),
            ("Lava fountains light up the night sky", "", "1", U),
        ],
        refused=["package_item"],
    ),
    "g2-newsmessage-concept-and-planning.xml": Delivery(
        "push",
        "application/xml",
        [
            ("Voters head to the polls in Virginia", "RICHMOND, Va. (AP) — Voters", "1", U),
        ],
        refused=["concept_item", "planning_item"],
    ),
    "g2-newsmessage-knowledge-and-catalog.xml": Delivery(
        "upstream",
        "application/xml",
        [
            ("Oklahoma governor declares emergency", "OKLAHOMA CITY (AP) — Oklahoma's", "3", U),
        ],
        refused=["knowledge_item", "catalog_item"],
    ),
    "g2-newsmessage-one-broken-item.xml": Delivery(
        "push",
        "application/vnd.iptc.g2.newsmessage+xml",
        [
            ("Wildfire forces evacuations near Los Angeles", "LOS ANGELES (AP) — A", "1", U),
            ("Dodgers sign veteran pitcher", "LOS ANGELES (AP) — The Dodgers", "1", U),
        ],
        refused=["invalid_newsml"],
    ),
    "g2-reuters-newsmessage-video-and-text.xml": Delivery(
        "upstream",
        "application/vnd.iptc.g2.newsmessage+xml",
        [
            ("Drone footage shows flooded Valencia streets", "", "1", U),
            ("Spain sends troops to flood-hit Valencia", "MADRID, Nov 3 (Reuters) - Spain", "2", U),
        ],
    ),
    "g2-newsmessage-empty.xml": Delivery("push", "application/xml", [], refused=["empty"]),
    "g2-stt-empty-headline-with-summary.xml": Delivery(
        "push",
        "application/vnd.iptc.g2.newsitem+xml",
        [
            (
                "Helsingin kaupunki aikoo rakentaa uuden raitiotien Pasilan ja Kalasataman välille "
                "vuoteen\u2026",
                "HELSINKI (STT) - Helsingin kaupunki",
                "1",
                U,
            ),
        ],
        derived=True,
    ),
    "g2-stt-empty-headline-lead-only.xml": Delivery(
        "dropbox",
        "",
        [
            (
                "Tampereen yliopistollisen sairaalan päivystys ruuhkautui maanantai-iltana "
                "poikkeuksellisen\u2026",
                "TAMPERE (STT) - Tampereen",
                "1",
                U,
            ),
        ],
        derived=True,
    ),
    "g2-ntb-picture-item.xml": Delivery(
        "push",
        "application/vnd.iptc.g2.newsitem+xml",
        [
            ("Nordlys over Tromsø", "", "1", U),
        ],
    ),
    "g2-newsitem-canceled.xml": Delivery(
        "push",
        "application/xml",
        [
            ("Storm closes schools across Oklahoma", "", "2", "canceled"),
        ],
    ),
    "g2-fnb-declared-latin1-bytes-utf8.xml": Delivery(
        "push",
        "application/xml",
        [
            ("Åländsk färja fast i isen utanför Mariehamn", "Färjan med 312", "1", U),
        ],
    ),
    "g2-dpa-windows1252.xml": Delivery(
        "dropbox",
        "",
        [
            ("Butter kostet erstmals über 3 € je Päckchen", "„Das ist ein Rekord“, sagte", "1", U),
        ],
    ),
    # NITF: mislabelled and double-encoded charsets, missing headlines.
    "nitf-ntb-declared-latin1-bytes-utf8.xml": Delivery(
        "push",
        "application/nitf+xml",
        [
            ("41-årig mann omkom i trafikkulykke i Bodø", "En 41-årig mann omkom", "1", U),
        ],
    ),
    "nitf-ntb-double-encoded.xml": Delivery(
        "push",
        "",
        [
            ("Kraftig økning i strømprisen i Sør-Norge", "Strømprisen i Sør-Norge steg", "1", U),
        ],
    ),
    "nitf-efe-latin1-honest.xml": Delivery(
        "dropbox",
        "",
        [
            ("Nieve en el norte de España", "La nieve obligó a cerrar", "1", U),
        ],
    ),
    "nitf-aap-plain.nitf": Delivery(
        "dropbox",
        "",
        [
            ("Sydney trains to run all night on weekends", "SYDNEY, Nov 3 AAP", "1", U),
        ],
    ),
    "nitf-stt-empty-headline-abstract.xml": Delivery(
        "push",
        "application/nitf+xml",
        [
            (
                "Oulun kaupunki sulkee kaksi uimahallia remontin ajaksi ensi vuoden alussa",
                "OULU (STT) - Oulun kaupunki",
                "1",
                U,
            ),
        ],
        derived=True,
    ),
    "nitf-no-headline-no-text.xml": Delivery(
        "push", "application/nitf+xml", [], refused=["no_headline"]
    ),
    # ninjs: arrays (2.x and 3.x), failures inside an array, media, status, charsets.
    "ninjs-aap-array-three.json": Delivery(
        "push",
        "application/ninjs+json",
        [
            ("Cyclone warning issued for far north Queensland", "CAIRNS, Nov 3 AAP", "1", U),
            ("RBA keeps cash rate on hold", "SYDNEY, Nov 3 AAP", "2", U),
            ("Melbourne Cup field confirmed", "MELBOURNE, Nov 3 AAP", "1", U),
        ],
    ),
    "ninjs-mixed-array.json": Delivery(
        "dropbox",
        "",
        [
            ("Ny rekord for elbilsalg i oktober", "Elbiler utgjorde 94 prosent", "1", U),
            ("Elbiler på rad i Oslo", "Elbiler lader i Oslo", "1", U),
        ],
        refused=["unsupported_item", "invalid_ninjs"],
    ),
    "ninjs-3x-stt-array.json": Delivery(
        "upstream",
        "application/json",
        [
            ("Eduskunta hyväksyi budjetin", "Eduskunta hyväksyi ensi vuoden", "1", U),
            ("Lumimyräkkä sotki liikenteen Lapissa", "Lumimyräkkä sulki useita", "3", U),
        ],
    ),
    "ninjs-empty-headline.json": Delivery(
        "push",
        "application/json",
        [
            (
                "Western Australia will ban single-use plastic cups from July, the state "
                "government said on\u2026",
                "PERTH, Nov 3 AAP",
                "1",
                U,
            ),
        ],
        derived=True,
    ),
    "ninjs-double-encoded.json": Delivery(
        "push",
        "application/json",
        [
            ("Sjøfly styrtet utenfor Ålesund", "Et sjøfly med to personer", "1", U),
        ],
    ),
    "ninjs-declared-latin1-bytes-utf8.json": Delivery(
        "push",
        "application/json; charset=iso-8859-1",
        [
            ("Tromsø får ny bybru", "Byggingen av den nye brua i Tromsø", "1", U),
        ],
    ),
    "ninjs-reuters-video.json": Delivery(
        "upstream",
        "application/json",
        [
            ("Watch: SpaceX launches weather satellite", "A Falcon 9 rocket", "1", U),
        ],
    ),
    "ninjs-1x-withheld.json": Delivery(
        "push",
        "application/json",
        [
            ("Court suppresses name of accused", "", "2", "withheld"),
        ],
    ),
    # E-mail: MIME structures, transfer encodings, forwards, wire attachments.
    "mail-aap-reporter-plain.eml": Delivery(
        "dropbox",
        "",
        [
            ("Bushfire threatens homes in the Blue Mountains", "A bushfire is threatening", "1", U),
        ],
    ),
    "mail-desk-multipart-alternative.eml": Delivery(
        "push",
        "message/rfc822",
        [
            ("Qantas grounds three jets for engine checks", "Qantas has grounded three", "1", U),
        ],
    ),
    "mail-stt-quoted-printable.txt": Delivery(
        "push",
        "text/plain",
        [
            (
                "Äänestysprosentti nousi ylioppilaskuntavaaleissa",
                "Ylioppilaskunnan edustajistovaaleissa äänestysprosentti",
                "1",
                U,
            ),
        ],
    ),
    "mail-base64-html-only.eml": Delivery(
        "dropbox",
        "",
        [
            ("Queensland to build second desalination plant", "BRISBANE, Nov 3 AAP", "1", U),
        ],
    ),
    "mail-encoded-word-subject.eml": Delivery(
        "push",
        "message/rfc822",
        [
            ("Köln erhöht die Grundsteuer um 12 Prozent", "Die Stadt Köln erhöht", "1", U),
        ],
    ),
    "mail-forwarded-inline.eml": Delivery(
        "dropbox",
        "",
        [
            ("Port of Melbourne strike called off", "A planned strike at the", "1", U),
        ],
    ),
    "mail-forwarded-as-attachment.eml": Delivery(
        "push",
        "message/rfc822",
        [
            ("Hobart light rail gets federal funding", "The federal government will", "1", U),
        ],
    ),
    "mail-with-nitf-attachment.eml": Delivery(
        "push",
        "message/rfc822",
        [
            ("Great Barrier Reef bleaching eases", "TOWNSVILLE, Nov 3 AAP", "2", U),
        ],
    ),
    "mail-with-newsmessage-attachment.eml": Delivery(
        "dropbox",
        "",
        [
            ("Tornado watch issued for Kansas", "WICHITA, Kan. (AP) — Forecasters", "1", U),
            ("Fed holds rates steady, signals patience", "WASHINGTON (AP) — The Federal", "2", U),
        ],
    ),
    "mail-with-anpa-attachment.eml": Delivery(
        "push",
        "",
        [
            ("Farmers get drought relief payments", "Farmers in drought-hit New", "1", U),
        ],
    ),
    "mail-empty-subject.eml": Delivery(
        "push",
        "message/rfc822",
        [
            (
                "South Australia will trial a four-day school week in twelve country schools next "
                "year",
                "South Australia will trial",
                "1",
                U,
            ),
        ],
        derived=True,
    ),
    "mail-mbox-export.txt": Delivery(
        "dropbox",
        "",
        [
            ("Matildas name squad for Olympics qualifier", "The Matildas have named", "1", U),
        ],
    ),
    "mail-part-declared-latin1-bytes-utf8.eml": Delivery(
        "dropbox",
        "",
        [
            ("Snøkaos på E6 over Saltfjellet", "E6 over Saltfjellet er stengt", "1", U),
        ],
    ),
    "mail-body-with-photo-attachment.eml": Delivery(
        "dropbox",
        "",
        [
            ("Koala population rebounds on Kangaroo Island", "Koala numbers on Kangaroo", "1", U),
        ],
    ),
    # Legacy framing: capture files of several messages, telex, cp1252 bytes.
    "anpa-capture-three-messages.anpa": Delivery(
        "dropbox",
        "",
        [
            ("Ceasefire talks resume in Cairo", "Ceasefire talks resumed in", "1", U),
            ("Strong quake rattles northern Japan", "A strong earthquake shook", "1", U),
            ("Amazon deforestation falls for third year", "Deforestation in Brazil's", "1", U),
        ],
    ),
    "anpa-cp1252-quotes.anpa": Delivery(
        "push",
        "text/vnd.iptc.anpa",
        [
            ("Britain braces for “Storm Bert”", "Forecasters say “Storm Bert”", "1", U),
        ],
    ),
    "iptc7901-telex-zczc.txt": Delivery(
        "push",
        "text/plain",
        [
            ("Unemployment in France falls to 7.1 percent", "French unemployment fell", "1", U),
        ],
    ),
    "iptc7901-capture-two-messages.txt": Delivery(
        "dropbox",
        "",
        [
            ("German coalition agrees on pension reform", "Germany's coalition agreed", "1", U),
            ("Real Madrid sack coach after derby defeat", "Real Madrid sacked their", "1", U),
        ],
    ),
    # Plain copy.
    "plain-double-encoded.txt": Delivery(
        "push",
        "text/plain",
        [
            ("Tromsø-mann (41) dømt for økokrim", "En 41-årig mann fra Tromsø", "1", U),
        ],
    ),
    "plain-declared-latin1-bytes-utf8.txt": Delivery(
        "push",
        "text/plain; charset=iso-8859-1",
        [
            ("Ålesund hamn får landstraum", "Cruiseskip i Ålesund kan", "1", U),
        ],
    ),
    "plain-reuters-update.txt": Delivery(
        "push",
        "text/plain",
        [
            ("Oil prices rise on supply worries", "Oil prices rose on", "2", U),
        ],
    ),
    # An upstream RSS feed: every entry a story.
    "upstream-rss-two-items.xml": Delivery(
        "upstream",
        "application/rss+xml",
        [
            ("Harbour bridge repairs start next week", "Repairs to the harbour", "1", U),
            ("Library extends opening hours", "The central library will", "1", U),
        ],
    ),
}


@dataclass
class Outcome:
    """What the transport and ingest made of one file."""

    stories: list[Story]
    refused: list[str]


def _push(store: MemoryStore, name: str, case: Delivery) -> list[str]:
    sent: list[str] = []
    app = create_app(SETTINGS, store, enqueue=lambda task, *args: sent.append(args[0]))
    headers = {**AUTH, "content-type": case.content_type} if case.content_type else AUTH
    answer = TestClient(app).post(
        "/v1/stories", content=(CORPUS / name).read_bytes(), headers=headers
    )
    assert answer.status_code == (202 if case.stories else 422), answer.text
    body = answer.json()
    assert len(body["items"]) == len(case.stories) + len(case.refused)
    if len(body["items"]) == 1 and case.stories:  # today's answer for one story, unchanged
        assert body["status_url"].endswith(f"/v1/stories/{body['id']}")
    return sent


def _dropbox(store: MemoryStore, name: str) -> list[str]:
    store.put(f"inbox/agency/{name}", (CORPUS / name).read_bytes())
    results = dropbox.sweep(store, "agency", SETTINGS.max_payload_bytes)
    assert [r.key for r in results] == [f"inbox/agency/{name}"]
    return [receipt.raw_key for receipt in results[0].receipts]


def _upstream(store: MemoryStore, name: str, case: Delivery) -> list[str]:
    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            stream=httpx.ByteStream((CORPUS / name).read_bytes()),
            headers={"content-type": case.content_type},
        )

    # A mock transport answers: no address to check.
    source = upstreams.UpstreamSource(
        id="agency", url="https://upstream.example/feed", allow_private=True
    )
    with httpx.Client(transport=httpx.MockTransport(serve)) as client:
        receipts = upstreams.poll_source(store, source, client, SETTINGS.max_payload_bytes)
    return [receipt.raw_key for receipt in receipts]


def take_in(name: str, case: Delivery) -> Outcome:
    """Send one file through its transport, then ingest what intake queued."""
    store = MemoryStore()
    if case.transport == "push":
        keys = _push(store, name, case)
    elif case.transport == "dropbox":
        keys = _dropbox(store, name)
    else:
        keys = _upstream(store, name, case)
    found = []
    for key in keys:
        outcome = ingesting.ingest(store, key)
        story = stories.load_story(store, outcome.story_id)
        assert story is not None, key
        found.append(story)
    refused = sorted(r.reason for r in list_records(store))
    return Outcome(found, refused)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    return {name: take_in(name, case) for name, case in CASES.items()}


def test_the_corpus_is_large_and_every_file_has_its_expectations() -> None:
    files = {p.name for p in CORPUS.iterdir()}
    assert files == set(CASES)
    assert len(files) >= 40
    assert {c.transport for c in CASES.values()} == {"push", "dropbox", "upstream"}


def _first_words(story: Story, words: str) -> bool:
    # A canceled or withheld story keeps no body; neither does a picture without text.
    return html_to_text(story.body_html).startswith(words) if words else not story.body_html


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_delivery_becomes_its_stories(name: str, outcomes: dict[str, Outcome]) -> None:
    case, outcome = CASES[name], outcomes[name]
    got = [(s.headline, s.version, s.pubstatus.value) for s in outcome.stories]
    assert got == [(h, v, p) for h, _, v, p in case.stories]
    for story, (_, words, _, _) in zip(outcome.stories, case.stories, strict=True):
        assert _first_words(story, words), (story.headline, story.body_html[:120])
        assert (story.headlines[0].role == "derived") is case.derived
        assert "Ã" not in story.headline + story.body_html  # no mojibake survives
    assert outcome.refused == sorted(case.refused)
    # Every item has its own story.
    assert len({s.id for s in outcome.stories}) == len(outcome.stories)


def test_media_items_keep_their_renditions(outcomes: dict[str, Outcome]) -> None:
    picture = outcomes["g2-ntb-picture-item.xml"].stories[0]
    assert picture.type == "picture" and set(picture.renditions) == {"highRes", "preview"}
    video = outcomes["g2-reuters-newsmessage-video-and-text.xml"].stories[0]
    assert video.type == "video" and video.renditions["web"].contenttype == "video/mp4"


def test_a_mail_byline_is_a_person_never_a_desk_or_the_forwarder(
    outcomes: dict[str, Outcome],
) -> None:
    by = {name: outcomes[name].stories[0].by for name in CASES if name.startswith("mail-")}
    assert by["mail-aap-reporter-plain.eml"] == "Kate Hall"
    assert by["mail-stt-quoted-printable.txt"] == "Mikko Virtanen"
    assert by["mail-forwarded-as-attachment.eml"] == "Sarah Chen"  # the author, inside
    for name in (
        "mail-desk-multipart-alternative.eml",
        "mail-encoded-word-subject.eml",
        "mail-mbox-export.txt",
        "mail-forwarded-inline.eml",
    ):
        assert by[name] is None, name


def test_a_mail_takes_its_guid_and_time_from_its_headers(outcomes: dict[str, Outcome]) -> None:
    story = outcomes["mail-aap-reporter-plain.eml"].stories[0]
    assert story.uri == "20261103090209.4411@aap.example"
    assert story.versioncreated.isoformat() == "2026-11-03T09:02:09+00:00"
    html = outcomes["mail-base64-html-only.eml"].stories[0].body_html
    assert "track()" not in html and "onclick" not in html
    # A covering note is not copy: the attachment is the story.
    reef = outcomes["mail-with-nitf-attachment.eml"].stories[0]
    assert reef.uri == "AAP-20261103-0311" and "copy desk" not in reef.body_html


def _corpus_feeds(outcomes: dict[str, Outcome]) -> dict[str, bytes]:
    doc = FeedDocument(feed_id=FIREHOSE.id)
    for outcome in outcomes.values():
        for story in outcome.stories:
            if story.is_live:
                doc.upsert(entry_from_story(story, SETTINGS), size=1000)
    links = FeedLinks(FIREHOSE, SETTINGS)
    return {fmt: render(doc, links, fmt) for fmt in ("rss", "atom", "json")}


def test_the_corpus_feeds_read_cleanly_and_show_every_character(
    outcomes: dict[str, Outcome],
) -> None:
    feeds = _corpus_feeds(outcomes)
    live = sum(s.is_live for o in outcomes.values() for s in o.stories)
    for fmt in ("rss", "atom"):
        parsed: Any = feedparser.parse(feeds[fmt])
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) == live
    assert len(json.loads(feeds["json"])["items"]) == live
    for body in feeds.values():
        text = body.decode("utf-8")
        assert "41-årig" in text and "Åländsk färja" in text and "Sjøfly" in text
        assert "Ã" not in text and "\ufffd" not in text
    if target := os.environ.get("WIREFEED_CORPUS_FEEDS"):
        for fmt, body in feeds.items():
            (Path(target) / f"corpus.{fmt}").write_bytes(body)

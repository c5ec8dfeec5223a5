"""Feeds built from hostile, mislabelled and odd inputs, for the W3C validator and the tests.

Every fragment of ``tests/fixtures/hostile/fragments.txt`` goes through the domain
pipeline (intake, ingest, enrichment with the cheap taggers, publishing, on the
storage interface) in several roles: a story body, a headline, a correction note in
an agency's ednote, an editor's correction note, and an entry of an upstream Atom,
RSS and JSON feed. The sample payloads, the format fixtures and a set of odd inputs
(mislabelled charsets, language codes that are not languages, control characters,
markup in tag names and bylines) go with them.

    python -m bench.hostile_feeds --out DIR [--validator PATH]

writes every rendered feed document under DIR and, given the W3C validator
(``../shared/tools/validate-feed``), runs it over each RSS and Atom document and prints
the count of errors and warnings. ``make validate-feeds`` does both.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from lxml import etree

from wirefeed import logs
from wirefeed.editor.story_actions import Correction, correct
from wirefeed.enrich.enriching import enrich
from wirefeed.enrich.taggers import build_pipeline
from wirefeed.ingest.ingesting import ingest
from wirefeed.intake.parsers import RawItem
from wirefeed.intake.receiving import Quarantined, Receipt, receive
from wirefeed.intake.upstreams import UpstreamSource, poll_source
from wirefeed.layout import STORY_PREFIX
from wirefeed.model import story_id_for
from wirefeed.publish.publishing import update_feed
from wirefeed.publish.subscriptions import (
    FIREHOSE,
    FeedSpec,
    Filter,
    Partner,
    SubscriptionConfig,
    Subscriptions,
)
from wirefeed.settings import Settings
from wirefeed.storage import BlobStore, MemoryStore
from wirefeed.stories import sync_public_copy

ROOT = Path(__file__).resolve().parent.parent
FRAGMENTS = ROOT / "tests" / "fixtures" / "hostile" / "fragments.txt"
FORMAT_FIXTURES = ROOT / "tests" / "fixtures" / "formats"
SAMPLES = ROOT / "samples"
# Cheap taggers: language identification and datelines (no NER model to load).
TAGGERS = ("language", "dateline")
NINJS = "application/ninjs+json"
ATOM_NS = "http://www.w3.org/2005/Atom"
UPSTREAM_BASE = "https://upstream.example.com"
# Language codes as wires send them: codes that name no language, and odd spellings.
NOT_LANGUAGES = ("zxx", "und", "mul", "qaa", "klingon", "x-private", "", "123")
ODD_SPELLINGS = ("en_US", "EN-gb", "iw", "eng", "fr-FR-u-ca-gregory", "de-CH-1996", "fr")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def load_fragments(path: Path = FRAGMENTS) -> list[str]:
    """The corpus: one fragment a line; ``#`` comments; ``json:`` lines are JSON strings."""
    fragments = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fragments.append(json.loads(line[5:]) if line.startswith("json:") else line)
    return fragments


@dataclass(frozen=True)
class Case:
    """One story made from a fragment, and what its entries must show.

    ``headline``, ``note`` and ``body_html`` are the inputs the entry's title,
    correction note and body come from (None: not from the fragment).
    """

    role: str
    index: int
    story_id: str
    headline: str | None = None
    note: str | None = None
    body_html: str | None = None


@dataclass
class Run:
    """What a run sent and where the results are."""

    store: BlobStore
    settings: Settings
    cases: list[Case]
    quarantined: int = 0

    def documents(self) -> Iterator[tuple[str, bytes]]:
        """(key, body) of every rendered feed document: public and private (a partner's,
        served by the gateway), current and archive pages."""
        for prefix in ("feeds/", "private/feeds/"):
            for key in sorted(self.store.list(prefix)):
                yield key, self.store.get(key).body

    def story_count(self) -> int:
        """How many stories the run made: their canonical copies (``stories/`` holds only
        the public copies of those published)."""
        return len(list(self.store.list(STORY_PREFIX)))


def settings() -> Settings:
    """Settings of a run: feeds under example addresses, no archive expiry."""
    return Settings(
        dev_mode=True,
        public_base_url="https://feeds.example.com/wirefeed",
        gateway_public_url="https://partners.example.com",
        archive_pages_max=1000,
    )


def subscriptions() -> Subscriptions:
    """A firehose small enough to fill archive pages, a French feed tagged fr-CA, and a
    partner's private feed (with archive pages too)."""
    return Subscriptions(
        SubscriptionConfig(
            partners=[Partner(id="outlet", name="Outlet <&> News")],
            feeds=[
                FIREHOSE.model_copy(update={"size": 250}),
                FeedSpec(
                    id="french",
                    title="Dépêches & brèves <en français>",
                    description="Stories in French; R&D, Q&A and </b> stay text",
                    language="fr-CA",
                    filter=Filter(languages=["fr"]),
                ),
                FeedSpec(
                    id="outlet-wire",
                    title="Outlet's <private> wire",
                    public=False,
                    partner="outlet",
                    size=300,
                ),
            ],
            hubs=["https://hub.example.net/"],
        )
    )


def _ninjs(**fields: object) -> RawItem:
    return RawItem(json.dumps(fields).encode(), NINJS, source="hostile")


def _base(index: int) -> str:
    # Half the stories have an absolute address (relative URLs resolve against it),
    # half an URN (relative URLs are dropped).
    if index % 2:
        return f"urn:hostile:{index}"
    return f"https://news.example.com/hostile/{index}.html"


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def upstream_documents(fragments: list[str]) -> dict[str, tuple[bytes, str]]:
    """An Atom, an RSS and a JSON Feed document with one entry per fragment.

    Atom: the fragment is a plain-text title and the HTML content. RSS: it is the
    description (HTML). JSON Feed: the plain-text title and ``content_html``.
    """
    atom = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    etree.SubElement(atom, f"{{{ATOM_NS}}}id").text = f"{UPSTREAM_BASE}/feed.atom"
    etree.SubElement(atom, f"{{{ATOM_NS}}}title").text = "Upstream"
    etree.SubElement(atom, f"{{{ATOM_NS}}}updated").text = "2026-11-28T09:00:00Z"
    rss = etree.Element("rss", version="2.0")
    channel = etree.SubElement(rss, "channel")
    etree.SubElement(channel, "title").text = "Upstream"
    etree.SubElement(channel, "link").text = UPSTREAM_BASE
    etree.SubElement(channel, "description").text = "Upstream"
    items = []
    for index, fragment in enumerate(fragments):
        link = f"{UPSTREAM_BASE}/news/{index}.html"
        entry = etree.SubElement(atom, f"{{{ATOM_NS}}}entry")
        etree.SubElement(entry, f"{{{ATOM_NS}}}id").text = f"tag:upstream.example,2026:{index}"
        etree.SubElement(entry, f"{{{ATOM_NS}}}title", type="text").text = _xml_text(fragment)
        etree.SubElement(entry, f"{{{ATOM_NS}}}link", href=link)
        etree.SubElement(entry, f"{{{ATOM_NS}}}updated").text = "2026-11-28T09:00:00Z"
        etree.SubElement(entry, f"{{{ATOM_NS}}}content", type="html").text = _xml_text(fragment)
        item = etree.SubElement(channel, "item")
        etree.SubElement(item, "title").text = f"RSS upstream {index}"
        etree.SubElement(item, "link").text = link.replace(".html", "-rss.html")
        etree.SubElement(item, "description").text = _xml_text(fragment)
        items.append(
            {
                "id": f"json-{index}",
                "url": link.replace(".html", "-json.html"),
                "title": fragment,
                "content_html": fragment,
            }
        )
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Upstream", "items": items}
    return {
        "atom": (
            etree.tostring(atom, xml_declaration=True, encoding="UTF-8"),
            "application/atom+xml",
        ),
        "rss": (etree.tostring(rss, xml_declaration=True, encoding="UTF-8"), "application/rss+xml"),
        "json": (json.dumps(feed).encode(), "application/feed+json"),
    }


def odd_inputs() -> list[RawItem]:
    """Mislabelled, malformed and unusual but acceptable payloads."""
    quotes = "\u201cCurly\u201d \u2013 dashes\u2026 caf\u00e9"
    odd = [
        # cp1252 labelled Latin-1, UTF-8 labelled Latin-1, cp1252 labelled UTF-8.
        RawItem(f"{quotes}\n\nBody {quotes}.".encode("cp1252"), "text/plain; charset=iso-8859-1"),
        RawItem(f"UTF-8 {quotes}\n\nText.".encode(), "text/plain; charset=latin1"),
        RawItem(f"Wrong label {quotes}\n\nText.".encode("cp1252"), "text/plain; charset=utf-8"),
        RawItem(b"Undefined \x81\x8d bytes\n\nText \x90 here.", "text/plain; charset=windows-1252"),
        RawItem(b"Control \x01\x07\x1b characters\n\nBody\x00 text \x0b.", "text/plain"),
        RawItem(
            b"Plain copy with <markup> & AT&T\n\nA body line: Return-Path: <a@b.example>."
            b"\n\n</p><script>alert(1)</script>",
            "text/plain",
        ),
    ]
    for number, language in enumerate((*NOT_LANGUAGES, *ODD_SPELLINGS)):
        odd.append(
            _ninjs(
                uri=f"urn:odd:language:{number}",
                language=language,
                headlines=[{"value": f"Language code {language!r}"}],
                body_html="<p>Le texte de la dépêche, en français, avec des accents.</p>",
            )
        )
    odd += [
        _ninjs(
            uri="https://news.example.com/odd/tags",
            headlines=[{"value": "Tags, bylines and media with markup"}],
            by="Jane Reporter <jane@example.com> & </b>",
            body_html='<p>See <a href="/more">more</a> and <img src="pic.jpg" alt="pic">.</p>',
            subjects=[
                {"name": "<b>Sport</b> & games", "literal": "medtop:15000000"},
                {"name": "</a><script>alert(1)</script>"},
            ],
            people=[{"name": "O'Brien <ob@example.com>"}],
            places=[{"name": "Zürich &amp; <Geneva>"}],
            renditions=[
                {
                    "href": "https://media.example.com/a.jpg",
                    "contenttype": "image/jpeg",
                    "title": "<img src=x onerror=alert(1)>",
                },
                {"href": "javascript:alert(1)", "contenttype": "image/jpeg"},
            ],
        ),
        _ninjs(
            uri="urn:odd:text-body",
            headlines=[{"value": "A text/plain body that looks like HTML"}],
            bodies=[
                {
                    "value": "<b>not bold</b>\n\n<script>alert(1)</script>",
                    "contenttype": "text/plain",
                }
            ],
        ),
        _ninjs(
            uri="urn:odd:long",
            headlines=[{"value": "Long " * 200}],
            body_html="<p>" + "word " * 5000 + "</p>",
        ),
        _ninjs(uri="urn:odd:empty-body", headlines=[{"value": "Headline only"}], body_html=""),
        _ninjs(
            uri="urn:odd:whitespace",
            headlines=[{"value": " \t Spaced \u00a0 headline \n"}],
            body_html="<p>\u00a0</p><p>   </p>",
        ),
        _ninjs(
            uri="urn:odd:rtl",
            language="ar",
            headlines=[{"value": "\u0639\u0646\u0648\u0627\u0646 \u202eRTL\u202c"}],
            body_html="<p dir=rtl>\u0646\u0635</p>",
        ),
    ]
    return odd


def _take(store: BlobStore, receipts: list[Receipt], item: RawItem) -> Receipt | None:
    try:
        receipt = receive(store, item)
    except Quarantined:
        return None
    receipts.append(receipt)
    return receipt


def _poll_upstreams(store: BlobStore, fragments: list[str]) -> list[Receipt]:
    documents = upstream_documents(fragments)

    def serve(request: httpx.Request) -> httpx.Response:
        body, content_type = documents[request.url.path.rsplit(".", 1)[-1]]
        # A stream, as from the network: the fetch reads it chunk by chunk.
        stream = httpx.ByteStream(body)
        return httpx.Response(200, stream=stream, headers={"content-type": content_type})

    receipts = []
    with httpx.Client(transport=httpx.MockTransport(serve)) as client:
        for fmt in documents:
            # A mock transport answers: no address to check.
            source = UpstreamSource(
                id=f"upstream-{fmt}", url=f"{UPSTREAM_BASE}/feed.{fmt}", allow_private=True
            )
            receipts += poll_source(store, source, client, max_bytes=50_000_000)
    return receipts


def _sent_cases(index: int, fragment: str) -> list[tuple[RawItem, Case]]:
    """The ninjs payloads that carry a fragment as a body, a headline and an ednote."""
    note = f"Corrects an earlier version: {fragment}"
    return [
        (
            _ninjs(
                uri=_base(index), headlines=[{"value": f"Body case {index}"}], body_html=fragment
            ),
            Case("body", index, "", body_html=fragment),
        ),
        (
            _ninjs(uri=f"urn:hostile:headline:{index}", headlines=[{"value": fragment}]),
            # The editor's correction note is the fragment too (see run).
            Case("headline", index, "", headline=fragment, note=fragment),
        ),
        (
            _ninjs(
                uri=f"urn:hostile:ednote:{index}",
                headlines=[{"value": f"Ednote case {index}"}],
                body_html="<p>The corrected text.</p>",
                ednote=note,
            ),
            Case("ednote", index, "", note=note),
        ),
    ]


def run(
    fragments: list[str] | None = None, store: BlobStore | None = None, extra: bool = True
) -> Run:
    """Send the fragments (and, with ``extra``, odd inputs and fixtures) through the pipeline."""
    fragments = load_fragments() if fragments is None else fragments
    store = store or MemoryStore()
    config = settings()
    receipts: list[Receipt] = []
    cases: list[Case] = []
    quarantined = 0
    for index, fragment in enumerate(fragments):
        for item, case in _sent_cases(index, fragment):
            receipt = _take(store, receipts, item)
            if receipt is None:
                quarantined += 1
            else:
                cases.append(replace(case, story_id=receipt.story_id))
    upstream = _poll_upstreams(store, fragments)
    receipts += upstream
    if extra:
        files = sorted(FORMAT_FIXTURES.iterdir()) + sorted(SAMPLES.iterdir())
        fixtures = [RawItem(path.read_bytes(), source="fixture") for path in files]
        for item in odd_inputs() + fixtures:
            quarantined += _take(store, receipts, item) is None
    taggers = build_pipeline(TAGGERS, config)
    for receipt in receipts:
        if ingest(store, receipt.raw_key).accepted:
            enrich(store, receipt.story_id, taggers)
    # An editor corrects every headline case with the fragment as the correction note.
    for case in cases:
        if case.role == "headline":
            correct(store, case.story_id, "desk", Correction(note=case.note or ""))
    cases += _upstream_cases(fragments)
    subs = subscriptions()
    story_ids = list(dict.fromkeys(r.story_id for r in receipts))
    # As the publish task does: the public copy first, then the feeds.
    for story_id in story_ids:
        sync_public_copy(store, story_id)
    for feed_id in subs.feeds:
        update_feed(store, config, subs, feed_id, story_ids)
    return Run(store, config, cases, quarantined)


def _upstream_cases(fragments: list[str]) -> list[Case]:
    """The stories the upstream entries became (ids as intake derives them)."""
    cases = []
    for index, fragment in enumerate(fragments):
        uris = {
            "atom": f"tag:upstream.example,2026:{index}",
            "rss": f"{UPSTREAM_BASE}/news/{index}-rss.html",
            "json": f"json-{index}",
        }
        for fmt, uri in uris.items():
            story_id = story_id_for(f"upstream-{fmt}", uri)
            # An XML feed cannot carry the control characters some fragments hold.
            sent = fragment if fmt == "json" else _xml_text(fragment)
            headline = None if fmt == "rss" else sent
            cases.append(Case(f"upstream-{fmt}", index, story_id, headline, body_html=sent))
    return cases


def write_documents(result: Run, out: Path) -> list[Path]:
    """Write every rendered document under ``out``; return their paths."""
    paths = []
    for key, body in result.documents():
        path = out / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        paths.append(path)
    return paths


_SUMMARY = re.compile(rb": (\d+) errors, (\d+) warnings$", re.MULTILINE)


def document_kind(key: str) -> str:
    """The kind of a feed document, for the figures: public or private, current or
    archive page, and its format (``feeds/all/archive/3.rss``: public archive RSS)."""
    scope = "private" if key.startswith("private/") else "public"
    page = "archive" if "/archive/" in key else "current"
    return f"{scope} {page} {key.rsplit('.', 1)[-1]}"


def validate(paths: list[Path], validator: Path) -> dict[Path, tuple[int, int]]:
    """Run the W3C validator over the RSS and Atom documents; return each one's
    (errors, warnings) and print the validator's report of any that has some."""
    counts = {}
    for path in paths:
        if path.suffix not in (".rss", ".atom"):
            continue
        done = subprocess.run(
            [sys.executable, str(validator), str(path)], capture_output=True, check=False
        )
        found = _SUMMARY.search(done.stdout)
        if found is None:
            print(done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))
            raise SystemExit(f"the validator gave no summary for {path}")
        counts[path] = (int(found.group(1)), int(found.group(2)))
        if counts[path] != (0, 0):
            print(done.stdout.decode(errors="replace").rstrip()[-4000:])
    return counts


def main() -> int:
    """Produce the documents, then validate them when the validator is given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the documents")
    parser.add_argument("--validator", type=Path, help="the W3C validate-feed script")
    args = parser.parse_args()
    logs.configure("WARNING")  # one line per story stage would drown the figures
    started = time.monotonic()
    result = run()
    paths = write_documents(result, args.out)
    print(
        f"{result.story_count()} stories ({len(result.cases)} from {len(load_fragments())} "
        f"hostile fragments, {result.quarantined} payloads quarantined) in {len(paths)} "
        f"documents under {args.out}, {time.monotonic() - started:.1f} s"
    )
    if args.validator is None:
        return 0
    counts = validate(paths, args.validator)
    by_kind: dict[str, list[int]] = {}
    for path, (errors, warnings) in counts.items():
        figures = by_kind.setdefault(
            document_kind(path.relative_to(args.out).as_posix()), [0, 0, 0]
        )
        figures[0] += 1
        figures[1] += errors
        figures[2] += warnings
    for kind, (documents, errors, warnings) in sorted(by_kind.items()):
        print(f"  {kind:<24} {documents:>3} documents, {errors} errors, {warnings} warnings")
    errors = sum(e for e, _ in counts.values())
    warnings = sum(w for _, w in counts.values())
    # The validator knows RSS and Atom only: the JSON Feed documents are checked by the
    # hostile corpus test (tests/wirefeed/publish/test_hostile_corpus.py).
    print(
        f"W3C validator: {len(counts)} RSS and Atom documents, {errors} errors, {warnings} warnings"
    )
    return 1 if errors or warnings else 0


if __name__ == "__main__":
    sys.exit(main())

"""What one feed render costs as a feed's archive grows: seconds and S3 requests.

A feed of 100 entries takes one new story; measured with no archive pages, then with
10, 25 and 50 (the most a feed keeps by default; fewer for a quick run). The stories
are written directly, the feed filled through the publishing code a hundred at a time.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.reconcile import requests_made
from wirefeed.intake.parsers import RawItem, parse
from wirefeed.model import Story
from wirefeed.publish.publishing import load_feed_document, update_feed
from wirefeed.publish.subscriptions import Subscriptions
from wirefeed.settings import Settings
from wirefeed.storage import BlobStore
from wirefeed.stories import save_story

FEED = "all"


def _story(number: int) -> Story:
    text = f"Render bench story {number}\n\n" + " ".join(
        f"Paragraph {p} of story {number} has some words in it." for p in range(40)
    )
    return parse(RawItem(text.encode(), "text/plain", source="bench"))


def _save_one(store: BlobStore, number: int) -> str:
    story = _story(number)
    save_story(store, story)
    return story.id


def _save(store: BlobStore, numbers: range) -> list[str]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda n: _save_one(store, n), numbers))


def _render_once(
    store: BlobStore, settings: Settings, subscriptions: Subscriptions, story_id: str
) -> tuple[float, float]:
    before, started = requests_made(), time.perf_counter()
    update_feed(store, settings, subscriptions, FEED, [story_id])
    return time.perf_counter() - started, requests_made() - before


def measure(
    store: BlobStore, settings: Settings, most_pages: int = 50, runs: int = 3
) -> dict[str, Any]:
    """Median seconds and requests of a one-story render at 0 to ``most_pages`` pages."""
    subscriptions = Subscriptions()
    size = settings.feed_size
    results: dict[str, Any] = {}
    filled = 0
    for pages in sorted({0, most_pages // 5, most_pages // 2, most_pages}):
        target = size * (pages + 1)
        ids = _save(store, range(filled, target))
        for start in range(0, len(ids), size):
            update_feed(store, settings, subscriptions, FEED, ids[start : start + size])
        filled = target
        probes = _save(store, range(filled, filled + runs))
        filled += runs
        took = [_render_once(store, settings, subscriptions, sid) for sid in probes]
        doc = load_feed_document(store, FEED)
        results[str(pages)] = {
            "archive_pages": len(doc.archive_pages),
            "seconds": statistics.median(t for t, _ in took),
            "requests": statistics.median(r for _, r in took),
        }
    return results

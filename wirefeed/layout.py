"""Where things live in the bucket: one function per kind of key.

``feeds/`` and ``stories/`` are public (partners read them); everything else is
Wirefeed's own state. The canonical story is private; ``stories/{id}.json`` is its public
copy, written when the story is published and absent while it is embargoed.
"""

from __future__ import annotations

FEED_FORMATS: dict[str, str] = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


RAW_PREFIX = "raw/"


def raw_key(sha256: str) -> str:
    """A received payload, addressed by its content so a re-send is a no-op."""
    return f"{RAW_PREFIX}{sha256}"


STORY_PREFIX = "private/stories/"
# One item of a multi-item payload is named by the payload's key and its position:
# ``raw/{sha256}#{index}``. It is a name, not an object: the payload is stored once.
_ITEM_SEPARATOR = "#"


def item_key(payload_key: str, index: int) -> str:
    """The key of the item at ``index`` in a payload of several items."""
    return f"{payload_key}{_ITEM_SEPARATOR}{index}"


def split_item_key(key: str) -> tuple[str, int | None]:
    """The stored payload's key and the item's index (None when the key is a whole payload)."""
    payload_key, separator, index = key.partition(_ITEM_SEPARATOR)
    return payload_key, int(index) if separator and index.isdigit() else None


def story_key(story_id: str) -> str:
    """The current canonical story (or its kill tombstone) as ninjs JSON; private."""
    return f"{STORY_PREFIX}{story_id}.json"


def public_story_key(story_id: str) -> str:
    """The public copy of a published story (absent while it is embargoed)."""
    return f"stories/{story_id}.json"


IGNORED_PREFIX = "state/ignored/"


def ignored_prefix(story_id: str) -> str:
    """Where the markers of a story's payloads that ingest did not apply live."""
    return f"{IGNORED_PREFIX}{story_id}/"


def ignored_key(story_id: str, raw_key: str) -> str:
    """The marker of one payload ingest did not apply (an older or identical version)."""
    return f"{ignored_prefix(story_id)}{raw_key.removeprefix(RAW_PREFIX)}"


def feed_key(feed_id: str, fmt: str) -> str:
    """A rendered feed document."""
    return f"feeds/{feed_id}.{fmt}"


def feed_state_key(feed_id: str) -> str:
    """The entries a feed holds, from which every format is rendered."""
    return f"state/feeds/{feed_id}.json"


SUBSCRIPTIONS_KEY = "config/subscriptions.json"
"""Partners, feeds and hubs: the canonical subscription configuration."""

AGENCIES_KEY = "config/agencies.json"
"""The agencies that send stories, and the hashes of their keys."""


def feed_base(feed_id: str, public: bool) -> str:
    """Key stem of a feed's documents: under the public ``feeds/`` or the private prefix."""
    return f"feeds/{feed_id}" if public else f"private/feeds/{feed_id}"


def feed_document_key(feed_id: str, fmt: str, public: bool, archive_page: int | None = None) -> str:
    """A rendered feed document, current or (with ``archive_page``) an RFC 5005 archive."""
    base = feed_base(feed_id, public)
    return f"{base}.{fmt}" if archive_page is None else f"{base}/archive/{archive_page}.{fmt}"


def feed_archive_state_key(feed_id: str, page: int) -> str:
    """The entries of one archive page of a feed."""
    return f"state/feeds/{feed_id}/archive/{page}.json"


def quarantine_key(item_id: str) -> str:
    """A quarantined item's record (reason, raw key, source)."""
    return f"quarantine/{item_id}.json"


def deadletter_key(task_id: str) -> str:
    """A task that failed for good, with its reason."""
    return f"deadletter/{task_id}.json"


def job_key(job_id: str) -> str:
    """An editorial action's job: its progress and which feeds it rewrote."""
    return f"jobs/{job_id}.json"


def version_key(story_id: str, version: str, stamp: str) -> str:
    """A version of a story that an editorial action replaced."""
    return f"state/versions/{story_id}/{version}-{stamp}.json"


AUDIT_PREFIX = "audit/"


EMBARGO_PREFIX = "state/embargo/"


def embargo_key(raw_sha256: str) -> str:
    """A version held until its embargo time: the durable record behind the Redis index."""
    return f"{EMBARGO_PREFIX}{raw_sha256}.json"


def upstream_key(source_id: str) -> str:
    """What the last poll of an upstream feed returned (validators, entries seen)."""
    return f"state/upstreams/{source_id}.json"


INBOX_PREFIX = "inbox/"
INBOX_DONE = "inbox/done/"
INBOX_FAILED = "inbox/failed/"

"""The S3 drop box: files put under ``inbox/`` are taken in and moved aside.

A file that intake accepts moves to ``inbox/done/``; one it refuses moves to
``inbox/failed/`` with its reason (object metadata and a ``.reason.json`` beside it)
and is quarantined like any refused payload. Each file is handled on its own, so one
bad file never blocks the others; a file is moved only after its payload is stored,
so a crash in between means it is taken in again (harmlessly) on the next sweep.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass

from wirefeed.intake.budget import INLINE, ParseBudget
from wirefeed.intake.parsers import RawItem
from wirefeed.intake.receiving import Quarantined, Receipt, receive
from wirefeed.layout import INBOX_DONE, INBOX_FAILED, INBOX_PREFIX
from wirefeed.storage import BlobStore, NotFound, StorageError

_GUESSED_TYPES = {".txt": "text/plain", ".xml": "application/xml", ".json": "application/json",
                  ".nitf": "application/nitf+xml", ".anpa": "text/vnd.iptc.anpa"}  # fmt: skip


@dataclass(frozen=True)
class DropResult:
    """What became of one file."""

    key: str
    moved_to: str
    receipt: Receipt | None = None
    reason: str | None = None


def _ascii(text: str) -> str:
    # S3 user metadata must be ASCII.
    return text.encode("ascii", "replace").decode()[:500]


def _content_type(name: str, stored: str) -> str:
    if stored and stored not in ("binary/octet-stream", "application/octet-stream"):
        return stored
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _GUESSED_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or ""


def take_file(
    store: BlobStore, key: str, default_source: str, max_bytes: int, budget: ParseBudget = INLINE
) -> DropResult:
    """Take in one inbox file and move it to done/ or failed/."""
    blob = store.get(key)
    name = key.removeprefix(INBOX_PREFIX)
    # inbox/{source}/{file}: the folder names the agency.
    source = name.split("/", 1)[0] if "/" in name else default_source
    receipt, reason, detail = None, None, ""
    if len(blob.body) > max_bytes:
        reason, detail = "too_large", f"file over {max_bytes} bytes"
    else:
        item = RawItem(blob.body, _content_type(name, blob.content_type), source=source)
        try:
            receipt = receive(store, item, budget)
        except Quarantined as refused:
            reason, detail = refused.reason, refused.detail
    target = (INBOX_FAILED if reason else INBOX_DONE) + name
    if receipt is not None:
        metadata = {"story-id": receipt.story_id, "raw-key": receipt.raw_key}
    else:
        metadata = {"reason": reason or "", "detail": _ascii(detail)}
    store.put(target, blob.body, content_type=blob.content_type, metadata=metadata)
    if reason:
        note = {"file": name, "reason": reason, "detail": detail, "source": source}
        store.put(f"{target}.reason.json", json.dumps(note).encode(),
                  content_type="application/json")  # fmt: skip
    store.delete(key)
    return DropResult(key=key, moved_to=target, receipt=receipt, reason=reason)


def sweep(
    store: BlobStore,
    default_source: str,
    max_bytes: int,
    limit: int = 200,
    budget: ParseBudget = INLINE,
) -> list[DropResult]:
    """Take in up to ``limit`` inbox files; a storage error on one file skips only it."""
    results = []
    for key in store.list(INBOX_PREFIX):
        if key.startswith((INBOX_DONE, INBOX_FAILED)) or key.endswith("/"):
            continue
        try:
            results.append(take_file(store, key, default_source, max_bytes, budget))
        except NotFound:
            continue  # another sweep took it meanwhile
        except StorageError:
            continue  # left in place; the next sweep tries again
        if len(results) >= limit:
            break
    return results

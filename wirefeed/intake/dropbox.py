"""The S3 drop box: files put under ``inbox/`` are taken in and moved aside.

A file that intake accepts moves to ``inbox/done/``; one it refuses moves to
``inbox/failed/`` with its reason (object metadata and a ``.reason.json`` beside it)
and is quarantined like any refused payload. Each file is handled on its own, so one
bad file never blocks the others; a file is moved only after its payload is stored,
so a crash in between means it is taken in again (harmlessly) on the next sweep.

A file of several items (a newsMessage, a ninjs array, an e-mail with attachments)
moves to ``done/`` when any of its items was taken; the items that were refused are
quarantined on their own and listed in the ``.reason.json`` beside it. ``.eml`` files
are read as e-mail.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass

from wirefeed.intake.budget import INLINE, ParseBudget
from wirefeed.intake.parsers import RawItem
from wirefeed.intake.receiving import ForeignSource, Quarantined, Receipt, receive_all
from wirefeed.layout import INBOX_DONE, INBOX_FAILED, INBOX_PREFIX, split_item_key
from wirefeed.storage import BlobStore, NotFound, StorageError

_GUESSED_TYPES = {
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".json": "application/json",
    ".nitf": "application/nitf+xml",
    ".anpa": "text/vnd.iptc.anpa",
    ".eml": "message/rfc822",
}


@dataclass(frozen=True)
class DropResult:
    """What became of one file: the stories taken from it, and why the rest was refused."""

    key: str
    moved_to: str
    receipts: tuple[Receipt, ...] = ()
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
    # inbox/{agency}/{file}: the folder names the agency, and its files may name no other
    # source. Files at the top of the inbox come from the operator (the default source).
    agency = name.split("/", 1)[0] if "/" in name else None
    source = agency or default_source
    receipts: list[Receipt] = []
    refused: list[dict[str, str]] = []
    if len(blob.body) > max_bytes:
        refused.append({"reason": "too_large", "detail": f"file over {max_bytes} bytes"})
    else:
        item = RawItem(
            blob.body, _content_type(name, blob.content_type), source=source, agency=agency
        )
        try:
            results = receive_all(store, item, budget)
        except ForeignSource as foreign:
            results = []
            refused.append({"reason": "foreign_source", "detail": str(foreign)})
        for result in results:
            if isinstance(result, Quarantined):
                refused.append(
                    {
                        "reason": result.reason,
                        "detail": result.detail,
                        "quarantine_id": result.record_id,
                    }
                )
            else:
                receipts.append(result)
    reason = refused[0]["reason"] if refused and not receipts else None
    target = (INBOX_FAILED if reason else INBOX_DONE) + name
    if receipts:
        # S3 user metadata is limited to 2 KB: the first ids, the rest are in the states.
        metadata = {
            "story-id": " ".join(r.story_id for r in receipts[:40]),
            "raw-key": split_item_key(receipts[0].raw_key)[0],
        }
    else:
        metadata = {"reason": reason or "", "detail": _ascii(refused[0]["detail"])}
    store.put(target, blob.body, content_type=blob.content_type, metadata=metadata)
    if refused:
        note = {"file": name, "source": source, **refused[0], "items": refused}
        store.put(
            f"{target}.reason.json", json.dumps(note).encode(), content_type="application/json"
        )
    store.delete(key)
    return DropResult(key=key, moved_to=target, receipts=tuple(receipts), reason=reason)


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

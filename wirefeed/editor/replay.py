"""Replaying a quarantined item for an editor: intake's one replay, in editorial terms."""

from __future__ import annotations

from wirefeed.editor.errors import EditorialError
from wirefeed.intake import receiving
from wirefeed.intake.budget import ParseBudget
from wirefeed.storage import BlobStore, NotFound


def replay_quarantined(
    store: BlobStore, item_id: str, budget: ParseBudget
) -> list[receiving.Receipt]:
    """Take a quarantined item through intake again; the caller queues each story for ingest.

    The item is parsed within ``budget``, as at intake: it was quarantined, so it is the
    most likely of all payloads to be hostile. An unknown item is ``not_found``; one
    that is still refused (over the budget too) stays in quarantine with its current
    reason and is ``invalid``.
    """
    try:
        return receiving.replay(store, item_id, budget)
    except NotFound:
        raise EditorialError("not_found", f"no quarantined item {item_id}") from None
    except receiving.Quarantined as still:
        detail = f"still does not parse: {still.reason}: {still.detail}"
        raise EditorialError("invalid", detail) from None
    except receiving.ForeignSource as foreign:
        raise EditorialError("invalid", str(foreign)) from None

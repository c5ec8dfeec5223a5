"""The lifecycle rules as tables: version order, kills, corrections, embargoes, duplicates."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from wirefeed import stories
from wirefeed.enrich import enriching
from wirefeed.ingest import ingesting
from wirefeed.ingest.embargo import INDEX_KEY, EmbargoSchedule
from wirefeed.ingest.lifecycle import Decision, Lifecycle, decide
from wirefeed.ingest.near_duplicates import NearDuplicateIndex, distance, fingerprint
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.layout import story_key
from wirefeed.model import Body, Creator, Headline, PubStatus, Story, Tag
from wirefeed.progress import Stage, Timeline, ignored_payloads, load_state
from wirefeed.storage import MemoryStore

T0 = datetime(2026, 10, 17, 9, 0, tzinfo=UTC)
PARAGRAPHS = (
    "A Russian actress and a film director returned to Earth on Sunday after spending twelve "
    "days aboard the International Space Station shooting scenes for the first feature film "
    "made in orbit. The Soyuz capsule landed in a remote area of Kazakhstan on schedule, and "
    "rescue crews reached it within minutes. Officials said all three people on board were in "
    "good health and would fly to Moscow for medical checks later in the day."
)


def story(version: str = "1", minutes: int = 0, **fields: object) -> Story:
    values: dict[str, object] = {
        "uri": "urn:agency:1",
        "id": "s1",
        "source": "agency",
        "version": version,
        "versioncreated": T0 + timedelta(minutes=minutes),
        "headlines": [Headline(value="Crew lands")],
        "bodies": [Body(value=f"<p>{PARAGRAPHS}</p>")],
        **fields,
    }
    return Story.model_validate(values)


@pytest.mark.parametrize(
    ("new", "current", "accept", "reason"),
    [
        (story("1"), None, True, "new story"),
        (story("2"), story("1"), True, "update"),
        (story("1", minutes=5), story("1"), True, "update"),
        (story("1"), story("2"), False, "older than the stored version 2"),
        (story("2"), story("2", minutes=5), False, "older than the stored version 2"),
        (story("1"), story("1"), False, "version 1 is already stored"),
        (story("3", correction_note="Fixes a name"), story("2"), True, "correction"),
        (story("3", pubstatus=PubStatus.canceled), story("2"), True, "kill"),
        (
            story("1"),
            story("3", pubstatus=PubStatus.canceled),
            False,
            "killed: the story was canceled and stays a tombstone",
        ),
        (
            story("9"),
            story("3", pubstatus=PubStatus.canceled),
            False,
            "killed: the story was canceled and stays a tombstone",
        ),
        (story("4"), story("3", pubstatus=PubStatus.withheld), True, "update"),
    ],
)
def test_which_version_wins(new: Story, current: Story | None, accept: bool, reason: str) -> None:
    assert decide(new, current) == Decision(accept, reason)


def ninjs(version: int, *, status: str = "usable", minutes: int = 0, **extra: str) -> bytes:
    import json

    doc = {
        "uri": "urn:agency:story-7",
        "version": str(version),
        "versioncreated": (T0 + timedelta(minutes=minutes)).isoformat(),
        "pubstatus": status,
        "headlines": [{"value": f"Crew lands (v{version})"}],
        "body_text": PARAGRAPHS,
        **extra,
    }
    return json.dumps(doc).encode()


def item(payload: bytes, source: str = "agency") -> RawItem:
    return RawItem(payload, "application/json", source=source)


def ingest_all(store: MemoryStore, payloads: list[bytes]) -> list[str]:
    """Receive and ingest each payload; the action ingest took for each."""
    actions = []
    for payload in payloads:
        receipt = receiving.receive(store, item(payload))
        actions.append(ingesting.ingest(store, receipt.raw_key).action.value)
    return actions


def stored_story(store: MemoryStore) -> Story | None:
    return stories.load_story(store, receiving.receive(store, item(ninjs(1))).story_id)


@pytest.mark.parametrize("order", list(itertools.permutations([1, 2, 3])))
def test_out_of_order_versions_end_on_the_newest(order: tuple[int, ...]) -> None:
    store = MemoryStore()
    ingest_all(store, [ninjs(v) for v in order])
    stored = stored_story(store)
    assert stored is not None and stored.version == "3"
    assert stored.headline == "Crew lands (v3)"


def test_an_identical_resend_is_acknowledged_and_ignored() -> None:
    store = MemoryStore()
    assert ingest_all(store, [ninjs(1), ninjs(1), ninjs(1)]) == ["enrich", "ignore", "ignore"]
    stored = stored_story(store)
    assert stored is not None and stored.version == "1"


@pytest.mark.parametrize(
    ("payloads", "actions", "status", "has_body"),
    [
        (
            [ninjs(1), ninjs(2, status="canceled"), ninjs(1)],
            ["enrich", "enrich", "ignore"],
            PubStatus.canceled,
            False,
        ),
        ([ninjs(2, status="canceled"), ninjs(1)], ["enrich", "ignore"], PubStatus.canceled, False),
        (
            [ninjs(1), ninjs(2, status="canceled"), ninjs(3)],
            ["enrich", "enrich", "ignore"],
            PubStatus.canceled,
            False,
        ),
        ([ninjs(1), ninjs(2, status="withheld")], ["enrich", "enrich"], PubStatus.withheld, False),
        ([ninjs(2, status="withheld"), ninjs(3)], ["enrich", "enrich"], PubStatus.usable, True),
    ],
)
def test_kills_leave_a_tombstone_no_late_version_resurrects(
    payloads: list[bytes], actions: list[str], status: PubStatus, has_body: bool
) -> None:
    store = MemoryStore()
    assert ingest_all(store, payloads) == actions
    stored = stored_story(store)
    assert stored is not None
    assert stored.pubstatus is status
    assert bool(stored.bodies) is has_body


def test_a_correction_keeps_the_id_and_is_marked() -> None:
    store = MemoryStore()
    first = receiving.receive(store, item(ninjs(1)))
    ingesting.ingest(store, first.raw_key)
    fix = receiving.receive(store, item(ninjs(2, ednote="Corrects the landing site")))
    assert fix.story_id == first.story_id
    assert ingesting.ingest(store, fix.raw_key).reason == "correction"
    stored = stories.load_story(store, first.story_id)
    assert stored is not None and stored.correction_note == "Corrects the landing site"


def test_editor_tags_survive_a_new_wire_version() -> None:
    store = MemoryStore()
    receipt = receiving.receive(store, item(ninjs(1)))
    ingesting.ingest(store, receipt.raw_key)
    current = stories.load_story(store, receipt.story_id)
    assert current is not None
    editor_tag = Tag(name="Space", creator=Creator.editor)
    stories.save_story(store, current.model_copy(update={"subjects": [editor_tag]}))
    ingesting.ingest(store, receiving.receive(store, item(ninjs(2))).raw_key)
    stored = stories.load_story(store, receipt.story_id)
    assert stored is not None and editor_tag in stored.subjects


def test_enrichment_of_an_old_version_never_overwrites_a_newer_one() -> None:
    """Enrich reads v1; v2 is ingested before enrich writes; v2 must survive."""
    from wirefeed.enrich.taggers import build_pipeline

    store = MemoryStore()
    ingesting.ingest(store, receiving.receive(store, item(ninjs(1))).raw_key)
    taggers = build_pipeline(["keywords"])
    real_enrich = taggers.enrich
    second = receiving.receive(store, item(ninjs(2)))

    def enrich_while_v2_lands(s: Story) -> Story:
        if s.version == "1":
            ingesting.ingest(store, second.raw_key)
        return real_enrich(s)

    taggers.enrich = enrich_while_v2_lands  # type: ignore[method-assign]
    tagged = enriching.enrich(store, second.story_id, taggers)
    assert tagged is not None and tagged.story.version == "2"
    stored = stories.load_story(store, second.story_id)
    assert stored is not None and stored.version == "2" and stored.word_count


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


def lifecycle(store: MemoryStore, client: redis.Redis, distance: int = 8) -> Lifecycle:
    return Lifecycle(
        embargoes=EmbargoSchedule(store, client),
        duplicates=NearDuplicateIndex(client, distance, 3600),
    )


def test_an_embargoed_version_is_held_then_released_even_after_redis_forgets(
    redis_client: redis.Redis,
) -> None:
    store = MemoryStore()
    parts = lifecycle(store, redis_client)
    until = T0 + timedelta(hours=3)
    receipt = receiving.receive(store, item(ninjs(1, embargoed=until.isoformat())))
    outcome = ingesting.ingest(store, receipt.raw_key, parts, now=T0)
    assert outcome.action is ingesting.Action.hold
    assert stories.load_story(store, receipt.story_id) is None  # nothing public yet
    assert ingesting.release_due(store, parts, now=until - timedelta(seconds=1)) == []
    redis_client.delete(INDEX_KEY)  # Redis restarted without its data
    assert parts.embargoes is not None and parts.embargoes.rebuild() == 1
    released = ingesting.release_due(store, parts, now=until)
    assert [(o.story_id, o.action) for o in released] == [
        (receipt.story_id, ingesting.Action.enrich)
    ]
    assert stories.load_story(store, receipt.story_id) is not None
    assert parts.embargoes.pending() == []
    assert ingesting.release_due(store, parts, now=until + timedelta(hours=1)) == []


def test_a_kill_during_the_embargo_wins_over_the_release(redis_client: redis.Redis) -> None:
    store = MemoryStore()
    parts = lifecycle(store, redis_client)
    until = T0 + timedelta(hours=1)
    held = receiving.receive(store, item(ninjs(1, embargoed=until.isoformat())))
    ingesting.ingest(store, held.raw_key, parts, now=T0)
    kill = receiving.receive(store, item(ninjs(2, status="canceled")))
    assert ingesting.ingest(store, kill.raw_key, parts, now=T0).action is ingesting.Action.enrich
    released = ingesting.release_due(store, parts, now=until)
    assert [o.action for o in released] == [ingesting.Action.ignore]
    stored = stories.load_story(store, held.story_id)
    assert stored is not None and stored.pubstatus is PubStatus.canceled


def test_trivial_edits_stay_within_the_default_distance() -> None:
    original = fingerprint(story())
    edited = fingerprint(
        story(bodies=[Body(value=f"<p>{PARAGRAPHS.replace('Sunday', 'Sunday morning')}</p>")])
    )
    markets = (
        "Markets fell sharply in Asia on Monday as investors sold technology shares after "
        "weak export figures from South Korea and Taiwan. The Nikkei lost three percent, "
        "its worst day since spring, while Hong Kong dropped two percent and the yen rose "
        "against the dollar. Traders said central bank comments later this week could "
        "decide whether the slide continues into the summer."
    )
    other = fingerprint(story(bodies=[Body(value=f"<p>{markets}</p>")]))
    assert original is not None and edited is not None and other is not None
    assert distance(original, edited) <= 8 < distance(original, other)


def test_short_flashes_are_never_taken_for_duplicates() -> None:
    flash = "<p>Earthquake of magnitude {} hits {}, no tsunami warning issued, officials say.</p>"
    japan = story(bodies=[Body(value=flash.format("6.1", "northern Japan"))])
    chile = story(bodies=[Body(value=flash.format("5.2", "central Chile"))])
    assert fingerprint(japan) is None and fingerprint(chile) is None


@pytest.mark.parametrize(
    ("second_source", "second_uri", "body", "action"),
    [
        ("other-agency", "urn:other:99", PARAGRAPHS, "duplicate"),
        ("agency", "urn:agency:resent", PARAGRAPHS.replace("twelve", "12"), "duplicate"),
        (
            "agency",
            "urn:agency:2",
            "Markets fell sharply in Asia on Monday as investors "
            "weighed new trade figures from China and a stronger dollar.",
            "enrich",
        ),
    ],
)
def test_near_duplicates_are_linked_not_published(
    redis_client: redis.Redis, second_source: str, second_uri: str, body: str, action: str
) -> None:
    import json

    store = MemoryStore()
    parts = lifecycle(store, redis_client)
    first = receiving.receive(store, item(ninjs(1)))
    ingesting.ingest(store, first.raw_key, parts)
    doc = {"uri": second_uri, "headlines": [{"value": "Crew lands"}], "body_text": body}
    second = receiving.receive(store, item(json.dumps(doc).encode(), source=second_source))
    outcome = ingesting.ingest(store, second.raw_key, parts)
    assert outcome.action.value == action
    state = load_state(store, second.story_id)
    assert state is not None
    assert state.duplicate_of == (first.story_id if action == "duplicate" else None)


def test_a_negative_distance_turns_detection_off(redis_client: redis.Redis) -> None:
    store = MemoryStore()
    parts = lifecycle(store, redis_client, distance=-1)
    ingesting.ingest(store, receiving.receive(store, item(ninjs(1), source="a")).raw_key, parts)
    again = receiving.receive(store, item(ninjs(1), source="b"))
    assert ingesting.ingest(store, again.raw_key, parts).action is ingesting.Action.enrich


def test_a_resent_copy_leaves_a_published_story_published(redis_client: redis.Redis) -> None:
    store = MemoryStore()
    parts = Lifecycle(timeline=Timeline(redis_client))
    first = receiving.receive(store, item(ninjs(1)))
    ingesting.ingest(store, first.raw_key, parts)
    Timeline(redis_client).note(first.story_id, Stage.published, version="1", detail="in all")
    again = receiving.receive(store, item(ninjs(1)))
    assert ingesting.ingest(store, again.raw_key, parts).action is ingesting.Action.ignore
    state = load_state(store, first.story_id, Timeline(redis_client))
    assert state is not None and state.stage is Stage.published
    assert state.history[-1].detail is not None and "ignored" in state.history[-1].detail
    # The marker tells recovery the copy was dealt with.
    assert ignored_payloads(store, first.story_id) == [again.raw_key]


def test_a_first_version_is_created_without_reading_the_story_first() -> None:
    store = MemoryStore()
    first = receiving.receive(store, item(ninjs(1)))
    reads: list[str] = []
    get = store.get

    def counting_get(key: str) -> Any:
        if key == story_key(first.story_id):
            reads.append(key)
        return get(key)

    store.get = counting_get  # type: ignore[method-assign]
    ingesting.ingest(store, first.raw_key)
    assert reads == []
    # A later version finds the story there (its create fails) and is applied over it.
    second = receiving.receive(store, item(ninjs(2, minutes=5)))
    assert ingesting.ingest(store, second.raw_key).action is ingesting.Action.enrich
    assert len(reads) == 1
    current = stories.load_story(store, first.story_id)
    assert current is not None and current.version == "2"
    # The same payload delivered twice is ignored, as before.
    assert ingesting.ingest(store, second.raw_key).action is ingesting.Action.ignore

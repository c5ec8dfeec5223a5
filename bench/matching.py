"""``python -m bench.matching``: per-story subscription matching cost as feeds grow.

Builds 100, 1,000 and 10,000 tag-filtered feeds (plus the firehose), matches the same
stories against each set, and prints the median time per story and the number of
candidate feeds the index hands to the full check. With the inverted index the time
per story should stay flat while the feed count grows a hundredfold.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime

from wirefeed.model import Body, Headline, Story, Tag
from wirefeed.publish.subscriptions import (
    FIREHOSE,
    FeedSpec,
    Filter,
    SubscriptionConfig,
    Subscriptions,
)

DIMENSIONS = ("subjects", "people", "places", "keywords", "query")
VOCABULARY = 2000


def feeds(count: int, rng: random.Random) -> list[FeedSpec]:
    """``count`` feeds, each filtering on one value of one dimension."""
    made = []
    for i in range(count):
        dimension = DIMENSIONS[i % len(DIMENSIONS)]
        value = f"{dimension[:3]}{rng.randrange(VOCABULARY)}"
        selection = {dimension: value} if dimension == "query" else {dimension: [value]}
        made.append(FeedSpec(id=f"feed-{i}", title=f"Feed {i}", filter=Filter(**selection)))
    return made


def story(n: int, rng: random.Random) -> Story:
    """A story with a few tags from the same vocabulary and a 300-word body."""
    words = " ".join(f"word{rng.randrange(5000)}" for _ in range(300))
    return Story(
        uri=f"urn:bench:{n}",
        id=f"bench{n}",
        source="wire",
        versioncreated=datetime(2026, 1, 1, tzinfo=UTC),
        headlines=[Headline(value=f"que{rng.randrange(VOCABULARY)} in the news")],
        bodies=[Body(value=f"<p>{words}</p>")],
        subjects=[Tag(name="s", literal=f"sub{rng.randrange(VOCABULARY)}") for _ in range(3)],
        people=[Tag(name=f"peo{rng.randrange(VOCABULARY)}") for _ in range(2)],
        places=[Tag(name=f"pla{rng.randrange(VOCABULARY)}")],
        keywords=[f"key{rng.randrange(VOCABULARY)}" for _ in range(5)],
    )


def measure(feed_count: int, stories: list[Story]) -> tuple[float, float]:
    """(median microseconds per story, mean candidate feeds per story)."""
    subscriptions = Subscriptions(
        SubscriptionConfig(feeds=[FIREHOSE, *feeds(feed_count, random.Random(1))])
    )
    timings, candidates = [], []
    for item in stories:
        started = time.perf_counter()
        subscriptions.feeds_for(item)
        timings.append((time.perf_counter() - started) * 1e6)
        candidates.append(len(subscriptions.candidates(subscriptions.facts(item))))
    return statistics.median(timings), statistics.mean(candidates)


def main() -> None:
    rng = random.Random(2)
    stories = [story(n, rng) for n in range(300)]
    print("feeds    median µs/story   candidates/story")
    for count in (100, 1_000, 10_000):
        micros, candidates = measure(count, stories)
        print(f"{count:>6}   {micros:>15.0f}   {candidates:>16.1f}")


if __name__ == "__main__":
    main()

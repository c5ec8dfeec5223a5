"""Partner feeds and which stories they select."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from wirefeed.model import Story

FIREHOSE_ID = "all"


class FeedSpec(BaseModel):
    """One feed: its identity, presentation and selection."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    title: str
    description: str = "Wire stories from Wirefeed"
    size: int = Field(default=100, ge=1, le=1000)
    public: bool = True

    def matches(self, story: Story) -> bool:
        """Whether the feed selects this story (the firehose selects every live story)."""
        return story.is_live


FIREHOSE = FeedSpec(id=FIREHOSE_ID, title="All stories", description="Every story on the wire")


class Subscriptions:
    """The set of feeds, and which of them a story belongs in."""

    def __init__(self, feeds: list[FeedSpec] | None = None) -> None:
        self.feeds = {f.id: f for f in (feeds or [FIREHOSE])}

    def get(self, feed_id: str) -> FeedSpec | None:
        """The feed with this id, if any."""
        return self.feeds.get(feed_id)

    def feeds_for(self, story: Story) -> set[str]:
        """The ids of the feeds that select ``story``."""
        return {fid for fid, spec in self.feeds.items() if spec.matches(story)}

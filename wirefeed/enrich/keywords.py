"""A dependency-free keyword tagger: frequent content words and a slug."""

from __future__ import annotations

import re
from collections import Counter

from wirefeed.enrich.taggers import Proposal, register
from wirefeed.model import Story, slugify

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_STOPWORDS = frozenset(
    [
        "about",
        "above",
        "after",
        "again",
        "against",
        "also",
        "although",
        "among",
        "another",
        "because",
        "been",
        "before",
        "being",
        "between",
        "both",
        "could",
        "during",
        "each",
        "even",
        "every",
        "from",
        "further",
        "have",
        "having",
        "here",
        "into",
        "itself",
        "just",
        "more",
        "most",
        "much",
        "must",
        "only",
        "other",
        "over",
        "same",
        "should",
        "since",
        "some",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "thus",
        "under",
        "until",
        "very",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "would",
        "your",
        "said",
        "says",
        "first",
        "last",
        "news",
    ]
)


@register("keywords")
class KeywordTagger:
    """Picks the most frequent content words as keywords."""

    name = "keywords"

    def __init__(self, top: int = 8) -> None:
        self.top = top

    def propose(self, story: Story, text: str) -> Proposal:
        """Keywords by frequency, and a slug from the headline."""
        counts = Counter(
            w.casefold() for w in _WORD.findall(text) if w.casefold() not in _STOPWORDS
        )
        keywords = [w for w, n in counts.most_common(self.top) if n > 1]
        return Proposal(keywords=keywords, slugline=slugify(story.headline))

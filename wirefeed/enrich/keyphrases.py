"""Key phrases with YAKE, an unsupervised, offline keyword extractor."""

from __future__ import annotations

from wirefeed.enrich.taggers import Proposal, register
from wirefeed.model import Story, slugify


@register("yake")
class YakeTagger:
    """Keywords by YAKE (statistical, no model or download) and a slug from the headline."""

    name = "yake"

    # YAKE's cost grows with the text; wire copy puts what it is about first, so the
    # headline and lead paragraphs carry the keywords (and most of the time is saved).
    max_words = 250

    def __init__(self, top: int = 8) -> None:
        import yake

        self.top = top
        self.extractor = yake.KeywordExtractor(lan="en", n=2, dedup_lim=0.7, top=top * 2)

    def propose(self, story: Story, text: str) -> Proposal:
        """The best-scored keywords (lower case, no duplicates) and the slug.

        A phrase of several words must recur in the lead: YAKE otherwise offers
        accidental neighbours ("movie-making returned").
        """
        keywords: list[str] = []
        words = text.split(" ")
        if len(words) > self.max_words:
            text = " ".join(words[: self.max_words])
        folded = text.casefold()
        for phrase, _score in self.extractor.extract_keywords(text):
            keyword = phrase.casefold()
            if keyword in keywords or keyword.isdigit():
                continue
            if " " in keyword and folded.count(keyword) < 2:
                continue
            keywords.append(keyword)
        return Proposal(keywords=keywords[: self.top], slugline=slugify(story.headline))

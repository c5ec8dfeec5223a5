"""Small taggers: language, dateline place, keywords (YAKE) and slug."""

from __future__ import annotations

from functools import cache
from typing import Any

from wirefeed.model import Story, slugify
from wirefeed.taggers import Proposal, register
from wirefeed.taggers.names import dateline_place


@register("dateline")
class DatelineTagger:
    """The dateline place (ninjs ``located``)."""

    name = "dateline"

    def propose(self, story: Story, text: str) -> Proposal:
        """The place from the dateline of the first body paragraph."""
        _, _, body = text.partition("\n\n")
        return Proposal(located=dateline_place(body))


@cache
def _language_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@register("language")
class LanguageTagger:
    """The story's language as an ISO 639-1 code; the model ships inside py3langid."""

    name = "language"
    # Below this probability the text is too short or too mixed to say.
    min_probability = 0.5

    def propose(self, story: Story, text: str) -> Proposal:
        """The most likely language, when the detector is sure enough."""
        language, probability = _language_identifier().classify(text)
        return Proposal(language=str(language) if probability >= self.min_probability else None)


@register("yake")
class YakeTagger:
    """Keywords by YAKE (statistical, no model or download) and a slug from the headline."""

    name = "yake"

    def __init__(self, top: int = 8) -> None:
        import yake

        self.top = top
        self.extractor = yake.KeywordExtractor(lan="en", n=2, dedup_lim=0.7, top=top * 2)

    def propose(self, story: Story, text: str) -> Proposal:
        """The best-scored keywords (lower case, no duplicates) and the slug.

        A phrase of several words must recur in the story: YAKE otherwise offers
        accidental neighbours ("movie-making returned").
        """
        keywords: list[str] = []
        folded = text.casefold()
        for phrase, _score in self.extractor.extract_keywords(text):
            keyword = phrase.casefold()
            if keyword in keywords or keyword.isdigit():
                continue
            if " " in keyword and folded.count(keyword) < 2:
                continue
            keywords.append(keyword)
        return Proposal(keywords=keywords[: self.top], slugline=slugify(story.headline))

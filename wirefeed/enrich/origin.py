"""Taggers of where and in what language a story was written: dateline place, language."""

from __future__ import annotations

from functools import cache
from typing import Any

from wirefeed.enrich.names import dateline_place
from wirefeed.enrich.taggers import Proposal, register
from wirefeed.model import Story


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

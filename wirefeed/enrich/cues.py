"""Cues in the text that say what kind of entity a name is, whatever the model says.

A statistical model types names from their context, and wire copy is terse: "Calder
Re AG" is a company because of "AG", "Hartley Town FC" a club because of "FC", a name
followed by a score in a results line ("Aberdeen 2 Hibernian 1") a team. These rules
encode such cues; they never need a list of the names themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from wirefeed.enrich.vocabulary import EntityType

# The last word of a name that makes it an organisation: legal forms, kinds of body,
# sports-club endings. ("City" and "Town" are left out: "Mexico City", "Cape Town".)
ORGANISATION_LAST_WORDS = frozenset(
    [
        "plc",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "llc",
        "llp",
        "lp",
        "pty",
        "ag",
        "se",
        "sa",
        "sas",
        "nv",
        "bv",
        "gmbh",
        "kg",
        "asa",
        "ab",
        "oy",
        "spa",
        "srl",
        "holdings",
        "group",
        "bank",
        "bancorp",
        "fc",
        "cf",
        "afc",
        "sc",
        "united",
        "rovers",
        "athletic",
        "wanderers",
        "albion",
        "hotspur",
        "party",
        "council",
        "ministry",
        "commission",
        "committee",
        "agency",
        "authority",
        "office",
        "department",
        "directorate",
        "bureau",
        "board",
        "university",
        "college",
        "institute",
        "academy",
        "association",
        "federation",
        "union",
        "confederation",
        "foundation",
        "trust",
        "society",
        "service",
        "services",
        "police",
        "court",
        "tribunal",
        "company",
        "airways",
        "airlines",
        "motors",
        "energy",
        "technologies",
        "systems",
        "partners",
        "finance",
        "media",
        "foods",
        "industries",
        "insurance",
        "capital",
        "pharmaceuticals",
        "laboratories",
        "labs",
        "league",
        "club",
        "organisation",
        "organization",
        "army",
        "navy",
        "forces",
        "parliament",
        "assembly",
        "senate",
        "congress",
        "network",
        "studios",
        "records",
        "museum",
        "orchestra",
    ]
)
# The first word of a name that makes it an organisation when "of" follows
# ("Ministry of Defence", "University of Nairobi", "Bank of Canada").
ORGANISATION_FIRST_WORDS = frozenset(
    [
        "ministry",
        "department",
        "university",
        "bank",
        "court",
        "office",
        "council",
        "board",
        "church",
        "federation",
        "union",
        "institute",
        "college",
        "academy",
        "museum",
        "commission",
        "committee",
        "agency",
        "league",
        "party",
        "association",
    ]
)
# The last word of a name that makes it a place (a facility or a feature).
PLACE_LAST_WORDS = frozenset(
    [
        "stadium",
        "park",
        "arena",
        "square",
        "cathedral",
        "basilica",
        "spaceport",
        "lake",
        "river",
        "mountains",
        "island",
        "islands",
        "peninsula",
        "valley",
        "province",
        "county",
        "region",
        "desert",
        "gorge",
        "bay",
        "coast",
    ]
)
# Words that describe a company or body in a sentence ("Insurer Calder Re said..."):
# at the front of a name they were capitalised by the sentence, not by the name.
DESCRIPTORS = frozenset(
    [
        "insurer",
        "reinsurer",
        "carmaker",
        "automaker",
        "steelmaker",
        "chipmaker",
        "drugmaker",
        "brewer",
        "retailer",
        "lender",
        "airline",
        "miner",
        "broadcaster",
        "publisher",
        "developer",
        "operator",
        "regulator",
        "watchdog",
        "supermarket",
        "conglomerate",
        "tech",
        "firm",
        "startup",
        "start-up",
        "rival",
        "shipper",
        "builder",
    ]
)
# Words that alone never name an entity: a name made only of these (and of the words
# above) is a sentence-initial common noun ("Health", "Court", "Party").
GENERIC_WORDS = (
    ORGANISATION_LAST_WORDS
    | ORGANISATION_FIRST_WORDS
    | DESCRIPTORS
    | frozenset(
        [
            "health",
            "education",
            "interior",
            "defence",
            "defense",
            "justice",
            "labour",
            "labor",
            "environment",
            "transport",
            "trade",
            "foreign",
            "home",
            "culture",
            "opera",
            "state",
            "government",
            "opposition",
            "the",
            "of",
            "and",
            "for",
        ]
    )
)

# A noun right before a name that says what it is: "the charity Sea-Watch", "publisher
# Seren Books", "the village of Blatten".
ORGANISATION_NOUNS_BEFORE = (
    DESCRIPTORS
    | ORGANISATION_LAST_WORDS
    | frozenset(
        [
            "charity",
            "band",
            "newspaper",
            "agency",
            "team",
            "side",
            "outfit",
            "carrier",
            "exchange",
            "network",
            "channel",
            "station",
            "label",
            "chain",
            "brand",
            "maker",
            "manufacturer",
            "producer",
            "group",
            "party",
            "club",
        ]
    )
) - frozenset(["the", "of", "and", "for"])
PLACE_NOUNS_BEFORE = frozenset(
    [
        "town",
        "village",
        "city",
        "island",
        "islands",
        "province",
        "region",
        "canton",
        "county",
        "district",
        "state",
        "capital",
        "port",
        "municipality",
        "suburb",
        "neighbourhood",
    ]
)
_WORD_BEFORE = re.compile(r"(?:\b(?P<noun>[a-z][a-z-]+)(?P<of>\s+of)?)\s+$")

# A team's name is at most six words ("Brighton & Hove Albion", "Real Sociedad de
# Futbol") of at most 32 characters each. The bounds keep the work linear: unbounded, a
# match tried at every capitalised word of "A A A ..." read on to the end of the text,
# and so did one tried after every apostrophe of "A'A'A'..." (quadratic).
_NAME_WORD = r"[\w.'&\u2019-]{0,31}+"
_NAME_WORDS = rf"[A-Z]{_NAME_WORD}(?:[ \t]+(?:[A-Z0-9]{_NAME_WORD}|&|de|of)){{0,5}}?"
# "Aberdeen 2": a name and a goal count, followed by the next name or the end of a
# sentence. Intake joins the lines of a results table into one paragraph, so results
# are found as runs of these ("Aberdeen 2 Hibernian 1 Celtic 4 Dundee United 0").
# The spaces before an optional full stop are taken possessively, for the same reason.
_NAME_AND_COUNT = re.compile(
    rf"(?<![\w-])(?P<name>{_NAME_WORDS})[ \t]+\d{{1,3}}(?=[ \t]+[A-Z]|[ \t]*+\.?[ \t]*$|\.\s)",
    re.MULTILINE,
)
# A score right after a name: "beat Chelsea 3-1".
_SCORE_AFTER = re.compile(r"\s+\d{1,3}-\d{1,3}\b")


def results_teams(text: str) -> Iterator[tuple[int, int]]:
    """Spans of team names in results ("Celtic 4 Dundee United 0"): two or more names,
    each followed by a count, one after the other."""
    run: list[re.Match[str]] = []
    for match in _NAME_AND_COUNT.finditer(text):
        if run and text[run[-1].end() : match.start()].strip():
            yield from _teams(run)
            run = []
        run.append(match)
    yield from _teams(run)


def _teams(run: list[re.Match[str]]) -> Iterator[tuple[int, int]]:
    if len(run) >= 2:
        for match in run:
            yield match.span("name")


def followed_by_score(text: str, end: int) -> bool:
    """Whether a score follows the name ending at ``end`` ("Chelsea 3-1")."""
    return _SCORE_AFTER.match(text, end) is not None


def type_from_name(name: str) -> EntityType | None:
    """The type the words of a name itself give it, if they say."""
    words = name.casefold().split()
    if len(words) < 2:
        return None
    if words[-1].strip(".") in ORGANISATION_LAST_WORDS:
        return EntityType.organisation
    if words[0] in ORGANISATION_FIRST_WORDS and words[1] == "of":
        return EntityType.organisation
    if words[-1] in PLACE_LAST_WORDS:
        return EntityType.place
    return None


def type_from_noun_before(text: str, start: int) -> EntityType | None:
    """The type a common noun right before the name at ``start`` gives it, if any."""
    match = _WORD_BEFORE.search(text, max(0, start - 40), start)
    if match is None:
        return None
    noun = match.group("noun")
    if match.group("of"):
        return EntityType.place if noun in PLACE_NOUNS_BEFORE else None
    return EntityType.organisation if noun in ORGANISATION_NOUNS_BEFORE else None


# Names of events and storms are neither people, organisations nor places.
_NOT_ENTITIES = re.compile(
    r"(?:^(?:Typhoon|Hurricane|Storm|Cyclone|Tropical Storm)\s)"
    r"|(?:\s(?:Grand Prix|Marathon|Masters|Olympics|Open)$)"
)
# Bodies named after what they serve: "Institute for Astronomy", "Ministry of Defence".
_BODY_WORDS = frozenset(
    [
        "institute",
        "ministry",
        "university",
        "department",
        "council",
        "commission",
        "committee",
        "agency",
        "office",
        "school",
        "centre",
        "center",
        "foundation",
        "society",
        "museum",
        "academy",
        "bureau",
        "federation",
        "association",
        "authority",
    ]
)
_BODY_TAIL = re.compile(
    r"\s(?:of|for)\s(?:the\s)?[A-Z][\w'\u2019-]*(?:\s(?:and\s)?[A-Z][\w'\u2019-]*)*"
)


def not_an_entity(name: str) -> bool:
    """Whether ``name`` is an event or a storm ("Monaco Grand Prix", "Storm Amy")."""
    return _NOT_ENTITIES.search(name) is not None


def body_of_name(text: str, start: int, end: int) -> int:
    """How far the name at ``[start, end)`` goes on when the model stopped at a body's
    kind ("Max Planck Institute" + " for Astronomy"): characters to add to ``end``."""
    words = text[start:end].split()
    if not words or words[-1].casefold() not in _BODY_WORDS:
        return 0
    tail = _BODY_TAIL.match(text, end)
    return len(tail.group()) if tail else 0


def is_generic(name: str) -> bool:
    """Whether ``name`` is one common noun that names nothing alone ("Health", "Court"),
    capitalised because it opens a sentence."""
    return " " not in name and name.casefold() in GENERIC_WORDS


# Titles before a person's name that are not part of it ("Archbishop Laurent Ulrich").
# Royal and papal titles stay: partners know "King Charles", not "Charles".
TITLES = frozenset(
    [
        "archbishop",
        "bishop",
        "cardinal",
        "president",
        "senator",
        "governor",
        "minister",
        "chancellor",
        "judge",
        "coach",
        "captain",
        "chairman",
        "chairwoman",
        "director",
        "professor",
        "mayor",
        "ambassador",
        "commissioner",
        "striker",
        "midfielder",
        "defender",
        "goalkeeper",
    ]
)


def leading_title(name: str) -> int:
    """Characters to drop from the front of a person's ``name`` for a title."""
    first, _, rest = name.partition(" ")
    if first.casefold() in TITLES and len(rest.split()) >= 2 and rest[0].isupper():
        return len(first) + 1
    return 0


def leading_descriptor(name: str) -> int:
    """Characters to drop from the front of ``name`` for a descriptor ("Insurer ")."""
    first, _, rest = name.partition(" ")
    if rest and first.casefold() in DESCRIPTORS and rest[0].isupper():
        return len(first) + 1
    return 0

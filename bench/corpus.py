"""Synthetic but realistic wire stories (300-800 words) for load runs.

Sentences are drawn from topic pools with real-looking names, places and numbers, so
the taggers do the work they would do on real copy. The output is deterministic for a
given seed.
"""

from __future__ import annotations

import random

PEOPLE = [
    "Maria Lopez",
    "John Carter",
    "Aiko Tanaka",
    "Pierre Dubois",
    "Fatima Hassan",
    "Olaf Schmidt",
    "Priya Natarajan",
    "Kwame Mensah",
    "Elena Petrova",
    "Liam O'Brien",
]
ORGS = [
    "the World Health Organization",
    "NASA",
    "the European Central Bank",
    "Reuters",
    "the United Nations",
    "Siemens",
    "the International Monetary Fund",
    "FIFA",
    "Amnesty International",
    "Toyota",
]
PLACES = [
    "Paris",
    "Nairobi",
    "Tokyo",
    "Brazil",
    "Germany",
    "Canada",
    "Mumbai",
    "Kazakhstan",
    "Sydney",
    "Mexico City",
]
TOPICS = {
    "economy": [
        "{org} said inflation in {place} slowed to {n}.{m} percent in the latest quarter.",
        "Economists at {org} expect interest rates to stay on hold until at least next year.",
        "{person}, chief economist at {org}, warned that growth in {place} remains fragile.",
        "Shares in {place} rose {n} percent after the central bank held rates steady.",
        "Exports fell for a {n}th consecutive month as demand from abroad weakened.",
    ],
    "sport": [
        "{person} scored twice as the home side beat the visitors {n}-{m} in {place}.",
        "The coach said the team would travel to {place} for the final next week.",
        "{org} confirmed that the tournament will expand to {n} teams from next season.",
        "Fans in {place} celebrated late into the night after the victory.",
        "{person} said the injury would keep the striker out for at least {n} weeks.",
    ],
    "science": [
        "Researchers at {org} said the probe had returned {n} samples from the asteroid.",
        "{person}, who led the study, said the results would be published in a journal.",
        "The launch from {place} was delayed by {n} days because of high winds.",
        "Scientists in {place} reported a {n} percent rise in the measured emissions.",
        "{org} plans to send a crewed mission to the Moon within {n} years.",
    ],
    "politics": [
        "{person} won {n} percent of the vote in the election held in {place} on Sunday.",
        "Lawmakers in {place} approved the budget after a debate that lasted {n} hours.",
        "{org} called on all parties to respect the result and avoid violence.",
        "The opposition said it would challenge the outcome in court.",
        "{person} told reporters in {place} that talks would resume next month.",
    ],
    "health": [
        "{org} reported {n},{m}00 new cases of the disease in {place} over the past week.",
        "{person}, a doctor in {place}, said hospitals were coping with the surge.",
        "Vaccination rates in {place} reached {n} percent among adults.",
        "The ministry said it would open {n} new clinics in rural areas.",
        "{org} urged governments to increase funding for primary care.",
    ],
}


def _sentence(rng: random.Random, template: str) -> str:
    return template.format(
        person=rng.choice(PEOPLE),
        org=rng.choice(ORGS),
        place=rng.choice(PLACES),
        n=rng.randint(2, 95),
        m=rng.randint(1, 9),
    )


def story(rng: random.Random, number: int) -> str:
    """One plain-text wire story (headline, dateline, paragraphs) of 300-800 words."""
    topic = rng.choice(sorted(TOPICS))
    pool = TOPICS[topic]
    target = rng.randint(300, 800)
    headline = f"{_sentence(rng, rng.choice(pool)).rstrip('.')} ({topic} {number})"
    paragraphs: list[str] = []
    words = 0
    while words < target:
        paragraph = " ".join(_sentence(rng, rng.choice(pool)) for _ in range(rng.randint(2, 4)))
        paragraphs.append(paragraph)
        words += len(paragraph.split())
    dateline = f"{rng.choice(PLACES).upper()}, Nov {rng.randint(1, 28)} (Wirefeed) - "
    paragraphs[0] = dateline + paragraphs[0]
    return headline + "\n\n" + "\n\n".join(paragraphs) + "\n"


def stories(count: int, seed: int = 7) -> list[bytes]:
    """``count`` distinct stories, encoded as UTF-8."""
    rng = random.Random(seed)
    return [story(rng, i).encode() for i in range(count)]

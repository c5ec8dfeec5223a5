"""``make bench-tagging``: tagging quality, speed and memory on a labelled set.

The evaluation set (``bench/tagging-eval.jsonl``) is short news stories written for
Wirefeed, each with its gold people, organisations, places and top-level IPTC Media
Topics, in two halves: ``dev``, which rules, vocabulary and the topic model may be
written against, and ``heldout``, which is frozen (its checksum is below) and only
ever reported as totals. Entities are compared by name, ignoring case, a gold name
that is a vocabulary alias standing for the vocabulary's name ("Britain" for "United
Kingdom"), as the tagger names it. A story's topic
is right when its most confident top-level subject is one of the gold ones; a story
the taggers leave without a topic counts as wrong. Results are printed and written
into the tagging table of README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import resource
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from bench.corpus import stories as corpus_stories
from wirefeed.enrich.taggers import TaggerPipeline, build_pipeline
from wirefeed.enrich.topics import QCODE_PREFIX, Taxonomy
from wirefeed.enrich.vocabulary import Vocabulary, packaged_vocabulary_path
from wirefeed.intake.parsers import RawItem, parse
from wirefeed.model import Story
from wirefeed.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
EVAL_SET = ROOT / "bench" / "tagging-eval.jsonl"
README = ROOT / "README.md"
ENTITY_FIELDS = ("people", "organisations", "places")
SPLITS = ("dev", "heldout")
MARKERS = ("<!-- bench-tagging:start -->", "<!-- bench-tagging:end -->")
# SHA-256 of the held-out lines as committed; the bench says so when they changed.
HELDOUT_SHA256 = "2e39dbced05fb8e515bc3d8e046b6524e7cf22e4bca82f730ec61c12dba31a15"
# Stories per nlp.pipe batch in the second throughput figure (workers tag one story
# per task: batches measured no faster, README).
BATCH = 8
# Bounds of the confidence bins calibration is reported in (percent).
CALIBRATION_BINS = (0, 50, 70, 85, 101)


@dataclass
class Counts:
    """True positives, false positives and false negatives of one entity type."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, story_id: str, predicted: set[str], gold: set[str]) -> None:
        """Count one story's names (case-insensitive)."""
        pred = {p.casefold(): p for p in predicted}
        want = {g.casefold(): g for g in gold}
        self.tp += len(pred.keys() & want.keys())
        self.fp += len(pred.keys() - want.keys())
        self.fn += len(want.keys() - pred.keys())
        self.errors += [f"{story_id} false: {pred[k]}" for k in sorted(pred.keys() - want.keys())]
        self.errors += [f"{story_id} missed: {want[k]}" for k in sorted(want.keys() - pred.keys())]

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_eval_set(path: Path = EVAL_SET) -> list[dict[str, Any]]:
    """The labelled stories, one JSON object per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def heldout_checksum(path: Path = EVAL_SET) -> str:
    """SHA-256 of the held-out lines, in file order."""
    lines = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line and json.loads(line)["split"] == "heldout"
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def story_from_text(text: str) -> Story:
    """Parse plain wire copy as intake would."""
    return parse(RawItem(text.encode(), "text/plain", source="bench"))


def primary_top_level(story: Story, taxonomy: Taxonomy) -> tuple[str | None, int]:
    """The most confident top-level subject of a tagged story, and its confidence."""
    tops = set(taxonomy.top_codes)
    for tag in story.subjects:  # taggers order subjects by confidence
        code = (tag.literal or "").removeprefix(QCODE_PREFIX)
        if code in tops:
            return code, tag.confidence or 0
    return None, 0


def calibration(answers: list[tuple[int, bool]]) -> dict[str, Any]:
    """Accuracy per confidence bin and the expected calibration error (ECE)."""
    bins = []
    ece = 0.0
    for low, high in pairwise(CALIBRATION_BINS):
        inside = [(c, ok) for c, ok in answers if low <= c < high]
        if not inside:
            continue
        confidence = sum(c for c, _ in inside) / len(inside) / 100
        accuracy = sum(ok for _, ok in inside) / len(inside)
        ece += len(inside) / len(answers) * abs(confidence - accuracy)
        bins.append(
            {
                "bin": f"{low}-{min(high, 100)}",
                "stories": len(inside),
                "confidence": confidence,
                "accuracy": accuracy,
            }
        )
    return {"bins": bins, "ece": ece}


def canonical_name(vocabulary: Vocabulary, name: str) -> str:
    """The name a tag for this entity carries: the vocabulary's, for a known alias
    ("Britain" is tagged "United Kingdom")."""
    entry = vocabulary.lookup(name)
    return entry.name if entry is not None else name


def evaluate(
    taggers: TaggerPipeline, items: list[dict[str, Any]], vocabulary: Vocabulary
) -> dict[str, Any]:
    """Entity precision/recall/F1 per type, topic accuracy and calibration over ``items``."""
    taxonomy = Taxonomy.packaged()
    counts = {name: Counts() for name in ENTITY_FIELDS}
    topic_errors: list[str] = []
    answers: list[tuple[int, bool]] = []
    for item in items:
        tagged = taggers.enrich(story_from_text(item["text"]))
        for name in ENTITY_FIELDS:
            predicted = {t.name for t in getattr(tagged, name)}
            gold = {canonical_name(vocabulary, g) for g in item[name]}
            counts[name].add(item["id"], predicted, gold)
        primary, confidence = primary_top_level(tagged, taxonomy)
        if primary is not None:
            answers.append((confidence, primary in item["topics"]))
        if primary not in item["topics"]:
            label = taxonomy.topics[primary].label if primary else "none"
            topic_errors.append(f"{item['id']} topic {label}, gold {item['topics']}")
    total = Counts(
        tp=sum(c.tp for c in counts.values()),
        fp=sum(c.fp for c in counts.values()),
        fn=sum(c.fn for c in counts.values()),
    )
    right = sum(ok for _, ok in answers)
    return {
        "stories": len(items),
        "entities": {
            name: {"precision": c.precision, "recall": c.recall, "f1": c.f1, "support": c.tp + c.fn}
            for name, c in {**counts, "all": total}.items()
        },
        "topic_accuracy": right / len(items),
        "topic_coverage": len(answers) / len(items),
        "topic_precision": right / len(answers) if answers else 1.0,
        "calibration": calibration(answers),
        "errors": [e for c in counts.values() for e in c.errors] + topic_errors,
    }


def throughput(taggers: TaggerPipeline, count: int, batch: int) -> float:
    """Stories per CPU second of this process on 300-800-word stories.

    CPU time rather than wall-clock time: the machine is shared, and a process that
    waits for a core does no tagging meanwhile. On an idle core the two agree.
    """
    parsed = [story_from_text(p.decode()) for p in corpus_stories(count, seed=5)]
    taggers.enrich_many(parsed[:2])  # warm caches outside the timed part
    started = time.process_time()
    for start in range(0, count, batch):
        taggers.enrich_many(parsed[start : start + batch])
    return count / (time.process_time() - started)


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(results: dict[str, Any]) -> str:
    """The README table."""
    dev, held = results["dev"], results["heldout"]
    rows = [
        f"| {name} | "
        + " | ".join(
            f"{half['entities'][name]['precision']:.2f} | {half['entities'][name]['recall']:.2f}"
            f" | **{half['entities'][name]['f1']:.2f}** | {half['entities'][name]['support']}"
            for half in (held, dev)
        )
        + " |"
        for name in (*ENTITY_FIELDS, "all")
    ]

    def topic_row(label: str, key: str, fmt: str) -> str:
        return f"| {label} | {format(held[key], fmt)} | {format(dev[key], fmt)} |"

    bins = [
        f"| {b['bin']} | {b['stories']} | {b['confidence']:.0%} | {b['accuracy']:.0%} |"
        for b in held["calibration"]["bins"]
    ]
    frozen = "unchanged" if results["heldout_frozen"] else "CHANGED since it was frozen"
    return "\n".join(
        [
            f"Measured {results['date']} on {results['machine']}, taggers "
            f"`{','.join(results['taggers'])}`, model `{results['model']}`; "
            f"{held['stories']} held-out stories ({frozen}) and {dev['stories']} "
            "development stories.",
            "",
            "| entities | held-out P | R | F1 | gold names | dev P | R | F1 | gold names |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "| topics | held-out | dev |",
            "|---|---|---|",
            topic_row(
                "Top-level topic accuracy (no topic counts as wrong)", "topic_accuracy", ".0%"
            ),
            topic_row("Stories given a topic", "topic_coverage", ".0%"),
            topic_row("Accuracy where a topic was given", "topic_precision", ".0%"),
            f"| Expected calibration error | {held['calibration']['ece']:.2f} | "
            f"{dev['calibration']['ece']:.2f} |",
            "",
            "| held-out confidence | stories | mean confidence | accuracy |",
            "|---|---|---|---|",
            *bins,
            "",
            "| speed and memory | measured |",
            "|---|---|",
            "| Throughput, 300-800-word stories, one at a time (as a worker tags) | "
            f"{results['stories_per_s']:.1f} stories/s per core |",
            f"| The same through nlp.pipe in batches of {BATCH} | "
            f"{results['stories_per_s_batched']:.1f} stories/s per core |",
            f"| Model load, once per worker process | {results['load_s']:.1f} s |",
            f"| Peak RSS of one tagging process | {results['peak_rss_mb']:.0f} MB |",
        ]
    )


def update_readme(text: str) -> None:
    """Replace the tagging block in README.md (or append it)."""
    readme = README.read_text(encoding="utf-8")
    start, end = MARKERS
    block = f"{start}\n{text}\n{end}"
    if start in readme:
        readme = re.sub(
            re.escape(start) + ".*?" + re.escape(end), lambda _m: block, readme, flags=re.S
        )
    else:
        readme += f"\n### Tagging quality\n\n{block}\n"
    README.write_text(readme, encoding="utf-8")


def main() -> None:
    """Evaluate, time and size the configured tagger pipeline; print and record it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--speed-stories", type=int, default=48)
    parser.add_argument("--model", help="spaCy model package (default: the settings')")
    parser.add_argument(
        "--errors", action="store_true", help="list every wrong tag of the development half"
    )
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    settings = Settings.from_env()
    if args.model:
        settings = Settings.from_env(spacy_model=args.model)
    started = time.perf_counter()
    taggers = build_pipeline(settings.taggers, settings)
    load_s = time.perf_counter() - started
    items = load_eval_set()
    path = Path(settings.vocabulary_path) if settings.vocabulary_path else None
    vocabulary = Vocabulary.from_yaml((path or packaged_vocabulary_path()).read_text("utf-8"))
    results: dict[str, Any] = {
        split: evaluate(taggers, [item for item in items if item["split"] == split], vocabulary)
        for split in SPLITS
    }
    results.update(
        date=datetime.now(UTC).strftime("%Y-%m-%d"),
        machine=f"{platform.machine()}, Python {platform.python_version()}",
        taggers=list(settings.taggers),
        model=settings.spacy_model,
        heldout_frozen=heldout_checksum() == HELDOUT_SHA256,
        load_s=load_s,
        stories_per_s=throughput(taggers, args.speed_stories, 1),
        # As a worker tags: one story at a time (before the batched run raises the peak).
        peak_rss_mb=peak_rss_mb(),
        stories_per_s_batched=throughput(taggers, args.speed_stories, BATCH),
    )
    if args.errors:
        # Only the development half: the held-out half is never tuned against.
        print("\n".join(results["dev"]["errors"]))
    text = table(results)
    print(text)
    if args.json:
        for split in SPLITS:
            del results[split]["errors"]
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if not args.no_readme:
        update_readme(text)


if __name__ == "__main__":
    main()

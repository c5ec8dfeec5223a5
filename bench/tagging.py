"""``make bench-tagging``: tagging quality, speed and memory on a labelled set.

The evaluation set (``bench/tagging-eval.jsonl``) is short news stories written for
Wirefeed, each with its gold people, organisations, places and top-level IPTC Media
Topics. Entities are compared by name, ignoring case. A story's topic is right when
its most confident top-level subject is one of the gold ones. Results are printed and
written into the tagging table of README.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import resource
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.corpus import stories as corpus_stories
from wirefeed.enrich.taggers import TaggerPipeline, build_pipeline
from wirefeed.enrich.topics import QCODE_PREFIX, Taxonomy
from wirefeed.intake.parsers import RawItem, parse
from wirefeed.model import Story
from wirefeed.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
EVAL_SET = ROOT / "bench" / "tagging-eval.jsonl"
README = ROOT / "README.md"
ENTITY_FIELDS = ("people", "organisations", "places")
MARKERS = ("<!-- bench-tagging:start -->", "<!-- bench-tagging:end -->")


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


def story_from_text(text: str) -> Story:
    """Parse plain wire copy as intake would."""
    return parse(RawItem(text.encode(), "text/plain", source="bench"))


def primary_top_level(story: Story, taxonomy: Taxonomy) -> str | None:
    """The most confident top-level subject of a tagged story."""
    tops = set(taxonomy.top_codes)
    for tag in story.subjects:  # taggers order subjects by confidence
        code = (tag.literal or "").removeprefix(QCODE_PREFIX)
        if code in tops:
            return code
    return None


def evaluate(taggers: TaggerPipeline, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Entity precision/recall/F1 per type and topic accuracy over ``items``."""
    taxonomy = Taxonomy.packaged()
    counts = {name: Counts() for name in ENTITY_FIELDS}
    topic_hits, topic_errors = 0, []
    for item in items:
        tagged = taggers.enrich(story_from_text(item["text"]))
        for name in ENTITY_FIELDS:
            predicted = {t.name for t in getattr(tagged, name)}
            counts[name].add(item["id"], predicted, set(item[name]))
        primary = primary_top_level(tagged, taxonomy)
        if primary in item["topics"]:
            topic_hits += 1
        else:
            label = taxonomy.topics[primary].label if primary else "none"
            topic_errors.append(f"{item['id']} topic {label}, gold {item['topics']}")
    total = Counts(
        tp=sum(c.tp for c in counts.values()),
        fp=sum(c.fp for c in counts.values()),
        fn=sum(c.fn for c in counts.values()),
    )
    return {
        "entities": {
            name: {"precision": c.precision, "recall": c.recall, "f1": c.f1, "support": c.tp + c.fn}
            for name, c in {**counts, "all": total}.items()
        },
        "topic_accuracy": topic_hits / len(items),
        "errors": [e for c in counts.values() for e in c.errors] + topic_errors,
    }


def throughput(taggers: TaggerPipeline, count: int) -> float:
    """Stories per second in this one process (one core) on 300-800-word stories."""
    parsed = [story_from_text(p.decode()) for p in corpus_stories(count, seed=5)]
    started = time.perf_counter()
    for story in parsed:
        taggers.enrich(story)
    return count / (time.perf_counter() - started)


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(results: dict[str, Any]) -> str:
    """The README table."""
    rows = [
        f"| {name} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {m['support']} |"
        for name, m in results["entities"].items()
    ]
    return "\n".join(
        [
            f"Measured {results['date']} on {results['machine']}, taggers "
            f"`{','.join(results['taggers'])}`, {results['stories']} evaluation stories.",
            "",
            "| entities | precision | recall | F1 | gold names |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "| figure | measured |",
            "|---|---|",
            f"| Top-level topic accuracy | {results['topic_accuracy']:.0%} |",
            f"| Throughput, 300-800-word stories | {results['stories_per_s']:.1f} stories/s "
            "per core |",
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
    parser.add_argument("--speed-stories", type=int, default=40)
    parser.add_argument("--errors", action="store_true", help="list every wrong tag")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    settings = Settings.from_env()
    started = time.perf_counter()
    taggers = build_pipeline(settings.taggers, settings)
    load_s = time.perf_counter() - started
    items = load_eval_set()
    results = evaluate(taggers, items)
    results.update(
        date=datetime.now(UTC).strftime("%Y-%m-%d"),
        machine=f"{platform.machine()}, Python {platform.python_version()}",
        taggers=list(settings.taggers),
        stories=len(items),
        load_s=load_s,
        stories_per_s=throughput(taggers, args.speed_stories),
        peak_rss_mb=peak_rss_mb(),
    )
    if args.errors:
        print("\n".join(results["errors"]))
    text = table(results)
    print(text)
    if not args.no_readme:
        update_readme(text)


if __name__ == "__main__":
    main()

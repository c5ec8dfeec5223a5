"""Train the top-level topic model offline and write ``wirefeed/data/topic-model.json``.

``python -m bench.train_topics`` (needs the dev extra: scikit-learn). The labelled
examples are the development half of ``bench/tagging-eval.jsonl`` (never the held-out
half) and, as a prior for words the stories do not use, one short document per Media
Topic: its label and the editors' keywords for it, labelled with its top-level topic.

Five-fold cross-validation over the development stories scores each story with a model
that did not see it; from those scores it fits the calibration the classifier applies
(Platt scaling, so a published confidence reads as the chance the topic is right) and
reports accuracy and coverage for the weights of model against rules and the
confidence thresholds the classifier could use.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from bench.tagging import ROOT, load_eval_set, story_from_text
from wirefeed.enrich.taggers import story_text
from wirefeed.enrich.topics import (
    MODEL_FILE,
    Taxonomy,
    TopicClassifier,
    TopicModel,
    TopicRules,
    topic_terms,
)

OUTPUT = ROOT / "wirefeed" / "data" / MODEL_FILE
RULES = ROOT / "wirefeed" / "data" / "topic-rules.yaml"
# Inverse regularisation strength; larger fits the stories more closely.
C = 10.0
# Weights smaller than this are left out of the shipped file (its size; they move a
# probability by well under a percent).
MIN_COEFFICIENT = 0.05
DIGITS = 3
# Weights of the model against the rules tried in cross-validation, and the one shipped.
WEIGHTS = (0.5, 0.3, 0.2)
WEIGHT = 0.3

Example = tuple[str, str, str]  # headline, body, top-level code


def taxonomy_examples(taxonomy: Taxonomy) -> list[Example]:
    """One document per live Media Topic: its label and keywords, under its top level."""
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    examples = []
    tops = set(taxonomy.top_codes)
    for code, topic in taxonomy.topics.items():
        if topic.retired or taxonomy.top_level(code) not in tops:
            continue  # retired, or cut off from its top level by a gap in the hierarchy
        keywords = " ".join(k.removesuffix("*") for k in rules.get(code, []) or [])
        examples.append((topic.label, keywords, taxonomy.top_level(code)))
    return examples


def story_examples(items: Iterable[dict[str, Any]]) -> list[Example]:
    """The stories as (headline, body, first gold topic)."""
    examples = []
    for item in items:
        headline, _, body = story_text(story_from_text(item["text"])).partition("\n\n")
        examples.append((headline, body, item["topics"][0]))
    return examples


def fit(examples: list[Example], c: float = C) -> dict[str, Any]:
    """Fit TF-IDF and logistic regression; return the model as TopicModel data."""
    vectorizer = TfidfVectorizer(analyzer=lambda pair: topic_terms(*pair), sublinear_tf=True)
    features = vectorizer.fit_transform([(h, b) for h, b, _ in examples])
    classifier = LogisticRegression(C=c, max_iter=5000)
    classifier.fit(features, [label for _, _, label in examples])
    terms = {}
    for term, column in vectorizer.vocabulary_.items():
        # [idf, class index, weight, class index, weight, ...]: only weights that count.
        row: list[float] = [round(float(vectorizer.idf_[column]), DIGITS)]
        for index, weight in enumerate(classifier.coef_[:, column]):
            if abs(weight) >= MIN_COEFFICIENT:
                row += [index, round(float(weight), DIGITS)]
        if len(row) > 1:
            terms[term] = row
    return {
        "trained_by": "bench/train_topics.py",
        "classes": [str(c) for c in classifier.classes_],
        "intercept": [round(float(b), DIGITS) for b in classifier.intercept_],
        "terms": dict(sorted(terms.items())),
    }


def cross_validate(
    items: list[dict[str, Any]], prior: list[Example], c: float
) -> dict[float, list[tuple[float, bool]]]:
    """The best top-level score and whether it was right, per story and model weight,
    each story scored by a model fitted without it (5 folds)."""
    rules = TopicRules.packaged()
    labels = [item["topics"][0] for item in items]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
    found: dict[float, list[tuple[float, bool]]] = {w: [] for w in WEIGHTS}
    # A class with fewer than five stories makes the split warn; the folds stay usable.
    for train, test in folds.split(items, labels):
        model = TopicModel(fit(prior + story_examples(items[i] for i in train), c))
        for i in test:
            headline, body, _ = story_examples([items[i]])[0]
            for weight in WEIGHTS:
                model.model_weight, model.calibration = weight, (1.0, 0.0)
                scores = TopicClassifier(rules, model).top_level_scores(headline, body)
                best = max(scores, key=lambda top: scores[top], default=None)
                found[weight].append((scores[best] if best else 0.0, best in items[i]["topics"]))
    return found


def calibrate(answers: list[tuple[float, bool]]) -> tuple[float, float]:
    """Platt scaling: ``a``, ``b`` with P(right) = 1 / (1 + exp(-(a * score + b)))."""
    scaler = LogisticRegression(C=1e4)
    scaler.fit([[score] for score, _ in answers], [ok for _, ok in answers])
    return float(scaler.coef_[0][0]), float(scaler.intercept_[0])


def report(found: dict[float, list[tuple[float, bool]]], weight: float) -> None:
    """Print cross-validated accuracy and coverage per weight and confidence threshold."""
    print("model weight | min confidence | accuracy | given a topic | right when given")
    for w, answers in found.items():
        a, b = calibrate(answers)
        for threshold in (0.0, 0.4, 0.5, 0.6):
            kept = [
                ok for score, ok in answers if 1 / (1 + math.exp(-(a * score + b))) >= threshold
            ]
            mark = " (shipped)" if w == weight else ""
            print(
                f"{w:.1f}{mark} | {threshold:.1f} | {sum(kept) / len(answers):.2f} | "
                f"{len(kept) / len(answers):.2f} | {sum(kept) / max(1, len(kept)):.2f}"
            )


def main() -> None:
    """Cross-validate on the development half, then fit on all of it and write the model."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("-C", type=float, default=C, help="inverse regularisation strength")
    parser.add_argument("--weight", type=float, default=WEIGHT, help="model against rules")
    args = parser.parse_args()
    items = [item for item in load_eval_set() if item["split"] == "dev"]
    prior = taxonomy_examples(Taxonomy.packaged())
    found = cross_validate(items, prior, args.C)
    report(found, args.weight)
    data = fit(prior + story_examples(items), args.C)
    # The confidence the classifier publishes is calibrated on stories the model did
    # not see, so it reads as the chance that the topic is right.
    a, b = calibrate(found[args.weight])
    data.update(model_weight=args.weight, calibration=[round(a, DIGITS), round(b, DIGITS)])
    args.output.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.output} ({len(data['terms'])} terms)")


if __name__ == "__main__":
    main()

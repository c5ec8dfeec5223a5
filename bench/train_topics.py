"""Train the top-level topic model offline and write ``wirefeed/data/topic-model.json``.

``python -m bench.train_topics`` (needs the dev extra: scikit-learn). The labelled
examples are the development half of ``bench/tagging-eval.jsonl`` (never the held-out
half), the stories of ``bench/topic-train.jsonl`` (written for training only, about 24
per top-level topic) and, as a prior for words the stories do not use, one short
document per Media Topic: its label and the editors' keywords for it, labelled with its
top-level topic.

Five-fold cross-validation over the labelled stories scores each story with a model
that did not see it. It chooses the regularisation and the weight of the model
against the rules (the pair whose best topic is most often right), fits the
calibration the classifier applies to that pair
(Platt scaling, so a published confidence reads as the chance the topic is right) and
reports accuracy and coverage for the confidence thresholds the classifier could use.
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
TRAIN_SET = ROOT / "bench" / "topic-train.jsonl"
# Inverse regularisation strengths tried in cross-validation; larger fits the stories
# more closely.
CS = (10.0, 30.0, 100.0)
# Weights smaller than this are left out of the shipped file (its size; they move a
# probability by well under a percent).
MIN_COEFFICIENT = 0.05
DIGITS = 3
# Weights of the model against the rules tried in cross-validation.
WEIGHTS = (1.0, 0.7, 0.5, 0.3)
# The least calibrated confidence the classifier gives a topic with (TopicClassifier).
MIN_CONFIDENCE = TopicClassifier.min_confidence

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


def training_items() -> list[dict[str, Any]]:
    """The labelled stories: the development half and the training-only stories."""
    train = [json.loads(line) for line in TRAIN_SET.read_text("utf-8").splitlines() if line]
    return [item for item in load_eval_set() if item["split"] == "dev"] + train


def fit(examples: list[Example], c: float) -> dict[str, Any]:
    """Fit TF-IDF and logistic regression; return the model as TopicModel data."""
    vectorizer = TfidfVectorizer(analyzer=lambda pair: topic_terms(*pair), sublinear_tf=True)
    features = vectorizer.fit_transform([(h, b) for h, b, _ in examples])
    # Balanced: every top-level topic weighs the same, however many examples it has.
    classifier = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
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
    examples = story_examples(items)
    labels = [label for _, _, label in examples]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
    found: dict[float, list[tuple[float, bool]]] = {w: [] for w in WEIGHTS}
    for train, test in folds.split(items, labels):
        model = TopicModel(fit(prior + [examples[i] for i in train], c))
        for i in test:
            headline, body, _ = examples[i]
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


def accuracy(answers: list[tuple[float, bool]], threshold: float) -> tuple[float, float, float]:
    """Accuracy (no topic counts as wrong), share given a topic, and accuracy where one
    was given, when topics below ``threshold`` calibrated confidence are left out."""
    a, b = calibrate(answers)
    kept = [ok for score, ok in answers if 1 / (1 + math.exp(-(a * score + b))) >= threshold]
    return sum(kept) / len(answers), len(kept) / len(answers), sum(kept) / max(1, len(kept))


def report(
    found: dict[tuple[float, float], list[tuple[float, bool]]], best: tuple[float, float]
) -> None:
    """Print cross-validated accuracy and coverage per C, weight and confidence threshold."""
    print("C | model weight | min confidence | accuracy | given a topic | right when given")
    for (c, w), answers in found.items():
        for threshold in (0.0, MIN_CONFIDENCE):
            mark = " (shipped)" if (c, w) == best and threshold == MIN_CONFIDENCE else ""
            right, given, precision = accuracy(answers, threshold)
            print(
                f"{c:g} | {w:.1f} | {threshold:.1f}{mark} | {right:.3f} | {given:.3f} | "
                f"{precision:.3f}"
            )


def main() -> None:
    """Cross-validate on the labelled stories, then fit on all of them and write the model."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("-C", type=float, nargs="+", default=CS, help="regularisation to try")
    args = parser.parse_args()
    items = training_items()
    prior = taxonomy_examples(Taxonomy.packaged())
    found = {
        (c, weight): answers
        for c in args.C
        for weight, answers in cross_validate(items, prior, c).items()
    }
    # The pair whose best topic is most often right; of equals, the one that is right
    # most often once topics below the least confidence are left out.
    best = max(
        found,
        key=lambda key: (accuracy(found[key], 0.0)[0], accuracy(found[key], MIN_CONFIDENCE)[0]),
    )
    report(found, best)
    c, weight = best
    data = fit(prior + story_examples(items), c)
    # The confidence the classifier publishes is calibrated on stories the model did
    # not see, so it reads as the chance that the topic is right.
    a, b = calibrate(found[best])
    data.update(model_weight=weight, calibration=[round(a, DIGITS), round(b, DIGITS)])
    args.output.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.output} (C {c:g}, model weight {weight}, {len(data['terms'])} terms)")


if __name__ == "__main__":
    main()

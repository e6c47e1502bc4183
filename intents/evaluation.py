"""Measure `classify()` against a labelled file of messages (`harbor eval intents FILE`).

The file is tab-separated with a header: `text`, `labels` (one or more intent ids
separated by `|`; the answer counts when it is any of them), and optionally `lang`,
`zip`, `city`, `state`. The report gives top-1 accuracy, precision and recall per
intent, the confusion pairs (which intent was taken for which, with the messages),
language accuracy and how many of the places were found, so an advocate can see which
rule file to fix.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the matcher (rapidfuzz) loads when something is evaluated
    from .matcher import Classification

# The shared evaluation set lives beside the repository (<repo>/../shared/eval/), where the
# team keeps it; a copy ships in the package so a clean clone (CI) and an installed Harbor
# evaluate on the same rows. tests/test_intents.py checks the two are the same file.
SHARED_DEV_SET = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "intents-dev.tsv"
PACKAGED_DEV_SET = Path(__file__).resolve().parent / "data" / "intents-dev.tsv"
DEV_SET = SHARED_DEV_SET if SHARED_DEV_SET.exists() else PACKAGED_DEV_SET
# The safety signal each safety intent calls for.
_SAFETY_OF = {"emergency": "danger", "self_harm": "self_harm"}


@dataclass(frozen=True)
class EvaluationRow:
    """One labelled message."""

    text: str
    labels: tuple[str, ...]
    language: str = ""
    zip: str = ""
    city: str = ""
    state: str = ""
    safety: str = ""  # "danger", "self_harm" or "" (the corpus says; other files do not)
    subject: str = ""  # "self" or "other" (the corpus says; other files do not)

    @property
    def safety_signal(self) -> str:
        """The signal this row calls for: its `safety`, else its safety label's own."""
        return self.safety or _SAFETY_OF.get(self.labels[0], "")


@dataclass(frozen=True)
class IntentFigures:
    """Precision and recall of one intent."""

    intent: str
    expected: int  # rows whose (first matching) label is this intent
    predicted: int  # rows classified as this intent
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 0.0


@dataclass(frozen=True)
class Miss:
    """A row classified as an intent that is not among its labels."""

    text: str
    labels: tuple[str, ...]
    got: str
    score: int


@dataclass(frozen=True)
class EvaluationReport:
    """Everything `harbor eval intents` prints."""

    total: int
    correct: int
    per_intent: tuple[IntentFigures, ...]
    confusions: tuple[tuple[str, str, int], ...]  # (expected, got, count), commonest first
    misses: tuple[Miss, ...]
    language_checked: int
    language_correct: int
    places: dict[str, tuple[int, int]]  # "zip"/"city"/"state" -> (found, labelled)
    # "danger"/"self_harm" -> (rows whose safety signal was found, rows labelled with it):
    # the signal counts even where another intent is the label ("EXIT hes here").
    safety_found: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def false_alarms(self) -> tuple[Miss, ...]:
        """Rows with no safety label that were read as emergency or self_harm."""
        safety = {"emergency", "self_harm"}
        return tuple(miss for miss in self.misses
                     if miss.got in safety and not safety & set(miss.labels))

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def accuracy_of(self, intent: str) -> float:
        """Return the recall of one intent (1.0 when no row is labelled with it)."""
        for figures in self.per_intent:
            if figures.intent == intent:
                return figures.recall if figures.expected else 1.0
        return 1.0


def read_evaluation_file(path: Path | str) -> list[EvaluationRow]:
    """Read a labelled TSV file (header: text, labels, lang, zip, city, state)."""
    rows = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if not reader.fieldnames or not {"text", "labels"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: the header must name the columns text and labels")
        for row in reader:
            labels = tuple(label.strip() for label in (row["labels"] or "").split("|")
                           if label.strip())
            if not labels:
                raise ValueError(f"{path}: line {reader.line_num}: no label")
            rows.append(EvaluationRow(
                text=row["text"] or "",
                labels=labels,
                language=(row.get("lang") or "").strip(),
                zip=(row.get("zip") or "").strip(),
                city=(row.get("city") or "").strip(),
                state=(row.get("state") or "").strip(),
                safety=(row.get("safety") or "").strip(),
                subject=(row.get("subject") or "").strip(),
            ))
    return rows


def evaluate(rows: Iterable[EvaluationRow],
             classifier: Callable[[str], Classification] | None = None) -> EvaluationReport:
    """Classify every row and count what was right."""
    if classifier is None:
        from . import classify as classifier
    expected_count: Counter[str] = Counter()
    predicted_count: Counter[str] = Counter()
    correct_count: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    misses: list[Miss] = []
    places: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    safety_found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    total = correct = language_checked = language_correct = 0
    for row in rows:
        result = classifier(row.text)
        total += 1
        predicted_count[result.intent] += 1
        if result.intent in row.labels:
            correct += 1
            expected_count[result.intent] += 1
            correct_count[result.intent] += 1
        else:
            expected_count[row.labels[0]] += 1
            confusion[(row.labels[0], result.intent)] += 1
            misses.append(Miss(row.text, row.labels, result.intent, result.score))
        wanted_safety = row.safety_signal
        if wanted_safety:
            safety_found[wanted_safety][1] += 1
            safety_found[wanted_safety][0] += getattr(result, "safety", "") == wanted_safety
        if row.language:
            language_checked += 1
            language_correct += result.language == row.language
        for key in ("zip", "city", "state"):
            wanted = getattr(row, key)
            if wanted:
                places[key][1] += 1
                places[key][0] += (result.entities.get(key) or "").lower() == wanted.lower()
    intents = sorted(set(expected_count) | set(predicted_count))
    per_intent = tuple(
        IntentFigures(intent, expected_count[intent], predicted_count[intent],
                      correct_count[intent])
        for intent in intents
    )
    confusions = tuple((expected, got, count)
                       for (expected, got), count in confusion.most_common())
    return EvaluationReport(
        total=total,
        correct=correct,
        per_intent=per_intent,
        confusions=confusions,
        misses=tuple(misses),
        language_checked=language_checked,
        language_correct=language_correct,
        places={key: (found, labelled) for key, (found, labelled) in places.items()},
        safety_found={key: (found, labelled)
                      for key, (found, labelled) in sorted(safety_found.items())},
    )


def format_report(report: EvaluationReport, source: str = "",
                  figures_only: bool = False) -> str:
    """Return the report as plain text for a terminal.

    `figures_only` leaves every message out (counts only): the locked test part is
    measured that way, so no one tuning the rules reads its sentences.
    """
    lines = []
    title = f"Intent evaluation{f' of {source}' if source else ''}"
    lines.append(title)
    lines.append(f"top-1 accuracy: {report.correct}/{report.total} = {report.accuracy:.1%}")
    if report.language_checked:
        share = report.language_correct / report.language_checked
        lines.append(f"language: {report.language_correct}/{report.language_checked}"
                     f" = {share:.1%}")
    for key in ("zip", "city", "state"):
        if key in report.places:
            found, labelled = report.places[key]
            lines.append(f"{key} found: {found}/{labelled}")
    lines.append("")
    lines.append(f"{'intent':20} {'labelled':>8} {'chosen':>7} {'right':>6} "
                 f"{'precision':>9} {'recall':>7}")
    for figures in report.per_intent:
        lines.append(
            f"{figures.intent:20} {figures.expected:8d} {figures.predicted:7d} "
            f"{figures.correct:6d} {figures.precision:9.0%} {figures.recall:7.0%}"
        )
    lines.append("")
    for signal, (found, labelled) in report.safety_found.items():
        lines.append(f"safety signal {signal}: {found}/{labelled} found"
                     f" = {found / labelled:.1%}")
    lines.append(f"false alarms (no safety label, read as emergency or self_harm): "
                 f"{len(report.false_alarms)}")
    if figures_only:
        lines.append("confusion pairs (labelled -> chosen: count):")
        lines.extend(f"  {expected} -> {got}: {count}"
                     for expected, got, count in report.confusions)
        return "\n".join(lines)
    for miss in report.false_alarms:
        lines.append(f"      {miss.text!r} ({'|'.join(miss.labels)} -> {miss.got})")
    lines.append("")
    if not report.confusions:
        lines.append("confusion pairs: none")
    else:
        lines.append("confusion pairs (labelled -> chosen: count):")
        for expected, got, count in report.confusions:
            lines.append(f"  {expected} -> {got}: {count}")
            for miss in report.misses:
                if miss.labels[0] == expected and miss.got == got:
                    lines.append(f"      {miss.text!r} (score {miss.score})")
    return "\n".join(lines)

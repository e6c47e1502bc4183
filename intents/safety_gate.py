"""How an edited rule set reads a labelled set next to the live one, and the safety verdict.

`compare_readings` classifies every row under both rule sets and returns what changed:
accuracy per intent before and after, false alarms, and the messages gained (wrong
before, right now) and lost (right before, wrong now). `safety_breaks` is the gate's
verdict on the locked set: a change may not lower the recall of exit, emergency or
self_harm, and the rows it broke are named so the advocate sees what to fix. The gate
asks it twice: of the whole reading (what survivors meet), and of the rule files alone
(the second opinion is not asked about a one-word message such as "suicide", and is
absent when its model file is: the rules must keep standing on their own).

Everything here goes through `intents.evaluation` and `intents.read`; nothing is
printed or stored, and the rows stay with the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .evaluation import EvaluationReport, EvaluationRow, evaluate
from .matcher import Classification, CompiledRules
from .published import trying
from .reading import read

# The intents whose recall on the locked set may never fall (the gate).
GUARDED_INTENTS = ("exit", "emergency", "self_harm")


@dataclass(frozen=True)
class ChangedReading:
    """One message the change reads differently: right before and wrong now, or the reverse."""

    text: str
    labels: tuple[str, ...]
    before: str
    after: str


@dataclass(frozen=True)
class IntentChange:
    """One intent's recall before and after the change."""

    intent: str
    labelled: int
    before: float
    after: float


@dataclass(frozen=True)
class ReadingComparison:
    """A labelled set read by the live rules and by the candidate."""

    name: str
    live: EvaluationReport
    candidate: EvaluationReport
    gained: tuple[ChangedReading, ...]
    lost: tuple[ChangedReading, ...]

    @property
    def per_intent(self) -> tuple[IntentChange, ...]:
        """Return recall per intent, live then candidate, for every labelled intent."""
        labelled = {figures.intent: figures.expected for figures in self.live.per_intent}
        for figures in self.candidate.per_intent:
            labelled[figures.intent] = max(labelled.get(figures.intent, 0), figures.expected)
        return tuple(
            IntentChange(intent, count, self.live.accuracy_of(intent),
                         self.candidate.accuracy_of(intent))
            for intent, count in sorted(labelled.items()) if count
        )


@dataclass(frozen=True)
class SafetyBreak:
    """A guarded intent whose recall on the locked set fell, with the rows that broke."""

    intent: str
    before: float
    after: float
    broken: tuple[ChangedReading, ...]
    rules_alone: bool = False


def _readings(rows: Sequence[EvaluationRow], rules: CompiledRules,
              rules_alone: bool = False) -> dict[str, Classification]:
    if rules_alone:
        return {row.text: rules.classify(row.text) for row in rows}
    with trying(rules):
        return {row.text: read(row.text) for row in rows}


def compare_readings(name: str, rows: Sequence[EvaluationRow], live: CompiledRules,
                     candidate: CompiledRules,
                     live_readings: dict[str, Classification] | None = None,
                     rules_alone: bool = False,
                     candidate_readings: dict[str, Classification] | None = None
                     ) -> ReadingComparison:
    """Read `rows` with the live and the candidate rules and say what changed.

    `live_readings` and `candidate_readings` (text -> Classification) save reading the set
    again with rule sets read before. `rules_alone` reads with the rule files
    only, without the second opinion: what a one-word message gets, and what is left when
    the model is missing.
    """
    before = (live_readings if live_readings is not None
              else _readings(rows, live, rules_alone))
    if candidate_readings is not None:
        after = candidate_readings
    else:
        after = before if candidate is live else _readings(rows, candidate, rules_alone)
    gained, lost = [], []
    for row in rows:
        was, now = before[row.text].intent, after[row.text].intent
        if (was in row.labels) == (now in row.labels):
            continue
        change = ChangedReading(row.text, row.labels, was, now)
        (gained if now in row.labels else lost).append(change)
    return ReadingComparison(
        name=name,
        live=evaluate(rows, classifier=before.__getitem__),
        candidate=evaluate(rows, classifier=after.__getitem__),
        gained=tuple(gained), lost=tuple(lost),
    )


def live_readings_of(rows: Sequence[EvaluationRow], live: CompiledRules,
                     rules_alone: bool = False) -> dict[str, Classification]:
    """Return how `live` reads every row (keep it while the live rules stay the same)."""
    return _readings(rows, live, rules_alone)


def safety_breaks(locked: ReadingComparison,
                  rules_alone: bool = False) -> tuple[SafetyBreak, ...]:
    """Return each guarded intent whose recall fell on the locked set (empty: safe)."""
    breaks = []
    for intent in GUARDED_INTENTS:
        before = locked.live.accuracy_of(intent)
        after = locked.candidate.accuracy_of(intent)
        if after < before:
            broken = tuple(change for change in locked.lost
                           if intent in (change.labels[0], change.before))
            breaks.append(SafetyBreak(intent, before, after, broken, rules_alone))
    return tuple(breaks)

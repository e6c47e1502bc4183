"""The safety gate, and the preview it shares with the console.

A change (rule files, reply texts) goes live only when:

1. the rule files compile;
2. on the locked test set, the recall of exit, emergency and self_harm stays at or above
   the live version's, for the whole reading and for the rule files alone (see
   intents.safety_gate); the messages that broke are listed, for the advocate to fix;
3. every conversation transcript passes, run with the changed rules and texts on a
   scratch database loaded with the demo listings (so the live listings cannot sway it);
4. every changed reply text keeps the SMS rules: GSM-7 once rendered, at most three
   segments with its blanks filled, no revealing word in its first 60 characters.

The preview is the same report: how the change reads the development set and the
locked set (accuracy per intent, false alarms, messages gained and lost) and how every
transcript runs. The locked set's sentences are read only through intents.evaluation;
they are shown to the staff member who asked, never logged.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.conversations import transcripts as transcript_tests
from bot.publishing.content import Content
from bot.texts import replies
from bot.texts.sms_text import as_sent, has_vietnamese_marks, is_gsm7, segment_info, to_gsm7
from intents.evaluation import DEV_SET, EvaluationRow, read_evaluation_file
from intents.published import compile_rule_texts, rule_set_key
from intents.rules import RuleFileError

if TYPE_CHECKING:
    # At run time these load with the first check: the app imports this module through
    # the console, and the matcher and the reader (numpy) are no start-up cost.
    from intents.matcher import Classification, CompiledRules
    from intents.safety_gate import ReadingComparison, SafetyBreak

LOCKED_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "corpus" / "locked.tsv"
MAX_SEGMENTS = 3
# What a blank holds at its longest in practice, so a text is measured as it is sent.
_BLANK_SAMPLES = {
    "hotline": replies.HOTLINE_PHONE, "need": "help with money, food or work",
    "place": "Cedar Rapids, IA 52404", "city": "Cedar Rapids", "state": "IA",
    "states": "IA, NE, MO", "town": "Cedar Rapids", "name": "Family Resource Center",
    "phone": "1-319-555-0100", "ttl": "30", "radius": "100", "next": "NEXT",
}

# (rule set, file, its mtime and size, rules alone) -> text -> reading; two files, two
# modes, and the live set with one or two edits: a dozen entries.
_READINGS_KEPT = 12
_readings_cache: OrderedDict[tuple, dict[str, Classification]] = OrderedDict()
_readings_cache_lock = threading.Lock()


@dataclass(frozen=True)
class TextProblem:
    """One changed reply text that breaks an SMS rule."""

    language: str
    key: str
    problem: str


@dataclass
class GateReport:
    """Everything the gate found: the preview, and why a publish would be refused."""

    rule_error: str = ""
    conflict: str = ""  # another publish won the race: check again against it
    dev: ReadingComparison | None = None
    locked: ReadingComparison | None = None
    locked_rules_alone: ReadingComparison | None = None
    locked_missing: str = ""
    breaks: tuple[SafetyBreak, ...] = ()
    transcripts: list[transcript_tests.TranscriptResult] = field(default_factory=list)
    text_problems: list[TextProblem] = field(default_factory=list)

    @property
    def failed_transcripts(self) -> list[transcript_tests.TranscriptResult]:
        """Return the transcripts that did not pass."""
        return [result for result in self.transcripts if not result.passed]

    @property
    def passed(self) -> bool:
        """True when the change may go live."""
        return not (self.rule_error or self.conflict or self.locked_missing or self.breaks
                    or self.failed_transcripts or self.text_problems)

    def refusal(self) -> list[str]:
        """Return why the change is refused, one line each, naming the broken messages."""
        lines = []
        if self.rule_error:
            lines.append(f"the rules do not compile: {self.rule_error}")
        if self.conflict:
            lines.append(self.conflict)
        if self.locked_missing:
            lines.append(self.locked_missing)
        for broken in self.breaks:
            alone = " (rules alone, without the second opinion)" if broken.rules_alone else ""
            lines.append(f"{broken.intent} recall on the locked set{alone} falls from "
                         f"{broken.before:.1%} to {broken.after:.1%}; messages that broke:")
            lines.extend(f"  {change.text!r} (labelled {'|'.join(change.labels)}: was "
                         f"{change.before}, now {change.after})" for change in broken.broken)
        for result in self.failed_transcripts:
            lines.append(f"transcript {result.name} fails: {result.first_difference}")
        for problem in self.text_problems:
            lines.append(f"reply text {problem.language}/{problem.key}: {problem.problem}")
        return lines

    def guarded_recall(self) -> list[tuple[str, float, float]]:
        """Return (intent, live, candidate) recall on the locked set for the guarded intents."""
        from intents.safety_gate import GUARDED_INTENTS

        if self.locked is None:
            return []
        return [(intent, self.locked.live.accuracy_of(intent),
                 self.locked.candidate.accuracy_of(intent)) for intent in GUARDED_INTENTS]


def text_problems(content: Content) -> list[TextProblem]:
    """Return the SMS rules each changed reply text breaks (empty: every text is fine)."""
    problems = []
    for language, texts in sorted(content.replies.items()):
        for key, template in sorted(texts.items()):
            filled = template.format_map(_Samples())
            rendered = as_sent(filled)  # what the SMS view hands to Twilio
            # Accents and curly quotes have a GSM-7 form (a, '); emoji and other scripts
            # are dropped on the way out: the survivor would read a different text. Only
            # a Vietnamese text keeps its marks (UCS-2), and only within three segments.
            lost = sorted({ch for ch in filled if not is_gsm7(ch) and not ch.isspace()
                           and not to_gsm7(ch).strip() and ch not in rendered})
            if lost or not (is_gsm7(rendered) or has_vietnamese_marks(rendered)):
                problems.append(TextProblem(
                    language, key, "characters outside GSM-7 that an SMS cannot carry: "
                                   f"{' '.join(lost)}"))
            segments = segment_info(rendered).segments
            if segments > MAX_SEGMENTS:
                problems.append(TextProblem(
                    language, key, f"{segments} SMS segments with its blanks filled "
                                   f"(at most {MAX_SEGMENTS})"))
            revealing = replies.reveals_on_lock_screen(rendered)
            if revealing:
                problems.append(TextProblem(
                    language, key, "a revealing word in the first "
                                   f"{replies.LOCK_SCREEN_CHARACTERS} characters (the lock "
                                   f"screen): {', '.join(revealing)}"))
    return problems


class _Samples(dict):
    def __missing__(self, key: str) -> str:
        return _BLANK_SAMPLES.get(key, "x" * 12)


def _rows(path: Path) -> list[EvaluationRow]:
    return read_evaluation_file(path)


def _readings_of(rows: list[EvaluationRow], path: Path, rules: CompiledRules, rules_key: str,
                 rules_alone: bool) -> dict[str, Classification]:
    """Return how `rules` read the file's rows, kept for the few rule sets seen last
    (the live one, and the edit an advocate previews and then publishes)."""
    from intents.safety_gate import live_readings_of

    stat = path.stat()
    cache_key = (rules_key, str(path), stat.st_mtime_ns, stat.st_size, rules_alone)
    with _readings_cache_lock:
        known = _readings_cache.get(cache_key)
        if known is not None:
            _readings_cache.move_to_end(cache_key)
            return known
    known = live_readings_of(rows, rules, rules_alone)
    with _readings_cache_lock:
        _readings_cache[cache_key] = known
        while len(_readings_cache) > _READINGS_KEPT:
            _readings_cache.popitem(last=False)
    return known


def _compare(name: str, path: Path, live: CompiledRules, live_key: str,
             candidate: CompiledRules, candidate_key: str,
             rules_alone: bool = False) -> ReadingComparison:
    from intents.safety_gate import compare_readings

    rows = _rows(path)
    before = _readings_of(rows, path, live, live_key, rules_alone)
    after = _readings_of(rows, path, candidate, candidate_key, rules_alone)
    return compare_readings(name, rows, live, candidate, live_readings=before,
                            candidate_readings=after)


def run_transcripts_with(content: Content, config: Mapping,
                         compiled: CompiledRules | None = None,
                         names: tuple[str, ...] = ()) -> list[transcript_tests.TranscriptResult]:
    """Run the transcripts (all, or those named) with `content` on a demo-listings database."""
    from intents.published import trying
    from resources_db.database import make_engine, make_session_factory, scratch_database
    from resources_db.demo import load_demo_listings

    compiled = compiled or compile_rule_texts(content.rule_set())
    chosen = transcript_tests.load_transcripts()
    if names:
        chosen = [transcript for transcript in chosen if transcript.name in names]
    # The transcripts' own conversation store stays in the scratch database.
    scratch_config = {key: value for key, value in dict(config).items()
                      if key != "CONVERSATION_STORE_URL"}
    # The scratch database's migrations are not news to whoever runs the gate.
    logging.getLogger("alembic").setLevel(max(logging.WARNING,
                                              logging.getLogger("alembic").level))
    with scratch_database(None, prefix="harbor_gate") as url:
        engine = make_engine(url)
        try:
            with make_session_factory(engine)() as session:
                load_demo_listings(session)
                session.commit()
                with trying(compiled), replies.trying_texts(content.replies):
                    results = transcript_tests.run_all(session, scratch_config, chosen)
                session.rollback()
        finally:
            engine.dispose()
    return results


def check(candidate: Content, live: Content, config: Mapping,
          locked_set: Path | str | None = None, dev_set: Path | str | None = None,
          transcripts: bool = True) -> GateReport:
    """Run the whole gate on `candidate` against `live`; the report says pass or why not."""
    from intents.safety_gate import safety_breaks

    report = GateReport()
    report.text_problems = text_problems(candidate)
    candidate_texts = candidate.rule_set()
    try:
        candidate_rules = compile_rule_texts(candidate_texts)
    except RuleFileError as error:
        report.rule_error = str(error)
        return report
    candidate_key = rule_set_key(candidate_texts)
    live_texts = live.rule_set()
    live_rules = compile_rule_texts(live_texts)
    live_key = rule_set_key(live_texts)
    pair = (live_rules, live_key, candidate_rules, candidate_key)
    report.dev = _compare("development set", Path(dev_set or DEV_SET), *pair)
    locked_path = Path(locked_set or config.get("LOCKED_SET_PATH") or LOCKED_SET)
    if locked_path.exists():
        report.locked = _compare("locked test set", locked_path, *pair)
        report.locked_rules_alone = _compare("locked test set, rules alone", locked_path,
                                             *pair, rules_alone=True)
        report.breaks = (safety_breaks(report.locked)
                         + safety_breaks(report.locked_rules_alone, rules_alone=True))
    else:
        report.locked_missing = (f"the locked test set is not at {locked_path}: "
                                 "the safety gate cannot check recall (set LOCKED_SET_PATH)")
    if transcripts:
        report.transcripts = run_transcripts_with(candidate, config, candidate_rules)
    return report

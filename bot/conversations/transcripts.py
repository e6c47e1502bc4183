"""Golden conversation transcripts: load `tests/conversations/*.yaml`, run them, compare.

A transcript is a readable YAML file:

    name: shelter-zip-in-first-message
    description: The first message already asks; Harbor answers at once.
    channel: sms                  # sms or chat
    now: 2026-03-04T15:00:00-06:00   # optional clock for "open now" (default below)
    turns:
      - send: im in 52404 and need a shelter
        intent: shelter             # what classify() must say
        step: results               # the step after the turn (transitions.Step values)
        language: en                # the conversation's language after the turn
        first_line: ["call 911"]    # text the reply's first line must contain
        expect: ["Cedar Rapids", "Send EXIT"]   # text the reply must contain
        reject: ["Reply with a number"]         # text the reply must not contain
        replies: 1                  # how many replies (0: silence)
        cleared: false              # whether the turn erased the conversation
      - retry: true                 # SMS: Twilio delivers the previous message again

Matching ignores case and accents ("numero" matches "número"). Every transcript also
passes the standing checks: every reply non-empty, and on SMS every reply GSM-7 only,
at most three segments, and no revealing word in its first 60 characters. A retry
must get exactly the replies of the first delivery and leave the state unchanged.

`run_transcript` drives `conversation_service.run_turn` (engine, store, search and
retry cache together) on the caller's session, under a fresh random key, and erases
that conversation when it ends. The console runs transcripts from its page; pytest
(tests/test_transcripts.py) and `harbor test-flows` run them all.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from bot.conversations.service import erase_conversation, run_turn
from bot.engine import Step
from bot.texts import replies
from bot.texts.sms_text import is_gsm7, segment_info
from intents.normalization import has_vietnamese_marks
from text_folding import strip_accents

TRANSCRIPTS_DIRECTORY = Path(__file__).resolve().parents[2] / "tests" / "conversations"
DEFAULT_NOW = "2026-03-04T15:00:00-06:00"  # a Wednesday afternoon, US Central
CHANNELS = ("sms", "chat")
_TRANSCRIPT_KEYS = {"name", "description", "channel", "now", "turns", "languages"}
_TURN_KEYS = {"send", "retry", "intent", "step", "language", "first_line", "expect",
              "reject", "replies", "cleared"}
_STEPS = {step.value for step in Step} | {"erased"}


class TranscriptError(ValueError):
    """A transcript file that does not follow the format (file, place, problem)."""


@dataclass(frozen=True)
class TranscriptTurn:
    """One message of a transcript and what must come back."""

    send: str
    retry: bool = False
    intent: str | None = None
    step: str | None = None
    language: str | None = None
    first_line: tuple[str, ...] = ()
    expect: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()
    replies: int | None = None
    cleared: bool | None = None


@dataclass(frozen=True)
class Transcript:
    """A named conversation on one channel, turn by turn."""

    name: str
    channel: str
    turns: tuple[TranscriptTurn, ...]
    description: str = ""
    now: datetime = field(default_factory=lambda: datetime.fromisoformat(DEFAULT_NOW))
    path: str = ""
    languages: str = ""  # the LANGUAGES setting to run with ("en,es,vi"); "" = the app's


@dataclass(frozen=True)
class TurnRecord:
    """What one turn of a run said and did."""

    send: str
    retry: bool
    intent: str
    step: str
    language: str
    replies: tuple[str, ...]
    cleared: bool


@dataclass(frozen=True)
class TranscriptResult:
    """The outcome of one transcript run."""

    name: str
    passed: bool
    first_difference: str  # "" when passed
    turns: tuple[TurnRecord, ...] = ()
    channel: str = ""


def _strings(value, where: str, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise TranscriptError(f"{path}: {where} must be a string or a list of strings")


def parse_transcript(data, path: str = "<transcript>") -> Transcript:
    """Return the Transcript described by `data` (a YAML mapping); raise TranscriptError."""
    if not isinstance(data, dict):
        raise TranscriptError(f"{path}: a transcript is a mapping")
    unknown = set(data) - _TRANSCRIPT_KEYS
    if unknown:
        raise TranscriptError(f"{path}: unknown keys {sorted(unknown)}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise TranscriptError(f"{path}: name is required")
    channel = data.get("channel", "sms")
    if channel not in CHANNELS:
        raise TranscriptError(f"{path}: channel must be one of {CHANNELS}")
    now_value = data.get("now", DEFAULT_NOW)
    try:
        now = (now_value if isinstance(now_value, datetime)
               else datetime.fromisoformat(str(now_value)))
    except ValueError as error:
        raise TranscriptError(f"{path}: now is not an ISO date and time") from error
    if now.tzinfo is None:
        raise TranscriptError(f"{path}: now needs a UTC offset")
    raw_turns = data.get("turns")
    if not isinstance(raw_turns, list) or not raw_turns:
        raise TranscriptError(f"{path}: turns must be a non-empty list")
    turns = []
    previous: str | None = None
    for number, raw in enumerate(raw_turns, start=1):
        where = f"turn {number}"
        if not isinstance(raw, dict):
            raise TranscriptError(f"{path}: {where} must be a mapping")
        unknown = set(raw) - _TURN_KEYS
        if unknown:
            raise TranscriptError(f"{path}: {where}: unknown keys {sorted(unknown)}")
        retry = bool(raw.get("retry", False))
        if retry:
            if previous is None or "send" in raw:
                raise TranscriptError(f"{path}: {where}: a retry repeats the turn before it")
            if channel != "sms":
                raise TranscriptError(f"{path}: {where}: retries are an SMS thing")
            send = previous
        else:
            send = raw.get("send")
            if not isinstance(send, str | int):
                raise TranscriptError(f"{path}: {where}: send (the message text) is required")
            send = str(send)
        step = raw.get("step")
        if step is not None and step not in _STEPS:
            raise TranscriptError(f"{path}: {where}: unknown step {step!r}")
        count = raw.get("replies")
        if count is not None and (not isinstance(count, int) or count < 0):
            raise TranscriptError(f"{path}: {where}: replies is a count")
        turns.append(TranscriptTurn(
            send=send,
            retry=retry,
            intent=raw.get("intent"),
            step=step,
            language=raw.get("language"),
            first_line=_strings(raw.get("first_line"), f"{where} first_line", path),
            expect=_strings(raw.get("expect"), f"{where} expect", path),
            reject=_strings(raw.get("reject"), f"{where} reject", path),
            replies=count,
            cleared=raw.get("cleared"),
        ))
        previous = send
    languages = data.get("languages", "")
    if not isinstance(languages, str):
        raise TranscriptError(f"{path}: languages is a setting like 'en,es,vi'")
    return Transcript(name=name, channel=channel, turns=tuple(turns),
                      description=str(data.get("description") or ""), now=now, path=path,
                      languages=languages)


def load_transcripts(directory: Path | str = TRANSCRIPTS_DIRECTORY) -> list[Transcript]:
    """Return every transcript of `directory`, sorted by file name."""
    transcripts = []
    names: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            transcript = parse_transcript(yaml.safe_load(handle), path.name)
        if transcript.name in names:
            raise TranscriptError(
                f"{path.name}: name {transcript.name!r} is also used by {names[transcript.name]}")
        names[transcript.name] = path.name
        transcripts.append(transcript)
    return transcripts


def standing_problems(reply: str, channel: str) -> list[str]:
    """Return what is wrong with one reply whatever the transcript says (empty: nothing)."""
    problems = []
    if not reply.strip():
        problems.append("an empty reply")
    if channel == "sms":
        # Vietnamese may travel with its marks (UCS-2) when that fits three segments.
        if not is_gsm7(reply) and not has_vietnamese_marks(reply):
            problems.append("a character outside GSM-7")
        segments = segment_info(reply).segments
        if segments > 3:
            problems.append(f"{segments} SMS segments (at most 3)")
        revealing = replies.reveals_on_lock_screen(reply)
        if revealing:
            problems.append(f"revealing words in the first 60 characters: {revealing}")
    return problems


def _difference(number: int, turn: TranscriptTurn, record: TurnRecord,
                expected_replies: tuple[str, ...] | None, channel: str) -> str:
    """Return how one turn differs from the transcript ("" when it matches)."""
    said = "\n".join(record.replies)
    label = f"turn {number} ({'retry of ' if turn.retry else ''}{turn.send!r})"
    if turn.intent is not None and record.intent != turn.intent:
        return f"{label}: expected intent {turn.intent}, got {record.intent}"
    if turn.cleared is not None and record.cleared != turn.cleared:
        return f"{label}: expected cleared={turn.cleared}, got {record.cleared}"
    if turn.step is not None and record.step != turn.step:
        return f"{label}: expected step {turn.step}, got {record.step}"
    if turn.language is not None and record.language != turn.language:
        return f"{label}: expected language {turn.language}, got {record.language}"
    if turn.replies is not None and len(record.replies) != turn.replies:
        return f"{label}: expected {turn.replies} replies, got {len(record.replies)}: {said!r}"
    if expected_replies is not None and record.replies != expected_replies:
        return (f"{label}: a retry must repeat the first answer {expected_replies!r}, "
                f"got {record.replies!r}")
    if turn.first_line:
        first = strip_accents(record.replies[0].split("\n", 1)[0]) if record.replies else ""
        for wanted in turn.first_line:
            if strip_accents(wanted) not in first:
                return f"{label}: the first line should contain {wanted!r}; it is {first!r}"
    for wanted in turn.expect:
        if strip_accents(wanted) not in strip_accents(said):
            return f"{label}: the reply should contain {wanted!r}; it was {said!r}"
    for unwanted in turn.reject:
        if strip_accents(unwanted) in strip_accents(said):
            return f"{label}: the reply should not contain {unwanted!r}; it was {said!r}"
    for reply in record.replies:
        problems = standing_problems(reply, channel)
        if problems:
            return f"{label}: {', '.join(problems)} in {reply!r}"
    return ""


def run_transcript(transcript: Transcript, session: Session, config: Mapping,
                   namespace: str = "console") -> TranscriptResult:
    """Run `transcript` through run_turn on `session`; erase its conversation at the end.

    Nothing is committed here; the conversation is erased in the session either way,
    so committing afterwards leaves nothing behind. The console namespace is never
    counted in the insights.
    """
    key_material = f"transcript:{transcript.name}:{secrets.token_hex(16)}"
    if transcript.languages:
        config = {**config, "LANGUAGES": transcript.languages}
    records: list[TurnRecord] = []
    difference = ""
    message_id = ""
    previous_replies: tuple[str, ...] = ()
    previous_state: dict = {}
    try:
        for number, turn in enumerate(transcript.turns, start=1):
            if not turn.retry:
                message_id = f"SM{secrets.token_hex(16)}"
            result = run_turn(
                session, namespace=namespace, key_material=key_material,
                channel=transcript.channel, text=turn.send, config=config,
                message_id=message_id if transcript.channel == "sms" else None,
                now=transcript.now,
            )
            record = TurnRecord(
                send=turn.send, retry=turn.retry,
                intent=result.classification.intent,
                step="erased" if result.cleared else str(result.state_after.get("step", "")),
                language=result.language, replies=tuple(result.replies),
                cleared=result.cleared,
            )
            records.append(record)
            difference = _difference(number, turn, record,
                                     previous_replies if turn.retry else None,
                                     transcript.channel)
            if not difference and turn.retry and result.state_after != previous_state:
                difference = f"turn {number} (retry): the retry changed the state"
            if difference:
                break
            previous_replies = record.replies
            previous_state = result.state_after
    finally:
        erase_conversation(session, namespace, key_material, config)
    return TranscriptResult(name=transcript.name, passed=not difference,
                            first_difference=difference, turns=tuple(records),
                            channel=transcript.channel)


def run_all(session: Session, config: Mapping, transcripts: list[Transcript] | None = None,
            namespace: str = "console") -> list[TranscriptResult]:
    """Run every transcript (default: all of tests/conversations) and return the results."""
    transcripts = load_transcripts() if transcripts is None else transcripts
    return [run_transcript(transcript, session, config, namespace) for transcript in transcripts]

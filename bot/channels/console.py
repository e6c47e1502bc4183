"""The advocate console (GET /console): a conversation simulator and the transcript tests.

Advocates and admins try a flow as a survivor would meet it, by SMS or web chat, and
see for each turn what the engine saw and did: the intent, its score, the runners-up,
the entities, the state before and after, the reply and, for SMS, its characters,
segments and encoding, and why (bot.channels.console_why: the phrases that matched and
their scores, the engine's event and action, why each listing was offered); an SMS reply
also as a phone shows it (the lock-screen line, each segment). A clock runs a turn at
another time (2 am, a Sunday). The page starts a fresh conversation unless the advocate
continues the earlier one (?continue=1), and says which. A conversation tried here can
be saved as a transcript (echoed back as YAML to run or download, never kept), and one
transcript can run alone; a failure reads side by side, turn by turn.
Console conversations live in their own namespace ("console"),
one per staff account and channel; they are never counted in statistics, and Reset
erases them. The page works without JavaScript (each form posts and the page comes
back with the result); with static/console.js the forms post in place and the turns
pile up on the page. What an advocate typed is never stored: it is only echoed back,
escaped, in the response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from bot.channels.console_changes import text_languages
from bot.channels.console_why import Reading, RecordingListings, SearchWhy, explain_reading
from bot.conversations import service as conversation_service
from bot.conversations import store, transcripts
from bot.database import get_session
from bot.staff.auth import staff_required
from bot.texts import replies
from bot.texts.sms_text import segment_info, split_segments
from resources_db import published_versions

blueprint = Blueprint("console", __name__)

NAMESPACE = "console"
CHANNELS = {"sms": "SMS", "chat": "Web chat"}
MAX_MESSAGE_LENGTH = 1600
# The console's clock: a time in one of the US zones, to try 2 am or a Sunday.
CLOCK_ZONES = {"eastern": "America/New_York", "central": "America/Chicago",
               "mountain": "America/Denver", "pacific": "America/Los_Angeles"}
_MISSING = object()


@dataclass(frozen=True)
class ReplyView:
    """One reply as the console shows it; SMS figures only for the SMS channel."""

    text: str
    characters: int
    segments: int | None
    encoding: str | None
    # SMS: what the lock screen shows (its first 60 characters) and each segment's text.
    lock_screen: str = ""
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class StateChange:
    """One key of the conversation state that a turn changed."""

    key: str
    before: str
    after: str


@dataclass(frozen=True)
class ConsoleTurn:
    """Everything the console shows about one turn."""

    channel: str
    text: str
    intent: str
    score: float | int
    language: str
    alternatives: tuple[tuple[str, float | int], ...]
    entities: tuple[tuple[str, str], ...]
    replies: tuple[ReplyView, ...]
    state_before: Mapping[str, Any]
    state_after: Mapping[str, Any]
    changes: tuple[StateChange, ...]
    cleared: bool
    event: str = ""
    action: str = ""
    reading: Reading | None = None
    searches: tuple[SearchWhy, ...] = ()
    now: str = ""  # the clock the turn ran at, when the advocate set one

    @property
    def state_before_text(self) -> str:
        """Return the state before the turn as indented JSON."""
        return json.dumps(self.state_before, ensure_ascii=False, indent=2, sort_keys=True,
                          default=str)

    @property
    def state_after_text(self) -> str:
        """Return the state after the turn as indented JSON."""
        return json.dumps(self.state_after, ensure_ascii=False, indent=2, sort_keys=True,
                          default=str)

    def to_dict(self) -> dict:
        """Return the turn as JSON-ready data."""
        return {
            "channel": self.channel,
            "intent": self.intent,
            "score": self.score,
            "language": self.language,
            "alternatives": [list(pair) for pair in self.alternatives],
            "entities": dict(self.entities),
            "replies": [reply.__dict__ for reply in self.replies],
            "state_before": dict(self.state_before),
            "state_after": dict(self.state_after),
            "changes": [change.__dict__ for change in self.changes],
            "cleared": self.cleared,
            "event": self.event,
            "action": self.action,
            "searches": [{"category": found.category, "place": found.place,
                          "listings": [{"name": item.name, "reasons": list(item.reasons)}
                                       for item in found.listings]}
                         for found in self.searches],
        }


def _key_material(channel: str) -> str:
    # One console conversation per staff account and channel: two advocates never
    # share state, and switching channel does not mix an SMS flow with a chat flow.
    return f"staff:{current_user.id}:{channel}"


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _state_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[StateChange, ...]:
    keys = sorted(set(before) | set(after))
    return tuple(
        StateChange(key, _shown(before[key]) if key in before else "—",
                    _shown(after[key]) if key in after else "—")
        for key in keys
        if before.get(key, _MISSING) != after.get(key, _MISSING)
    )


def _score(value: float) -> float | int:
    # Scores are 0-100; show 92, not 92.0, and keep one decimal where there is one.
    rounded = round(float(value), 1)
    return int(rounded) if rounded.is_integer() else rounded


def _reply_view(text: str, channel: str) -> ReplyView:
    if channel != "sms":
        return ReplyView(text=text, characters=len(text), segments=None, encoding=None)
    info = segment_info(text)
    lock_screen = " ".join(text.split())[:replies.LOCK_SCREEN_CHARACTERS]
    return ReplyView(text=text, characters=info.characters, segments=info.segments,
                     encoding=info.encoding, lock_screen=lock_screen,
                     parts=tuple(split_segments(text)))


def parse_clock(value: str, zone: str) -> datetime | None:
    """Return the advocate's clock ("2026-03-08T02:00" in `zone`), or None for real time."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
        return naive.replace(tzinfo=ZoneInfo(CLOCK_ZONES.get(zone, CLOCK_ZONES["central"])))
    except ValueError:
        raise ValueError("Give the clock as a date and time, or leave it empty.") from None


def simulate_turn(channel: str, text: str, now: datetime | None = None) -> ConsoleTurn:
    """Run one console turn through the engine (at `now`, if given) and describe it."""
    session = get_session()
    listings = RecordingListings(conversation_service.DatabaseListings(session))
    result = conversation_service.run_turn(
        session, namespace=NAMESPACE, key_material=_key_material(channel),
        channel=channel, text=text, config=current_app.config, now=now, listings=listings,
    )
    classification = result.classification
    before = dict(result.state_before or {})
    after = dict(result.state_after or {})
    return ConsoleTurn(
        channel=channel,
        text=text,
        intent=classification.intent,
        score=_score(classification.score),
        language=classification.language,
        alternatives=tuple((str(intent), _score(score))
                           for intent, score in classification.alternatives),
        entities=tuple(sorted((str(k), str(v)) for k, v in classification.entities.items())),
        replies=tuple(_reply_view(reply, channel) for reply in result.replies),
        state_before=before,
        state_after=after,
        changes=_state_changes(before, after),
        cleared=bool(result.cleared),
        event=result.event,
        action=result.action,
        reading=explain_reading(text, classification),
        searches=listings.explained(tuple(classification.who)),
        now=now.strftime("%A %Y-%m-%d %H:%M %Z") if now else "",
    )


def _wants_json() -> bool:
    # console.js asks for JSON; a plain form post (no JavaScript) gets the page back.
    return request.accept_mimetypes.best == "application/json"


def _render_page(status: int = 200, **context):
    context.setdefault("turns", [])
    context.setdefault("transcript_results", None)
    context.setdefault("channel", request.form.get("channel", "sms"))
    context.setdefault("live_number", published_versions.live_number(get_session()))
    context.setdefault("continuing", False)
    context.setdefault("earlier", None)
    context.setdefault("transcript_names", [])
    context.setdefault("clock_zones", CLOCK_ZONES)
    return render_template("console/console.html", channels=CHANNELS,
                           text_languages=text_languages(), section="simulator",
                           max_length=MAX_MESSAGE_LENGTH, **context), status


def _problem(message: str):
    if _wants_json():
        return jsonify(error=message), 400
    flash(message, "error")
    return _render_page(400)


def _conversation_in_progress(channel: str) -> dict | None:
    key = store.conversation_key(current_app.config["HASH_KEY"], NAMESPACE,
                                 _key_material(channel))
    try:
        return store.current_store().load_state(key)
    except store.StoreUnavailable:
        return None  # the page says "a fresh conversation"; the turn itself degrades


@blueprint.get("/console")
@staff_required
def console():
    """Show the simulator (a fresh conversation unless ?continue=1) and the transcripts."""
    channel = request.args.get("channel", "sms")
    channel = channel if channel in CHANNELS else "sms"
    earlier = _conversation_in_progress(channel)
    continuing = bool(earlier) and request.args.get("continue") == "1"
    return _render_page(channel=channel, continuing=continuing, earlier=earlier,
                        transcript_names=[t.name for t in transcripts.load_transcripts()])


@blueprint.post("/console/turn")
@staff_required
def turn():
    """Run one turn of the signed-in advocate's console conversation."""
    try:
        payload = request.get_json(silent=True) if request.is_json else request.form
    except RecursionError:  # "[[[[...": nested deeper than the JSON parser goes
        payload = None
    if not isinstance(payload, Mapping):  # a JSON array, string or number: no fields
        payload = {}
    channel = str(payload.get("channel", ""))
    # A lone surrogate ("\ud800" in JSON) cannot be written out as UTF-8: it becomes "?".
    text = str(payload.get("text", "")).strip().encode("utf-8", "replace").decode("utf-8")
    if channel not in CHANNELS:
        return _problem("Choose SMS or Web chat.")
    if not text:
        return _problem("Type a message to send.")
    if len(text) > MAX_MESSAGE_LENGTH:
        return _problem(f"Keep a message under {MAX_MESSAGE_LENGTH} characters.")
    try:
        now = parse_clock(str(payload.get("clock", "")), str(payload.get("zone", "")))
    except ValueError as error:
        return _problem(str(error))
    if str(payload.get("fresh", "")) == "1":
        # The page said this message starts a fresh conversation: forget the old one.
        conversation_service.erase_conversation(
            get_session(), NAMESPACE, _key_material(channel), current_app.config)
    console_turn = simulate_turn(channel, text, now)
    get_session().commit()
    if _wants_json():
        html = render_template("console/_turn.html", turn=console_turn,
                               channels=CHANNELS, number=payload.get("number"))
        return jsonify(turn=console_turn.to_dict(), html=html)
    # Without JavaScript the page comes back: its next message continues this conversation.
    return _render_page(turns=[console_turn], channel=channel,
                        continuing=not console_turn.cleared, earlier=console_turn.state_after)


@blueprint.post("/console/reset")
@staff_required
def reset():
    """Erase the signed-in advocate's console conversations (both channels)."""
    session = get_session()
    for channel in CHANNELS:
        conversation_service.erase_conversation(
            session, NAMESPACE, _key_material(channel), current_app.config)
    session.commit()
    if _wants_json():
        return jsonify(reset=True)
    flash("The console conversation is erased. Start again.", "success")
    return redirect(url_for("console.console"))


@blueprint.post("/console/transcripts")
@staff_required
def run_transcripts():
    """Run every transcript test (or the one named) and show pass or fail, side by side."""
    session = get_session()
    payload = (request.get_json(silent=True) if request.is_json else request.form) or {}
    name = str(payload.get("name", "")) if isinstance(payload, Mapping) else ""
    if name:
        chosen = [t for t in transcripts.load_transcripts() if t.name == name]
        if not chosen:
            return _problem(f"No transcript is named {name!r}.")
        results = transcripts.run_all(session, current_app.config, chosen)
    else:
        results = transcripts.run_all(session, current_app.config)
    # Each run erases its own conversation; roll back so not even that reaches the database.
    session.rollback()
    if _wants_json():
        html = render_template("console/_transcripts.html", transcript_results=results)
        return jsonify(html=html, results=[
            {"name": r.name, "passed": r.passed, "first_difference": r.first_difference}
            for r in results
        ])
    return _render_page(transcript_results=results)


@blueprint.post("/console/transcripts/save")
@staff_required
def save_transcript():
    """Turn the conversation on the page into a transcript file (echoed back, never kept)."""
    payload = request.get_json(silent=True) if request.is_json else None
    if not isinstance(payload, Mapping) or not isinstance(payload.get("turns"), list):
        return _problem("Send the page's turns.")
    name = "-".join(str(payload.get("name") or "console-flow").lower().split())[:80]
    channel = str(payload.get("channel", "sms"))
    turns = [turn for turn in payload["turns"] if isinstance(turn, Mapping)]
    if channel not in CHANNELS or not turns:
        return _problem("Try a conversation first: there is no turn to save.")
    try:
        now = parse_clock(str(payload.get("clock", "")), str(payload.get("zone", "")))
        text = transcripts.transcript_yaml(name, channel, [dict(turn) for turn in turns],
                                           now=now)
    except (ValueError, transcripts.TranscriptError) as error:
        return _problem(str(error))
    return jsonify(yaml=text, filename=f"{name}.yaml")


@blueprint.post("/console/transcripts/run-text")
@staff_required
def run_transcript_text():
    """Run the transcript in the form's YAML, or send it back as a file to download."""
    import yaml

    source = request.form.get("yaml", "")[:100_000]
    try:
        transcript = transcripts.parse_transcript(yaml.safe_load(source), "the transcript")
    except (yaml.YAMLError, transcripts.TranscriptError) as error:
        return _problem(f"This transcript cannot run: {error}")
    if request.form.get("action") == "download":
        filename = re.sub(r"[^a-z0-9_-]+", "-", transcript.name.lower()).strip("-") or "flow"
        return current_app.response_class(
            source, mimetype="application/x-yaml",
            headers={"Content-Disposition": f'attachment; filename="{filename}.yaml"'})
    session = get_session()
    results = [transcripts.run_transcript(transcript, session, current_app.config)]
    session.rollback()
    if _wants_json():
        html = render_template("console/_transcripts.html", transcript_results=results)
        return jsonify(html=html, results=[{"name": r.name, "passed": r.passed,
                                            "first_difference": r.first_difference}
                                           for r in results])
    return _render_page(transcript_results=results)

"""The advocate console (GET /console): a conversation simulator and the transcript tests.

Advocates and admins try a flow as a survivor would meet it, by SMS or web chat, and
see for each turn what the engine saw and did: the intent, its score, the runners-up,
the entities, the state before and after, the reply and, for SMS, its characters,
segments and encoding. Console conversations live in their own namespace ("console"),
one per staff account and channel; they are never counted in statistics, and Reset
erases them. The page works without JavaScript (each form posts and the page comes
back with the result); with static/console.js the forms post in place and the turns
pile up on the page. What an advocate typed is never stored: it is only echoed back,
escaped, in the response.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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

from bot.conversations import service as conversation_service
from bot.conversations import transcripts
from bot.database import get_session
from bot.staff.auth import staff_required
from bot.texts.sms_text import segment_info
from resources_db import published_versions

blueprint = Blueprint("console", __name__)

NAMESPACE = "console"
CHANNELS = {"sms": "SMS", "chat": "Web chat"}
MAX_MESSAGE_LENGTH = 1600
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}
_MISSING = object()


@dataclass(frozen=True)
class ReplyView:
    """One reply as the console shows it; SMS figures only for the SMS channel."""

    text: str
    characters: int
    segments: int | None
    encoding: str | None


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
    return ReplyView(text=text, characters=info.characters, segments=info.segments,
                     encoding=info.encoding)


def simulate_turn(channel: str, text: str) -> ConsoleTurn:
    """Run one console turn through the engine and describe it."""
    result = conversation_service.run_turn(
        get_session(), namespace=NAMESPACE, key_material=_key_material(channel),
        channel=channel, text=text, config=current_app.config,
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
    )


def _wants_json() -> bool:
    # console.js asks for JSON; a plain form post (no JavaScript) gets the page back.
    return request.accept_mimetypes.best == "application/json"


def _render_page(status: int = 200, **context):
    context.setdefault("turns", [])
    context.setdefault("transcript_results", None)
    context.setdefault("channel", request.form.get("channel", "sms"))
    context.setdefault("live_number", published_versions.live_number(get_session()))
    return render_template("console/console.html", channels=CHANNELS,
                           languages=LANGUAGE_NAMES, section="simulator",
                           max_length=MAX_MESSAGE_LENGTH, **context), status


def _problem(message: str):
    if _wants_json():
        return jsonify(error=message), 400
    flash(message, "error")
    return _render_page(400)


@blueprint.get("/console")
@staff_required
def console():
    """Show the simulator and the transcript tests."""
    return _render_page(channel=request.args.get("channel", "sms"))


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
    console_turn = simulate_turn(channel, text)
    get_session().commit()
    if _wants_json():
        html = render_template("console/_turn.html", turn=console_turn,
                               channels=CHANNELS, number=payload.get("number"))
        return jsonify(turn=console_turn.to_dict(), html=html)
    return _render_page(turns=[console_turn], channel=channel)


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
    """Run every transcript test and show pass or fail, with the first difference."""
    session = get_session()
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

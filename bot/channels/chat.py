"""The web chat's API: POST /chat/api/messages and POST /chat/api/exit.

    POST /chat/api/messages  {"token": str|null, "text": str, "language"?: "en"|"es"}
      -> 200 {"token": str, "replies": [str, ...], "cleared": bool, "language": "en"|"es"}

The token is 256 random bits made here (never chosen by the client: an unknown or
expired token starts a new conversation under a new token). It is the only handle on
the conversation; the server keeps the state under an HMAC of it, and no cookie is
set. After exit the answer is `cleared: true` with an empty token.

The answer also says `"handoff": true` while the conversation is handed off to an
advocate (the person said YES to the offer); the page then polls:

    POST /chat/api/updates  {"token": str, "after": int}
      -> 200 {"handoff": "waiting"|"connected"|"closed"|"none",
              "messages": [{"n": int, "from": "advocate"|"harbor", "text": str}, ...]}

the advocate's messages (and Harbor's notices: who joined, the chat closed) numbered
after `after`. Polling neither counts as a message nor keeps the conversation alive.

    POST /chat/api/exit  {"token": str}  (JSON or text/plain, for navigator.sendBeacon)
      -> 204, everything linked to that conversation erased; 202 when the store is
         down: the erasure is owed and the first turn that reaches it again does it

One message too many (per conversation token, per client address: see
bot.extensions) gets 429 with the same keys and one short line in `replies`, which
the page shows; exit, emergency and self_harm messages are always answered.

Both routes are exempt from CSRF (no cookie, no ambient authority: the token in the
body is the credential). Like /sms, the messages route never answers 500: a failure
gets a 200 with the hotline.
"""

from __future__ import annotations

import json
import logging
import re
import secrets

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from bot.conversations import handoffs, store
from bot.conversations.owed_erasures import owed_erasures
from bot.conversations.service import commit_turn, degraded_result, erase_conversation, run_turn
from bot.conversations.store import StoreUnavailable
from bot.database import get_session
from bot.extensions import csrf, over_message_limits
from bot.texts import replies
from intents import classify
from resources_db.models import utcnow

blueprint = Blueprint("chat", __name__)
csrf.exempt(blueprint)
logger = logging.getLogger("harbor.chat")

TOKEN_BYTES = 32  # 256 bits
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # token_urlsafe(32)
MAX_TEXT_CHARACTERS = 1600
# 1,600 characters fit even as JSON's \uXXXX\uXXXX escapes (12 bytes an emoji), token too.
MAX_BODY_BYTES = 32 * 1024


def new_token() -> str:
    """Return a fresh conversation token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _json_body() -> dict | None:
    """Return the request body as a JSON object (JSON or text/plain), or None."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return None
    raw = request.get_data(cache=False, as_text=True)
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, RecursionError):  # RecursionError: "[[[[...", nested too deep
        return None
    return body if isinstance(body, dict) else None


def _error(message: str, status: int = 400) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


def _live_token(session, token: object) -> str | None:
    """Return `token` when it names a live conversation, else None."""
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        return None
    key = store.conversation_key(current_app.config["HASH_KEY"], "chat", token)
    return token if store.current_store().load_state(key) is not None else None


@blueprint.post("/chat/api/messages")
def messages():
    """Run one chat turn and answer the replies as JSON."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _error(f"the request is larger than {MAX_BODY_BYTES} bytes", 413)
    body = _json_body()
    if body is None:
        return _error("send a JSON object: {\"token\": ..., \"text\": ...}")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return _error("text must be a non-empty string")
    if len(text) > MAX_TEXT_CHARACTERS:
        return _error(f"text is longer than {MAX_TEXT_CHARACTERS} characters", 413)
    # A lone surrogate ("\ud800" in JSON) is no character at all: "?", as SMS would show it.
    text = text.encode("utf-8", "replace").decode("utf-8")
    config = current_app.config
    switched_on = replies.enabled_languages(config.get("LANGUAGES"))
    hint = body.get("language") if body.get("language") in switched_on else None
    token = None
    key = None
    claimed = body.get("token")
    if not isinstance(claimed, str) or not TOKEN_PATTERN.match(claimed):
        claimed = None
    classification = None
    try:
        key = store.conversation_key(config["HASH_KEY"], "chat", claimed) if claimed else None
        classification = classify(text)  # once: the limits and the turn share it
        if over_message_limits(classification.intent, key, safety=classification.safety):
            return _too_many(classification.language, claimed, hint)
    except Exception as error:  # noqa: BLE001 - a limit check never costs the answer
        logger.error("chat rate limit check failed: %s", type(error).__name__)
    try:
        session = get_session()
        try:
            token = _live_token(session, body.get("token"))
        except (SQLAlchemyError, StoreUnavailable) as error:
            logger.error("chat token lookup failed: %s", type(error).__name__)
            session.rollback()
            return _answer(degraded_result(text, "chat", config, hint, key=key),
                           body.get("token"))
        token = token or new_token()
        result = run_turn(session, namespace="chat", key_material=token, channel="chat",
                          text=text, config=config, language_hint=hint,
                          classification=classification)
        result = commit_turn(session, result, text, "chat", config, hint)
        return _answer(result, token)
    except Exception as error:  # noqa: BLE001 - the page must always get an answer
        logger.error("chat turn failed: %s", type(error).__name__)
        return _answer(degraded_result(text, "chat", config, hint, key=key), token)


def _too_many(message_language: str, token: str | None, hint: str | None) -> Response:
    """Answer 429 with the contract's keys and one short line the page shows."""
    language = hint or replies.language_or_default(message_language)
    response = jsonify(token=token or "", replies=[replies.say(language, "rate_limited")],
                       cleared=False, language=language, error="too many messages")
    response.status_code = 429
    return response


def _answer(result, token) -> Response:
    token = token if isinstance(token, str) and TOKEN_PATTERN.match(token) else ""
    return jsonify(
        token="" if result.cleared else token,
        replies=result.replies,
        cleared=result.cleared,
        language=result.language,
        handoff=(result.state_after or {}).get("step") == "with_person",
    )


@blueprint.post("/chat/api/updates")
def updates():
    """Answer what the advocate wrote since message `after`, and where the hand-off stands."""
    body = _json_body()
    token = body.get("token") if body else None
    after = body.get("after") if body else None
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        return _error("send {\"token\": ..., \"after\": ...}")
    after = after if isinstance(after, int) and not isinstance(after, bool) else 0
    config = current_app.config
    session = get_session()
    key = store.conversation_key(config["HASH_KEY"], "chat", token)
    clock = utcnow()
    try:
        view, state, handoff = handoffs.survivor_view(session, key, clock)
        session.commit()
    except (SQLAlchemyError, StoreUnavailable) as error:
        logger.error("chat updates failed: %s", type(error).__name__)
        session.rollback()
        return _error("try again", 503)
    if view == "closed":
        language = replies.language_or_default((state or {}).get("language"))
        return jsonify(handoff="closed", messages=[
            {"n": 0, "from": "harbor", "text": replies.say(language, "handoff_closed")}])
    if handoff is None:
        return jsonify(handoff="none", messages=[])
    news = [{"n": m["n"], "from": m["from"], "text": m["text"]}
            for m in handoff.messages if m["n"] > after and m["from"] != "survivor"]
    status = "connected" if handoff.status == handoffs.CLAIMED else "waiting"
    return jsonify(handoff=status, messages=news)


@blueprint.post("/chat/api/exit")
def exit_chat():
    """Erase everything linked to a chat conversation (sendBeacon-friendly): 204."""
    body = _json_body()
    token = body.get("token") if body else None
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        return _error("send {\"token\": ...}")
    config = current_app.config
    try:
        erase_conversation(None, "chat", token, config)
    except StoreUnavailable as error:
        logger.error("chat exit could not erase: %s", type(error).__name__)
        # Owed: the first turn, on any host, that reaches the store erases it (202).
        if owed_erasures(config).add(store.conversation_key(config["HASH_KEY"], "chat",
                                                            token)):
            return Response(status=202)
        return _error("the conversation could not be erased now; it expires by itself", 503)
    return Response(status=204)

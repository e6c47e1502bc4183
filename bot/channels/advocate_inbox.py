"""The advocate's inbox (GET /console/inbox): people who asked for a person, and the chats.

An advocate switches duty on or off and sets roster hours, the first name survivors are
told and how many chats they hold at once; sees the queue with how long each person has
waited; claims, replies (with short safety texts to insert), transfers and closes.
For each hand-off the advocate sees only what the survivor agreed to share (need, place,
language) and the messages since YES. When the survivor writes EXIT, or the conversation
expires, the chat disappears: the page says "The person left".

A hand-off is named by its random id in the request body, never in the path, so that
no access log can line up one chat's requests. Every action answers JSON for
static/inbox.js (which polls GET /console/inbox/state) and, without JavaScript, redirects
back to the page. Parse, act (bot.conversations.handoff_desk), commit, render.
"""

from __future__ import annotations

from collections.abc import Mapping

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

from bot.conversations import handoffs
from bot.conversations.handoff_desk import MAX_REPLY_CHARACTERS, Desk, DeskError
from bot.database import get_session
from bot.staff import duty
from bot.staff.auth import staff_required
from bot.texts import replies
from resources_db.models import User, utcnow

blueprint = Blueprint("inbox", __name__)

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "vi": "Vietnamese"}
# The inbox's buttons: a label for the advocate, the catalog text the survivor reads.
SNIPPETS = (("Safe to text?", "snippet_safe_to_text"), ("In danger: 911", "snippet_danger"),
            ("Clear the chat", "snippet_exit"), ("Hotline 24/7", "snippet_hotline"),
            ("988", "snippet_988"))


def snippets_by_language() -> dict[str, list[tuple[str, str]]]:
    """Return, per language, the safety texts an advocate can insert, with their labels."""
    return {language: [(label, replies.say(language, key)) for label, key in SNIPPETS]
            for language in replies.LANGUAGES}
POLL_MILLISECONDS = 1000  # static/inbox.js asks for the state this often


def _desk() -> Desk:
    session = get_session()
    user = session.get(User, current_user.id)
    return Desk(session, current_app.config, user)


def _payload() -> Mapping:
    if request.is_json:
        data = request.get_json(silent=True)
        return data if isinstance(data, Mapping) else {}
    return request.form


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _shared_view(shared: Mapping) -> dict:
    """Return what the survivor agreed to share, as the advocate reads it."""
    need = shared.get("need", "")
    return {
        "need": replies.need_label("en", need) if need else "not said",
        "place": shared.get("place") or "not said",
        "language": LANGUAGE_NAMES.get(shared.get("language", ""), "not said"),
    }


def _minutes(seconds: int) -> str:
    minutes = seconds // 60
    return "under 1 min" if minutes < 1 else f"{minutes} min"


def inbox_state() -> dict:
    """Return the signed-in advocate's duty, the queue and their chats (JSON-ready)."""
    desk = _desk()
    now = utcnow()
    row = duty.duty_of(desk.session, desk.advocate)
    open_now = handoffs.all_open(desk.session, now)
    held = handoffs.open_chats_by_advocate(open_now)
    on_duty = duty.on_duty_now(desk.session, now, held)
    queue = [h for h in open_now if h.status == handoffs.WAITING]
    mine = [h for h in open_now if h.advocate_id == desk.advocate.id]
    return {
        "duty": {
            "on_duty": row.on_duty,
            "answering": duty.answering(row, now),
            "display_name": row.display_name,
            "roster_hours": row.roster_hours,
            "roster_timezone": row.roster_timezone,
            "max_open_chats": row.max_open_chats,
            "open_chats": held.get(desk.advocate.id, 0),
        },
        "queue": [{
            "id": h.id, "channel": h.channel, "waited": _minutes(h.waited_seconds(now)),
            "waited_seconds": h.waited_seconds(now), "shared": _shared_view(h.shared),
        } for h in queue],
        "mine": [{
            "id": h.id, "channel": h.channel, "shared": _shared_view(h.shared),
            "language": h.shared.get("language", "en"),
            "messages": [{"n": m["n"], "from": m["from"], "text": m["text"],
                          "author": m.get("author", ""), "safety": m.get("safety", "")}
                         for m in h.messages],
        } for h in mine],
        "colleagues": [{"id": a.user_id, "label": a.display_name or a.email,
                        "room": a.has_room}
                       for a in on_duty if a.user_id != desk.advocate.id],
    }


def _done(message: str = "", status: int = 200, **extra):
    if _wants_json():
        body = {"ok": status < 400, **extra}
        if message:
            body["error" if status >= 400 else "message"] = message
        return jsonify(body), status
    if message:
        flash(message, "error" if status >= 400 else "success")
    return redirect(url_for("inbox.inbox"))


def _act(action) -> tuple:
    handoff_id = str(_payload().get("id") or "")
    desk = _desk()
    now = utcnow()
    found = handoffs.find(desk.session, handoff_id, now) if handoff_id else None
    left = _done("The person left: this chat is closed and nothing of it is kept.", 404,
                 left=True)
    if found is None:
        desk.session.rollback()
        return left
    with handoffs.held(desk.session, found, now) as handoff:
        if handoff is None:
            desk.session.rollback()
            return left
        try:
            result = action(desk, handoff, now)
        except DeskError as error:
            desk.session.rollback()
            return _done(str(error), 409)
        desk.session.commit()
    return _done(**(result or {}))


@blueprint.get("/console/inbox")
@staff_required
def inbox():
    """Show the duty switch, the queue and the signed-in advocate's chats."""
    state = inbox_state()
    get_session().commit()
    return render_template("console/inbox.html", inbox=state, poll=POLL_MILLISECONDS,
                           snippets=snippets_by_language(),
                           max_reply=MAX_REPLY_CHARACTERS)


@blueprint.get("/console/inbox/state")
@staff_required
def state():
    """Answer the inbox as JSON (static/inbox.js polls this)."""
    data = inbox_state()
    get_session().commit()
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/console/inbox/duty")
@staff_required
def switch_duty():
    """Switch the signed-in advocate on or off duty."""
    desk = _desk()
    value = _payload().get("on_duty")
    on = value is True or str(value).lower() in ("1", "true", "on", "yes")
    try:
        duty.set_on_duty(desk.session, desk.advocate, on)
    except duty.DutyError as error:
        desk.session.rollback()
        return _done(str(error), 400)
    desk.session.commit()
    return _done(f"You are {'on' if on else 'off'} duty.", on_duty=on)


@blueprint.post("/console/inbox/roster")
@staff_required
def roster():
    """Store the name survivors are told, roster hours, time zone and open-chat limit."""
    desk = _desk()
    payload = _payload()
    try:
        limit = int(payload.get("max_open_chats") or 0)
    except (TypeError, ValueError):
        limit = 0
    try:
        duty.set_roster(desk.session, desk.advocate,
                        display_name=str(payload.get("display_name") or ""),
                        roster_hours=str(payload.get("roster_hours") or ""),
                        roster_timezone=str(payload.get("roster_timezone") or ""),
                        max_open_chats=limit)
    except duty.DutyError as error:
        desk.session.rollback()
        return _done(str(error), 400)
    desk.session.commit()
    return _done("Roster saved.")


@blueprint.post("/console/inbox/claim")
@staff_required
def claim():
    """Take a waiting chat."""
    return _act(lambda desk, handoff, now: desk.claim(handoff, now))


@blueprint.post("/console/inbox/reply")
@staff_required
def reply():
    """Send one message to the survivor."""
    text = str(_payload().get("text") or "")
    return _act(lambda desk, handoff, now: {"sent": desk.reply(handoff, text, now)["n"]})


@blueprint.post("/console/inbox/transfer")
@staff_required
def transfer():
    """Give the chat to another advocate on duty, or back to the queue."""
    target = str(_payload().get("to") or "queue")

    def act(desk: Desk, handoff, now):
        to_user = None
        if target != "queue":
            to_user = desk.session.get(User, int(target)) if target.isdigit() else None
            if to_user is None:
                raise DeskError("Choose an advocate on duty, or the queue.")
        desk.transfer(handoff, to_user, now)

    return _act(act)


@blueprint.post("/console/inbox/close")
@staff_required
def close():
    """End the chat: the survivor is told and the thread is deleted at once."""
    return _act(lambda desk, handoff, now: desk.close(handoff, now))

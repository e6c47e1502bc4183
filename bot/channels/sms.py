"""POST /sms: Twilio's inbound-message webhook. Parse, run the turn, answer TwiML.

- The X-Twilio-Signature is checked with twilio's RequestValidator against the URL
  Twilio called: PUBLIC_BASE_URL plus path and query when set (the app runs behind a
  proxy), else the URL as the app sees it. A bad or missing signature is a 403 and
  nothing is processed. Only with HARBOR_ENV=development and no TWILIO_AUTH_TOKEN are
  unsigned requests accepted (a warning is logged once).
- Then Twilio's fields must have their real shape (`twilio_field_problem`): a 400, and
  nothing advanced, otherwise. The signature alone is not enough: it covers the
  parameters joined without separators, so a field can be dropped and its name and value
  glued onto the one before it (`MessageSid=SM...NumMedia0`) under the same signature.
- A retried MessageSid gets the replies of its first delivery and advances nothing.
- Rate limits (see bot.extensions) are counted only for accepted requests: a signed one
  per conversation key only (its address is Twilio's, shared by every survivor), an
  unsigned development one per client address too. One message too many gets a 200 with
  one short neutral line (an error status would make Twilio retry); exit, emergency and
  self_harm messages are always answered.
- Every reply is GSM-7 in at most three segments (the engine renders them so).
- Never a 500: whatever fails, Twilio gets valid TwiML with the hotline in it.
- EXIT also starts the deletion of the conversation's messages at Twilio
  (`bot.channels.twilio_erasure`), when REST credentials are set.

Nothing here logs a number or a message body.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.twilio_erasure import erase_at_twilio
from bot.conversations import store as conversation_store
from bot.conversations.service import commit_turn, degraded_result, run_turn
from bot.database import get_session
from bot.extensions import csrf, over_message_limits
from bot.texts import replies
from bot.texts.sms_text import as_sent, to_gsm7
from intents import classify

blueprint = Blueprint("sms", __name__)
csrf.exempt(blueprint)
logger = logging.getLogger("harbor.sms")


TWIML_MIMETYPE = "application/xml"
MAX_BODY_CHARACTERS = 1600  # Twilio's own limit for one inbound message
# Twilio's ids are two letters and 32 hex digits: SM an SMS, MM an MMS, AC an account.
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
E164_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")
NUM_MEDIA = re.compile(r"[0-9]{1,2}")  # Twilio delivers at most 10 media per message


def twilio_field_problem(form, account_sid: str = "") -> str | None:
    """Return what is wrong with an inbound message's Twilio fields, or None when nothing is.

    `account_sid` (TWILIO_ACCOUNT_SID) when set is the only account accepted.
    """
    checks = (("MessageSid", MESSAGE_SID), ("AccountSid", ACCOUNT_SID), ("From", E164_NUMBER),
              ("NumMedia", NUM_MEDIA))
    for name, shape in checks:
        if shape.fullmatch(form.get(name, "")) is None:
            return f"{name} is missing or is not shaped as Twilio sends it"
    if account_sid and form["AccountSid"] != account_sid:
        return "AccountSid is not this service's Twilio account"
    return None


def twiml(messages: list[str]) -> Response:
    """Return a TwiML response that sends `messages` (none: an empty <Response/>)."""
    response = MessagingResponse()
    for message in messages:
        response.message(as_sent(message))
    return Response(str(response), mimetype=TWIML_MIMETYPE)


def checked_url() -> str:
    """Return the URL Twilio signed: PUBLIC_BASE_URL + path + query when it is set."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base:
        return request.url
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def signature_is_valid() -> bool:
    """Return True when the request carries a valid X-Twilio-Signature."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    try:
        from twilio.request_validator import get_signature_algorithm
    except ImportError:  # older twilio: the auth-token signature (HMAC-SHA1) only
        algorithm = None
    else:
        algorithm = get_signature_algorithm(
            request.headers.get("X-Twilio-Webhooks-Signature-Settings", ""))
    validator = RequestValidator(token)
    if algorithm is None:
        return validator.validate(checked_url(), request.form, signature)
    return validator.validate(checked_url(), request.form, signature, algorithm)


def unsigned_allowed() -> bool:
    """Return True in development with no token set (warns once per app)."""
    config = current_app.config
    if config.get("HARBOR_ENV") != "development" or config.get("TWILIO_AUTH_TOKEN"):
        return False
    if not current_app.extensions.get("harbor_sms_unsigned_warned"):
        current_app.extensions["harbor_sms_unsigned_warned"] = True
        logger.warning("TWILIO_AUTH_TOKEN is not set: POST /sms accepts unsigned requests "
                       "(HARBOR_ENV=development only)")
    return True


@blueprint.post("/sms")
def inbound_sms():
    """Answer one inbound SMS with TwiML."""
    signed = signature_is_valid()
    if not signed and not unsigned_allowed():
        return Response("Forbidden", status=403, mimetype="text/plain")
    config = current_app.config
    problem = twilio_field_problem(request.form, config.get("TWILIO_ACCOUNT_SID") or "")
    if problem:
        # The field's name only: its value may be a phone number.
        logger.warning("SMS request refused: %s", problem)
        return Response(f"Bad Request: {problem}", status=400, mimetype="text/plain")
    sender = request.form["From"]
    text = (request.form.get("Body") or "")[:MAX_BODY_CHARACTERS]
    message_id = request.form["MessageSid"]
    harbor_number = (request.form.get("To") or "").strip()  # the number they texted
    key = None
    try:
        key = conversation_store.conversation_key(config["HASH_KEY"], "sms", sender)
        classification = classify(text)  # once: the limits and the turn share it
        # Signed: the address is Twilio's, everyone's; the conversation limit is the one.
        if over_message_limits(classification.intent, key, by_address=not signed,
                               safety=classification.safety):
            return twiml([replies.say(classification.language, "rate_limited")])
        session = get_session()
        result = run_turn(session, namespace="sms", key_material=sender, channel="sms",
                          text=text, config=config, message_id=message_id,
                          classification=classification,
                          reply_from=(request.form.get("To") or "").strip())
        result = commit_turn(session, result, text, "sms", config)
        if result.cleared:
            erase_at_twilio(config, sender, harbor_number)
        return twiml(result.replies)
    except Exception as error:  # noqa: BLE001 - Twilio must always get valid TwiML
        logger.error("SMS turn failed: %s", type(error).__name__)
        try:
            result = degraded_result(text, "sms", config, key=key)
            if result.cleared:
                erase_at_twilio(config, sender, harbor_number)
            return twiml(result.replies)
        except Exception:  # noqa: BLE001 - even classify failed: the fixed hotline line
            return twiml([to_gsm7(replies.say("en", "degraded"))])

"""Property tests (hypothesis) for the survivor endpoints and the console's echo.

Whatever arrives at POST /sms or POST /chat/api/messages (empty, 10,000 characters,
emoji, right-to-left text, control characters, broken form encoding or JSON, missing
or odd fields, SQL and HTML payloads, odd content types, raw bytes), the answer is
valid TwiML or the JSON contract or a short, clear 4xx: never a 5xx. TESTING is on, so
an exception a view does not handle fails the test instead of hiding behind a 500, and
a turn that raises inside the views' safety net (answered with the degraded reply) fails
it too. No page ever shows typed input unescaped: the console, which echoes what an
advocate typed, is fuzzed as well.

Found this way and fixed: "[[[[..." nested JSON (RecursionError) and, in the console,
JSON that is not an object, or holds a lone surrogate, were 500s; a chat message of
700 emoji sent as JSON escapes was refused as "send a JSON object".
"""

from __future__ import annotations

import json
import logging
import re
import string
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from flask import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context, event
from twilio.request_validator import RequestValidator
from twilio_fields import ACCOUNT_SID, inbound_fields, message_sid
from werkzeug.exceptions import RequestEntityTooLarge

from bot.request_bodies import MAX_CONTENT_LENGTH
from bot.texts.sms_text import is_gsm7, segment_info

# The app is built once per test function and every example runs against it.
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])
SMS_URL = "http://localhost/sms"
CONTRACT_KEYS = {"token", "replies", "cleared", "language"}

# ---- what people (and attackers) send ----

SQL = [
    "'; DROP TABLE conversation_states; --", "1 OR 1=1", "\" OR \"\"=\"",
    "Robert'); DROP TABLE listings;--", "%' UNION SELECT key FROM conversation_states --",
    "52404' AND SLEEP(5)--", "\\'; SELECT pg_sleep(5); --",
]
# {m} is a marker unique to each example: finding the payload raw in a page is an echo.
HTML = [
    '<script>alert("{m}")</script>', '<img src=x onerror="alert(\'{m}\')">',
    '"><svg onload={m}>', "'><b id={m}>", "</textarea><i>{m}</i>", "</title><u>{m}</u>",
    "<a href=\"javascript:{m}\">x</a>", "{{{{7*7}}}}{m}", "&lt;{m}&gt;",
]
RIGHT_TO_LEFT = [
    "أحتاج مكانا آمنا", "שלום, אני צריכה עזרה", "\u202eevil\u202c 52404",
    "\u200fمرحبا\u200e 52402", "کمک می خواهم",
]
EMOJI = ["🙂", "🆘🆘🆘", "👩‍👧‍👦 need help", "🏳️‍🌈", "❤️‍🔥" * 50, "\U0001f600" * 700]
CONTROL = ["\x00", "\x00EXIT", "\r\n\r\n", "\x1b[31mred", "\x7f\x08\x07", "\ufeffhi",
           "\u200b\u200b", "\ud800", "a\udfffb"]
LONG = ["x" * 10_000, "é" * 10_000, "🙂" * 10_000, "ש" * 10_000, "EXIT " * 2_000]
WORDS = ["hi", "EXIT", "salir", "menu", "52404", "Ames, IA", "I need a lawyer",
         "he has a gun", "help", "STOP", "START", "2", "more", "sí", "español"]

MARKER = re.compile(r"zq[a-z]{8}")
MARKUP = re.compile("[<>\"']")
markers = st.text(alphabet=string.ascii_lowercase, min_size=8, max_size=8).map("zq".__add__)
html_payloads = st.builds(lambda template, m: template.format(m=m), st.sampled_from(HTML),
                          markers)
# Lone surrogates only travel inside JSON (\ud800); st.text leaves them out by itself.
odd_characters = st.text(st.characters(codec=None, categories=["Cc", "Cf", "Co", "Cs", "Zl",
                                                               "Zp", "Mn", "So"]),
                         max_size=40)
texts = st.one_of(
    st.just(""),
    st.text(max_size=200),
    odd_characters,
    st.sampled_from(SQL + RIGHT_TO_LEFT + EMOJI + CONTROL + WORDS),
    st.sampled_from(LONG),
    html_payloads,
    st.lists(st.one_of(st.sampled_from(SQL + RIGHT_TO_LEFT + EMOJI + CONTROL + WORDS),
                       html_payloads, st.text(max_size=20)), max_size=6).map(" ".join),
)
# Form fields cannot carry lone surrogates (the browser or Twilio encodes UTF-8).
form_texts = texts.map(lambda text: text.encode("utf-8", "replace").decode("utf-8"))
phone_numbers = st.one_of(
    st.sampled_from(["+15551230001", "+15551230002", "+447700900123", "+525512345678",
                     "", " ", "+", "not a number", "5551230001", "+1555'; DROP TABLE x;--"]),
    form_texts,
)
content_types = st.sampled_from([
    None, "", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; "
    "charset=latin-1", "multipart/form-data", "multipart/form-data; boundary=xyz",
    "application/json", "application/json; charset=utf-16", "text/plain", "text/xml",
    "application/octet-stream", "text/html; charset=utf-8", "image/png", "*/*", "garbage",
])
broken_forms = st.sampled_from([
    b"", b"=", b"&&&", b"Body", b"Body=%", b"Body=%ZZ&From=%2B1555", b"Body=%E2%28%A1",
    b"From=+15551230001&Body=" + b"%00" * 50, b"Body=a&Body=b&From=x&From=y",
    b"\xff\xfe\x00B\x00o\x00d\x00y", b"--xyz\r\nContent-Disposition: form-data; name=\"Body\""
    b"\r\n\r\nhi\r\n--xyz--", b"--xyz\r\nbroken", b"Body=" + b"A" * 20_000,
])
raw_bodies = st.one_of(st.binary(max_size=600), broken_forms,
                       form_texts.map(lambda text: text.encode("utf-8")))
# A real sender with a Body of any bytes, percent-encoded or not: these reach the engine.
raw_sms_forms = st.builds(
    lambda body, encode, number: b"From=%2B15551230001&To=%2B15550100000&AccountSid="
    + ACCOUNT_SID.encode() + b"&NumMedia=0&MessageSid=" + message_sid(f"fuzz-{number}").encode()
    + b"&Body=" + (urllib.parse.quote_from_bytes(body).encode() if encode else body),
    st.one_of(st.binary(max_size=300), form_texts.map(lambda text: text.encode("utf-8"))),
    st.booleans(), st.integers(min_value=0))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | texts,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
chat_bodies = st.one_of(
    st.fixed_dictionaries({"text": texts}, optional={
        "token": st.one_of(st.none(), st.text(max_size=50), st.integers(), json_values,
                           st.text(alphabet=string.ascii_letters + "-_", min_size=43,
                                   max_size=43)),
        "language": st.one_of(st.sampled_from(["en", "es", "fr", "", "EN"]), json_values),
    }),
    st.dictionaries(st.sampled_from(["text", "token", "language", "extra"]), json_values,
                    max_size=4),
    json_values,
)
broken_json = st.sampled_from([
    b"", b"{", b"}", b"[", b"null", b"\"text\"", b"{\"text\": }", b"{'text': 'hi'}",
    b"{\"text\": \"hi\",}", b"{\"text\": \"\\ud800\"}", b"{\"text\": \"\\x00\"}",
    b"{\"text\": NaN}", b"\xef\xbb\xbf{\"text\": \"hi\"}", b"{\"text\": \"hi\"} trailing",
    b"{\"text\": \"" + b"9" * 9000 + b"\"}", b"[" * 5000 + b"]" * 5000,
    b"{\"text\": 1e999999}", b"\xff\xfe{\x00}\x00", b"[1]", b"3",
])


# ---- what every answer must be ----

def assert_never_echoed_raw(response, *inputs) -> None:
    """Fail when an HTML answer shows an input's markup unescaped.

    Around every marker an input carries, its few characters of markup must never be in
    the page as typed (escaped, they are); a whole input with markup neither.
    """
    if response.mimetype != "text/html":
        return
    page = response.get_data(as_text=True)
    for text in inputs:
        if not isinstance(text, str):
            continue
        # Escaping never writes < > " ' themselves, so these can only come from an echo.
        if len(text) >= 8 and MARKUP.search(text):
            assert text not in page, "input echoed unescaped"
        for found in MARKER.finditer(text):
            context = text[max(0, found.start() - 8):found.end()]
            if MARKUP.search(context):
                assert context not in page, f"markup echoed unescaped: {context!r}"
            assert "49" + found.group(0) not in page, "the input was rendered as a template"


def assert_clear_4xx(response) -> None:
    assert 400 <= response.status_code < 500, response.status_code
    body = response.get_data(as_text=True)
    assert 0 < len(body) <= 600, body[:600]
    if response.mimetype == "application/json":
        assert isinstance(response.get_json().get("error"), str)


def assert_twiml(response) -> list[str]:
    """Check a 200 TwiML answer; return its messages."""
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)  # noqa: S314 - our own TwiML
    assert root.tag == "Response"
    messages = [message.text or "" for message in root.iter("Message")]
    for message in messages:
        assert is_gsm7(message), message
        assert segment_info(message).segments <= 3, message
    return messages


class FailedTurns(logging.Handler):
    """Keeps the errors the channel views log when they answer with the degraded reply."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


FAILED_TURNS = FailedTurns()


@pytest.fixture(autouse=True)
def failed_turns():
    """The views answer even when a turn raises; here such a turn still fails the test."""
    views = [logging.getLogger(name) for name in ("harbor.sms", "harbor.chat")]
    for logger in views:
        logger.addHandler(FAILED_TURNS)
    yield FAILED_TURNS
    for logger in views:
        logger.removeHandler(FAILED_TURNS)
    FAILED_TURNS.messages.clear()


def assert_no_failed_turn() -> None:
    failures, FAILED_TURNS.messages[:] = list(FAILED_TURNS.messages), []
    assert failures == [], "a turn raised and was answered with the degraded reply"


def count(outcome: str) -> None:
    """Tally an outcome (pytest --hypothesis-show-statistics shows how examples went)."""
    if currently_in_test_context():
        event(outcome)


def check_sms_answer(response, *inputs) -> None:
    assert response.status_code < 500, response.status_code
    assert_no_failed_turn()
    if response.status_code == 200:
        messages = assert_twiml(response)
        count("200 with a reply" if messages else "200, empty <Response/>")
    else:
        count(f"{response.status_code}")
        assert_clear_4xx(response)
    assert_never_echoed_raw(response, *inputs)


def check_chat_answer(response, *inputs) -> None:
    assert response.status_code < 500, response.status_code
    assert_no_failed_turn()
    if response.status_code == 200:
        body = response.get_json()
        assert CONTRACT_KEYS <= set(body), body
        assert isinstance(body["token"], str) and isinstance(body["cleared"], bool)
        assert body["replies"] and all(isinstance(reply, str) and reply
                                       for reply in body["replies"])
        assert body["language"] in ("en", "es")
        count("200")
    else:
        count(f"{response.status_code}: {response.get_json().get('error')}")
        assert_clear_4xx(response)
        assert response.mimetype == "application/json"
    assert_never_echoed_raw(response, *inputs)


def signed_post(client, app, data: bytes | dict, content_type: str | None = None):
    """POST /sms signed over the form exactly as the app will parse it."""
    kwargs = {"data": data}
    if content_type is not None:
        kwargs["content_type"] = content_type
    with app.test_request_context("/sms", method="POST", **kwargs) as context:
        try:
            form = context.request.form
        except RequestEntityTooLarge:
            form = {}  # past MAX_CONTENT_LENGTH: the app refuses it (413) before any view
        signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(
            SMS_URL, form)
    return client.post("/sms", headers={"X-Twilio-Signature": signature}, **kwargs)


# ---- POST /sms ----

@FUZZ
@given(body=st.one_of(form_texts, st.none()), sender=st.one_of(phone_numbers, st.none()),
       message_id=st.one_of(st.none(), st.text(max_size=40), st.just("SM" + "1" * 32),
                            st.integers(min_value=0).map(lambda n: message_sid(f"fuzz-{n}"))),
       extra=st.dictionaries(st.text(min_size=1, max_size=10), form_texts, max_size=3))
def test_sms_any_form_fields_get_twiml(app, client, body, sender, message_id, extra):
    params = {"AccountSid": ACCOUNT_SID, "NumMedia": "0", **extra}
    for name, value in (("Body", body), ("From", sender), ("MessageSid", message_id)):
        if value is not None:
            params[name] = value
    response = signed_post(client, app, params)
    check_sms_answer(response, body, sender)


@FUZZ
@given(raw=st.one_of(raw_bodies, raw_sms_forms), content_type=content_types,
       signed=st.booleans())
def test_sms_any_bytes_with_any_content_type(app, client, raw, content_type, signed):
    if signed:
        response = signed_post(client, app, raw, content_type)
    else:
        kwargs = {"content_type": content_type} if content_type is not None else {}
        response = client.post("/sms", data=raw, **kwargs)
        assert response.status_code == 403  # nothing unsigned is processed
    check_sms_answer(response, raw.decode("utf-8", "replace"))


@FUZZ
@given(raw=raw_sms_forms, charset=st.sampled_from(["", "; charset=utf-8", "; charset=latin-1"]))
def test_sms_any_body_bytes_from_a_real_sender(app, client, raw, charset):
    content_type = "application/x-www-form-urlencoded" + charset
    with app.test_request_context("/sms", method="POST", data=raw,
                                  content_type=content_type) as context:
        # Werkzeug drops a form whose bytes are not valid UTF-8: then no field has its shape.
        fields_arrived = len(raw) <= MAX_CONTENT_LENGTH and "From" in context.request.form
    response = signed_post(client, app, raw, content_type)
    if len(raw) > MAX_CONTENT_LENGTH:  # far past any real SMS: refused unread, a clear 413
        assert response.status_code == 413
    else:
        assert response.status_code == (200 if fields_arrived else 400)
    check_sms_answer(response, raw.decode("utf-8", "replace"))


def test_sms_the_named_cases_by_hand(app, client):
    # Each family at least once, whatever hypothesis happens to draw.
    for body in SQL + RIGHT_TO_LEFT + EMOJI + LONG + WORDS + [
            template.format(m="zqhandpick") for template in HTML]:
        fields = inbound_fields("+15551230001", body, body)
        response = signed_post(client, app, fields)
        if len(urllib.parse.urlencode(fields)) > MAX_CONTENT_LENGTH:
            assert response.status_code == 413  # far past Twilio's 1,600 characters
            assert_clear_4xx(response)
            continue
        assert response.status_code == 200
        messages = assert_twiml(response)
        assert messages, body
        assert_no_failed_turn()
        assert_never_echoed_raw(response, body)


# ---- POST /chat/api/messages ----

@FUZZ
@given(body=chat_bodies)
def test_chat_any_json_gets_the_contract_or_a_clear_4xx(client, body):
    response = client.post("/chat/api/messages", data=json.dumps(body),
                           content_type="application/json")
    check_chat_answer(response, *(body.values() if isinstance(body, dict) else [body]))


@FUZZ
@given(raw=st.one_of(raw_bodies, broken_json), content_type=content_types)
def test_chat_any_bytes_with_any_content_type(client, raw, content_type):
    kwargs = {"content_type": content_type} if content_type is not None else {}
    response = client.post("/chat/api/messages", data=raw, **kwargs)
    check_chat_answer(response, raw.decode("utf-8", "replace"))


@FUZZ
@given(raw=st.one_of(raw_bodies, broken_json, chat_bodies.map(
    lambda body: json.dumps(body).encode())), content_type=content_types)
def test_chat_exit_beacon_takes_anything(client, raw, content_type):
    kwargs = {"content_type": content_type} if content_type is not None else {}
    response = client.post("/chat/api/exit", data=raw, **kwargs)
    assert response.status_code in (204, 400, 413), response.status_code
    if response.status_code == 400:
        assert_clear_4xx(response)


def test_chat_the_named_cases_by_hand(client):
    for text in SQL + RIGHT_TO_LEFT + EMOJI + CONTROL + WORDS + [
            template.format(m="zqhandpick") for template in HTML]:
        response = client.post("/chat/api/messages", json={"token": None, "text": text})
        check_chat_answer(response, text)
        if text.strip():
            assert response.status_code == 200, text
    for text in LONG:  # over 1,600 characters: a clear 413
        response = client.post("/chat/api/messages", json={"token": None, "text": text})
        assert response.status_code in (400, 413)
        assert_clear_4xx(response)


# ---- pages: the console echoes what an advocate typed; the chat page takes a query ----

@pytest.fixture
def advocate(sign_in):
    return sign_in("advocate")


@FUZZ
@given(text=texts, channel=st.sampled_from(["sms", "chat", "fax", "", "<b>x</b>"]),
       number=st.one_of(st.none(), st.integers(), html_payloads, st.text(max_size=10)),
       as_json=st.booleans(), accept_json=st.booleans())
def test_console_turns_never_echo_unescaped(client, advocate, text, channel, number,
                                            as_json, accept_json):
    headers = {"Accept": "application/json"} if accept_json else {"Accept": "text/html"}
    payload = {"channel": channel, "text": text, "number": number}
    if as_json:
        response = client.post("/console/turn", data=json.dumps(payload),
                               content_type="application/json", headers=headers)
    else:
        form = {key: str(value).encode("utf-8", "replace").decode("utf-8")
                for key, value in payload.items() if value is not None}
        response = client.post("/console/turn", data=form, headers=headers)
    assert response.status_code in (200, 400, 413), response.status_code
    inputs = [text, channel, str(number)]
    assert_never_echoed_raw(response, *inputs)
    if response.mimetype == "application/json" and "html" in response.get_json():
        fragment = response.get_json()["html"]
        assert_never_echoed_raw(Response(fragment, mimetype="text/html"), *inputs)


@FUZZ
@given(raw=st.one_of(raw_bodies, broken_json, json_values.map(lambda v: json.dumps(v).encode())),
       content_type=st.one_of(st.just("application/json"), content_types),
       accept_json=st.booleans())
def test_console_turns_take_any_bytes(client, advocate, raw, content_type, accept_json):
    headers = {"Accept": "application/json"} if accept_json else {"Accept": "text/html"}
    kwargs = {"content_type": content_type} if content_type is not None else {}
    response = client.post("/console/turn", data=raw, headers=headers, **kwargs)
    assert response.status_code in (200, 400, 413), response.status_code
    assert_never_echoed_raw(response, raw.decode("utf-8", "replace"))


@pytest.mark.parametrize("raw", [b"[1]", b"\"text\"", b"3", b"null", b"[" * 5000 + b"]" * 5000,
                                 b"{\"channel\": [], \"text\": {}}", b"{\"text\": NaN}"])
def test_console_turns_refuse_json_that_is_not_an_object(client, advocate, raw):
    # Found by the property above: each of these was a 500.
    for accept in ("application/json", "text/html"):
        response = client.post("/console/turn", data=raw, content_type="application/json",
                               headers={"Accept": accept})
        assert response.status_code == 400


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["lang", "channel", "next", "q", "x"]),
                             st.one_of(html_payloads, form_texts), max_size=3),
       path=st.sampled_from(["/chat", "/chat/safety", "/console", "/login"]))
def test_pages_never_echo_a_query_unescaped(client, advocate, query, path):
    response = client.get(path, query_string=query)
    assert response.status_code < 500
    assert_never_echoed_raw(response, *query.values())

"""The survivor chat page and its safety page, as the server sends them.

What a browser does with them (the conversation, quick exit) is in tests/browser/.
Here: language choice, no cookies, no inline script or style, nothing from another
origin, the quick exit wiring, and the security headers on every protected surface.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.channels.chat_page import INTERFACE_TEXT
from bot.security_headers import CONTENT_SECURITY_POLICY

STATIC = Path(__file__).resolve().parent.parent / "bot" / "static"
TEMPLATES = Path(__file__).resolve().parent.parent / "bot" / "templates" / "chat"
QUICK_EXIT_URL = "https://neutral.example/weather"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "QUICK_EXIT_URL": QUICK_EXIT_URL}


class PageParts(HTMLParser):
    """Collect what matters for CSP and privacy: tags, attributes, scripts, styles."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts: list[str] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "script":
            self._in_script = attributes

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        is_data_block = self._in_script and self._in_script.get("type") == "application/json"
        if self._in_script is not None and not is_data_block and data.strip():
            self.inline_scripts.append(data)

    def find(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [attributes for name, attributes in self.elements
                if name == tag and all(attributes.get(k) == v for k, v in wanted.items())]


def _parse(response) -> PageParts:
    parser = PageParts()
    parser.feed(response.get_data(as_text=True))
    return parser


SURVIVOR_PAGES = ["/chat", "/chat/safety"]


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        (None, "en"),
        ("en-US,en;q=0.9", "en"),
        ("es-MX,es;q=0.9,en;q=0.5", "es"),
        ("es", "es"),
        ("fr-FR,es;q=0.8,en;q=0.5", "es"),
        ("de-DE", "en"),
    ],
)
@pytest.mark.parametrize("path", SURVIVOR_PAGES)
def test_the_page_speaks_the_language_the_browser_prefers(client, path, accept_language,
                                                         expected):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = _parse(client.get(path, headers=headers))
    assert page.find("html")[0]["lang"] == expected


@pytest.mark.parametrize(
    ("accept_language", "source"),
    [(None, "default"), ("de-DE", "default"), ("es-MX", "header"), ("en-GB", "header")],
)
def test_the_page_tells_the_script_whether_the_browser_language_was_known(
        client, accept_language, source):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = _parse(client.get("/chat", headers=headers))
    assert page.find("body")[0]["data-lang-source"] == source


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_lang_query_picks_the_language(client, language):
    other = "en" if language == "es" else "es"
    response = client.get(f"/chat?lang={language}", headers={"Accept-Language": other})
    assert _parse(response).find("html")[0]["lang"] == language
    assert INTERFACE_TEXT[language]["exit_label"] in response.get_data(as_text=True)


def test_spanish_interface_text_is_rendered_for_spanish_browsers(client):
    html = client.get("/chat", headers={"Accept-Language": "es"}).get_data(as_text=True)
    for key in ("exit_label", "heading", "message_label", "send", "safety_link"):
        assert INTERFACE_TEXT["es"][key] in html
    assert INTERFACE_TEXT["en"]["exit_label"] not in html.split('id="interface-text"')[0]


def test_both_languages_have_every_interface_string():
    assert set(INTERFACE_TEXT["en"]) == set(INTERFACE_TEXT["es"])
    for language, strings in INTERFACE_TEXT.items():
        assert all(value.strip() for value in strings.values()), language


def test_every_text_key_the_templates_and_script_use_exists():
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r'data-text="([a-z_]+)"', template.read_text()))
    used |= set(re.findall(r'text\("([a-z_]+)"\)', (STATIC / "chat.js").read_text()))
    assert used, "the templates and chat.js read their text from INTERFACE_TEXT"
    assert used <= set(INTERFACE_TEXT["en"])


@pytest.mark.parametrize("path", SURVIVOR_PAGES)
def test_survivor_pages_set_no_cookie(client, path):
    response = client.get(path, headers={"Accept-Language": "es"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_the_chat_api_sets_no_cookie(client):
    started = client.post("/chat/api/messages", json={"token": None, "text": "hi"})
    assert started.status_code == 200 and "Set-Cookie" not in started.headers
    token = started.get_json()["token"]
    going_on = client.post("/chat/api/messages", json={"token": token, "text": "52402"})
    assert going_on.status_code == 200 and "Set-Cookie" not in going_on.headers
    # What navigator.sendBeacon sends on quick exit: text/plain.
    erased = client.post("/chat/api/exit", data=json.dumps({"token": token}),
                         content_type="text/plain;charset=UTF-8")
    assert erased.status_code == 204 and "Set-Cookie" not in erased.headers
    assert client.get_cookie("session") is None


@pytest.mark.parametrize("path", SURVIVOR_PAGES)
def test_no_inline_script_or_style_and_nothing_from_another_origin(client, path):
    page = _parse(client.get(path))
    assert page.inline_scripts == []
    assert page.find("style") == []
    for tag, attributes in page.elements:
        assert "style" not in attributes, tag
        assert not [name for name in attributes if name.startswith("on")], tag
    scripts = page.find("script")
    assert {s.get("src") for s in scripts} == {None, "/static/chat.js"}
    assert [s.get("type") for s in scripts if s.get("src") is None] == ["application/json"]
    # Everything the browser loads by itself is same-origin (or data:).
    loaded = [a.get("href") for a in page.find("link")] + [a.get("src") for a in scripts]
    for url in filter(None, loaded):
        assert url.startswith(("/", "data:")) and not url.startswith("//"), url


@pytest.mark.parametrize("path", SURVIVOR_PAGES)
def test_the_assets_are_served_by_the_app(client, path):
    page = _parse(client.get(path))
    for url in [page.find("link", rel="stylesheet")[0]["href"], "/static/chat.js"]:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


@pytest.mark.parametrize("asset", ["chat.js", "chat.css"])
def test_the_assets_name_no_other_origin(asset):
    source = (STATIC / asset).read_text()
    assert not re.search(r"https?://[a-z0-9]", source, re.IGNORECASE)
    assert "@import" not in source and "localStorage.setItem" not in source
    assert "document.cookie" not in source


def test_the_token_is_kept_in_session_storage_only():
    source = (STATIC / "chat.js").read_text()
    assert 'window.sessionStorage.setItem' in source
    assert "localStorage.setItem" not in source and "document.cookie" not in source


@pytest.mark.parametrize("path", SURVIVOR_PAGES)
def test_the_quick_exit_is_first_reachable_and_goes_to_the_configured_site(client, path):
    page = _parse(client.get(path))
    exit_link = page.find("a", id="quick-exit")[0]
    assert exit_link["href"] == QUICK_EXIT_URL
    assert exit_link["rel"] == "noreferrer"
    links = [attributes for tag, attributes in page.elements if tag in ("a", "button")]
    assert links[0]["href"] == "#quick-exit", "the first skip link leads to the quick exit"
    assert page.find("div", id="exit-overlay")


def test_the_chat_explains_quick_exit_and_links_to_the_safety_page(client):
    page = _parse(client.get("/chat"))
    assert page.find("a", id="safety-link")[0]["href"] == "/chat/safety?lang=en"
    html = client.get("/chat").get_data(as_text=True)
    explainer = html.index('id="exit-explainer"')
    assert explainer < html.index('id="messages"')


@pytest.mark.parametrize(
    ("language", "phrases"),
    [
        ("en", ["Browser history", "Synced accounts", "Monitoring software",
                "private window", "1-800-799-7233"]),
        ("es", ["historial del navegador", "Cuentas sincronizadas",
                "Programas de vigilancia", "ventana privada", "1-800-799-7233"]),
    ],
)
def test_the_safety_page_says_what_quick_exit_cannot_do(client, language, phrases):
    html = client.get(f"/chat/safety?lang={language}").get_data(as_text=True)
    for phrase in phrases:
        assert phrase.lower() in html.lower(), phrase


def test_the_message_box_is_labelled_and_keeps_no_autofill_history(client):
    page = _parse(client.get("/chat"))
    field = page.find("input", id="message")[0]
    assert page.find("label", **{"for": "message"})
    assert field["autocomplete"] == "off"
    assert field["aria-describedby"] == "message-hint"
    assert page.find("div", id="reply-announcer")[0]["aria-live"] == "polite"


# Every surface that shows survivor or staff information, anonymous or not.
PROTECTED = [
    ("GET", "/chat", {}),
    ("GET", "/chat/safety", {}),
    ("POST", "/chat/api/messages", {"json": {"token": None, "text": "hello"}}),
    ("POST", "/chat/api/exit", {"data": '{"token": "x"}', "content_type": "text/plain"}),
    ("GET", "/console", {}),
    ("GET", "/admin", {}),
    ("GET", "/login", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), PROTECTED,
                         ids=[f"{m} {p}" for m, p, _ in PROTECTED])
def test_protected_surfaces_carry_the_security_headers(client, method, path, kwargs):
    response = client.open(path, method=method, **kwargs)
    headers = response.headers
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    assert headers.get("X-Frame-Options") == "DENY" or "frame-ancestors 'none'" in csp
    assert csp == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("staff_path", ["/console", "/admin"])
def test_signed_in_staff_pages_carry_the_security_headers(client, sign_in, staff_path):
    sign_in("admin")
    response = client.get(staff_path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_content_security_policy_allows_no_inline_code_and_no_other_origin():
    directives = {
        part.split()[0]: part.split()[1:] for part in CONTENT_SECURITY_POLICY.split(";")
    }
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    for sources in directives.values():
        for source in sources:
            assert source in ("'self'", "'none'", "data:"), source

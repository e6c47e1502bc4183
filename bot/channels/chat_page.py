"""The survivor's web chat page (GET /chat) and what quick exit cannot do (GET /chat/safety).

The page is plain HTML, CSS and JavaScript served by the app: no CDN and no request to
any other origin. It sets no cookie: the conversation token lives only in the tab's
sessionStorage (see static/chat.js), and the messages go to POST /chat/api/messages.
Interface text comes in English and Spanish; the page starts in the language the browser
prefers and follows the conversation when the person switches.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from bot.texts import replies

blueprint = Blueprint("chat_page", __name__)


# Every string the chat interface shows, from the text catalogs (bot/texts/catalogs).
# chat.js gets every set (as JSON) to switch language without a reload; the template
# renders the starting set, so the page reads right before any script runs.
INTERFACE_TEXT: dict[str, dict[str, str]] = replies.PAGE_TEXTS


def page_languages() -> tuple[str, ...]:
    """Return the languages switched on (the LANGUAGES setting), English first."""
    return replies.enabled_languages(current_app.config.get("LANGUAGES"))


def page_language() -> tuple[str, str]:
    """Return the page's language and where it came from: "query", "header" or "default"."""
    languages = page_languages()
    requested = request.args.get("lang", "")
    if requested in languages:
        return requested, "query"
    if request.accept_languages:
        # Werkzeug matches "es-MX" to "es"; an unsupported language falls back to English.
        best = request.accept_languages.best_match(languages)
        if best:
            return best, "header"
    return "en", "default"


def _render(template: str, **context):
    language, source = page_language()
    languages = page_languages()
    return render_template(
        template,
        lang=language,
        lang_source=source,
        languages=languages,
        text=INTERFACE_TEXT[language],
        safety_text=replies.CATALOGS[language].safety,
        interface_text={code: INTERFACE_TEXT[code] for code in languages},
        quick_exit_url=current_app.config["QUICK_EXIT_URL"],
        **context,
    )


@blueprint.get("/chat")
def chat():
    """Serve the chat page: the conversation, the message box and the quick exit."""
    return _render("chat/chat.html")


@blueprint.get("/chat/safety")
def safety():
    """Serve the page that says what quick exit cannot do and how to browse more safely."""
    return _render("chat/safety.html")

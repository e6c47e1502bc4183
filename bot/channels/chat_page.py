"""The survivor's web chat page (GET /chat) and what quick exit cannot do (GET /chat/safety).

The page is plain HTML, CSS and JavaScript served by the app: no CDN and no request to
any other origin. It sets no cookie: the conversation token lives only in the tab's
sessionStorage (see static/chat.js), and the messages go to POST /chat/api/messages.
Interface text comes in English and Spanish; the page starts in the language the browser
prefers and follows the conversation when the person switches.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

blueprint = Blueprint("chat_page", __name__)

LANGUAGES = ("en", "es")

# Every string the chat interface shows. chat.js gets both sets (as JSON) to switch
# language without a reload; the template renders the starting set, so the page reads
# right before any script runs.
INTERFACE_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "page_title": "Harbor",
        "skip_to_exit": "Skip to Exit this page",
        "skip_to_message": "Skip to the message box",
        "exit_prefix": "Emergency",
        "exit_label": "Exit this page",
        "switch_language": "Español",
        "switch_language_message": "Español",
        "heading": "Find safe, local help",
        "danger_line": "In danger now? Call",
        "exit_explainer": "To leave fast, use Exit this page or press Shift 3 times. "
                          "It clears this chat.",
        "safety_link": "What quick exit cannot hide",
        "conversation_label": "Conversation",
        "message_label": "Your message",
        "message_hint": "Say what you need and your ZIP code or city.",
        "send": "Send",
        "you": "You",
        "harbor": "Harbor",
        "sending": "Sending…",
        "send_failed": "Your message was not sent. Check your connection and try again.",
        "too_many": "Too many messages at once. Wait a minute, then try again.",
        "empty_message": "Type a message first.",
        "shift_count_one": "Shift, press 2 more times to exit.",
        "shift_count_two": "Shift, press 1 more time to exit.",
        "shift_expired": "Exit this page expired.",
        "noscript": "This chat needs JavaScript. Without it, you can call the National "
                    "Domestic Violence Hotline at 1-800-799-7233 or text START to 88788.",
        # The safety page
        "safety_title": "What quick exit can and cannot do",
        "back_to_chat": "Back to the chat",
    },
    "es": {
        "page_title": "Harbor",
        "skip_to_exit": "Ir a Salir de esta página",
        "skip_to_message": "Ir al cuadro de mensaje",
        "exit_prefix": "Emergencia",
        "exit_label": "Salir de esta página",
        "switch_language": "English",
        "switch_language_message": "English",
        "heading": "Encuentre ayuda segura y cercana",
        "danger_line": "¿Está en peligro ahora? Llame al",
        "exit_explainer": "Para salir rápido, use Salir de esta página o pulse Mayús 3 "
                          "veces. Borra este chat.",
        "safety_link": "Lo que la salida rápida no puede ocultar",
        "conversation_label": "Conversación",
        "message_label": "Su mensaje",
        "message_hint": "Diga qué necesita y su código postal o ciudad.",
        "send": "Enviar",
        "you": "Usted",
        "harbor": "Harbor",
        "sending": "Enviando…",
        "send_failed": "Su mensaje no se envió. Revise su conexión e inténtelo de nuevo.",
        "too_many": "Demasiados mensajes seguidos. Espere un minuto e inténtelo de nuevo.",
        "empty_message": "Escriba un mensaje primero.",
        "shift_count_one": "Mayús: pulse 2 veces más para salir.",
        "shift_count_two": "Mayús: pulse 1 vez más para salir.",
        "shift_expired": "Salir de esta página: tiempo agotado.",
        "noscript": "Este chat necesita JavaScript. Sin él, puede llamar a la Línea "
                    "Nacional contra la Violencia Doméstica al 1-800-799-7233 o enviar "
                    "START al 88788.",
        "safety_title": "Lo que la salida rápida puede y no puede hacer",
        "back_to_chat": "Volver al chat",
    },
}


def page_language() -> tuple[str, str]:
    """Return the page's language and where it came from: "query", "header" or "default"."""
    requested = request.args.get("lang", "")
    if requested in LANGUAGES:
        return requested, "query"
    if request.accept_languages:
        # Werkzeug matches "es-MX" to "es"; an unsupported language falls back to English.
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best, "header"
    return "en", "default"


def _render(template: str, **context):
    language, source = page_language()
    return render_template(
        template,
        lang=language,
        lang_source=source,
        text=INTERFACE_TEXT[language],
        interface_text=INTERFACE_TEXT,
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

"""Every text Harbor says, in English and Spanish, and the lock-screen rule.

Written the way an advocate talks by text: short, plain, no blame, the number first.
Phone numbers here are national lines that answer 24/7:
- 911: emergencies (text-to-911 works only where the local 911 center offers it).
- The National Domestic Violence Hotline: 1-800-799-7233 (Spanish spoken), text START
  to 88788, chat at thehotline.org. It also talks with people who want to stop hurting
  a partner.
- The 988 Suicide & Crisis Lifeline: call or text 988; in Spanish, call 988 and press 2,
  or text AYUDA to 988.

Lock screens show the first characters of a text to whoever holds the phone, so no
reply may say a revealing word (abuse, shelter, violence...) in its first 60
characters; `reveals_on_lock_screen` finds them and `lock_screen_safe` puts a neutral
line first when a listing's own name would otherwise show. Templates here are written
to pass on their own; a test checks every reply of every transcript.
"""

from __future__ import annotations

import re

from text_folding import strip_accents

LANGUAGES = ("en", "es")
LOCK_SCREEN_CHARACTERS = 60

HOTLINE_PHONE = "1-800-799-7233"

# Needs offered by number in the menu, in this order ("2" works in any step).
MENU_NEEDS: tuple[str, ...] = (
    "shelter", "talk_to_someone", "legal", "housing", "economic", "child_protection",
    "children", "counseling", "immigration",
)

# Word stems that tell an onlooker what the conversation is about (English, Spanish;
# matched on lower-case text without accents).
_REVEALING = re.compile(
    r"\b(abus\w*|violen\w*|domestic\w*|shelters?|assault\w*|victim\w*|"
    r"protective orders?|restraining orders?|batter(?:er|ers|ing|ed)|rape[ds]?|"
    r"refugios?|albergues?|agresi\w*|agresor\w*|maltrat\w*|golpeador\w*|"
    r"ordene?s? de proteccion|ordene?s? de alejamiento|violaci\w*)\b"
)

NEED_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "shelter": "a safe place to stay",
        "housing": "housing help",
        "legal": "legal help",
        "immigration": "immigration help",
        "economic": "help with money, food or work",
        "children": "help for kids and teens",
        "child_protection": "help with a CPS case",
        "counseling": "counseling",
        "substance_use": "alcohol or drug treatment",
        "health": "health care",
        "parenting": "parenting support",
        "faith": "faith-based support",
        "advocacy": "an advocate",
        "hotline": "a help line",
        "using_violence": "a program to stop hurting a partner",
    },
    "es": {
        "shelter": "un lugar seguro donde quedarse",
        "housing": "ayuda con vivienda",
        "legal": "ayuda legal",
        "immigration": "ayuda de inmigración",
        "economic": "ayuda con dinero, comida o trabajo",
        "children": "ayuda para niños y jóvenes",
        "child_protection": "ayuda con un caso de CPS",
        "counseling": "consejería",
        "substance_use": "tratamiento de alcohol o drogas",
        "health": "atención médica",
        "parenting": "apoyo para padres",
        "faith": "apoyo de una comunidad de fe",
        "advocacy": "una persona de apoyo",
        "hotline": "una línea de ayuda",
        "using_violence": "un programa para dejar de lastimar a la pareja",
    },
}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "menu": (
            "What do you need? Reply with a number:\n"
            "1 Safe place to stay\n2 Talk to someone\n3 Legal help, court\n"
            "4 Housing, rent\n5 Money, food, work\n6 CPS or child welfare case\n"
            "7 Help for kids, teens\n8 Counseling\n9 Immigration\n"
            "Or say it in your own words."
        ),
        "welcome": (
            "Hi, this is Harbor. Is it safe for you to text now? If not, just stop: "
            "Harbor never texts first. Send EXIT any time to clear this chat."
        ),
        "safe_question": "Is it safe for you to text now?",
        "exit_tip": "Send EXIT any time to clear this chat.",
        "help_sms": (
            "Harbor is a free, private line that finds help near you. It only answers "
            "you and never texts first. In danger now: call 911. Send EXIT to clear "
            "this chat, STOP to end texts."
        ),
        "help_chat": (
            "Harbor is a free, private chat that finds help near you. It only answers "
            "you. In danger now: call 911. Send EXIT to clear this chat."
        ),
        "safe_yes": "Thank you.",
        "safe_no": (
            "OK. Stop here and delete this thread if you can. Text again when it is "
            "safe; Harbor never texts first. In danger now: call 911."
        ),
        "opt_out": (
            "You will get no more texts from Harbor. Reply START to turn them back on. "
            "In danger now: call 911."
        ),
        "opt_in": "Texts from Harbor are back on. Send EXIT any time to clear this chat.",
        "greeting_again": "Hi again.",
        "thanks": (
            "You're welcome. Text any time; Harbor only answers. Send EXIT to clear "
            "this chat."
        ),
        "acknowledge": "OK. Reply MENU for other help, or EXIT to clear this chat.",
        "unknown": "Sorry, I did not get that. Reply with a number or say what you need.",
        "language_set": "OK, English from now on.",
        "ask_place": (
            "To find {need} near you, reply with your ZIP code, or your city and "
            "state (like 52404 or Ames, IA)."
        ),
        "ask_place_again": (
            "I could not find that place. Reply with a 5-digit ZIP code, or a city "
            "and state like Ames, IA."
        ),
        "ask_state": (
            "There is a {city} in more than one state. Which one? Reply with the "
            "state: {states}."
        ),
        "confirm_state": "Is that {city}, {state}? Reply YES, or send the state if not.",
        "place_noted": "Got it: {place}.",
        "more_needs_results": "Tell me first what you need.",
        "results_header": "Here is {need} near {place}. {next}",
        "results_header_wider": "Closest {need}, within {radius} miles of {place}. {next}",
        "results_next_more": "Reply MORE for more, MENU to start over.",
        "results_next_menu": "Reply MENU to start over.",
        "results_header_none_local": (
            "I found nothing close to {place} for {need}. These serve your state or "
            "the whole country:"
        ),
        "results_header_more": "Here is more for {need} near {place}. Reply MENU to start over:",
        "results_empty": (
            "I found nothing listed for {need} near {place}. Call {hotline} (24/7, "
            "free) and an advocate can look for local help with you. Reply MENU for "
            "other help."
        ),
        "results_end": (
            "That is all I have for {need} near {place}. Call {hotline} (24/7) and an "
            "advocate can look further. Reply MENU for other help."
        ),
        "result_open_now": "Open now",
        "result_open_24_7": "Open 24/7",
        "result_closed_now": "Closed now",
        "result_hours_unknown": "Call for hours",
        "result_confidential": "Confidential",
        "result_not_confidential": "Not confidential",
        "result_statewide": "Statewide",
        "result_national": "National",
        "result_text": "text",
        "result_more": "Reply MORE for more.",
        "result_text_keyword": "text {keyword} to {number}",
        "result_opens_today": "opens {time}",
        "result_opens_tomorrow": "opens tomorrow {time}",
        "result_opens_day": "opens {day} {time}",
        "result_checked_today": "checked today",
        "result_checked_days": "checked {count} days ago",
        "result_checked_week": "checked 1 week ago",
        "result_checked_weeks": "checked {count} weeks ago",
        "result_checked_month": "checked 1 month ago",
        "result_checked_months": "checked {count} months ago",
        "result_not_checked": "not checked recently: call first",
        "result_space": "space reported {age} ago",
        "result_full": "full, reported {age} ago",
        "ask_who": "With children or pets? Say so too, like: 52404, with my dog.",
        "place_taken": "{place}. Not there? Send your state.",
        "using_violence_lead": "Thank you for reaching out. Wanting to change matters.",
        "emergency": (
            "If you are in danger now, call 911 (or text 911 where available). "
            "Hotline 24/7: {hotline}, or text START to 88788."
        ),
        "emergency_offer_ask": (
            "When you can, reply with your ZIP code or city to find a safe place to "
            "stay nearby."
        ),
        "emergency_offer_known": "Reply YES for a safe place to stay near {place}.",
        "emergency_other": (
            "If they are in danger now, call 911 for them. Stay safe yourself too. "
            "Hotline 24/7: {hotline}, or text START to 88788: they can help you help "
            "them."
        ),
        "emergency_offer_ask_other": (
            "When you can, reply with a ZIP code or city to find a safe place to stay "
            "near them."
        ),
        "self_harm": (
            "Please call or text 988 now, any time (Suicide & Crisis Lifeline). You "
            "matter, and you are not alone. In danger now: call 911."
        ),
        "self_harm_other": (
            "If they might act on it now, call 911 for them. Otherwise they can call or "
            "text 988 any time, and you can call 988 too to learn how to help them."
        ),
        "self_harm_offer": "Reply YES to talk to someone now, or MENU for other help.",
        "status_noted_danger": (
            "Thank you for letting me know. If you are in danger again, call 911."
        ),
        "status_noted_self_harm": (
            "Thank you for letting me know. You can call or text 988 any time."
        ),
        "ask_place_yes": (
            "OK. Reply with your ZIP code, or your city and state (like 52404 or "
            "Ames, IA)."
        ),
        "ask_place_more": (
            "To find {need} near you, reply with your ZIP code, or your city and "
            "state. For other help:"
        ),
        "unknown_tail": "To talk to someone now: call {hotline} (24/7, free).",
        "unknown_tail_distress": (
            "In danger now: call 911. Thoughts of suicide: call or text 988. To talk to "
            "someone now: call {hotline} (24/7, free)."
        ),
        "talk_to_someone": (
            "You can talk to an advocate now, free and 24/7: call {hotline}, text "
            "START to 88788, or chat at thehotline.org."
        ),
        "talk_nearest": "Near you: {name}, {phone} ({town}).",
        "talk_ask_place": "Reply with your ZIP code or city to find an advocate near you.",
        "safety_planning": (
            "Steps that help: 1) Know your safest way out, and a room without weapons. "
            "2) Keep ID, papers, money, medicine and keys ready, or with someone you "
            "trust. 3) Agree on a code word with a friend. 4) Save {hotline}: an "
            "advocate can plan with you (or text START to 88788). In danger: call 911."
        ),
        "is_this_abuse": (
            "What you feel matters. If someone hurts you, threatens you, controls your "
            "money, phone or friends, or makes you afraid, that is not OK, and it can "
            "be abuse even without hitting. It is not your fault. Talk it through, free "
            "and private: {hotline} or text START to 88788."
        ),
        "confidentiality": (
            "Harbor keeps only your language, need and place, for {ttl} minutes after "
            "your last message; never your words, and your number only scrambled. EXIT "
            "erases it now. Harbor reports nothing to anyone. Places marked "
            "Confidential keep what you say private; others may have to report child "
            "abuse. Your phone and carrier keep texts: delete this thread if someone "
            "checks."
        ),
        "using_violence": (
            "Thank you for reaching out. Wanting to change matters. Call {hotline} "
            "(24/7, free): they talk with people who hurt a partner and can find an "
            "intervention program near you. If someone is in danger now, call 911."
        ),
        "degraded": (
            "Harbor is having trouble right now. Please try again soon. To talk to "
            "someone now, call {hotline} (24/7) or text START to 88788. In danger: "
            "call 911."
        ),
        "degraded_emergency_tail": "Try again soon to find places near you.",
        "degraded_distress_tail": "Thoughts of suicide: call or text 988, any time.",
        "neutral_lead": "Harbor here. Your answer is below; send EXIT to clear this chat.",
        "rate_limited": (
            "Too many messages at once. Please wait a minute, then try again. In "
            "danger now: call 911."
        ),
    },
    "es": {
        "menu": (
            "¿Qué necesita? Responda con un número:\n"
            "1 Lugar seguro donde quedarse\n2 Hablar con alguien\n3 Ayuda legal, corte\n"
            "4 Vivienda, renta\n5 Dinero, comida, trabajo\n6 Caso de CPS o bienestar "
            "infantil\n7 Ayuda para niños, jóvenes\n8 Consejería\n9 Inmigración\n"
            "O dígalo con sus palabras."
        ),
        "welcome": (
            "Hola, soy Harbor. ¿Es seguro para usted escribir ahora? Si no, deje de "
            "escribir: Harbor nunca escribe primero. Envíe SALIR cuando quiera para "
            "borrar este chat."
        ),
        "safe_question": "¿Es seguro para usted escribir ahora?",
        "exit_tip": "Envíe SALIR cuando quiera para borrar este chat.",
        "help_sms": (
            "Harbor es una línea gratis y privada que busca ayuda cerca de usted. Solo "
            "responde y nunca escribe primero. En peligro: llame al 911. Envíe SALIR "
            "para borrar este chat, STOP para no recibir más."
        ),
        "help_chat": (
            "Harbor es un chat gratis y privado que busca ayuda cerca de usted. Solo "
            "responde. En peligro: llame al 911. Envíe SALIR para borrar este chat."
        ),
        "safe_yes": "Gracias.",
        "safe_no": (
            "De acuerdo. Deje de escribir y borre este chat si puede. Escriba cuando "
            "sea seguro; Harbor nunca escribe primero. En peligro: llame al 911."
        ),
        "opt_out": (
            "No recibirá más mensajes de Harbor. Responda START para volver a "
            "recibirlos. En peligro: llame al 911."
        ),
        "opt_in": (
            "Los mensajes de Harbor están activos otra vez. Envíe SALIR cuando quiera "
            "para borrar este chat."
        ),
        "greeting_again": "Hola otra vez.",
        "thanks": (
            "Con gusto. Escriba cuando quiera; Harbor solo responde. Envíe SALIR para "
            "borrar este chat."
        ),
        "acknowledge": (
            "De acuerdo. Responda MENU para otra ayuda, o SALIR para borrar este chat."
        ),
        "unknown": "Perdón, no entendí. Responda con un número o diga qué necesita.",
        "language_set": "De acuerdo, en español desde ahora.",
        "ask_place": (
            "Para buscar {need} cerca de usted, responda con su código postal, o su "
            "ciudad y estado (como 52404 o Ames, IA)."
        ),
        "ask_place_again": (
            "No encontré ese lugar. Responda con un código postal de 5 números, o una "
            "ciudad y estado como Ames, IA."
        ),
        "ask_state": (
            "Hay un {city} en más de un estado. ¿Cuál? Responda con el estado: "
            "{states}."
        ),
        "confirm_state": "¿Es {city}, {state}? Responda SI, o envíe el estado si no.",
        "place_noted": "Entendido: {place}.",
        "more_needs_results": "Dígame primero qué necesita.",
        "results_header": "Aquí hay {need} cerca de {place}. {next}",
        "results_header_wider": (
            "Lo más cercano para {need}, a menos de {radius} millas de {place}. {next}"
        ),
        "results_next_more": "Responda MAS para ver más, MENU para empezar de nuevo.",
        "results_next_menu": "Responda MENU para empezar de nuevo.",
        "results_header_none_local": (
            "No encontré nada cerca de {place} para {need}. Estos sirven a su estado o "
            "a todo el país:"
        ),
        "results_header_more": (
            "Aquí hay más para {need} cerca de {place}. Responda MENU para empezar de "
            "nuevo:"
        ),
        "results_empty": (
            "No encontré nada para {need} cerca de {place}. Llame al {hotline} (24/7, "
            "gratis, en español) y una persona de apoyo puede buscar ayuda local con "
            "usted. Responda MENU para otra ayuda."
        ),
        "results_end": (
            "Es todo lo que tengo para {need} cerca de {place}. Llame al {hotline} "
            "(24/7) y una persona de apoyo puede buscar más. Responda MENU para otra "
            "ayuda."
        ),
        "result_open_now": "Abierto ahora",
        "result_open_24_7": "Abierto 24/7",
        "result_closed_now": "Cerrado ahora",
        "result_hours_unknown": "Llame para horario",
        "result_confidential": "Confidencial",
        "result_not_confidential": "No confidencial",
        "result_statewide": "Todo el estado",
        "result_national": "Nacional",
        "result_text": "texto",
        "result_more": "Responda MAS para ver más.",
        "result_text_keyword": "envíe {keyword} al {number}",
        "result_opens_today": "abre hoy {time}",
        "result_opens_tomorrow": "abre mañana {time}",
        "result_opens_day": "abre el {day} {time}",
        "result_checked_today": "revisado hoy",
        "result_checked_days": "revisado hace {count} días",
        "result_checked_week": "revisado hace 1 semana",
        "result_checked_weeks": "revisado hace {count} semanas",
        "result_checked_month": "revisado hace 1 mes",
        "result_checked_months": "revisado hace {count} meses",
        "result_not_checked": "sin revisar hace tiempo: llame antes",
        "result_space": "hay lugar, reportado hace {age}",
        "result_full": "lleno, reportado hace {age}",
        "ask_who": "¿Con niños o mascotas? Dígalo también, como: 52404, con mi perro.",
        "place_taken": "{place}. ¿No es ahí? Envíe su estado.",
        "using_violence_lead": "Gracias por escribir. Querer cambiar importa.",
        "emergency": (
            "Si está en peligro ahora, llame al 911 (o envíe texto al 911 donde se "
            "pueda). Línea 24/7 en español: {hotline}, o envíe START al 88788."
        ),
        "emergency_offer_ask": (
            "Cuando pueda, responda con su código postal o ciudad para buscar un lugar "
            "seguro donde quedarse cerca."
        ),
        "emergency_offer_known": (
            "Responda SI para buscar un lugar seguro donde quedarse cerca de {place}."
        ),
        "emergency_other": (
            "Si esa persona está en peligro ahora, llame al 911 por ella. Cuídese usted "
            "también. Línea 24/7 en español: {hotline}, o envíe START al 88788: le "
            "ayudan a ayudarla."
        ),
        "emergency_offer_ask_other": (
            "Cuando pueda, responda con un código postal o ciudad para buscar un lugar "
            "seguro donde quedarse cerca de esa persona."
        ),
        "self_harm": (
            "Por favor llame al 988 ahora y oprima 2, o envíe AYUDA por texto al 988, "
            "a cualquier hora. Usted importa y no está solo/a. En peligro: llame al "
            "911."
        ),
        "self_harm_other": (
            "Si esa persona puede hacerse daño ahora, llame al 911 por ella. Si no, "
            "puede llamar al 988 (oprima 2) a cualquier hora, y usted también, para "
            "saber cómo ayudarla."
        ),
        "self_harm_offer": (
            "Responda SI para hablar con alguien ahora, o MENU para otra ayuda."
        ),
        "status_noted_danger": (
            "Gracias por avisarme. Si vuelve a estar en peligro, llame al 911."
        ),
        "status_noted_self_harm": (
            "Gracias por avisarme. Puede llamar al 988 y oprimir 2 a cualquier hora."
        ),
        "ask_place_yes": (
            "De acuerdo. Responda con su código postal, o su ciudad y estado (como "
            "52404 o Ames, IA)."
        ),
        "ask_place_more": (
            "Para buscar {need} cerca de usted, responda con su código postal, o su "
            "ciudad y estado. Para otra ayuda:"
        ),
        "unknown_tail": "Para hablar con alguien ahora: llame al {hotline} (24/7, gratis).",
        "unknown_tail_distress": (
            "En peligro: llame al 911. Si piensa en quitarse la vida: llame al 988 y "
            "oprima 2. Para hablar con alguien ahora: llame al {hotline} (24/7, gratis)."
        ),
        "talk_to_someone": (
            "Puede hablar ahora con una persona de apoyo, gratis y 24/7: llame al "
            "{hotline} (en español), envíe START al 88788, o chatee en thehotline.org."
        ),
        "talk_nearest": "Cerca de usted: {name}, {phone} ({town}).",
        "talk_ask_place": (
            "Responda con su código postal o ciudad para buscar una persona de apoyo "
            "cerca."
        ),
        "safety_planning": (
            "Pasos que ayudan: 1) Sepa su salida más segura y un cuarto sin armas. 2) "
            "Tenga listos identificación, papeles, dinero, medicinas y llaves, o con "
            "alguien de confianza. 3) Acuerde una palabra clave con alguien. 4) Guarde "
            "el {hotline}: una persona de apoyo puede planear con usted. En peligro: "
            "llame al 911."
        ),
        "is_this_abuse": (
            "Lo que siente importa. Si alguien le hace daño, le amenaza, controla su "
            "dinero, teléfono o amistades, o le da miedo, eso no está bien, y puede ser "
            "abuso aunque no haya golpes. No es su culpa. Hable con alguien, gratis y en "
            "privado: {hotline}."
        ),
        "confidentiality": (
            "Harbor guarda solo su idioma, necesidad y lugar, por {ttl} minutos después "
            "de su último mensaje; nunca sus palabras, y su número solo cifrado. SALIR "
            "lo borra ya. Harbor no reporta nada a nadie. Los lugares Confidenciales "
            "guardan lo que diga; otros pueden tener que reportar maltrato infantil. "
            "Su teléfono guarda los mensajes: bórrelos si alguien lo revisa."
        ),
        "using_violence": (
            "Gracias por escribir. Querer cambiar importa. Llame al {hotline} (24/7, "
            "gratis): hablan con personas que lastiman a su pareja y pueden buscar un "
            "programa de intervención cerca. Si alguien está en peligro ahora, llame "
            "al 911."
        ),
        "degraded": (
            "Harbor tiene problemas ahora. Por favor intente de nuevo pronto. Para "
            "hablar con alguien ahora, llame al {hotline} (24/7) o envíe START al "
            "88788. En peligro: llame al 911."
        ),
        "degraded_emergency_tail": "Intente pronto de nuevo para buscar lugares cerca.",
        "degraded_distress_tail": (
            "Si piensa en quitarse la vida: llame al 988 y oprima 2, a cualquier hora."
        ),
        "neutral_lead": (
            "Harbor aquí. Su respuesta está abajo; envíe SALIR para borrar este chat."
        ),
        "rate_limited": (
            "Demasiados mensajes seguidos. Espere un minuto e intente de nuevo. En "
            "peligro: llame al 911."
        ),
    },
}


# Day names as hours are written in replies (the CSV writes them in English).
DAY_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
}

# What a place offers that fits the person, in words ("takes pets", "serves teens").
FIT_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "pets": "takes pets",
        "children": "serves children",
        "teens": "serves teens",
        "men": "serves men",
        "women": "serves women",
        "lgbtq": "serves LGBTQ+",
        "families": "serves families",
        "immigrants": "serves immigrants",
        "deaf": "serves Deaf people",
        "disabilities": "serves people with disabilities",
        "elders": "serves elders",
        "native": "serves Native people",
        "black": "serves Black survivors",
        "latinx": "serves Latinx people",
        "asian_pacific_islander": "serves Asian and Pacific Islander people",
        "legal/family": "custody and divorce",
        "legal/protective_order": "protection orders",
        "legal/immigration": "immigration law",
        "legal/housing": "housing law",
        "health/sexual_assault_exam": "exams after sexual assault",
        "health/injuries": "care for injuries",
        "health/clinic": "clinic care",
        "children/school": "school help",
        "children/counseling": "counseling for kids",
        "children/child_care": "child care",
    },
    "es": {
        "pets": "acepta mascotas",
        "children": "atiende a niños",
        "teens": "atiende a jóvenes",
        "men": "atiende a hombres",
        "women": "atiende a mujeres",
        "lgbtq": "atiende a LGBTQ+",
        "families": "atiende a familias",
        "immigrants": "atiende a inmigrantes",
        "deaf": "atiende a personas sordas",
        "disabilities": "atiende a personas con discapacidad",
        "elders": "atiende a personas mayores",
        "native": "atiende a personas nativas",
        "black": "atiende a personas negras",
        "latinx": "atiende a personas latinas",
        "asian_pacific_islander": "atiende a personas asiáticas e isleñas del Pacífico",
        "legal/family": "custodia y divorcio",
        "legal/protective_order": "órdenes de protección",
        "legal/immigration": "leyes de inmigración",
        "legal/housing": "leyes de vivienda",
        "health/sexual_assault_exam": "exámenes tras agresión sexual",
        "health/injuries": "atención de heridas",
        "health/clinic": "clínica",
        "children/school": "ayuda con la escuela",
        "children/counseling": "consejería para niños",
        "children/child_care": "cuidado de niños",
    },
}


def fit_label(language: str | None, code: str) -> str:
    """Return how a fit is said ("takes pets"), or "" for one Harbor has no words for."""
    return FIT_LABELS[language_or_default(language)].get(code, "")


def day_name(language: str | None, weekday: int) -> str:
    """Return the short name of a weekday (0 = Monday) in `language`."""
    return DAY_NAMES[language_or_default(language)][weekday % 7]


def language_or_default(language: str | None) -> str:
    """Return `language` when Harbor speaks it, else English."""
    return language if language in LANGUAGES else "en"


def say(language: str | None, key: str, **values: object) -> str:
    """Return the text `key` in `language`, with `values` filled in."""
    template = TEXTS[language_or_default(language)][key]
    values.setdefault("hotline", HOTLINE_PHONE)
    return template.format(**values)


def need_label(language: str | None, need: str) -> str:
    """Return how a need is named in a sentence ("a safe place to stay")."""
    labels = NEED_LABELS[language_or_default(language)]
    return labels.get(need, labels["hotline"])


def menu_choice(number: int) -> str | None:
    """Return the need offered as `number` in the menu, or None."""
    if 1 <= number <= len(MENU_NEEDS):
        return MENU_NEEDS[number - 1]
    return None


def reveals_on_lock_screen(text: str) -> list[str]:
    """Return the revealing words that start within the first 60 characters of `text`."""
    folded = strip_accents(text)
    return [match.group(0) for match in _REVEALING.finditer(folded)
            if match.start() < LOCK_SCREEN_CHARACTERS]


def lock_screen_safe(text: str, language: str | None) -> str:
    """Return `text`, led by a neutral line when its start would reveal the topic."""
    if not reveals_on_lock_screen(text):
        return text
    return say(language, "neutral_lead") + "\n" + text

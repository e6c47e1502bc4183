"""Every text Harbor says, from the per-language catalogs, and the lock-screen rule.

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
from dataclasses import dataclass
from pathlib import Path

import yaml

from text_folding import strip_accents

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
    r"ordene?s? de proteccion|ordene?s? de alejamiento|violaci\w*|"
    r"bao hanh|bao luc|tam lanh|lam dung|xam hai|hiep dam|nan nhan)\b"
)

# The texts themselves live in one catalog per language, bot/texts/catalogs/<code>.yaml
# (see the comment at the top of en.yaml); a catalog is data a translator or an
# advocate can edit without touching code. Loaded once, at import.
CATALOG_DIRECTORY = Path(__file__).resolve().parent / "catalogs"


@dataclass(frozen=True)
class Catalog:
    """One language's texts: replies by key, need names, the web chat page's texts."""

    language: str
    name: str  # the language's own name ("Español")
    review: str  # "approved", or "needs review" until a native-speaking advocate checks it
    replies: dict[str, str]
    needs: dict[str, str]
    page: dict[str, str]
    safety: dict  # the quick-exit safety page: headings, paragraphs and lists


def load_catalogs(directory: Path = CATALOG_DIRECTORY) -> dict[str, Catalog]:
    """Read every catalog in `directory`, English first; raise ValueError naming a bad one."""
    catalogs = {}
    for path in sorted(directory.glob("*.yaml"), key=lambda p: (p.stem != "en", p.stem)):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506
        try:
            catalogs[path.stem] = Catalog(
                language=data["language"], name=data["name"], review=data["review"],
                replies=dict(data["replies"]), needs=dict(data["needs"]),
                page=dict(data["page"]), safety=dict(data["safety"]))
        except (KeyError, TypeError) as error:
            raise ValueError(f"text catalog {path.name}: missing or malformed {error}") from None
        if catalogs[path.stem].language != path.stem:
            raise ValueError(f"text catalog {path.name} says language "
                             f"{catalogs[path.stem].language!r}")
    return catalogs


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CATALOGS: dict[str, Catalog] = load_catalogs()
LANGUAGES: tuple[str, ...] = tuple(CATALOGS)
TEXTS: dict[str, dict[str, str]] = {code: c.replies for code, c in CATALOGS.items()}
NEED_LABELS: dict[str, dict[str, str]] = {code: c.needs for code, c in CATALOGS.items()}
PAGE_TEXTS: dict[str, dict[str, str]] = {code: c.page for code, c in CATALOGS.items()}


def enabled_languages(setting: str | None) -> tuple[str, ...]:
    """Return the languages the LANGUAGES setting switches on ("en,es,vi"), English first;
    unknown codes are left out, and English is always on."""
    wanted = [code.strip().lower() for code in (setting or "en,es").split(",")]
    return ("en", *(code for code in dict.fromkeys(wanted) if code in CATALOGS and code != "en"))


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

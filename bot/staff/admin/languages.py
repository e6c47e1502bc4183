"""The Languages page (/admin/languages): which languages Harbor answers in, and which
translations still wait for a native-speaking advocate's review.

Read-only: a language is switched on by the LANGUAGES setting (a deployment decision,
like the secrets), never from a web page. The page says, per language, whether its
reply catalog (bot/texts/catalogs/<code>.yaml) and its intent words
(intents/rules/languages/<code>.yaml, or the main rule files for English and Spanish)
are approved or marked "needs review", and whether LANGUAGES switches it on.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from flask import current_app, render_template

from bot.staff.admin import blueprint
from bot.staff.auth import admin_required
from bot.texts import replies
from intents.rules import EXTRA_LANGUAGES_DIRECTORY, LANGUAGES, RULES_DIRECTORY


@dataclass(frozen=True)
class LanguageStatus:
    """One language as the Languages page shows it."""

    code: str
    name: str
    replies_review: str  # "approved" or "needs review"
    words_review: str  # the intent words' review: "approved", "needs review" or "missing"
    switched_on: bool

    @property
    def awaits_review(self) -> bool:
        """True until both the replies and the intent words are approved."""
        return self.replies_review != "approved" or self.words_review != "approved"


def _words_review(code: str) -> str:
    if code in LANGUAGES:
        return "approved"  # the main rule files, reviewed with the code
    path = RULES_DIRECTORY / EXTRA_LANGUAGES_DIRECTORY / f"{code}.yaml"
    if not path.exists():
        return "missing"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return str(data.get("review") or "needs review")


def language_statuses(setting: str | None) -> list[LanguageStatus]:
    """Return every language with a catalog, English first, as the page shows them."""
    switched_on = replies.enabled_languages(setting)
    return [LanguageStatus(code=code, name=catalog.name, replies_review=catalog.review,
                           words_review=_words_review(code), switched_on=code in switched_on)
            for code, catalog in replies.CATALOGS.items()]


@blueprint.get("/languages")
@admin_required
def languages():
    """Show each language's review state and whether LANGUAGES switches it on."""
    return render_template("admin/languages.html", active_page="languages",
                           statuses=language_statuses(current_app.config.get("LANGUAGES")),
                           setting=current_app.config.get("LANGUAGES") or "en,es")

"""The console's changes (GET/POST /console/rules, /console/texts, /console/versions).

Advocates and admins edit an intent's phrases (keywords, hints, examples, negative
phrases, per language) or the reply texts of one language, preview how the change reads
the development set and the locked test set and how every transcript runs, and publish
it through the safety gate (bot.publishing.gate). Every publish is a numbered version
(author, note, diff, in the audit log); any version can be restored. The pages are plain
forms: each post comes back as the whole page, with or without JavaScript.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from bot.database import get_session
from bot.publishing import content as rule_content
from bot.publishing import gate, live, versions
from bot.publishing.content import Content, ContentError
from bot.staff.auth import staff_required
from bot.texts import replies
from intents.rules import EXTRA_LANGUAGES_DIRECTORY, LANGUAGE_FIELDS, LANGUAGES, TAXONOMY_IDS
from resources_db import published_versions

blueprint = Blueprint("console_changes", __name__)

FIELD_LABELS = {
    "keywords": ("Keywords", "One is enough to point here. One phrase a line; "
                             "a word ending in * matches every word it starts."),
    "hints": ("Hints", "Make this intent likelier, never enough alone."),
    "examples": ("Examples", "Whole messages people send."),
    "negatives": ("Negative phrases", "Make this intent much less likely."),
}
# Staff pages are English: languages by their English names.
ENGLISH_NAMES = {"en": "English", "es": "Spanish", "vi": "Vietnamese"}
RULE_LANGUAGES = {code: ENGLISH_NAMES.get(code, code) for code in LANGUAGES}


def text_languages() -> dict[str, str]:
    """Return the reply catalogs' languages by name, for the console's sections."""
    return {code: ENGLISH_NAMES.get(code, replies.CATALOGS[code].name)
            for code in replies.LANGUAGES}
MAX_FIELD_LENGTH = 20_000


def _lines(name: str, unchanged: list[str]) -> list[str]:
    """Return the phrases of a form field, one a line; a field not sent keeps `unchanged`."""
    value = request.form.get(name)
    if value is None:
        return unchanged
    return [line.strip() for line in value[:MAX_FIELD_LENGTH].splitlines() if line.strip()]


def _live() -> tuple[Content, int]:
    session = get_session()
    return versions.live_content(session), published_versions.live_number(session)


def _publish(candidate: Content, note: str):
    """Publish through the gate as the signed-in staff member; refresh this worker."""
    session = get_session()
    outcome = versions.publish(session, candidate, author=current_user.email,
                               user_id=current_user.id, note=note, source="console",
                               config=current_app.config)
    if outcome.version is not None:
        session.commit()
        live.refresh(current_app, force=True)
        flash(f"Published version {outcome.version.number}. Every worker uses it within "
              f"{current_app.config['PUBLISHED_CHECK_SECONDS']} seconds.", "success")
    else:
        session.rollback()
    return outcome


@blueprint.get("/console/rules")
@staff_required
def rules_index():
    """Send the advocate to the first intent's editor."""
    return redirect(url_for("console_changes.edit_rules", intent="shelter"))


@blueprint.route("/console/rules/<intent>", methods=["GET", "POST"])
@staff_required
def edit_rules(intent: str):
    """Edit one intent's phrases; preview or publish the change."""
    if intent not in TAXONOMY_IDS:
        abort(404)
    current, number = _live()
    rule_set = current.rule_set()
    live_text = rule_set[intent]
    further = rule_content.further_languages(current)
    fields = rule_content.rule_fields(live_text)
    for code in further:
        fields[code] = rule_content.language_file_fields(
            rule_set[f"{EXTRA_LANGUAGES_DIRECTORY}/{code}"], intent)
    report = outcome = None
    problem = ""
    note = ""
    if request.method == "POST":
        fields = {language: {name: _lines(f"{language}-{name}", fields[language][name])
                             for name in LANGUAGE_FIELDS}
                  for language in (*LANGUAGES, *further)}
        note = request.form.get("note", "").strip()[:500]
        edits = {intent: rule_content.edited_rule_text(
            live_text, {code: fields[code] for code in LANGUAGES})}
        if rule_content.rule_fields(edits[intent]) == rule_content.rule_fields(live_text):
            del edits[intent]  # phrases as they were: keep the file's own text and comments
        for code in further:
            key = f"{EXTRA_LANGUAGES_DIRECTORY}/{code}"
            edits[key] = rule_content.edited_language_file(rule_set[key], intent, fields[code])
            if rule_content.language_file_fields(edits[key], intent) == \
                    rule_content.language_file_fields(rule_set[key], intent):
                del edits[key]  # this intent's phrases are as they were: keep the file's text
        try:
            candidate = current.with_changes(rules=edits)
        except ContentError as error:
            problem = str(error)
        else:
            if request.form.get("action") == "publish":
                if not note:
                    problem = "Say in a note why you change this: it stays with the version."
                else:
                    outcome = _publish(candidate, note)
                    report = outcome.report
                    if outcome.unchanged:
                        problem = "Nothing changed: this is what is live."
                    elif outcome.version is not None:
                        return redirect(url_for("console_changes.edit_rules", intent=intent))
            else:
                report = gate.check(candidate, current, current_app.config)
    return render_template(
        "console/rules.html", intent=intent, intents=TAXONOMY_IDS, fields=fields,
        field_labels=FIELD_LABELS,
        languages={**RULE_LANGUAGES, **{code: ENGLISH_NAMES.get(code, code) for code in further}},
        text_languages=text_languages(), report=report,
        refused=outcome is not None and outcome.version is None and not outcome.unchanged,
        problem=problem, note=note, live_number=number, active_page="console",
        changed_intents=sorted(current.rules),
    ), 400 if problem else 200


@blueprint.route("/console/texts/<language>", methods=["GET", "POST"])
@staff_required
def edit_texts(language: str):
    """Edit the reply texts of one language; preview or publish the change."""
    if language not in replies.LANGUAGES:
        abort(404)
    current, number = _live()
    texts = current.reply_texts()[language]
    report = outcome = None
    problem = ""
    note = ""
    if request.method == "POST":
        texts = {key: request.form.get(f"text-{key}", texts[key])[:2000].replace("\r\n", "\n")
                 for key in texts}
        note = request.form.get("note", "").strip()[:500]
        try:
            candidate = current.with_changes(texts={language: texts})
        except ContentError as error:
            problem = str(error)
        else:
            if request.form.get("action") == "publish":
                if not note:
                    problem = "Say in a note why you change this: it stays with the version."
                else:
                    outcome = _publish(candidate, note)
                    report = outcome.report
                    if outcome.unchanged:
                        problem = "Nothing changed: this is what is live."
                    elif outcome.version is not None:
                        return redirect(url_for("console_changes.edit_texts",
                                                language=language))
            else:
                report = gate.check(candidate, current, current_app.config)
    return render_template(
        "console/texts.html", language=language, text_languages=text_languages(), texts=texts,
        shipped=replies.TEXTS[language], changed_keys=sorted(current.replies.get(language, {})),
        report=report,
        refused=outcome is not None and outcome.version is None and not outcome.unchanged,
        problem=problem, note=note, live_number=number, active_page="console",
    ), 400 if problem else 200


@blueprint.get("/console/versions")
@staff_required
def version_list():
    """List every published version, newest first, with its diff and a restore button."""
    session = get_session()
    return render_template("console/versions.html",
                           versions=published_versions.history(session),
                           live_number=published_versions.live_number(session),
                           text_languages=text_languages(), active_page="console")


@blueprint.post("/console/versions/<int:number>/restore")
@staff_required
def restore_version(number: int):
    """Publish an old version's content again (through the gate) as the next version."""
    session = get_session()
    try:
        outcome = versions.restore(session, number, author=current_user.email,
                                   user_id=current_user.id,
                                   note=request.form.get("note", "").strip()[:500],
                                   source="console", config=current_app.config)
    except LookupError:
        abort(404)
    if outcome.version is None:
        session.rollback()
        return render_template("console/versions.html",
                               versions=published_versions.history(session),
                               live_number=published_versions.live_number(session),
                               report=outcome.report, refused_number=number,
                               text_languages=text_languages(), active_page="console"), 409
    session.commit()
    live.refresh(current_app, force=True)
    flash(f"Version {number} restored as version {outcome.version.number}.", "success")
    return redirect(url_for("console_changes.version_list"))

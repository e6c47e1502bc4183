"""The console's changes pages: edit an intent or the reply texts, preview, publish, restore.

The gate reads a small locked file of the test's own (never tests/data/corpus/locked.tsv).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversations.transcripts import load_transcripts
from bot.publishing import content as rule_content
from intents import classify
from intents.published import shipped_rule_texts
from resources_db import published_versions
from resources_db.models import AuditEntry, PublishedVersion

LOCKED_ROWS = [
    ("I want to kill myself", "self_harm"),
    ("quiero morirme", "self_harm"),
    ("suicide", "self_harm"),
    ("EXIT", "exit"),
    ("he says he will kill me tonight", "emergency"),
]


@pytest.fixture
def app_config(app_config, tmp_path):
    locked = tmp_path / "locked.tsv"
    locked.write_text("text\tlabels\n" + "".join(f"{t}\t{label}\n" for t, label in LOCKED_ROWS),
                      encoding="utf-8")
    return {**app_config, "LOCKED_SET_PATH": str(locked), "PUBLISHED_CHECK_SECONDS": 0}


def _form(intent: str, change=None, **extra) -> dict:
    fields = rule_content.rule_fields(shipped_rule_texts()[intent])
    if change:
        change(fields)
    form = {f"{language}-{name}": "\n".join(values)
            for language, block in fields.items() for name, values in block.items()}
    return {**form, **extra}


def _add_zebra(fields):
    fields["en"]["keywords"].append("zebra crossing")


def _gut_self_harm(fields):
    for language in fields:
        fields[language]["keywords"] = [f"zzq{language}"]
        fields[language]["examples"] = [f"zzq{language} zzq"]


def test_the_editor_shows_each_language_field_of_the_live_rules(client, sign_in):
    sign_in("advocate")
    page = client.get("/console/rules/self_harm").get_data(as_text=True)
    assert 'name="en-keywords"' in page and 'name="es-negatives"' in page
    assert "kill myself" in page and "quiero morir" in page
    assert client.get("/console/rules/nonsense").status_code == 404


def test_anonymous_people_cannot_reach_the_changes(client):
    response = client.get("/console/rules/shelter")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/console/versions/0/restore").status_code == 302


def test_preview_reads_both_sets_and_runs_the_transcripts(client, sign_in, db_session):
    sign_in("advocate")
    page = client.post("/console/rules/shelter",
                       data=_form("shelter", _add_zebra, action="preview")).get_data(True)
    assert "Preview of the change" in page
    assert "The safety gate passes" in page
    assert "How the change reads the development set" in page
    assert "How the change reads the locked test set" in page
    count = len(load_transcripts())
    assert "Transcripts with the change" in page and f"{count} of {count} passed" in page
    assert published_versions.live_number(db_session) == 0


def test_a_publish_that_breaks_self_harm_is_refused_naming_the_messages(client, sign_in,
                                                                         db_session):
    sign_in("advocate")
    response = client.post("/console/rules/self_harm", data=_form(
        "self_harm", _gut_self_harm, action="publish", note="shorter lists"))
    page = response.get_data(as_text=True)
    assert "Refused: nothing was published" in page
    broken = page.split('class="refusal"')[1].split('class="guarded-recall"')[0]
    assert 'class="safety-break" data-intent="self_harm"' in broken
    assert "recall on the locked set" in broken
    assert "<q>I want to kill myself</q>" in broken and "<q>quiero morirme</q>" in broken
    assert published_versions.live_number(db_session) == 0


def test_publish_needs_a_note(client, sign_in):
    sign_in("advocate")
    response = client.post("/console/rules/shelter",
                           data=_form("shelter", _add_zebra, action="publish"))
    assert response.status_code == 400
    assert "Say in a note why" in response.get_data(as_text=True)


def test_publish_then_restore_through_the_console(client, sign_in, db_session):
    email = sign_in("advocate")
    response = client.post("/console/rules/shelter", data=_form(
        "shelter", _add_zebra, action="publish", note="zebra means shelter"))
    assert response.status_code == 302
    version = db_session.scalars(select(PublishedVersion)).one()
    assert (version.number, version.author, version.source) == (1, email, "console")
    assert classify("zebra crossing").intent == "shelter"  # this worker, at once

    versions_page = client.get("/console/versions").get_data(as_text=True)
    assert "zebra means shelter" in versions_page and "+  - zebra crossing" in versions_page
    restored = client.post("/console/versions/0/restore")
    assert restored.status_code == 302
    assert published_versions.live_number(db_session) == 2
    assert not db_session.get(PublishedVersion, 2).rules
    assert classify("zebra crossing").intent != "shelter"
    actions = [entry.action for entry in db_session.scalars(
        select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["publish", "restore"]


def test_reply_texts_publish_through_the_gate_and_sms_rules(client, sign_in, db_session):
    sign_in("advocate")
    refused = client.post("/console/texts/en", data={
        "text-exit_tip": "Abuse shelter help. Send EXIT any time to clear this chat.",
        "action": "publish", "note": "say what we are"}).get_data(as_text=True)
    assert "Refused: nothing was published" in refused
    assert "a revealing word in the first 60 characters" in refused
    assert published_versions.live_number(db_session) == 0

    accepted = client.post("/console/texts/en", data={
        "text-thanks": "You're welcome, friend. Text any time; Harbor only answers. "
                       "Send EXIT to clear this chat.",
        "action": "publish", "note": "warmer"})
    assert accepted.status_code == 302, accepted.get_data(as_text=True)[-3000:]
    assert db_session.get(PublishedVersion, 1).replies == {"en": {"thanks": (
        "You're welcome, friend. Text any time; Harbor only answers. "
        "Send EXIT to clear this chat.")}}


def test_publishes_are_in_the_admin_audit_log(client, sign_in, db_session):
    sign_in("advocate", "ana@example.org")
    client.post("/console/rules/shelter", data=_form(
        "shelter", _add_zebra, action="publish", note="zebra means shelter"))
    sign_in("admin")
    page = client.get("/admin/audit?source=console").get_data(as_text=True)
    assert "version 1" in page and "ana@example.org" in page
    assert "zebra means shelter" in page and "zebra crossing" in page


def test_vietnamese_phrases_are_edited_in_their_own_file(client, sign_in, db_session):
    sign_in("advocate")
    page = client.get("/console/rules/shelter").get_data(as_text=True)
    assert 'name="vi-keywords"' in page
    form = _form("shelter", action="publish", note="one more Vietnamese word")
    vietnamese = rule_content.language_file_fields(
        shipped_rule_texts()["languages/vi"], "shelter")
    form["vi-keywords"] = "\n".join([*vietnamese["keywords"], "nhà ngựa vằn"])
    response = client.post("/console/rules/shelter", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    version = db_session.get(PublishedVersion, 1)
    assert list(version.rules) == ["languages/vi"]  # the English and Spanish file untouched
    assert "nhà ngựa vằn" in version.rules["languages/vi"]
    assert classify("nhà ngựa vằn").intent == "shelter"

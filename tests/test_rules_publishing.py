"""Publishing rules and reply texts: the CLI round trip, the safety gate, versions, restore.

The gate reads a locked set through intents.evaluation only; these tests give it a small
locked file of their own (never the team's tests/data/corpus/locked.tsv).
"""

from __future__ import annotations

import json

import pytest
import yaml
from sqlalchemy import select

from bot.publishing import gate, live
from bot.publishing.content import Content, ContentError, import_folder
from resources_db import published_versions
from resources_db.models import AuditEntry, PublishedVersion

LOCKED_ROWS = [
    ("I want to kill myself", "self_harm"),
    ("quiero morirme", "self_harm"),
    ("suicide", "self_harm"),
    ("he says he will kill me tonight", "emergency"),
    ("EXIT", "exit"),
    ("I need a safe place to sleep tonight", "shelter"),
]


@pytest.fixture
def locked_file(tmp_path):
    path = tmp_path / "locked.tsv"
    path.write_text("text\tlabels\n" + "".join(f"{text}\t{label}\n"
                                                for text, label in LOCKED_ROWS),
                    encoding="utf-8")
    return path


@pytest.fixture
def app_config(app_config, locked_file):
    return {**app_config, "LOCKED_SET_PATH": str(locked_file), "PUBLISHED_CHECK_SECONDS": 0}


def _edit(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


def _strip_self_harm(data):
    for language in ("en", "es"):
        data[language] = {"keywords": [f"zzq{language}"], "examples": [f"zzq{language} zzq"]}


def _add_shelter_keyword(data):
    data["en"]["keywords"].append("zebra crossing")


def _classify(runner, text):
    result = runner.invoke(args=["classify", text])
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{"):])


def test_export_writes_every_rule_file_and_the_reply_texts(runner, tmp_path):
    result = runner.invoke(args=["rules", "export", str(tmp_path / "rules")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rules" / "self_harm.yaml").read_text(encoding="utf-8").startswith("#")
    texts = yaml.safe_load((tmp_path / "rules" / "replies" / "es.yaml").read_text("utf-8"))
    assert "{hotline}" in texts["talk_to_someone"]


def test_an_unsafe_import_is_refused_naming_the_broken_messages(runner, db_session, tmp_path):
    folder = tmp_path / "rules"
    runner.invoke(args=["rules", "export", str(folder)])
    _edit(folder / "self_harm.yaml", _strip_self_harm)

    result = runner.invoke(args=["rules", "import", str(folder), "--publish",
                                 "--note", "fewer self-harm words"])

    assert result.exit_code == 1
    assert "refused by the safety gate" in result.output
    assert "self_harm recall on the locked set" in result.output
    assert "'I want to kill myself'" in result.output
    assert "'quiero morirme'" in result.output
    assert published_versions.live_number(db_session) == 0
    assert _classify(runner, "suicide")["intent"] == "self_harm"


def test_a_safe_import_is_published_and_classify_reflects_it(runner, db_session, tmp_path):
    folder = tmp_path / "rules"
    runner.invoke(args=["rules", "export", str(folder)])
    _edit(folder / "shelter.yaml", _add_shelter_keyword)
    assert _classify(runner, "zebra crossing")["intent"] != "shelter"

    checked = runner.invoke(args=["rules", "import", str(folder)])
    assert checked.exit_code == 0, checked.output
    assert "the safety gate passes" in checked.output
    assert published_versions.live_number(db_session) == 0  # a check publishes nothing

    result = runner.invoke(args=["rules", "import", str(folder), "--publish",
                                 "--note", "zebra", "--author", "ana@example.org"])
    assert result.exit_code == 0, result.output
    assert "published version 1" in result.output
    assert ", 0 failed" in result.output.split("transcripts: ")[1]
    assert _classify(runner, "zebra crossing")["intent"] == "shelter"

    version = db_session.scalars(select(PublishedVersion)).one()
    assert (version.author, version.note, version.source) == ("ana@example.org", "zebra", "cli")
    assert list(version.rules) == ["shelter"]  # only what differs from the shipped files
    assert "+    - zebra crossing" in version.diff or "+  - zebra crossing" in version.diff
    audit = db_session.scalars(select(AuditEntry)).one()
    assert (audit.action, audit.listing_id, audit.actor) == ("publish", "version 1",
                                                             "ana@example.org")

    restored = runner.invoke(args=["rules", "restore", "0"])
    assert restored.exit_code == 0, restored.output
    assert "published version 2" in restored.output
    assert _classify(runner, "zebra crossing")["intent"] != "shelter"
    versions = runner.invoke(args=["rules", "versions"])
    assert "restores 0" in versions.output and "zebra" in versions.output


def test_importing_what_is_live_publishes_nothing(runner, db_session, tmp_path):
    runner.invoke(args=["rules", "export", str(tmp_path / "rules")])
    result = runner.invoke(args=["rules", "import", str(tmp_path / "rules"), "--publish"])
    assert result.exit_code == 0
    assert "nothing changed" in result.output
    assert published_versions.live_number(db_session) == 0


def test_a_rule_file_that_does_not_compile_is_refused(runner, tmp_path):
    folder = tmp_path / "rules"
    runner.invoke(args=["rules", "export", str(folder)])
    (folder / "shelter.yaml").write_text("id: shelter\ngroup: nonsense\ndescription: x\n",
                                         encoding="utf-8")
    result = runner.invoke(args=["rules", "import", str(folder), "--publish"])
    assert result.exit_code == 1
    assert "the rules do not compile: shelter.yaml: group" in result.output


def test_reply_texts_must_keep_the_sms_rules_and_their_blanks(app, tmp_path):
    folder = tmp_path / "texts"
    (folder / "replies").mkdir(parents=True)
    (folder / "replies" / "en.yaml").write_text(
        "exit_tip: Abuse shelter info. Send EXIT any time to clear this chat.\n"
        "talk_to_someone: 'Call us \u2764 now: {hotline}.'\n", encoding="utf-8")
    content = import_folder(folder, Content())
    problems = {(p.key, p.problem.split(":")[0]) for p in gate.text_problems(content)}
    assert ("exit_tip", "a revealing word in the first 60 characters (the lock screen)") \
        in problems
    assert ("talk_to_someone", "characters outside GSM-7 that an SMS cannot carry") in problems

    (folder / "replies" / "en.yaml").write_text(
        "talk_to_someone: Call the line now.\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"keep the same blanks to fill \(\{hotline\}\)"):
        import_folder(folder, Content())
    long_text = "Call us, any hour. " * 30 + "{hotline}"
    (folder / "replies" / "en.yaml").write_text(
        yaml.safe_dump({"talk_to_someone": long_text}), encoding="utf-8")
    problems = gate.text_problems(import_folder(folder, Content()))
    assert [p.problem for p in problems] == ["4 SMS segments with its blanks filled (at most 3)"]


def test_a_reply_text_that_breaks_a_transcript_is_refused(app, db_session):
    # Transcript 01 expects the welcome to ask "Is it safe for you to text now?".
    candidate = Content().with_changes(texts={"en": {"welcome": "Hi. How can I help?"}})
    report = gate.check(candidate, Content(), app.config)
    assert not report.passed
    assert report.failed_transcripts
    assert any(line.startswith("transcript ") for line in report.refusal())


def test_every_worker_request_picks_up_a_new_version(app, client, db_session, tmp_path):
    candidate = Content().with_changes(
        texts={"en": {"thanks": "You're welcome, friend. Text any time; Harbor only answers. "
                              "Send EXIT to clear this chat."}})
    from bot.publishing import versions

    outcome = versions.publish(db_session, candidate, author="ana@example.org", user_id=None,
                               note="warmer thanks", source="cli", config=app.config)
    assert outcome.version is not None, outcome.report.refusal()
    db_session.commit()
    first = client.post("/chat/api/messages", json={"token": None, "text": "hi"}).get_json()
    reply = client.post("/chat/api/messages", json={"token": first["token"], "text": "thanks"})
    assert "You're welcome, friend." in " ".join(reply.get_json()["replies"])
    assert live.applied_number() == 1


def test_two_publishes_at_once_never_overwrite_a_version(app, db_session, monkeypatch):
    from bot.publishing import versions

    first = Content().with_changes(rules={"shelter": _zebra_text()})
    # The second publish was checked against version 0 while the first one went in.
    monkeypatch.setattr(published_versions, "live_number", lambda session: 0)
    assert versions.publish(db_session, first, author="a", user_id=None, note="one",
                            source="cli", config=app.config).version.number == 1
    db_session.commit()
    second = Content().with_changes(texts={"en": {"greeting_again": "Hi again. Good to see you."}})
    outcome = versions.publish(db_session, second, author="b", user_id=None, note="two",
                               source="cli", config=app.config)
    assert outcome.version is None
    assert "another version was published" in outcome.report.refusal()[0]
    assert [v.note for v in db_session.scalars(select(PublishedVersion))] == ["one"]


def _zebra_text() -> str:
    from intents.published import shipped_rule_texts

    data = yaml.safe_load(shipped_rule_texts()["shelter"])
    _add_shelter_keyword(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_a_rule_file_taken_out_of_the_folder_is_refused(runner, db_session, tmp_path):
    folder = tmp_path / "rules"
    runner.invoke(args=["rules", "export", str(folder)])
    (folder / "self_harm.yaml").unlink()
    result = runner.invoke(args=["rules", "import", str(folder), "--publish"])
    assert result.exit_code == 1
    assert "self_harm.yaml: missing rule file" in result.output
    assert published_versions.live_number(db_session) == 0


def test_a_folder_of_reply_texts_alone_changes_only_texts(app, tmp_path):
    folder = tmp_path / "texts"
    (folder / "replies").mkdir(parents=True)
    (folder / "replies" / "en.yaml").write_text("greeting_again: Hi again. Good to see you.\n",
                                               encoding="utf-8")
    content = import_folder(folder, Content())
    assert content.rules == {}
    assert content.replies == {"en": {"greeting_again": "Hi again. Good to see you."}}


def test_the_shipped_files_given_as_texts_read_exactly_as_the_files():
    from intents import classify
    from intents.evaluation import DEV_SET, read_evaluation_file
    from intents.published import compile_rule_texts, shipped_rule_texts, trying

    rows = read_evaluation_file(DEV_SET)
    from_files = [classify(row.text).to_dict() for row in rows]
    with trying(compile_rule_texts(shipped_rule_texts())):
        from_texts = [classify(row.text).to_dict() for row in rows]
    assert from_texts == from_files

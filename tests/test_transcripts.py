"""The golden transcripts of tests/conversations, run through the real engine, store and
search on the demo listings; plus what the set as a whole must cover, and the SMS rules
checked on every reply of every transcript.
"""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import delete

from bot.conversations.transcripts import (
    TranscriptError,
    load_transcripts,
    parse_transcript,
    run_transcript,
)
from bot.texts import replies
from bot.texts.sms_text import is_gsm7, segment_info
from intents import TAXONOMY_IDS
from resources_db.database import make_engine, make_session_factory
from resources_db.demo import load_demo_listings
from resources_db.models import Base

TRANSCRIPTS = load_transcripts()
CONFIG = {"HASH_KEY": "transcript-hash-key", "SESSION_TTL_MINUTES": 30,
          "EXIT_REPLY": "OK. This chat is cleared."}


@pytest.fixture(scope="module")
def listings_sessions(database_url):
    """Sessions on the test database with the demo listings loaded once for the module."""
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        load_demo_listings(session)
        session.commit()
    yield sessions
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    engine.dispose()


@pytest.fixture(scope="module")
def results(listings_sessions):
    """Every transcript run once; the tests below read these results."""
    outcomes = {}
    with listings_sessions() as session:
        for transcript in TRANSCRIPTS:
            outcomes[transcript.name] = run_transcript(transcript, session, CONFIG)
        session.commit()
    return outcomes


@pytest.mark.parametrize("name", [t.name for t in TRANSCRIPTS])
def test_transcript(results, name):
    result = results[name]
    assert result.passed, result.first_difference


def test_every_sms_reply_is_gsm7_in_three_segments_and_neutral_on_the_lock_screen(results):
    checked = 0
    for transcript in TRANSCRIPTS:
        if transcript.channel != "sms":
            continue
        for record in results[transcript.name].turns:
            for reply in record.replies:
                # Only Vietnamese may keep its marks (UCS-2), and only within 3 segments.
                assert is_gsm7(reply) or record.language == "vi", (transcript.name, reply)
                assert segment_info(reply).segments <= 3, (transcript.name, reply)
                assert replies.reveals_on_lock_screen(reply) == [], (transcript.name, reply)
                checked += 1
    assert checked > 80


def test_runs_leave_no_conversation_behind(results, listings_sessions):
    from sqlalchemy import func, select

    from bot.conversations.store import current_store
    from resources_db.models import ConversationState, ProcessedMessage, UsageCount

    # Outside an app, run_turn keeps conversations in one in-process store: empty again.
    assert current_store().kind == "memory"
    assert current_store().counts().states == 0
    assert current_store().counts().messages == 0
    with listings_sessions() as session:
        for model in (ConversationState, ProcessedMessage, UsageCount):
            assert session.scalar(select(func.count()).select_from(model)) == 0


# -- what the set covers -------------------------------------------------------------------

def test_there_are_at_least_forty():
    assert len(TRANSCRIPTS) >= 40


def test_every_intent_is_expected_somewhere():
    expected = {turn.intent for t in TRANSCRIPTS for turn in t.turns if turn.intent}
    assert set(TAXONOMY_IDS) - expected == set()


def test_both_channels_and_both_languages():
    pairs = {(t.channel, turn.language) for t in TRANSCRIPTS for turn in t.turns
             if turn.language}
    assert {("sms", "en"), ("sms", "es"), ("chat", "en"), ("chat", "es")} <= pairs


def _intents(transcript):
    return [turn.intent for turn in transcript.turns]


def test_danger_mid_flow():
    assert any("emergency" in _intents(t)[1:] for t in TRANSCRIPTS)


def test_exit_mid_flow():
    assert any("exit" in _intents(t)[2:] for t in TRANSCRIPTS)


def test_a_retry():
    assert any(turn.retry for t in TRANSCRIPTS for turn in t.turns)


def test_a_person_who_changes_need_and_place(results):
    for result in results.values():
        needs = [r.intent for r in result.turns if r.step == "results"]
        if len(set(needs) - {"unknown", "location", "more"}) >= 2 and any(
                r.intent in ("unknown", "location") and r.step == "results"
                for r in result.turns[1:]):
            return
    pytest.fail("no transcript changes both need and place")


# -- the format ------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "problem"), [
    ({"turns": [{"send": "hi"}]}, "name is required"),
    ({"name": "x", "channel": "fax", "turns": [{"send": "hi"}]}, "channel"),
    ({"name": "x", "turns": []}, "turns must be"),
    ({"name": "x", "turns": [{"retry": True}]}, "a retry repeats"),
    ({"name": "x", "channel": "chat", "turns": [{"send": "a"}, {"retry": True}]}, "SMS"),
    ({"name": "x", "turns": [{"send": "hi", "expectt": "typo"}]}, "unknown keys"),
    ({"name": "x", "turns": [{"send": "hi", "step": "nowhere"}]}, "unknown step"),
    ({"name": "x", "now": "2026-01-01T10:00", "turns": [{"send": "hi"}]}, "UTC offset"),
])
def test_malformed_transcripts_are_refused_with_the_reason(data, problem):
    with pytest.raises(TranscriptError, match=problem):
        parse_transcript(data, "bad.yaml")


def test_a_failing_transcript_names_its_first_difference(listings_sessions):
    transcript = parse_transcript(yaml.safe_load("""
        name: wrong-on-purpose
        channel: sms
        turns:
          - send: hi
            step: welcome
          - send: "1"
            expect: ["this text is not in the reply"]
          - send: never reached
    """))
    with listings_sessions() as session:
        result = run_transcript(transcript, session, CONFIG)
        session.rollback()
    assert not result.passed
    assert result.first_difference.startswith("turn 2 ('1'): the reply should contain")
    assert len(result.turns) == 2


def test_harbor_test_flows_runs_them(runner):
    result = runner.invoke(args=["test-flows", "--name", "exit-mid-flow", "--name",
                                 "retry-same-message"])
    assert result.exit_code == 0, result.output
    assert "PASS exit-mid-flow (sms)" in result.output
    assert "2 passed, 0 failed" in result.output


def test_harbor_test_flows_fails_on_a_difference(runner, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "name: bad\nturns:\n  - send: hi\n    step: results\n")
    result = runner.invoke(args=["test-flows", "--directory", str(tmp_path)])
    assert result.exit_code == 1
    assert "FAIL bad (sms)" in result.output and "expected step results" in result.output

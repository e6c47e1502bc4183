"""`harbor insights seed-demo`: real conversations, back-dated, erased, and only counts left."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.cli.commands.insights import NEED_PHRASES, conversation_script
from intents import classify
from resources_db.demo import load_demo_listings
from resources_db.models import ConversationState, ProcessedMessage, UsageCount
from resources_db.usage_counts import week_of


@pytest.fixture
def listings(db_session):
    load_demo_listings(db_session)
    db_session.commit()


def test_seed_demo_leaves_counts_spread_over_the_weeks_and_nothing_else(runner, db_session,
                                                                        listings):
    result = runner.invoke(args=["insights", "seed-demo", "--weeks", "3", "--per-week", "6"])
    assert result.exit_code == 0, result.output
    assert "left behind: 0 conversation states, 0 retry-cache rows" in result.output

    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(ConversationState)) == 0
    # Message keys of erased conversations stay until they expire, linked to nothing.
    linked = select(func.count()).select_from(ProcessedMessage).where(
        ProcessedMessage.conversation_key != "")
    assert db_session.scalar(linked) == 0
    rows = list(db_session.scalars(select(UsageCount)))
    this_week = week_of(datetime.now(UTC))
    assert {row.week for row in rows} == {this_week - timedelta(weeks=n) for n in range(3)}
    assert {row.channel for row in rows} == {"sms", "chat"}
    assert {row.search for row in rows} >= {"local", "not_local"}
    assert "exit" in {row.intent for row in rows}
    messages = int(result.output.split(" messages")[0].split(", ")[-1])
    assert sum(row.count for row in rows) == messages


def test_seed_demo_refuses_a_production_app(app, runner):
    app.config["HARBOR_ENV"] = "production"
    result = runner.invoke(args=["insights", "seed-demo", "--weeks", "1"])
    assert result.exit_code != 0
    assert "never runs in production" in result.output


def test_the_same_seed_gives_the_same_conversations():
    first = [conversation_script(random.Random(8)) for _ in range(3)]
    again = [conversation_script(random.Random(8)) for _ in range(3)]
    assert first == again


@pytest.mark.parametrize("seed", range(40))
def test_every_made_up_conversation_ends_with_exit_and_only_there(seed):
    language, messages = conversation_script(random.Random(seed))
    assert language in ("en", "es")
    assert classify(messages[-1]).intent == "exit"
    assert all(classify(text).intent != "exit" for text in messages[:-1])


@pytest.mark.parametrize(
    ("need", "phrase"),
    [(need, phrase) for need, (english, spanish) in NEED_PHRASES.items()
     for phrase in english + spanish],
)
def test_each_need_phrase_is_understood_as_that_need(need, phrase):
    assert classify(phrase).intent == need

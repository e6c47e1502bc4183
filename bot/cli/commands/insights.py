"""`harbor insights seed-demo`: fill /admin/insights with counts from real conversations.

Nothing is written to the counters directly. Made-up people hold whole conversations
through `bot.conversations.service.run_turn` on the sms and chat namespaces, exactly as
the webhook and the chat API run them (classifier, engine, listings search, retry cache,
counting), each back-dated into one of the last N weeks, and each ends with EXIT or
SALIR. So the counts are the ones real traffic would leave, and afterwards the command
checks that nothing else is left: no conversation state, no retry-cache row.

The people, needs and places are drawn from a seeded random generator: the same seed
gives the same counts. Places mix the four demo regions (local listings after
`harbor demo load`) with towns that have none, so the unmet-needs table has something
to show. It refuses to run with HARBOR_ENV=production: demo counts would mix with real ones.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.conversations.service import commit_turn, run_turn
from bot.conversations.store import current_store
from bot.database import get_database
from bot.texts.replies import MENU_NEEDS
from resources_db.models import UsageCount
from resources_db.usage_counts import week_of

# How people name a need, in English and Spanish (phrases the classifier recognizes).
NEED_PHRASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "shelter": (("I need a safe place to stay tonight", "need somewhere safe to sleep"),
                ("necesito un lugar seguro para dormir",)),
    "legal": (("I need a lawyer for custody", "how do I get a protective order"),
              ("necesito un abogado",)),
    "housing": (("help paying rent", "I'm getting evicted"), ("ayuda con la renta",)),
    "counseling": (("I need a therapist", "I need counseling"), ("necesito consejería",)),
    "children": (("daycare for my kids", "school help for my son"),
                 ("ayuda para mis hijos",)),
    "child_protection": (("CPS took my kids", "a caseworker came to my house"),
                         ("CPS se llevó a mis hijos",)),
    "immigration": (("I need help with my immigration status",),
                    ("ayuda con inmigración",)),
    "economic": (("I need money for food",), ("necesito dinero para comida",)),
    "health": (("I need a doctor",), ("necesito un doctor",)),
    "substance_use": (("I need help to stop drinking",), ("necesito dejar de tomar",)),
    "parenting": (("parenting classes",), ("clases para padres",)),
    "talk_to_someone": (("I want to talk to someone",), ("quiero hablar con alguien",)),
}
NEED_WEIGHTS = {"shelter": 20, "legal": 15, "housing": 10, "counseling": 9, "children": 7,
                "child_protection": 8, "immigration": 8, "economic": 8, "health": 4,
                "substance_use": 3, "parenting": 3, "talk_to_someone": 8}
# (what the person types, weight): demo regions with local listings, then towns without.
PLACES = (
    ("52402", 12), ("Cedar Rapids IA", 5), ("52404", 6), ("52240", 4),
    ("40202", 10), ("Louisville KY", 4), ("40214", 4),
    ("32207", 8), ("Jacksonville FL", 3),
    ("63110", 8), ("St. Louis MO", 3),
    ("51101", 4), ("Sioux City, Iowa", 2), ("41501", 3), ("64801", 3), ("32301", 3),
    ("50309", 4), ("65801", 2),
)
# Conversations that ask something but never search.
QUESTION_FLOWS = (
    (("hi", "is this abuse?"), ("hola", "¿esto es abuso?")),
    (("will anyone find out I texted?",), ("¿alguien va a saber que escribí?",)),
)
SPANISH_SHARE = 0.25
SMS_SHARE = 0.6
QUESTION_SHARE = 0.12


@dataclass(frozen=True)
class SeedReport:
    """What a seeding run did and what it left behind."""

    conversations: int
    messages: int
    counted: int  # how much the counters grew
    states_left: int  # conversation_state rows of any conversation (must be 0 when alone)
    retry_rows_left: int


def _weighted(rng: random.Random, weights: Mapping[str, int] | tuple) -> str:
    items = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
    return rng.choices([item for item, _ in items], [weight for _, weight in items])[0]


def conversation_script(rng: random.Random) -> tuple[str, list[str]]:
    """Return (language, messages) of one made-up conversation, ending with exit."""
    spanish = rng.random() < SPANISH_SHARE
    language = "es" if spanish else "en"
    farewell = "salir" if spanish else rng.choice(("exit", "EXIT", "clear"))
    if rng.random() < QUESTION_SHARE:
        flow = rng.choice(QUESTION_FLOWS)[1 if spanish else 0]
        return language, [*flow, farewell]
    need = _weighted(rng, NEED_WEIGHTS)
    phrase = rng.choice(NEED_PHRASES[need][1 if spanish else 0])
    place = _weighted(rng, PLACES)
    shape = rng.random()
    if shape < 0.15 and need in MENU_NEEDS:
        # Picks the need from the menu by its number, as many SMS users do.
        messages = ["menú" if spanish else "menu", str(MENU_NEEDS.index(need) + 1), place]
    elif shape < 0.3 and not spanish:
        messages = [f"{phrase} in {place}"]
    else:
        greeting = ["hola" if spanish else "hi"] if shape > 0.7 else []
        messages = [*greeting, phrase, place]
    if rng.random() < 0.2:
        messages.append("más" if spanish else "more")
    return language, [*messages, farewell]


def _moment_in_week(rng: random.Random, monday, latest: datetime) -> datetime:
    start = datetime.combine(monday, time(0, 0), tzinfo=UTC)
    moment = start + timedelta(seconds=rng.randrange(7 * 24 * 3600))
    return min(moment, latest)


def seed_demo_usage(
    sessions: Callable[[], Session],
    config: Mapping,
    *,
    weeks: int,
    per_week: int,
    rng: random.Random,
    now: datetime,
) -> SeedReport:
    """Run made-up sms and chat conversations spread over the last `weeks` weeks."""
    this_week = week_of(now)
    conversations = messages = 0
    with sessions() as session:
        counted_before = session.scalar(select(func.coalesce(func.sum(UsageCount.count), 0)))
    for weeks_ago in range(weeks - 1, -1, -1):
        monday = this_week - timedelta(weeks=weeks_ago)
        # Demand that drifts from week to week, a little higher lately.
        volume = round(per_week * rng.uniform(0.75, 1.15) * (1 + 0.3 * (weeks - weeks_ago) / weeks))
        for _ in range(volume):
            channel = "sms" if rng.random() < SMS_SHARE else "chat"
            # Key material as the real channels have it: a number (555: fictional) or a
            # chat token. Only its HMAC is ever stored, and exit erases that.
            key_material = (f"+1319555{rng.randrange(10_000):04d}" if channel == "sms"
                            else secrets.token_urlsafe(32))
            _, script = conversation_script(rng)
            moment = _moment_in_week(rng, monday, now)
            with sessions() as session:
                for text in script:
                    message_id = f"SM{secrets.token_hex(16)}" if channel == "sms" else None
                    result = run_turn(session, namespace=channel, key_material=key_material,
                                      channel=channel, text=text, config=config,
                                      message_id=message_id, now=moment)
                    commit_turn(session, result, text, channel, config)
                    moment = min(moment + timedelta(minutes=rng.randint(1, 6)), now)
                    messages += 1
            conversations += 1
    with sessions() as session:
        counted_after = session.scalar(select(func.coalesce(func.sum(UsageCount.count), 0)))
    left = current_store().counts()
    states_left, retry_left = left.states, left.messages
    return SeedReport(conversations=conversations, messages=messages,
                      counted=int(counted_after) - int(counted_before),
                      states_left=states_left, retry_rows_left=retry_left)


@click.group("insights")
def insights_group() -> None:
    """Anonymous counts for community partners (/admin/insights)."""


@insights_group.command("seed-demo")
@click.option("--weeks", default=12, show_default=True, type=click.IntRange(1, 52),
              help="How many weeks, up to this one, to spread the conversations over.")
@click.option("--per-week", default=40, show_default=True, type=click.IntRange(1, 1000),
              help="About how many conversations a week.")
@click.option("--seed", default=8, show_default=True, type=int,
              help="Random seed: the same seed gives the same conversations.")
@with_appcontext
def seed_demo_command(weeks: int, per_week: int, seed: int) -> None:
    """Run made-up SMS and chat conversations (each ending in exit) so the counts are real."""
    config = current_app.config
    if config.get("HARBOR_ENV") == "production":
        raise click.ClickException("seed-demo adds made-up counts; it never runs in production")
    report = seed_demo_usage(get_database().sessions, config, weeks=weeks, per_week=per_week,
                             rng=random.Random(seed),  # noqa: S311 - demo data, reproducible
                             now=datetime.now(UTC))
    click.echo(f"{report.conversations} conversations, {report.messages} messages over "
               f"{weeks} weeks; the counters grew by {report.counted}.")
    click.echo(f"left behind: {report.states_left} conversation states, "
               f"{report.retry_rows_left} retry-cache rows")
    if report.states_left or report.retry_rows_left:
        # Only possible when real conversations are open at the same time.
        click.echo("note: the rows left are not from this run if other conversations are open",
                   err=True)


COMMANDS = [insights_group]

"""Referrals that fit the person (issue 13), below the transcripts: the sub-need and age
words of a message, the categories column's sub-needs and `using_violence`, and how one
place is said (when a closed one opens, reported space, freshness, fit, Spanish hours and
the hotline's text line) within three SMS segments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.engine.results import _CHAT_DETAIL as CHAT
from bot.engine.results import freshness, render_hit, render_results
from bot.texts.sms_text import segment_info
from intents.sub_needs import ages_named, sub_need_of
from resources_db.listing_rules import validate_listing
from resources_db.search import SearchHit, SearchResults
from resources_db.vocabulary import CATEGORY_CODES, search_categories

NOW = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)  # Friday 15:00 in Cedar Rapids


@pytest.mark.parametrize(("text", "need", "sub_need"), [
    ("I need a lawyer for custody", "legal", "family"),
    ("necesito un abogado para el divorcio", "legal", "family"),
    ("how do I get a restraining order", "legal", "protective_order"),
    ("orden de protección", "legal", "protective_order"),
    ("help with my u visa", "legal", "immigration"),
    ("my landlord wants to evict me", "legal", "housing"),
    ("I was raped and need an exam", "health", "sexual_assault_exam"),
    ("estoy sangrando", "health", "injuries"),
    ("I need a clinic", "health", "clinic"),
    ("help my son with school", "children", "school"),
    ("terapia para mi hija", "children", "counseling"),
    ("daycare for my baby", "children", "child_care"),
    ("I need a lawyer", "legal", ""),  # nothing more said: the whole need
    ("custody and my eviction", "legal", ""),  # two parts: no guess
    ("custody", "shelter", ""),  # a need with no sub-needs
])
def test_the_sub_need_a_message_asks_for(text, need, sub_need):
    assert sub_need_of(text, need) == sub_need


@pytest.mark.parametrize(("text", "populations"), [
    ("shelter for my 15-year-old", ("teens",)),
    ("mi hija de 8 años", ("children",)),
    ("my 70 year old mother", ("elders",)),
    ("me and my 3 kids", ()),  # a count, not an age
    ("I am 30 years old", ()),
    ("im 16 and need a place to stay", ("teens",)),  # the writer's own age, said bare
    ("i'm 14 my dad hits me", ("teens",)),
    ("im 5 months pregnant", ()), ("im 20 minutes away", ()),
])
def test_ages_name_populations(text, populations):
    assert ages_named(text) == populations


def csv_fields(**changes: str) -> dict[str, str]:
    row = {"id": "fit-1", "name": "Fit Test", "categories": "legal", "phone": "319-555-0100",
           "zip": "52404"}
    row.update(changes)
    return row


@pytest.mark.parametrize("categories", [
    "legal/family", "legal/family;legal/protective_order", "health/sexual_assault_exam;advocacy",
    "using_violence", "children/school;children", "legal",
])
def test_the_categories_column_takes_sub_needs_and_using_violence(categories):
    validation = validate_listing(csv_fields(categories=categories))
    assert validation.ok, validation.errors
    assert ";".join(validation.record.categories) == categories  # exported as imported


def test_an_unknown_sub_need_is_refused_with_the_known_ones_listed():
    validation = validate_listing(csv_fields(categories="legal/traffic"))
    (error,) = validation.errors
    assert error.column == "categories" and "'legal/traffic'" in error.message
    assert "legal/family" in error.message


def test_a_sub_need_is_searched_under_its_need_once():
    assert search_categories(("legal/family", "legal/housing", "advocacy")) == (
        "legal", "advocacy")
    assert {"using_violence", "legal/immigration", "children/child_care"} <= set(
        CATEGORY_CODES)


def hit(**changes) -> SearchHit:
    defaults = {
        "listing_id": "x", "name": "Bluebird Haven Safe House", "organization": "",
        "phone": "319-555-0103", "sms": "", "website": "", "address": "",
        "city": "Cedar Rapids", "state": "IA", "zip": "52404", "distance_miles": 3.8,
        "open_now": True, "hours": "24/7", "confidential": True, "scope": "local",
        "languages": ("en",), "populations": ("pets",), "categories": ("shelter",),
        "verified_at": date(2026, 10, 30), "timezone": "America/Chicago",
    }
    return SearchHit(**{**defaults, **changes})


@pytest.mark.parametrize(("days", "english", "spanish"), [
    (0, "checked today", "revisado hoy"),
    (3, "checked 3 days ago", "revisado hace 3 días"),
    (7, "checked 1 week ago", "revisado hace 1 semana"),
    (21, "checked 3 weeks ago", "revisado hace 3 semanas"),
    (45, "checked 1 month ago", "revisado hace 1 mes"),
    (300, "checked 10 months ago", "revisado hace 10 meses"),
    (366, "not checked recently: call first", "sin revisar hace tiempo: llame antes"),
    (None, "not checked recently: call first", "sin revisar hace tiempo: llame antes"),
])
def test_freshness_in_words(days, english, spanish):
    today = NOW.date()
    verified = None if days is None else today - timedelta(days=days)
    assert freshness(verified, today, "en") == english
    assert freshness(verified, today, "es") == spanish


@pytest.mark.parametrize(("age", "shown"), [
    (timedelta(minutes=20), "Space: 2 beds free, reported 20 min ago"),
    (timedelta(hours=2, minutes=10), "Space: 2 beds free, reported 2 h ago"),
    (timedelta(hours=23, minutes=59), "Space: 2 beds free, reported 23 h ago"),
    (timedelta(hours=24, minutes=1), None),  # older than a day: not shown
])
def test_reported_space_is_shown_only_while_under_24_hours(age, shown):
    line = render_hit(hit(beds_available=2, beds_total=8, capacity_updated_at=NOW - age),
                      1, "en", CHAT, NOW)
    if shown:
        assert shown in line
        assert "Checked" not in line  # reported today stands for the freshness
    else:
        assert "reported" not in line and "Checked 3 weeks ago" in line


def test_a_full_shelter_says_so_in_both_languages():
    full = hit(beds_available=0, beds_total=8, capacity_updated_at=NOW - timedelta(hours=1))
    assert "No beds free, reported 1 h ago" in render_hit(full, 1, "en", CHAT, NOW)
    assert "Sin camas libres, informado hace 1 h" in render_hit(full, 1, "es", CHAT, NOW)


def test_a_closed_place_says_when_it_opens_with_the_persons_day_names():
    closed = hit(open_now=False, hours="Mon-Fri 09:00-17:00", next_opening=(3, 0, 540))
    assert "Closed now, opens Mon 09:00 (Mon-Fri 09:00-17:00)" in render_hit(
        closed, 1, "en", CHAT, NOW)
    assert "Cerrado ahora, abre el lun 09:00 (lun-vie 09:00-17:00)" in render_hit(
        closed, 1, "es", CHAT, NOW)
    tomorrow = hit(open_now=False, hours="Sat 10:00-14:00", next_opening=(1, 5, 600))
    assert "abre mañana 10:00" in render_hit(tomorrow, 1, "es", CHAT, NOW)


def test_the_hotline_text_line_and_24_7_are_said_in_spanish():
    line = render_hit(hit(name="National Domestic Violence Hotline", phone="1-800-799-7233",
                          sms="START to 88788", scope="national"), 1, "es", CHAT, NOW)
    assert "envíe START al 88788" in line and "Abierto 24/7" in line
    assert " to 88788" not in line and "text" not in line


def test_the_fit_is_said_in_words():
    line = render_hit(hit(fits=("pets", "children")), 1, "en", CHAT, NOW)
    assert "Takes pets, serves children" in line
    assert "Custodia y divorcio" in render_hit(hit(fits=("legal/family",)), 1, "es", CHAT, NOW)


@pytest.mark.parametrize("language", ["en", "es"])
def test_three_full_places_still_fit_three_sms_segments_with_the_stale_warning(language):
    places = tuple(hit(listing_id=str(n), name=f"Long Named Community Shelter Number {n}",
                       sms="START to 88788", fits=("pets", "children"),
                       verified_at=None if n == 1 else date(2026, 9, 1),
                       beds_available=3 if n == 2 else None, beds_total=9,
                       capacity_updated_at=NOW - timedelta(hours=2))
                   for n in (1, 2, 3))
    results = SearchResults(hits=places, local_total=3, radius_miles=25, total=6)
    text = render_results(results, header="Here is a safe place to stay near 52404 "
                          "(Cedar Rapids, IA). Reply MORE for more, MENU to start over.",
                          tail="Send EXIT any time to clear this chat.", language=language,
                          channel="sms", now=NOW)
    assert segment_info(text).segments <= 3
    warning = {"en": "Not checked recently: call first",
               "es": "Sin revisar hace tiempo: llame antes"}[language]
    assert warning in text

"""Checking a flow in the console: why each turn went as it did, the clock, the phone
preview, fresh or continued conversations, and transcripts saved, run one by one and
shown side by side when they fail.
"""

from __future__ import annotations

import pytest
import yaml

from bot.texts.sms_text import segment_info, split_segments
from resources_db.demo import load_demo_listings

JSON = {"Accept": "application/json"}


@pytest.fixture
def advocate(sign_in, db_session):
    load_demo_listings(db_session)
    db_session.commit()
    return sign_in("advocate")


def _turn(client, text, **fields):
    response = client.post("/console/turn", json={"channel": "sms", "text": text, **fields},
                           headers=JSON)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_turn_says_what_matched_and_what_the_engine_did(client, advocate):
    data = _turn(client, "i need a shelter for me and my kids in 52404", fresh="1")
    assert data["turn"]["intent"] == "shelter"
    assert data["turn"]["event"] and data["turn"]["action"]
    html = data["html"]
    assert "Why this reading" in html
    assert "keyword (en): shelter" in html
    assert "The rules alone chose <code>shelter</code>" in html
    assert "who: <strong>children</strong>" in html
    assert "Why these listings (shelter near 52404" in html


def test_each_listing_offered_says_why_it_was_chosen(client, advocate):
    data = _turn(client, "I need a safe place to stay tonight in 52404", fresh="1")
    searches = data["turn"]["searches"]
    assert searches and searches[0]["category"] == "shelter"
    listings = searches[0]["listings"]
    assert len(listings) == 3
    for listing in listings:
        reasons = " · ".join(listing["reasons"])
        assert "miles" in reasons or "national" in reasons or "state-wide" in reasons
        assert "verified" in reasons
        assert "speaks en:" in reasons
        assert "open now" in reasons or "closed now" in reasons or "hours unknown" in reasons


def test_the_clock_tries_2_am_on_a_sunday(client, advocate):
    data = _turn(client, "legal help in 52404", fresh="1", clock="2026-03-08T02:00",
                 zone="central")
    assert "at Sunday 2026-03-08 02:00 CST" in data["html"]
    reasons = [" · ".join(item["reasons"]) for found in data["turn"]["searches"]
               for item in found["listings"]]
    office_hours = [r for r in reasons if "Mon-Fri" in r]
    assert office_hours and all("closed now" in r for r in office_hours)
    bad = client.post("/console/turn", json={"channel": "sms", "text": "hi",
                                             "clock": "tomorrow"}, headers=JSON)
    assert bad.status_code == 400


def test_sms_replies_show_the_lock_screen_line_and_each_segment(client, advocate):
    data = _turn(client, "I need a safe place to stay tonight in 52404", fresh="1")
    html = data["html"]
    reply = data["turn"]["replies"][0]["text"]
    assert "Lock screen:" in html
    assert f"Segment 1 of {segment_info(reply).segments}" in html


def test_segments_split_as_they_are_counted():
    for text in ["short", "a" * 160, "a" * 161, "b" * 300 + "{}" * 20, "á" * 71, ""]:
        parts = split_segments(text)
        assert "".join(parts) == text
        assert len(parts) == segment_info(text).segments


def test_a_fresh_conversation_unless_the_advocate_continues(client, advocate):
    _turn(client, "hi", fresh="1")
    page = client.get("/console").get_data(as_text=True)
    assert "A fresh conversation" in page and "continue it instead" in page
    continuing = client.get("/console?continue=1").get_data(as_text=True)
    assert "Continuing your earlier conversation" in continuing
    assert 'name="fresh" id="console-fresh" value="0"' in continuing
    # The fresh page's first message starts over: nothing is carried from before.
    data = _turn(client, "yes", fresh="1")
    assert data["turn"]["state_before"] == {}
    kept = _turn(client, "1", fresh="0")
    assert kept["turn"]["state_before"] != {}


def test_save_the_conversation_as_a_transcript_and_run_it(client, advocate):
    turns = []
    for text in ("hi", "yes", "1", "52404"):
        turn = _turn(client, text, fresh="1" if not turns else "0")["turn"]
        turns.append({"send": text, "intent": turn["intent"],
                      "step": turn["state_after"].get("step", ""),
                      "language": turn["state_after"].get("language", ""),
                      "replies": len(turn["replies"])})
    saved = client.post("/console/transcripts/save", headers=JSON, json={
        "name": "My Shelter Flow", "channel": "sms", "turns": turns}).get_json()
    assert saved["filename"] == "my-shelter-flow.yaml"
    data = yaml.safe_load(saved["yaml"])
    assert [turn["send"] for turn in data["turns"]] == ["hi", "yes", "1", "52404"]

    run = client.post("/console/transcripts/run-text", headers=JSON,
                      data={"yaml": saved["yaml"], "action": "run"}).get_json()
    assert run["results"] == [{"name": "my-shelter-flow", "passed": True,
                               "first_difference": ""}]
    download = client.post("/console/transcripts/run-text",
                           data={"yaml": saved["yaml"], "action": "download"})
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="my-shelter-flow.yaml"')


def test_run_one_transcript_by_name(client, advocate):
    data = client.post("/console/transcripts", headers=JSON,
                       json={"name": "self-harm"}).get_json()
    assert [result["name"] for result in data["results"]] == ["self-harm"]
    assert client.post("/console/transcripts", headers=JSON,
                       json={"name": "nope"}).status_code == 400


def test_a_failing_transcript_is_shown_side_by_side(client, advocate):
    source = yaml.safe_dump({"name": "wrong-on-purpose", "channel": "sms", "turns": [
        {"send": "hi", "intent": "greeting"},
        {"send": "yes", "step": "results", "expect": ["Cedar Rapids"]}]})
    html = client.post("/console/transcripts/run-text",
                       data={"yaml": source, "action": "run"}).get_data(as_text=True)
    assert "0 of 1 passed" in html
    assert 'class="side-by-side"' in html
    assert "step <code>results</code>" in html  # expected
    assert "step <code>menu</code>" in html  # got
    assert 'class="turn-differs"' in html
    assert "\\n" not in html.split('class="side-by-side"')[1]  # real line breaks, no escapes

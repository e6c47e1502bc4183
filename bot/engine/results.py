"""Search results as a reply: three places in one SMS of at most three segments.

Each place says its name, phone, town and distance, whether it is open now (or its
hours), and whether it is confidential. A long answer is compacted step by step
(shorter names, hours only as open/closed, shorter towns) until the whole SMS,
header and tail included, fits in three GSM-7 segments. The web chat gets the fullest
form, with the text number and the website.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.texts import replies
from bot.texts.sms_text import segment_info, to_gsm7, with_plain_punctuation
from resources_db.search import SearchHit, SearchResults

MAX_SMS_SEGMENTS = 3


@dataclass(frozen=True)
class _Detail:
    """How much of each place one rendering shows."""

    name_length: int
    town_length: int
    hours_detail: bool  # "Closed now (Mon-Fri 09:00-17:00)" rather than "Closed now"
    text_number: bool
    website: bool
    beds: bool = True  # "3 beds free, reported 2 h ago" (the last SMS forms drop it)


_CHAT_DETAIL = _Detail(200, 200, True, True, True)
_SMS_DETAILS = (
    _Detail(60, 30, True, True, False),
    _Detail(44, 24, True, False, False),
    _Detail(36, 20, False, False, False),
    _Detail(36, 20, False, False, False, beds=False),
    _Detail(28, 16, False, False, False, beds=False),
    _Detail(22, 12, False, False, False, beds=False),
    _Detail(16, 10, False, False, False, beds=False),
)


def shorten(text: str, length: int) -> str:
    """Return `text` cut to at most `length` characters, at a word boundary if it can."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[:length].rstrip(" ,;:-")
    space = cut.rfind(" ")
    if space >= length // 2:
        cut = cut[:space].rstrip(" ,;:-")
    return cut


def _distance(miles: float) -> str:
    return f"{miles:.1f} mi" if miles < 10 else f"{miles:.0f} mi"


def _hours(hit: SearchHit, language: str, detail: _Detail) -> str:
    hours = (hit.hours or "").strip()
    if hours == "24/7":
        return replies.say(language, "result_open_24_7")
    if hit.open_now is True:
        return replies.say(language, "result_open_now")
    if hit.open_now is False:
        closed = replies.say(language, "result_closed_now")
        if detail.hours_detail and hours:
            return f"{closed} ({hours.replace(';', ', ')})"
        return closed
    if hours and detail.hours_detail:
        return hours.replace(";", ", ")
    return replies.say(language, "result_hours_unknown")


def _town(hit: SearchHit, language: str, detail: _Detail) -> str:
    if hit.scope == "national":
        return replies.say(language, "result_national")
    if hit.scope == "state":
        return replies.say(language, "result_statewide")
    town = shorten(hit.city, detail.town_length) if hit.city else ""
    if hit.distance_miles is not None:
        return f"{town} ({_distance(hit.distance_miles)})" if town else _distance(
            hit.distance_miles)
    return town


def _beds(available: int, minutes_ago: int, language: str) -> str:
    """Return "Space: 3 beds free, reported 2 h ago" (or "No beds free, ...")."""
    if minutes_ago < 60:
        age = replies.say(language, "result_beds_minutes", minutes=max(minutes_ago, 1))
    else:
        age = replies.say(language, "result_beds_hours", hours=minutes_ago // 60)
    if available == 0:
        return replies.say(language, "result_beds_none", age=age)
    key = "result_beds_one" if available == 1 else "result_beds"
    return replies.say(language, key, count=available, age=age)


def render_hit(hit: SearchHit, number: int, language: str, detail: _Detail) -> str:
    """Return one place as one line: number, name, phone, town, hours, confidentiality."""
    contact = hit.phone or hit.sms or hit.website
    if detail.text_number and hit.sms and hit.sms != hit.phone and hit.phone:
        contact += f", {replies.say(language, 'result_text')} {hit.sms}"
    parts = [f"{number}) {shorten(hit.name, detail.name_length)}, {contact}"]
    town = _town(hit, language, detail)
    if town:
        parts.append(town)
    parts.append(_hours(hit, language, detail))
    confidential = "result_confidential" if hit.confidential else "result_not_confidential"
    parts.append(replies.say(language, confidential))
    if detail.beds and hit.beds_available is not None and hit.beds_minutes_ago is not None:
        parts.append(_beds(hit.beds_available, hit.beds_minutes_ago, language))
    line = ". ".join(parts) + "."
    if detail.website and hit.website and contact != hit.website:
        line += f" {hit.website}"
    return line


# Languages whose words change meaning without their marks (Vietnamese "ma", "má", "mà",
# "mả", "mã", "mạ"): sent with the marks (UCS-2) whenever that fits in three segments.
MARKED_LANGUAGES = frozenset({"vi"})


def finish_sms(text: str, language: str) -> str:
    """Return `text` as sent by SMS: a neutral start on the lock screen; GSM-7, except a
    Vietnamese reply that keeps its marks in three segments (then UCS-2)."""
    safe = replies.lock_screen_safe(text, language)
    if language in MARKED_LANGUAGES:
        marked = with_plain_punctuation(safe)
        if segment_info(marked).segments <= MAX_SMS_SEGMENTS:
            return marked
    return to_gsm7(safe)


def fits_sms(text: str) -> bool:
    """Return True when `text` travels in at most three SMS segments."""
    return segment_info(text).segments <= MAX_SMS_SEGMENTS


def render_results(results: SearchResults, *, header: str, tail: str, language: str,
                   channel: str) -> str:
    """Return the header, the places of this page and the tail as one reply."""
    first_number = results.offset + 1

    def build(detail: _Detail) -> str:
        lines = [header]
        lines += [render_hit(hit, first_number + index, language, detail)
                  for index, hit in enumerate(results.hits)]
        if tail:
            lines.append(tail)
        return "\n".join(lines)

    if channel != "sms":
        return build(_CHAT_DETAIL)
    for detail in _SMS_DETAILS:
        text = finish_sms(build(detail), language)
        if fits_sms(text):
            return text
    return fit_sms(finish_sms(build(_SMS_DETAILS[-1]), language))


def fit_sms(text: str) -> str:
    """Return `text` cut, line by line, to three segments (a last resort, never expected)."""
    lines = text.split("\n")
    while len(lines) > 1 and not fits_sms("\n".join(lines)):
        lines.pop()
    text = "\n".join(lines)
    while not fits_sms(text):
        text = text[:-1]
    return text

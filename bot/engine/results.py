"""Search results as a reply: three places in one SMS of at most three segments.

Each place says its name, phone, town and distance, whether it is open now (or its
hours, or when a closed one opens next), whether it is confidential, how it fits the
person in words ("takes pets", "custody and divorce"), space a shelter reported in the
last 24 hours, else how fresh the listing is ("checked 3 weeks ago"; over a year, "not
checked recently: call first"). Everything is in the person's language, day names and
the hotline's text line included. A long answer is compacted step by step (shorter
names, hours only as open/closed, shorter towns, then the freshness) until the whole
SMS, header and tail included, fits in three GSM-7 segments. The web chat gets the
fullest form, with the text number and the website.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

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
    freshness: str = "all"  # "all", "stale" (only the call-first warning) or "none"
    fits: int = 9  # how many fit words ("takes pets", "serves teens") at most
    # Reported space with its count ("Space: 3 beds free, reported 2 h ago"); the
    # shortest SMS forms say only "Space reported 2 h ago".
    beds: bool = True


_CHAT_DETAIL = _Detail(200, 200, True, True, True)
# Compacted in this order; the warning on a stale listing ("not checked recently: call
# first") outlasts the reassurance on a fresh one and, last of all, the fit words.
_SMS_DETAILS = (
    _Detail(60, 30, True, True, False),
    _Detail(44, 24, True, False, False),
    _Detail(36, 20, False, False, False),
    _Detail(28, 16, False, False, False, beds=False),
    _Detail(36, 20, False, False, False, freshness="stale", beds=False),
    _Detail(28, 16, False, False, False, freshness="stale", beds=False),
    _Detail(22, 12, False, False, False, freshness="stale", beds=False),
    _Detail(16, 10, False, False, False, freshness="stale", beds=False),
    _Detail(14, 0, False, False, False, freshness="stale", beds=False),
    _Detail(14, 0, False, False, False, freshness="stale", fits=1, beds=False),
    _Detail(14, 0, False, False, False, freshness="stale", fits=0, beds=False),
    _Detail(14, 0, False, False, False, freshness="none", fits=0, beds=False),
)
# Reported space is shown only while it is this fresh.
CAPACITY_SHOWN_FOR = timedelta(hours=24)
# A listing checked longer ago than this says to call first.
STALE_AFTER_DAYS = 365
_KEYWORD_LINE = re.compile(r"^\s*([A-Za-z]+) to (\d{3,6})\s*$")
_ENGLISH_DAY = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b", re.IGNORECASE)
_DAY_INDEX = {name: index for index, name in
              enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}


def shorten(text: str, length: int) -> str:
    """Return `text` cut to at most `length` characters, at a word boundary if it can."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[:length]
    if text[length] != " ":
        # Cut inside a word: end at the word before, if that keeps half the length.
        space = cut.rfind(" ")
        if space >= length // 2:
            cut = cut[:space]
    return cut.rstrip(" ,;:-")


def _distance(miles: float) -> str:
    return f"{miles:.1f} mi" if miles < 10 else f"{miles:.0f} mi"


def hours_in(language: str, hours: str) -> str:
    """Return the CSV's hours text as the person reads it: their day names, commas."""
    def day(match: re.Match) -> str:
        return replies.day_name(language, _DAY_INDEX[match.group(1).lower()])

    return _ENGLISH_DAY.sub(day, hours).replace(";", ", ")


def _opens(hit: SearchHit, language: str) -> str:
    """Return when a closed place opens next ("opens tomorrow 09:00"), or ""."""
    if hit.next_opening is None:
        return ""
    days_ahead, weekday, minute = hit.next_opening
    clock = f"{minute // 60:02d}:{minute % 60:02d}"
    if days_ahead == 0:
        return replies.say(language, "result_opens_today", time=clock)
    if days_ahead == 1:
        return replies.say(language, "result_opens_tomorrow", time=clock)
    return replies.say(language, "result_opens_day", day=replies.day_name(language, weekday),
                       time=clock)


def _hours(hit: SearchHit, language: str, detail: _Detail) -> str:
    hours = (hit.hours or "").strip()
    if hours == "24/7":
        return replies.say(language, "result_open_24_7")
    if hit.open_now is True:
        return replies.say(language, "result_open_now")
    if hit.open_now is False:
        closed = replies.say(language, "result_closed_now")
        opens = _opens(hit, language)
        if opens and not detail.hours_detail:
            return opens  # "Opens tomorrow 09:00" says it is closed, in fewer characters
        if opens:
            closed = f"{closed}, {opens}"
        if detail.hours_detail and hours:
            return f"{closed} ({hours_in(language, hours)})"
        return closed
    if hours and detail.hours_detail:
        return hours_in(language, hours)
    return replies.say(language, "result_hours_unknown")


def is_stale(verified_at: date | None, today: date) -> bool:
    """Return True when a listing was never checked, or not in the last year."""
    return verified_at is None or (today - verified_at).days > STALE_AFTER_DAYS


def freshness(verified_at: date | None, today: date, language: str) -> str:
    """Return how fresh a listing is in words ("checked 3 weeks ago")."""
    if is_stale(verified_at, today):
        return replies.say(language, "result_not_checked")
    days = max(0, (today - verified_at).days)
    if days == 0:
        return replies.say(language, "result_checked_today")
    if days < 7:
        return replies.say(language, "result_checked_days", count=days)
    if days < 31:
        weeks = days // 7
        return replies.say(language, "result_checked_week" if weeks == 1
                           else "result_checked_weeks", count=weeks)
    months = min(12, days // 30)
    return replies.say(language, "result_checked_month" if months == 1
                       else "result_checked_months", count=months)


def _capacity(hit: SearchHit, now: datetime, language: str, detail: _Detail) -> str:
    """Return the space reported in the last 24 h ("Space: 3 beds free, reported 2 h ago";
    "Space reported 2 h ago" in the shortest SMS forms), or "".

    `beds_available` and `capacity_updated_at` are the freshest report a place has: its
    staff's Beds update or its HSDS 3.1 capacity (see resources_db.beds)."""
    updated = hit.capacity_updated_at
    if updated is None or hit.beds_available is None:
        return ""
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=UTC)
    age = now - updated
    if age > CAPACITY_SHOWN_FOR or age < -timedelta(minutes=5):
        return ""
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 60:
        said = replies.say(language, "result_beds_minutes", minutes=max(minutes, 1))
    else:
        said = replies.say(language, "result_beds_hours", hours=minutes // 60)
    available = hit.beds_available
    if not detail.beds:
        return replies.say(language, "result_space" if available > 0 else "result_full",
                           age=said)
    if available <= 0:
        return replies.say(language, "result_beds_none", age=said)
    key = "result_beds_one" if available == 1 else "result_beds"
    return replies.say(language, key, count=available, age=said)


def _contact(hit: SearchHit, language: str, detail: _Detail) -> str:
    contact = hit.phone or hit.sms or hit.website
    if detail.text_number and hit.sms and hit.sms != hit.phone and hit.phone:
        keyword = _KEYWORD_LINE.match(hit.sms)
        if keyword:
            contact += ", " + replies.say(language, "result_text_keyword",
                                          keyword=keyword.group(1), number=keyword.group(2))
        else:
            contact += f", {replies.say(language, 'result_text')} {hit.sms}"
    return contact


def _town(hit: SearchHit, language: str, detail: _Detail) -> str:
    if hit.scope == "national":
        return replies.say(language, "result_national")
    if hit.scope == "state":
        return replies.say(language, "result_statewide")
    town = shorten(hit.city, detail.town_length) if hit.city and detail.town_length else ""
    if hit.distance_miles is not None:
        return f"{town} ({_distance(hit.distance_miles)})" if town else _distance(
            hit.distance_miles)
    return town


def render_hit(hit: SearchHit, number: int, language: str, detail: _Detail,
               now: datetime | None = None) -> str:
    """Return one place as one line: number, name, phone, town, hours, confidentiality,
    how it fits the person, reported space and how fresh it is."""
    now = now or datetime.now(UTC)
    contact = _contact(hit, language, detail)
    parts = [f"{number}) {shorten(hit.name, detail.name_length)}, {contact}"]
    town = _town(hit, language, detail)
    if town:
        parts.append(town)
    parts.append(_hours(hit, language, detail))
    confidential = "result_confidential" if hit.confidential else "result_not_confidential"
    parts.append(replies.say(language, confidential))
    fits = [label for label in (replies.fit_label(language, code) for code in hit.fits)
            if label][:detail.fits]
    if fits:
        parts.append(", ".join(fits))
    space = _capacity(hit, now, language, detail)
    if space:
        parts.append(space)  # reported today: that is its freshness too
    elif detail.freshness == "all" or (detail.freshness == "stale" and is_stale(
            hit.verified_at, now.date())):
        parts.append(freshness(hit.verified_at, now.date(), language))
    line = ". ".join(part[:1].upper() + part[1:] for part in parts) + "."
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
                   channel: str, now: datetime | None = None) -> str:
    """Return the header, the places of this page and the tail as one reply."""
    first_number = results.offset + 1
    now = now or datetime.now(UTC)

    def build(detail: _Detail) -> str:
        lines = [header]
        lines += [render_hit(hit, first_number + index, language, detail, now)
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

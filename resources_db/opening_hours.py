"""Opening hours as the listings CSV writes them, and "is it open now?" in local time.

Grammar (DESIGN.md): `24/7`, or `;`-separated entries such as `Mon-Fri 09:00-17:00`.
An entry is days then one or more time ranges:

    Mon-Fri 09:00-17:00;Sat 10:00-14:00
    Mon,Wed,Fri 08:30-12:00,13:00-17:30
    Fri-Sat 18:00-02:00          (closing before opening runs past midnight)
    Sun 00:00-24:00              (the whole day)

Day names are the English three-letter abbreviations (any case); a range of days may wrap
(`Sat-Mon`). Times are 24-hour `HH:MM` in the listing's own local time. An empty string
means the hours are unknown, and `is_open_at` then answers None rather than guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {name.lower(): index for index, name in enumerate(DAY_NAMES)}
_RFC5545_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_MINUTES_PER_DAY = 24 * 60
_MINUTES_PER_WEEK = 7 * _MINUTES_PER_DAY
ALWAYS = "24/7"

_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


class HoursError(ValueError):
    """The hours text does not follow the grammar; the message says where and how."""


@dataclass(frozen=True)
class WeeklyOpening:
    """One opening: on `weekday` (0 = Monday) from `start` to `end`, in minutes after midnight.

    `end` may pass 1440 when the opening runs past midnight into the next day.
    """

    weekday: int
    start: int
    end: int


@dataclass(frozen=True)
class OpeningHours:
    """Parsed hours: always open, unknown (no text), or a list of weekly openings."""

    always_open: bool
    openings: tuple[WeeklyOpening, ...]

    @property
    def known(self) -> bool:
        return self.always_open or bool(self.openings)

    def is_open_at(self, local: datetime) -> bool | None:
        """Return whether open at this local wall-clock time; None when hours are unknown."""
        if self.always_open:
            return True
        if not self.openings:
            return None
        minute = local.weekday() * _MINUTES_PER_DAY + local.hour * 60 + local.minute
        for opening in self.openings:
            start = opening.weekday * _MINUTES_PER_DAY + opening.start
            end = opening.weekday * _MINUTES_PER_DAY + opening.end
            # Sunday night running into Monday morning wraps around the week.
            if start <= minute < end or start <= minute + _MINUTES_PER_WEEK < end:
                return True
        return False

    def schedules(self) -> list[tuple[str, time, time]]:
        """Return HSDS schedule rows (byday "MO,TU", opens_at, closes_at), one per opening.

        Openings that share times are grouped into one row; midnight closing is 00:00.
        """
        if self.always_open:
            return [(",".join(_RFC5545_DAYS), time(0, 0), time(0, 0))]
        grouped: dict[tuple[int, int], list[int]] = {}
        for opening in self.openings:
            grouped.setdefault((opening.start, opening.end), []).append(opening.weekday)
        rows = []
        for (start, end), days in grouped.items():
            byday = ",".join(_RFC5545_DAYS[day] for day in sorted(set(days)))
            rows.append((byday, _minutes_to_time(start), _minutes_to_time(end)))
        return rows


UNKNOWN = OpeningHours(always_open=False, openings=())


def _minutes_to_time(minutes: int) -> time:
    minutes %= _MINUTES_PER_DAY
    return time(minutes // 60, minutes % 60)


def _parse_time(text: str, entry: str) -> int:
    match = _TIME.match(text.strip())
    if not match:
        raise HoursError(f"'{text.strip()}' in '{entry}' is not a 24-hour time like 09:00")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes:
        raise HoursError(f"'{text.strip()}' in '{entry}' is past 24:00")
    return hours * 60 + minutes


def _parse_day(text: str, entry: str) -> int:
    index = _DAY_INDEX.get(text.strip().lower())
    if index is None:
        raise HoursError(
            f"'{text.strip()}' in '{entry}' is not a day (use {', '.join(DAY_NAMES)})"
        )
    return index


def _parse_days(text: str, entry: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            start, stop = _parse_day(first, entry), _parse_day(last, entry)
            span = (stop - start) % 7
            days.extend((start + offset) % 7 for offset in range(span + 1))
        else:
            days.append(_parse_day(part, entry))
    return days


def _parse_entry(entry: str) -> list[WeeklyOpening]:
    parts = entry.split(None, 1)
    if len(parts) != 2:
        raise HoursError(f"'{entry}' needs days and times, like 'Mon-Fri 09:00-17:00'")
    days_text, times_text = parts
    days = _parse_days(days_text, entry)
    openings = []
    for span in times_text.replace(" ", "").split(","):
        if span.count("-") != 1:
            raise HoursError(f"'{span}' in '{entry}' is not a time range like 09:00-17:00")
        first, last = span.split("-")
        start, end = _parse_time(first, entry), _parse_time(last, entry)
        if start == end:
            raise HoursError(f"'{span}' in '{entry}' opens and closes at the same time")
        if start >= _MINUTES_PER_DAY:
            raise HoursError(f"'{span}' in '{entry}' opens at 24:00; use 00:00 of the next day")
        if end < start:
            end += _MINUTES_PER_DAY  # past midnight
        openings.extend(WeeklyOpening(day, start, end) for day in days)
    return openings


@lru_cache(maxsize=4096)
def parse_hours(text: str) -> OpeningHours:
    """Parse the CSV `hours` text; raise HoursError with a readable reason when it is bad."""
    text = (text or "").strip()
    if not text:
        return UNKNOWN
    if text.lower() == ALWAYS:
        return OpeningHours(always_open=True, openings=())
    openings: list[WeeklyOpening] = []
    for entry in text.split(";"):
        entry = entry.strip()
        if not entry:
            raise HoursError("an empty entry between ';' separators")
        openings.extend(_parse_entry(entry))
    return OpeningHours(always_open=False, openings=tuple(openings))


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def is_open_now(hours: str, timezone: str, now: datetime) -> bool | None:
    """Return whether a listing is open at `now` (aware) in its own time zone.

    None when the hours are unknown, or when they are office hours and the listing's
    time zone is unknown (a national line with no address): better silent than wrong.
    """
    try:
        parsed = parse_hours(hours)
    except HoursError:
        return None
    if parsed.always_open:
        return True
    if not parsed.openings:
        return None
    zone = _zone(timezone) if timezone else None
    if zone is None:
        return None
    return parsed.is_open_at(now.astimezone(zone))


def next_opening(hours: str, timezone: str, now: datetime) -> tuple[int, int, int] | None:
    """Return when a closed listing opens next, in its own local time, or None.

    The answer is (days from today, weekday 0 = Monday, minute after midnight): 0 days
    means later today, 1 tomorrow. None when the hours or the time zone are unknown, or
    when the listing is open now.
    """
    try:
        parsed = parse_hours(hours)
    except HoursError:
        return None
    zone = _zone(timezone) if timezone else None
    if parsed.always_open or not parsed.openings or zone is None:
        return None
    local = now.astimezone(zone)
    if parsed.is_open_at(local):
        return None
    minute = local.weekday() * _MINUTES_PER_DAY + local.hour * 60 + local.minute
    # The next start of an opening after `minute`, going round the week once.
    waits = [((opening.weekday * _MINUTES_PER_DAY + opening.start) - minute)
             % _MINUTES_PER_WEEK for opening in parsed.openings]
    wait = min(waits)
    starts = minute + wait
    days_ahead = (starts // _MINUTES_PER_DAY) - local.weekday()
    return days_ahead, (starts // _MINUTES_PER_DAY) % 7, starts % _MINUTES_PER_DAY

"""Advocates on duty: the switch, the roster hours, the open-chat limit, the wait.

An advocate answers people who ask for a person when the on-duty switch is on and,
if roster hours are set, the clock is inside them (in the roster's time zone). Each
holds at most `max_open_chats` hand-offs at once. `availability` tells the engine who
would answer and about how long the wait is; the console and `harbor duty on|off EMAIL`
flip the switch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.engine import Availability
from resources_db.models import AdvocateDuty, User, utcnow
from resources_db.models.duty import DEFAULT_MAX_OPEN_CHATS
from resources_db.opening_hours import HoursError, is_open_now, parse_hours

# How long a person who is next in line waits for a free advocate to claim the chat,
# and how long one chat takes on average when everyone on duty is busy.
MINUTES_UNTIL_CLAIMED = 2
MINUTES_PER_CHAT = 12
MAX_OPEN_CHATS_LIMIT = 10
NAMES_TOLD = 2


class DutyError(ValueError):
    """A duty setting that cannot be taken (the message says why)."""


@dataclass(frozen=True)
class OnDuty:
    """One advocate answering now, and how many chats they hold."""

    user_id: int
    email: str
    display_name: str
    max_open_chats: int
    open_chats: int

    @property
    def has_room(self) -> bool:
        """Return True when the advocate can take one more chat."""
        return self.open_chats < self.max_open_chats


def duty_of(session: Session, user: User) -> AdvocateDuty:
    """Return the advocate's duty row, made (off duty) when there is none yet."""
    duty = session.get(AdvocateDuty, user.id)
    if duty is None:
        duty = AdvocateDuty(user_id=user.id, on_duty=False, display_name="",
                            roster_hours="", roster_timezone="America/Chicago",
                            max_open_chats=DEFAULT_MAX_OPEN_CHATS, updated_at=utcnow())
        session.add(duty)
        session.flush()
    return duty


def set_on_duty(session: Session, user: User, on_duty: bool) -> AdvocateDuty:
    """Switch the advocate on or off duty (the caller commits)."""
    if user.role not in ("advocate", "admin") or not user.active:
        raise DutyError(f"{user.email} is not an active advocate or admin account")
    duty = duty_of(session, user)
    duty.on_duty = on_duty
    duty.updated_at = utcnow()
    return duty


def set_roster(session: Session, user: User, *, display_name: str, roster_hours: str,
               roster_timezone: str, max_open_chats: int) -> AdvocateDuty:
    """Store the advocate's name, roster hours, time zone and open-chat limit."""
    from zoneinfo import available_timezones

    display_name = " ".join(display_name.split())[:40]
    roster_hours = roster_hours.strip()
    if roster_hours:
        try:
            parse_hours(roster_hours)
        except HoursError as error:
            raise DutyError(f"Roster hours: {error}") from error
    if roster_timezone not in available_timezones():
        raise DutyError(f"Unknown time zone {roster_timezone!r} (e.g. America/Chicago).")
    if not 1 <= max_open_chats <= MAX_OPEN_CHATS_LIMIT:
        raise DutyError(f"Open chats at once: 1 to {MAX_OPEN_CHATS_LIMIT}.")
    duty = duty_of(session, user)
    duty.display_name = display_name
    duty.roster_hours = roster_hours
    duty.roster_timezone = roster_timezone
    duty.max_open_chats = max_open_chats
    duty.updated_at = utcnow()
    return duty


def answering(duty: AdvocateDuty, now: datetime) -> bool:
    """Return True when the switch is on and `now` is inside the roster hours (if any)."""
    if not duty.on_duty:
        return False
    if not duty.roster_hours:
        return True
    return bool(is_open_now(duty.roster_hours, duty.roster_timezone, now))


def on_duty_now(session: Session, now: datetime, open_chats: dict[int, int]
                ) -> list[OnDuty]:
    """Return the advocates answering at `now`, with the chats each holds."""
    rows = session.execute(
        select(AdvocateDuty, User).join(User, User.id == AdvocateDuty.user_id)
        .where(AdvocateDuty.on_duty.is_(True), User.active.is_(True))
        .order_by(User.id)
    ).all()
    return [OnDuty(user.id, user.email, duty.display_name, duty.max_open_chats,
                   open_chats.get(user.id, 0))
            for duty, user in rows if answering(duty, now)]


def estimate_wait(advocates: list[OnDuty], position: int) -> int | None:
    """Return the minutes person number `position` in line waits; None: nobody on duty."""
    if not advocates:
        return None
    free = sum(max(0, a.max_open_chats - a.open_chats) for a in advocates)
    if position <= free:
        return MINUTES_UNTIL_CLAIMED
    rounds = math.ceil((position - free) / len(advocates))
    return MINUTES_UNTIL_CLAIMED + rounds * MINUTES_PER_CHAT


def availability(advocates: list[OnDuty], waiting: int) -> Availability:
    """Return who would answer one more person, and about how long they would wait."""
    wait = estimate_wait(advocates, waiting + 1)
    with_room = [a for a in advocates if a.has_room] or advocates
    names = tuple(a.display_name for a in with_room if a.display_name)[:NAMES_TOLD]
    return Availability(names=names, wait_minutes=wait)

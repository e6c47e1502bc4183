"""Who of the advocates answers people who ask for a person, and how many at once.

One row per advocate account: the on-duty switch, the roster hours (the listings'
`Mon-Fri 09:00-17:00` form, in the roster's time zone; empty means whenever the switch
is on), the first name a survivor is told, and the most chats the advocate holds at
once. Nothing here is about a survivor: hand-offs themselves live only in the
conversation store, with its expiry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

DEFAULT_MAX_OPEN_CHATS = 3


class AdvocateDuty(Base):
    """One advocate's on-duty switch, roster hours and open-chat limit."""

    __tablename__ = "advocate_duty"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str] = mapped_column(String(40), default="")
    roster_hours: Mapped[str] = mapped_column(String(200), default="")
    roster_timezone: Mapped[str] = mapped_column(String(64), default="America/Chicago")
    max_open_chats: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_OPEN_CHATS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

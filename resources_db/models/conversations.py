"""Conversation state and the SMS retry cache.

Privacy rules 1-3 of DESIGN.md shape these tables: the key is an HMAC (never a phone
number or a chat token in clear), no message body is ever stored, and every row
carries the conversation key so that EXIT can delete all of them with one predicate.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ConversationState(Base):
    """The small state one conversation needs: language, step, need, place, page."""

    __tablename__ = "conversation_state"

    # "<namespace>:<hex HMAC-SHA256>", namespace one of sms, chat, console.
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ProcessedMessage(Base):
    """A handled inbound SMS, so that a Twilio retry gets the same reply once more.

    `message_key` is an HMAC of the MessageSid; `reply` is Harbor's own text (never
    the survivor's). Rows go with the conversation on EXIT and expire with it.
    """

    __tablename__ = "processed_message"

    message_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    conversation_key: Mapped[str] = mapped_column(String(100))
    reply: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_processed_message_conversation_key", "conversation_key"),
        Index("ix_processed_message_expires_at", "expires_at"),
    )


class OwedErasure(Base):
    """A conversation whose EXIT was answered while its store could not be reached.

    Only the conversation key (an HMAC) is kept, never state or text; the row goes as
    soon as a host has erased that conversation. It lives in the conversation store
    when that is SQL, and in the shared database as the fallback every host reads.
    """

    __tablename__ = "owed_erasure"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Published versions of what advocates change: intent rules and reply texts.

Each publish is a numbered, append-only row: the rule files and reply texts the version
changes over what ships with the package (the YAML of intents/rules/, the catalog of
bot/texts/replies.py), who published it, their note and the diff from the version
before. The live version is the highest number; restoring an old one publishes its
content again as a new number, so the history is never rewritten.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class PublishedVersion(Base):
    """One published version of the rules and reply texts."""

    __tablename__ = "published_version"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    # Kept beside user_id so the history still says who after an account is gone.
    author: Mapped[str] = mapped_column(String(254))
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))  # console or cli
    # Intent id -> the YAML text of its rule file, for files that differ from the shipped.
    rules: Mapped[dict] = mapped_column(JSON, default=dict)
    # Language -> reply key -> text, for texts that differ from the catalog.
    replies: Mapped[dict] = mapped_column(JSON, default=dict)
    diff: Mapped[str] = mapped_column(Text, default="")
    restored_from: Mapped[int | None] = mapped_column(Integer, nullable=True)

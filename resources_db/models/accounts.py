"""Staff accounts (admins and advocates) and the audit log of listing changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

ROLES = ("admin", "advocate")


class User(Base):
    """A partner organization's staff member who signs in to the console or admin."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Part of every session id this account is given: raised on logout and on a password
    # change, it ends every copy of every session the account had open.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuditEntry(Base):
    """One change to one listing: who, when, how (ui or csv), old and new values.

    Append-only: no route updates or deletes these rows.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    # Kept beside user_id so the log still says who after an account is gone.
    actor: Mapped[str] = mapped_column(String(254))
    listing_id: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(32))  # create, update, deactivate, verify
    source: Mapped[str] = mapped_column(String(16))  # ui, csv, cli
    old_values: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    new_values: Mapped[dict | None] = mapped_column(JSON, nullable=True)

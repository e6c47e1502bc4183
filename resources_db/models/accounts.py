"""Staff accounts (network admins, partner admins, advocates) and the audit log of listing
changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

# admin: the network's admins (everything); partner: one organization's staff, who keep
# that organization's listings only; advocate: the console and insights.
ROLES = ("admin", "partner", "advocate")
VERIFICATION_METHODS = ("phone", "email", "visit")


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
    # The organization a partner works for (None for network admins and advocates).
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    # Set when someone else chose the password (an admin, a reset): the next sign-in
    # must pick a new one before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Base32 TOTP secret once two-factor sign-in is turned on; None while it is off.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The 30-second step of the last code accepted: a code opens one session only.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)


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
    # create, update, deactivate, verify, revert
    action: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))  # ui, csv, cli, hsds, demo
    # How a verification was made (phone, email, visit); empty for other changes.
    method: Mapped[str] = mapped_column(String(16), default="")
    # The admin's words: a verification's note, a deactivation's reason, a revert's cause.
    note: Mapped[str] = mapped_column(Text, default="")
    old_values: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    new_values: Mapped[dict | None] = mapped_column(JSON, nullable=True)

"""Queries on the published versions of rules and reply texts (see models.published).

The session's lifetime stays with the caller: these functions read and add rows, the
caller commits.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import PublishedVersion


def live_number(session: Session) -> int:
    """Return the live version's number (0: nothing published, the shipped files rule)."""
    return session.scalar(select(func.max(PublishedVersion.number))) or 0


def live_version(session: Session) -> PublishedVersion | None:
    """Return the live version, or None when nothing was ever published."""
    return session.scalar(
        select(PublishedVersion).order_by(PublishedVersion.number.desc()).limit(1))


def version_numbered(session: Session, number: int) -> PublishedVersion | None:
    """Return version `number`, or None."""
    return session.get(PublishedVersion, number)


def history(session: Session, limit: int = 100) -> list[PublishedVersion]:
    """Return the versions, newest first."""
    return list(session.scalars(
        select(PublishedVersion).order_by(PublishedVersion.number.desc()).limit(limit)))


def add_version(session: Session, *, author: str, user_id: int | None, note: str,
                source: str, rules: dict[str, str], replies: dict[str, dict[str, str]],
                diff: str, restored_from: int | None = None) -> PublishedVersion:
    """Add the next numbered version (flushed, not committed).

    Two publishes at once both try the same number; the primary key lets one win and
    the other fail at flush, so no version is ever silently overwritten.
    """
    version = PublishedVersion(
        number=live_number(session) + 1, author=author, user_id=user_id, note=note,
        source=source, rules=dict(rules), replies={k: dict(v) for k, v in replies.items()},
        diff=diff, restored_from=restored_from,
    )
    session.add(version)
    session.flush()
    return version

"""Publish and restore: each a numbered version, through the safety gate, in the audit log.

The view or command that calls these commits; a refused publish writes nothing (when
another publish took the number first, the session is rolled back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.publishing import gate
from bot.publishing.content import Content, diff
from resources_db import published_versions
from resources_db.models import AuditEntry, PublishedVersion

# Audit entries of versions name them as "version N" in the listing column.
AUDIT_SUBJECT = "version {number}"


@dataclass(frozen=True)
class PublishOutcome:
    """A publish or restore: the version written (None when refused) and the gate's report."""

    version: PublishedVersion | None
    report: gate.GateReport | None
    unchanged: bool = False


def live_content(session: Session) -> Content:
    """Return the content of the live version (nothing changed when none was published)."""
    return Content.of(published_versions.live_version(session))


def publish(session: Session, candidate: Content, *, author: str, user_id: int | None,
            note: str, source: str, config: Mapping,
            restored_from: int | None = None) -> PublishOutcome:
    """Publish `candidate` as the next version if it passes the gate; else write nothing."""
    live = live_content(session)
    change = diff(live, candidate)
    if not change and restored_from is None:
        return PublishOutcome(None, None, unchanged=True)
    report = gate.check(candidate, live, config)
    if not report.passed:
        return PublishOutcome(None, report)
    try:
        version = published_versions.add_version(
            session, author=author, user_id=user_id, note=note.strip(), source=source,
            rules=candidate.rules, replies=candidate.replies, diff=change,
            restored_from=restored_from)
    except IntegrityError:
        # Someone published the same number meanwhile: this change was checked against a
        # version that is no longer live, so it must be checked again. (A savepoint would
        # keep the session's other work, but pysqlite's savepoints are not reliable.)
        session.rollback()
        report.conflict = ("another version was published while this one was checked: "
                           "preview again against it")
        return PublishOutcome(None, report)
    session.add(AuditEntry(
        user_id=user_id, actor=author, listing_id=AUDIT_SUBJECT.format(number=version.number),
        action="restore" if restored_from is not None else "publish", source=source,
        old_values={"version": version.number - 1},
        new_values={"version": version.number, "note": version.note,
                    "restored_from": restored_from,
                    "rules changed": sorted(candidate.rules),
                    "texts changed": sorted(f"{language}/{key}"
                                            for language, texts in candidate.replies.items()
                                            for key in texts),
                    "diff": change},
    ))
    session.flush()
    return PublishOutcome(version, report)


def restore(session: Session, number: int, *, author: str, user_id: int | None,
            note: str, source: str, config: Mapping) -> PublishOutcome:
    """Publish version `number`'s content again as a new version (0: the shipped files).

    The restore passes the same gate: an old version that no longer passes the current
    transcripts is refused like any other change.
    """
    if number == 0:
        content = Content()
    else:
        old = published_versions.version_numbered(session, number)
        if old is None:
            raise LookupError(f"no version {number}")
        content = Content.of(old)
    return publish(session, content, author=author, user_id=user_id,
                   note=note or f"restore version {number}", source=source, config=config,
                   restored_from=number)

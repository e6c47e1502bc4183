"""The audit log page: who changed which listing, when, how, and the values before and after.

Read-only by design: this module has GET routes only, and no route anywhere updates
or deletes an AuditEntry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import render_template, request
from sqlalchemy import func, select

from bot.database import get_session
from bot.request_guards import page_argument
from bot.staff.admin import blueprint
from bot.staff.auth import admin_required
from resources_db.models import AuditEntry

PAGE_SIZE = 50
SOURCES = ("ui", "csv", "cli")


@dataclass(frozen=True)
class FieldChange:
    """One field of one audit entry: its value before and after."""

    field: str
    old: str
    new: str


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def field_changes(entry: AuditEntry) -> list[FieldChange]:
    """Return the fields whose value differs between the entry's old and new values."""
    old = entry.old_values or {}
    new = entry.new_values or {}
    names = list(dict.fromkeys([*new.keys(), *old.keys()]))
    return [
        FieldChange(name, _display(old.get(name)), _display(new.get(name)))
        for name in names
        if old.get(name) != new.get(name)
    ]


@blueprint.get("/audit")
@admin_required
def audit_log():
    """Show audit entries, newest first, filtered by listing, person or source."""
    listing_id = request.args.get("listing", "").strip()
    actor = request.args.get("actor", "").strip()
    source = request.args.get("source", "")
    page = page_argument(request.args)

    query = select(AuditEntry)
    if listing_id:
        query = query.where(AuditEntry.listing_id == listing_id)
    if actor:
        query = query.where(func.lower(AuditEntry.actor).contains(actor.lower(), autoescape=True))
    if source in SOURCES:
        query = query.where(AuditEntry.source == source)
    session = get_session()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = session.scalars(
        query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    rows = [(entry, field_changes(entry)) for entry in entries]
    return render_template(
        "admin/audit.html", rows=rows, total=total, page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        filters={"listing": listing_id, "actor": actor, "source": source},
        sources=SOURCES, active_page="audit",
    )

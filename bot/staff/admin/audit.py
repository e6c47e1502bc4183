"""The audit log page: who changed which listing, when, how, and the values before and
after; and reverting a change (which is itself a new change, logged as "revert").

The log is append-only: no route updates or deletes an AuditEntry. Reverting writes the
entry's old values back through `apply_changes` (a created listing is deactivated), so
the revert has its own entry. Partners see, and revert, their organization's listings'
entries only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from bot.database import get_session
from bot.request_guards import page_argument
from bot.staff.admin import blueprint
from bot.staff.admin.listings import today_utc
from bot.staff.admin.scope import partner_organization_id, require_listing, visible_listing_ids
from bot.staff.auth import listing_staff_required
from resources_db.listing_rules import COLUMNS, validate_listing
from resources_db.listings_store import ListingChange, apply_changes, load_fields
from resources_db.models import AuditEntry

PAGE_SIZE = 50
# Every source apply_changes accepts, with its label in the filter.
SOURCES = {"ui": "This site", "csv": "CSV upload", "hsds": "HSDS import",
           "cli": "Command line", "demo": "Demo data"}


class RevertForm(FlaskForm):
    """Undo one change (CSRF token only)."""


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


def can_revert(entry: AuditEntry) -> bool:
    """Return True when the entry changed listing fields that can be written back."""
    if entry.action == "create":
        return True
    return any(column in COLUMNS for column in (entry.old_values or {}))


@blueprint.get("/audit")
@listing_staff_required
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
    if partner_organization_id() is not None:
        query = query.where(AuditEntry.listing_id.in_(visible_listing_ids()))
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
        sources=SOURCES, can_revert=can_revert, revert_form=RevertForm(),
        active_page="audit",
    )


@blueprint.post("/changes/<int:entry_id>/revert")
@listing_staff_required
def revert_change(entry_id: int):
    """Put back the values a change replaced (deactivate a listing the change created)."""
    if not RevertForm().validate_on_submit():
        abort(400)
    session = get_session()
    entry = session.get(AuditEntry, entry_id)
    if entry is None:
        abort(404)
    require_listing(session, entry.listing_id)
    if not can_revert(entry):
        abort(409)
    current = load_fields(session, [entry.listing_id])[entry.listing_id]
    if entry.action == "create":
        restored = {**current, "active": "false"}
    else:
        restored = {**current, **{column: value for column, value in entry.old_values.items()
                                  if column in COLUMNS and column != "id"}}
    validation = validate_listing(restored, 0, today=today_utc())
    if not validation.ok:
        problems = "; ".join(str(error) for error in validation.errors)
        flash(f"This change cannot be reverted as it is ({problems}). Edit the listing "
              "instead.", "error")
        return redirect(url_for("admin.audit_log", listing=entry.listing_id))
    written = apply_changes(session, [ListingChange(validation.record, current)],
                            actor=current_user.email, source="ui", user_id=current_user.id,
                            action="revert", note=f"Reverts change {entry.id}")
    session.commit()
    flash("Change reverted." if written else "Nothing to revert: the listing already has "
          "those values.", "success" if written else "info")
    return redirect(url_for("admin.audit_log", listing=entry.listing_id))

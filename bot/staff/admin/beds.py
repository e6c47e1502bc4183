"""Beds: shelter staff say how many beds are free right now, in two taps (open the
listing, tap the number). Survivors are told "space reported 2 h ago" beside the
listing; a count older than BEDS_FRESH_HOURS is never shown.

The count lives in its own table (`ListingBeds`), not in the listing's columns: it
changes many times a day and must not rewrite the listing or flood its audit trail.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from bot.database import get_session
from bot.staff.admin import blueprint
from bot.staff.admin.scope import require_listing
from bot.staff.auth import listing_staff_required
from resources_db.models import ListingBeds, utcnow

# The buttons shown; a shelter with more free beds than this picks the last one ("10+").
BED_BUTTONS = tuple(range(0, 11))


class BedsForm(FlaskForm):
    """The tapped number rides in the button's value (CSRF token only here)."""


def beds_for(session: Session, listing_id: str) -> ListingBeds | None:
    """Return the last bed count for a listing, or None when none was ever given."""
    return session.get(ListingBeds, listing_id)


@blueprint.post("/listings/<listing_id>/beds")
@listing_staff_required
def update_beds(listing_id: str):
    """Record how many beds the shelter has free now (replacing the last count)."""
    if not BedsForm().validate_on_submit():
        abort(400)
    session = get_session()
    require_listing(session, listing_id)
    available = request.form.get("available", type=int)
    if available is None or available < 0 or available > 10_000:
        abort(400)
    beds = session.get(ListingBeds, listing_id)
    if beds is None:
        beds = ListingBeds(listing_id=listing_id, available=available)
        session.add(beds)
    beds.available = available
    beds.updated_at = utcnow()
    beds.updated_by = current_user.email
    session.commit()
    flash(f"Saved: {available} {'bed' if available == 1 else 'beds'} free now.", "success")
    return redirect(url_for("admin.edit_listing", listing_id=listing_id) + "#beds")

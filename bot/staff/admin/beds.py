"""Beds: shelter staff say how many beds are free right now, in two taps (open Beds,
tap the number beside their shelter; the listing's own page has the same buttons).
Survivors are told "Space: 3 beds free, reported 2 h ago" beside the listing; a count
older than 24 hours is never shown (resources_db.beds).

The count lives in its own table (`ListingBeds`), not in the listing's columns: it
changes many times a day and must not rewrite the listing or flood its audit trail.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.database import get_session
from bot.staff.admin import blueprint
from bot.staff.admin.scope import require_listing, scoped_listings
from bot.staff.auth import listing_staff_required
from resources_db.models import Listing, ListingBeds, ListingCategory, utcnow

# The buttons shown; a shelter with more free beds than this picks the last one ("10+").
BED_BUTTONS = tuple(range(0, 11))


class BedsForm(FlaskForm):
    """The tapped number rides in the button's value (CSRF token only here)."""


def beds_for(session: Session, listing_id: str) -> ListingBeds | None:
    """Return the last bed count for a listing, or None when none was ever given."""
    return session.get(ListingBeds, listing_id)


@blueprint.get("/beds")
@listing_staff_required
def beds_page():
    """Show each active shelter listing the user keeps with its bed buttons (tap 1 of 2)."""
    session = get_session()
    shelters = session.scalars(scoped_listings(
        select(Listing).join(ListingCategory, ListingCategory.listing_id == Listing.id)
        .where(ListingCategory.category == "shelter", Listing.active.is_(True))
        .order_by(func.lower(Listing.name)).limit(200))).all()
    reports = {row.listing_id: row for row in session.scalars(
        select(ListingBeds).where(ListingBeds.listing_id.in_([s.id for s in shelters])))}
    return render_template("admin/beds.html", shelters=shelters, reports=reports,
                           active_page="beds")


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
    if request.form.get("next") == "beds":
        return redirect(url_for("admin.beds_page") + f"#beds-{listing_id}")
    return redirect(url_for("admin.edit_listing", listing_id=listing_id) + "#beds")

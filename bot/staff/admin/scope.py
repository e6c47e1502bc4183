"""What the signed-in staff member may see: every listing for a network admin, their
organization's listings only for a partner.

Every admin view that reads or writes a listing, a report or an audit entry goes through
these functions, so a partner's reach is decided in one place: another organization's
listing is a 404 (the same answer as a listing that does not exist) whether it is asked
for by page, by form or by a crafted request.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from resources_db.models import Listing, Organization


def partner_organization_id() -> str | None:
    """Return the organization a partner is limited to, or None for a network admin."""
    if current_user.role == "partner":
        # auth.load_user refuses partners without one, so this is never empty.
        return current_user.organization_id
    return None


def scoped_listings(query: Select) -> Select:
    """Narrow a select over Listing to what the current user may see."""
    organization = partner_organization_id()
    if organization is None:
        return query
    return query.where(Listing.organization_id == organization)


def may_see_listing(session: Session, listing_id: str) -> bool:
    """Return True when the listing exists and the current user may see it."""
    found = session.scalar(scoped_listings(select(Listing.id).where(Listing.id == listing_id)))
    return found is not None


def require_listing(session: Session, listing_id: str) -> None:
    """Abort with 404 unless the current user may see this listing."""
    if not may_see_listing(session, listing_id):
        abort(404)


def partner_organization_name(session: Session) -> str | None:
    """Return the name of the partner's organization (None for network admins)."""
    organization = partner_organization_id()
    if organization is None:
        return None
    found = session.get(Organization, organization)
    return found.name if found is not None else None


def visible_listing_ids() -> Select:
    """Return a select of the ids of the listings the current user may see."""
    return scoped_listings(select(Listing.id))

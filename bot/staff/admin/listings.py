"""Listings in the admin UI: the table with its filters and counts, create, edit,
deactivate (with a reason) and reactivate (never a hard delete), verify (who, how, a
note), and CSV export.

Every write goes through `resources_db.listings_store.apply_changes`, the function the
CSV import uses, so the UI obeys the same rules and leaves the same AuditEntry rows
(source "ui", the admin as actor). Partners see, export and change their own
organization's listings only (`bot.staff.admin.scope`); a listing they add or edit
stays their organization's.
"""

from __future__ import annotations

import io
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from bot.database import get_session
from bot.request_guards import page_argument
from bot.staff.admin import blueprint
from bot.staff.admin.listing_forms import ListingForm, fields_version
from bot.staff.admin.scope import (
    partner_organization_name,
    require_listing,
    scoped_listings,
)
from bot.staff.auth import listing_staff_required
from resources_db import geography
from resources_db.listing_rules import (
    FieldError,
    new_listing_id,
    stale_before,
    validate_listing,
)
from resources_db.listings_csv import export_listings_csv, listings_query
from resources_db.listings_store import ListingChange, apply_changes, load_fields
from resources_db.models import VERIFICATION_METHODS, Listing, ListingArea
from resources_db.vocabulary import CATEGORIES, CATEGORY_NAMES

PAGE_SIZE = 50
STATUSES = {"active": "Active", "inactive": "Inactive", "all": "Active and inactive"}
_COUNTY_WORDS = (" county", " parish", " borough")


def today_utc() -> date:
    """Return today's date in UTC (the date the listing rules check against)."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class ListingFilters:
    """What the listings table shows: search text, category, place, status, stale only."""

    q: str = ""
    category: str = ""
    place: str = ""
    status: str = "active"
    stale: bool = False

    @classmethod
    def from_args(cls, args) -> ListingFilters:
        """Read the filters from query arguments; unknown values mean no filter."""
        category = args.get("category", "")
        status = args.get("status", "active")
        return cls(
            q=args.get("q", "").strip()[:200],
            category=category if category in CATEGORIES else "",
            place=args.get("place", "").strip()[:120],
            status=status if status in STATUSES else "active",
            stale=args.get("stale") in ("1", "on", "true"),
        )

    def to_args(self) -> dict[str, str]:
        """Return the filters as query arguments (only those that are set)."""
        args = {key: value for key, value in asdict(self).items() if value and key != "stale"}
        if self.status == "active":
            args.pop("status", None)
        if self.stale:
            args["stale"] = "1"
        return args

    @property
    def narrowed(self) -> bool:
        """Return True when any filter differs from the default view."""
        return self != ListingFilters()

    def query(self, session: Session, today: date) -> Select:
        """Return the select of Listing rows these filters pick, ordered by name."""
        active = {"active": True, "inactive": False, "all": None}[self.status]
        query = listings_query(category=self.category or None, active=active)
        query = query.order_by(None).order_by(func.lower(Listing.name), Listing.id)
        if self.q:
            needle = self.q.lower()
            matches = [
                func.lower(column).contains(needle, autoescape=True)
                for column in (Listing.id, Listing.name, Listing.organization, Listing.city,
                               Listing.phone, Listing.description)
            ]
            digits = "".join(character for character in self.q if character.isdigit())
            if len(digits) >= 3 and not any(c.isalpha() for c in self.q):
                # A number typed any way (3195550100, (319) 555-0100) finds 319-555-0100.
                matches.append(_digits_only(Listing.phone).contains(digits, autoescape=True))
                matches.append(_digits_only(Listing.sms).contains(digits, autoescape=True))
            query = query.where(or_(*matches))
        if self.place:
            query = query.where(Listing.id.in_(listings_in_place(session, self.place)))
        query = scoped_listings(query)
        if self.stale:
            query = query.where(stale_condition(today))
        return query


def _digits_only(column):
    """Return the SQL for a phone column with its separators removed."""
    for separator in ("-", " ", "(", ")", ".", "+"):
        column = func.replace(column, separator, "")
    return column


def stale_condition(today: date):
    """Return the SQL condition for a stale listing: never verified, or over 12 months ago."""
    return or_(Listing.verified_at.is_(None), Listing.verified_at < stale_before(today))


def is_stale(listing: Listing, today: date) -> bool:
    """Return True when the listing was not verified in the last 12 months."""
    return listing.verified_at is None or listing.verified_at < stale_before(today)


def _county_key(name: str) -> str:
    key = geography.normalize_place_text(name)
    for word in _COUNTY_WORDS:
        if key.endswith(word):
            return key[: -len(word)]
    return key


def listings_in_place(session: Session, place: str) -> list[str]:
    """Return the ids of listings in a city or county ("Cedar Rapids", "Linn County, IA").

    A listing matches on its city, on the county of its ZIP, or on a county service area.
    """
    if re.fullmatch(r"\d{5}", place.strip()):
        return _listings_at_zip(session, place.strip())
    name, _, state_text = place.partition(",")
    state = geography.state_code(state_text) if state_text.strip() else None
    city_key = geography.normalize_place_text(name)
    county_key = _county_key(name)
    if not city_key:
        return []
    rows = select(Listing.id, Listing.city, Listing.state, Listing.zip, Listing.service_area)
    found = []
    for listing_id, city, listing_state, zip_code, service_area in session.execute(rows):
        zip_place = geography.lookup_zip(zip_code) if zip_code else None
        # (place name, its state) pairs this listing can be found under.
        names = [(geography.normalize_place_text(city), listing_state, "city")]
        if zip_place is not None and zip_place.county:
            names.append((_county_key(zip_place.county), zip_place.state, "county"))
        if service_area.lower().startswith("county:"):
            county, _, area_state = service_area.split(":", 1)[1].rpartition(",")
            names.append((_county_key(county), area_state.strip().upper(), "county"))
        for key, where, kind in names:
            if key == (city_key if kind == "city" else county_key) and (
                not state or where == state
            ):
                found.append(listing_id)
                break
    return found


def _listings_at_zip(session: Session, zip_code: str) -> list[str]:
    """Return the ids of listings at a ZIP or serving it (a ZIP list service area)."""
    at_zip = select(Listing.id).where(Listing.zip == zip_code)
    serving = select(ListingArea.listing_id).where(ListingArea.area_key == f"zip:{zip_code}")
    return sorted(set(session.scalars(at_zip)) | set(session.scalars(serving)))


@dataclass(frozen=True)
class ListingCounts:
    """The dashboard's counts over every listing."""

    active: int
    stale: int  # active listings not verified in 12 months
    inactive: int


def listing_counts(session: Session, today: date) -> ListingCounts:
    """Count active, stale (active only) and inactive listings (the user's own only)."""
    count = scoped_listings(select(func.count()).select_from(Listing))
    active = session.scalar(count.where(Listing.active.is_(True))) or 0
    inactive = session.scalar(count.where(Listing.active.is_(False))) or 0
    stale = session.scalar(count.where(Listing.active.is_(True), stale_condition(today))) or 0
    return ListingCounts(active=active, stale=stale, inactive=inactive)


class ListingActionForm(FlaskForm):
    """A one-button form (reactivate): the CSRF token only."""


METHOD_CHOICES = [SelectChoice("phone", "By phone"), SelectChoice("email", "By email"),
                  SelectChoice("visit", "In person (visit)")]


class VerifyForm(FlaskForm):
    """How the listing was confirmed today, and a note for whoever checks next."""

    method = SelectField("How it was checked", choices=METHOD_CHOICES,
                         validators=[DataRequired()])
    note = StringField("Note", validators=[Length(max=500)])


class DeactivateForm(FlaskForm):
    """Why the listing is taken away from survivors (required)."""

    reason = TextAreaField("Reason", validators=[DataRequired(message="Say why."),
                                                 Length(max=500)])


@blueprint.get("")
@listing_staff_required
def listings():
    """Show the listings table with its filters, counts and actions."""
    session = get_session()
    today = today_utc()
    filters = ListingFilters.from_args(request.args)
    page = page_argument(request.args)
    query = filters.query(session, today)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/listings.html",
        listings=rows, total=total, page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        filters=filters, counts=listing_counts(session, today), today=today,
        is_stale=is_stale, categories=CATEGORY_NAMES, statuses=STATUSES,
        verify_form=VerifyForm(formdata=None), active_page="listings",
    )


@blueprint.get("/listings.csv")
@listing_staff_required
def export_listings():
    """Download the listings the current filters pick (or all) in the listings CSV format."""
    session = get_session()
    filters = ListingFilters.from_args(request.args)
    stream = io.StringIO()
    export_listings_csv(session, stream, filters.query(session, today_utc()))
    # "Export all" asks for active and inactive alike: that file is all, not "filtered".
    if filters == ListingFilters(status="all"):
        name = "harbor-listings-all"
    else:
        name = "harbor-listings" + ("-filtered" if filters.narrowed else "")
    return Response(
        stream.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition":
                 f'attachment; filename="{name}-{today_utc().isoformat()}.csv"'},
    )


def _write(session: Session, change: ListingChange, **audit) -> int:
    written = apply_changes(session, [change], actor=current_user.email, source="ui",
                            user_id=current_user.id, **audit)
    session.commit()
    return written


def _render_form(form: ListingForm, *, listing_id: str | None, status: int = 200,
                 fields: dict[str, str] | None = None):
    from bot.staff.admin.beds import beds_for

    session = get_session()
    return render_template(
        "admin/listing_form.html", form=form, listing_id=listing_id, fields=fields,
        action_form=ListingActionForm(), verify_form=VerifyForm(formdata=None),
        deactivate_form=DeactivateForm(formdata=None),
        partner_organization=partner_organization_name(session),
        show_beds=bool(fields and "shelter" in fields.get("categories", "").split(";")),
        beds=beds_for(session, listing_id) if listing_id else None,
        active_page="listings",
    ), status


def _form_fields(form: ListingForm, listing_id: str) -> dict[str, str]:
    """Return the form's fields; a partner's listing stays their organization's."""
    fields = form.to_fields(listing_id)
    own = partner_organization_name(get_session())
    if own is not None:
        fields["organization"] = own
    return fields


@blueprint.route("/listings/new", methods=["GET", "POST"])
@listing_staff_required
def create_listing():
    """Add a listing; the id is generated unless the admin gives one.

    "Last verified" starts empty: a new listing is verified only when the admin says so.
    """
    form = ListingForm()
    if request.method == "GET":
        form.active.data = True
        own = partner_organization_name(get_session())
        if own is not None:
            form.organization.data = own
        return _render_form(form, listing_id=None)
    if not form.validate_on_submit():
        return _render_form(form, listing_id=None, status=400)
    session = get_session()
    listing_id = (form.listing_id.data or "").strip() or new_listing_id()
    fields = _form_fields(form, listing_id)
    if form.verified_today.data:
        fields["verified_at"] = today_utc().isoformat()
    validation = validate_listing(fields, 0, today=today_utc())
    errors = list(validation.errors)
    if session.get(Listing, listing_id) is not None:
        errors.append(FieldError(0, "id", f"'{listing_id}' is already used by another listing"))
    if errors:
        form.show_errors(errors)
        return _render_form(form, listing_id=None, status=400)
    _write(session, ListingChange(validation.record, None))
    flash(f"Listing “{validation.record.name}” added.", "success")
    return redirect(url_for("admin.edit_listing", listing_id=listing_id))


def _stored_fields_or_404(session: Session, listing_id: str) -> dict[str, str]:
    require_listing(session, listing_id)
    fields = load_fields(session, [listing_id]).get(listing_id)
    if fields is None:
        abort(404)
    return fields


@blueprint.route("/listings/<listing_id>", methods=["GET", "POST"])
@listing_staff_required
def edit_listing(listing_id: str):
    """Edit a listing; unchanged fields are left alone, changes go to the audit log."""
    session = get_session()
    old = _stored_fields_or_404(session, listing_id)
    form = ListingForm()
    if request.method == "GET":
        form.fill(old)
        form.version.data = fields_version(old)
        return _render_form(form, listing_id=listing_id, fields=old)
    if not form.validate_on_submit():
        return _render_form(form, listing_id=listing_id, fields=old, status=400)
    if form.version.data != fields_version(old):
        form.form_errors.append(
            "Someone changed this listing after you opened it. Your changes were not saved: "
            "reload the page to see the current values, then make your changes again.")
        return _render_form(form, listing_id=listing_id, fields=old, status=409)
    validation = validate_listing(_form_fields(form, listing_id), 0, today=today_utc())
    if not validation.ok:
        form.show_errors(validation.errors)
        return _render_form(form, listing_id=listing_id, fields=old, status=400)
    change = ListingChange(validation.record, old)
    if not change.changed_columns():
        flash("Nothing changed.", "info")
    else:
        _write(session, change)
        flash(f"Listing “{validation.record.name}” saved.", "success")
    return redirect(url_for("admin.edit_listing", listing_id=listing_id))


def _quick_change(listing_id: str, changes: dict[str, str], done: str, **audit):
    """Apply a one-field change from a button (deactivate, reactivate, verify)."""
    session = get_session()
    old = _stored_fields_or_404(session, listing_id)
    validation = validate_listing({**old, **changes}, 0, today=today_utc())
    if not validation.ok:
        problems = "; ".join(str(error) for error in validation.errors)
        flash(f"This listing breaks a rule ({problems}). Fix it in the form first.", "error")
        return redirect(url_for("admin.edit_listing", listing_id=listing_id))
    change = ListingChange(validation.record, old)
    if change.changed_columns():
        _write(session, change, **audit)
    elif audit.get("action") == "verify":
        # Verified twice in one day: the second check is recorded too (who, how, note).
        _write_verification_only(session, listing_id, audit)
    flash(done.format(name=validation.record.name), "success")
    return redirect(_back_to(listing_id))


def _write_verification_only(session: Session, listing_id: str, audit: dict) -> None:
    from resources_db.models import AuditEntry, utcnow

    session.add(AuditEntry(
        created_at=utcnow(), user_id=current_user.id, actor=current_user.email,
        listing_id=listing_id, action="verify", source="ui", old_values=None,
        new_values=None, method=audit.get("method", ""), note=audit.get("note", "")))
    session.commit()


def _back_to(listing_id: str) -> str:
    """Return where a button should lead back to: the page it was pressed on."""
    target = request.form.get("next", "")
    if target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.edit_listing", listing_id=listing_id)


@blueprint.post("/listings/<listing_id>/deactivate")
@listing_staff_required
def deactivate_listing(listing_id: str):
    """Hide a listing from survivors, saying why; it stays and can be reactivated."""
    require_listing(get_session(), listing_id)
    form = DeactivateForm()
    if not form.validate_on_submit():
        if set(form.errors) == {"reason"}:
            flash("Say why the listing is deactivated: the reason goes in the audit log.",
                  "error")
            return redirect(_back_to(listing_id))
        abort(400)
    return _quick_change(listing_id, {"active": "false"}, "“{name}” is deactivated.",
                         note=form.reason.data.strip())


@blueprint.post("/listings/<listing_id>/reactivate")
@listing_staff_required
def reactivate_listing(listing_id: str):
    """Show a deactivated listing to survivors again."""
    if not ListingActionForm().validate_on_submit():
        abort(400)
    return _quick_change(listing_id, {"active": "true"}, "“{name}” is active again.")


@blueprint.post("/listings/<listing_id>/verify")
@listing_staff_required
def verify_listing(listing_id: str):
    """Record that someone confirmed the listing today: who (the admin), how, a note."""
    form = VerifyForm()
    if not form.validate_on_submit() or form.method.data not in VERIFICATION_METHODS:
        abort(400)
    return _quick_change(listing_id, {"verified_at": today_utc().isoformat()},
                         "“{name}” is marked verified today.", action="verify",
                         method=form.method.data, note=(form.note.data or "").strip())

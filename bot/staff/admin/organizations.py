"""The network's organizations (network admins only): every organization that owns a
listing or is a member, with its listing and staff counts, and the form to add one.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from bot.database import get_session
from bot.staff import accounts
from bot.staff.admin import blueprint
from bot.staff.auth import admin_required
from resources_db.models import Listing, Organization, User


class NewOrganizationForm(FlaskForm):
    """The name of a new member organization."""

    name = StringField("Organization name", validators=[DataRequired(), Length(max=300)])


def _render(form: NewOrganizationForm, status: int = 200):
    session = get_session()
    listing_counts = dict(session.execute(
        select(Listing.organization_id, func.count()).group_by(Listing.organization_id)).all())
    staff_counts = dict(session.execute(
        select(User.organization_id, func.count()).where(User.organization_id.is_not(None))
        .group_by(User.organization_id)).all())
    organizations = session.scalars(
        select(Organization).order_by(func.lower(Organization.name))).all()
    return render_template(
        "admin/organizations.html", form=form, organizations=organizations,
        listing_counts=listing_counts, staff_counts=staff_counts,
        active_page="organizations"), status


@blueprint.get("/organizations")
@admin_required
def organizations():
    """List the network's organizations with the form to add one."""
    return _render(NewOrganizationForm())


@blueprint.post("/organizations")
@admin_required
def create_organization():
    """Add a member organization (an existing one, named by an import, becomes a member)."""
    form = NewOrganizationForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    session = get_session()
    try:
        organization, created = accounts.create_organization(session, form.name.data)
    except accounts.AccountError as error:
        form.name.errors = [str(error)]
        return _render(form, 400)
    session.commit()
    current_app.logger.info("organization added by account %s", current_user.id)
    flash(f"{organization.name} is {'added' if created else 'already in the network'}.",
          "success")
    return redirect(url_for("admin.organizations"))

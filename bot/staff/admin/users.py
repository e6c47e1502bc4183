"""Staff accounts in the admin UI (network admins only): list everyone; create network
admins, partners (of one organization) and advocates; disable, enable and reset partners
and advocates.

Existing admin accounts are disabled and reset with `harbor users` on the server, so
one stolen admin session cannot lock the other admins out. New and reset passwords are
generated, shown once on the response page (never flashed into the cookie), and must be
replaced by the account's owner at the first sign-in.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, SelectChoice, SelectField
from wtforms.validators import DataRequired, Length

from bot.database import get_session
from bot.staff import accounts
from bot.staff.admin import blueprint
from bot.staff.auth import admin_required
from resources_db.models import User

ROLE_CHOICES = [
    SelectChoice("partner", "Partner: keeps one organization's listings"),
    SelectChoice("advocate", "Advocate: console and insights"),
    SelectChoice("admin", "Network admin: everything"),
]
MANAGED_HERE = ("partner", "advocate")


class NewAccountForm(FlaskForm):
    """A new account: email, role, and the organization of a partner."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "off"})
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    organization = SelectField("Organization (partners only)", choices=[], validate_choice=False)

    def load_organizations(self) -> None:
        """Offer the network's organizations."""
        self.organization.choices = [SelectChoice("", "—")] + [
            SelectChoice(organization.name, organization.name)
            for organization in accounts.member_organizations(get_session())]





class AccountActionForm(FlaskForm):
    """A button that changes one account (CSRF token only)."""


def _render_users(form: NewAccountForm, *, status: int = 200, **context):
    session = get_session()
    form.load_organizations()
    users = session.scalars(select(User).order_by(User.role, User.email)).all()
    names = {organization.id: organization.name
             for organization in accounts.member_organizations(session)}
    return render_template("admin/users.html", form=form, users=users,
                           organization_names=names, managed_here=MANAGED_HERE,
                           action_form=AccountActionForm(), active_page="users",
                           **context), status


def _advocate_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    if user.role not in MANAGED_HERE:
        # Admins are managed on the server; the page shows no buttons for them either.
        abort(403)
    return user


@blueprint.get("/users")
@admin_required
def users():
    """List staff accounts with the form to add one."""
    return _render_users(NewAccountForm())


@blueprint.post("/users")
@admin_required
def create_advocate():
    """Create an account with a generated password, shown once, to be changed at first
    sign-in."""
    form = NewAccountForm()
    form.load_organizations()
    if not form.validate_on_submit():
        return _render_users(form, status=400)
    problem = accounts.email_problem(form.email.data)
    if problem:
        form.email.errors.append(problem)
        return _render_users(form, status=400)
    session = get_session()
    password = accounts.generate_password()
    role = form.role.data
    try:
        user = accounts.create_user(
            session, form.email.data, password, role,
            organization=(form.organization.data or None) if role == "partner" else None,
            must_change_password=True)
    except accounts.AccountError as error:
        target = form.organization if "organization" in str(error) else form.email
        target.errors = [*target.errors, str(error)]
        return _render_users(form, status=400)
    session.commit()
    current_app.logger.info("account %s created by account %s", user.id, current_user.id)
    return _render_users(NewAccountForm(formdata=None), new_password=password,
                         password_for=user.email, account_event="created")


@blueprint.post("/users/<int:user_id>/reset-password")
@admin_required
def reset_password(user_id: int):
    """Give a partner or advocate a new generated password (shown once, to be changed
    at the next sign-in); their sessions end."""
    if not AccountActionForm().validate_on_submit():
        abort(400)
    user = _advocate_or_404(user_id)
    password = accounts.generate_password()
    accounts.set_password(get_session(), user, password)
    get_session().commit()
    current_app.logger.info("account %s password reset by account %s", user.id, current_user.id)
    return _render_users(NewAccountForm(formdata=None), new_password=password,
                         password_for=user.email, account_event="reset")


@blueprint.post("/users/<int:user_id>/disable")
@admin_required
def disable_user(user_id: int):
    """Disable a partner or advocate account: no sign-in, open sessions end."""
    return _set_active(user_id, active=False)


@blueprint.post("/users/<int:user_id>/enable")
@admin_required
def enable_user(user_id: int):
    """Enable a disabled partner or advocate account."""
    return _set_active(user_id, active=True)


def _set_active(user_id: int, *, active: bool):
    if not AccountActionForm().validate_on_submit():
        abort(400)
    user = _advocate_or_404(user_id)
    accounts.set_active(get_session(), user, active)
    get_session().commit()
    verb = "enabled" if active else "disabled"
    current_app.logger.info("account %s %s by account %s", user.id, verb, current_user.id)
    flash(f"{user.email} is {verb}.", "success")
    return redirect(url_for("admin.users"))

"""Staff accounts in the admin UI: list everyone; create, disable, enable and reset advocates.

Admin accounts are listed but managed with `harbor users` on the server, so one stolen
admin session cannot lock the other admins out. New and reset passwords are generated,
shown once on the response page (never flashed into the cookie), and the advocate
changes theirs at /account/password.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from bot.database import get_session
from bot.staff import accounts
from bot.staff.admin import blueprint
from bot.staff.auth import admin_required
from resources_db.models import User


class NewAdvocateForm(FlaskForm):
    """The email of a new advocate account."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "off"})


class AccountActionForm(FlaskForm):
    """A button that changes one account (CSRF token only)."""


def _render_users(form: NewAdvocateForm, *, status: int = 200, **context):
    users = get_session().scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", form=form, users=users,
                           action_form=AccountActionForm(), active_page="users",
                           **context), status


def _advocate_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    if user.role != "advocate":
        # Admins are managed on the server; the page shows no buttons for them either.
        abort(403)
    return user


@blueprint.get("/users")
@admin_required
def users():
    """List staff accounts with the form to add an advocate."""
    return _render_users(NewAdvocateForm())


@blueprint.post("/users")
@admin_required
def create_advocate():
    """Create an advocate account with a generated password, shown once."""
    form = NewAdvocateForm()
    if not form.validate_on_submit():
        return _render_users(form, status=400)
    problem = accounts.email_problem(form.email.data)
    if problem:
        form.email.errors.append(problem)
        return _render_users(form, status=400)
    session = get_session()
    password = accounts.generate_password()
    try:
        user = accounts.create_user(session, form.email.data, password, "advocate")
    except accounts.AccountError as error:
        form.email.errors.append(str(error))
        return _render_users(form, status=400)
    session.commit()
    current_app.logger.info("account %s created by account %s", user.id, current_user.id)
    return _render_users(NewAdvocateForm(formdata=None), new_password=password,
                         password_for=user.email, account_event="created")


@blueprint.post("/users/<int:user_id>/reset-password")
@admin_required
def reset_password(user_id: int):
    """Give an advocate a new generated password (shown once); their sessions end."""
    if not AccountActionForm().validate_on_submit():
        abort(400)
    user = _advocate_or_404(user_id)
    password = accounts.generate_password()
    accounts.set_password(get_session(), user, password)
    get_session().commit()
    current_app.logger.info("account %s password reset by account %s", user.id, current_user.id)
    return _render_users(NewAdvocateForm(formdata=None), new_password=password,
                         password_for=user.email, account_event="reset")


@blueprint.post("/users/<int:user_id>/disable")
@admin_required
def disable_user(user_id: int):
    """Disable an advocate account: no sign-in, open sessions end."""
    return _set_active(user_id, active=False)


@blueprint.post("/users/<int:user_id>/enable")
@admin_required
def enable_user(user_id: int):
    """Enable a disabled advocate account."""
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

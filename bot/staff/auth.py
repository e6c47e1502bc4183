"""Staff sign-in: the login manager, /login (with its two-factor step) and /logout, and
the role decorators.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax, Secure in production,
expiring after PERMANENT_SESSION_LIFETIME). The id kept in the session carries a
fingerprint of the password hash, so a password reset or a disabled account ends
every session that account had open.

Roles: a network `admin` manages everything; a `partner` keeps one organization's
listings and queues (the admin views scope every query and every lookup by id to it);
an `advocate` has the console and insights. Two gates stand before every guarded view:
an account whose password someone else chose must choose its own first, and in
production (ADMIN_TWO_FACTOR_REQUIRED) a network admin must turn on two-factor sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.security import check_password_hash
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from bot.database import get_session
from bot.extensions import limiter, login_manager
from bot.request_guards import CONTROL_CHARACTERS
from bot.staff import accounts
from resources_db.models import User

blueprint = Blueprint("auth", __name__)

STAFF_ROLES = ("admin", "partner", "advocate")
LISTING_ROLES = ("admin", "partner")
View = TypeVar("View", bound=Callable)

login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"


@dataclass(frozen=True, eq=True)
class StaffUser(UserMixin):
    """The signed-in account as the request sees it: detached from any database session."""

    id: int
    email: str
    role: str
    active: bool
    session_id: str
    organization_id: str | None = None
    must_change_password: bool = False
    two_factor: bool = False

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_partner(self) -> bool:
        return self.role == "partner"

    def get_id(self) -> str:
        return self.session_id

    @classmethod
    def from_account(cls, user: User) -> StaffUser:
        """Build the request's view of an account row."""
        return cls(id=user.id, email=user.email, role=user.role, active=user.active,
                   session_id=f"{user.id}.{_password_fingerprint(user.password_hash)}",
                   organization_id=user.organization_id,
                   must_change_password=bool(user.must_change_password),
                   two_factor=bool(user.totp_secret))


def _password_fingerprint(password_hash: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:24]


@login_manager.user_loader
def load_user(session_id: str) -> StaffUser | None:
    """Return the account behind a session id, or None when it changed or was disabled."""
    user_id, _, fingerprint = session_id.partition(".")
    if not user_id.isdigit() or not fingerprint:
        return None
    user = get_session().get(User, int(user_id))
    if user is None or not user.active or user.role not in STAFF_ROLES:
        return None
    if user.role == "partner" and not user.organization_id:
        return None  # a partner without an organization has nothing it may see
    if not hmac.compare_digest(fingerprint, _password_fingerprint(user.password_hash)):
        return None
    return StaffUser.from_account(user)


def _require_roles(roles: tuple[str, ...]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            if (gate := _gate_for(current_user)) is not None and request.endpoint not in (
                    "auth.change_password", "auth.two_factor", "auth.logout"):
                return redirect(url_for(gate))
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorator


def _gate_for(user: StaffUser) -> str | None:
    """Return the endpoint a signed-in account must go through first, or None."""
    if user.must_change_password:
        return "auth.change_password"
    if (user.role == "admin" and not user.two_factor
            and current_app.config.get("ADMIN_TWO_FACTOR_REQUIRED")):
        return "auth.two_factor"
    return None


def staff_required(view: View) -> View:
    """Let any staff in; anonymous users go to /login?next=..., others get 403."""
    return _require_roles(STAFF_ROLES)(view)


def listing_staff_required(view: View) -> View:
    """Let network admins and partners in (the view scopes partners to their organization)."""
    return _require_roles(LISTING_ROLES)(view)


def admin_required(view: View) -> View:
    """Let network admins in; anonymous users go to /login?next=..., others get 403."""
    return _require_roles(("admin",))(view)


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


def safe_next_url(target: str | None) -> str | None:
    """Return `target` when it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if CONTROL_CHARACTERS.search(target):
        return None  # CR/LF would split the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_for(user: StaffUser) -> str:
    """Return where a signed-in user lands: the listings for admins and partners, the
    console for advocates, or the gate (new password, two-factor) it must pass first."""
    if (gate := _gate_for(user)) is not None:
        return url_for(gate)
    return "/admin" if user.role in LISTING_ROLES else "/console"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATELIMIT"]


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Show the sign-in form; on a valid email and password, start a staff session."""
    next_url = safe_next_url(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or home_for(current_user))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        db = get_session()
        user = accounts.authenticate(db, form.email.data, form.password.data,
                                     record_login=False)
        if user is not None and user.totp_secret:
            # The password was right; the session remembers that (for a few minutes)
            # until the code from the authenticator app comes.
            session.clear()
            session[_PENDING_KEY] = {"id": user.id, "at": int(time.time()),
                                     "fingerprint": _password_fingerprint(user.password_hash)}
            return redirect(url_for("auth.login_code", next=next_url) if next_url
                            else url_for("auth.login_code"))
        if user is not None:
            return _start_session(user, next_url)
        failed = True
        current_app.logger.info("staff sign-in refused")
    status = 401 if failed else 200
    return render_template("auth/login.html", form=form, failed=failed,
                           next_url=next_url), status


_PENDING_KEY = "two_factor_pending"
_PENDING_SECONDS = 300


def _start_session(user: User, next_url: str | None):
    db = get_session()
    accounts.record_login_of(db, user)
    staff = StaffUser.from_account(user)
    db.commit()
    # Drop whatever the anonymous session held before it becomes a staff session.
    session.clear()
    session.permanent = True
    login_user(staff)
    current_app.logger.info("staff sign-in: account %s", staff.id)
    gate = _gate_for(staff)
    return redirect(url_for(gate) if gate else next_url or home_for(staff))


class CodeForm(FlaskForm):
    """The six-digit code from the authenticator app."""

    code = StringField("Code from your authenticator app",
                       validators=[DataRequired(), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


@blueprint.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login_code():
    """Ask for the two-factor code after a right password; sign in when it is right."""
    next_url = safe_next_url(request.values.get("next"))
    pending = session.get(_PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > _PENDING_SECONDS:
        session.pop(_PENDING_KEY, None)
        flash("Sign in again: the two-factor step has to follow the password closely.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    failed = False
    if form.validate_on_submit():
        db = get_session()
        user = db.get(User, pending["id"])
        if (user is not None and user.active and user.totp_secret
                and hmac.compare_digest(pending["fingerprint"],
                                        _password_fingerprint(user.password_hash))
                and accounts.check_totp(db, user, form.code.data)):
            return _start_session(user, next_url)
        failed = True
        current_app.logger.info("staff two-factor code refused")
    status = 401 if failed else 200
    return render_template("auth/login_code.html", form=form, failed=failed,
                           next_url=next_url), status


@blueprint.errorhandler(429)
def too_many_attempts(_error):
    """Answer a rate-limited sign-in with the form and a plain explanation."""
    form = LoginForm()
    return render_template("auth/login.html", form=form, failed=False, too_many=True,
                           next_url=safe_next_url(request.values.get("next"))), 429


@blueprint.route("/logout", methods=["POST"])
def logout():
    """End the staff session."""
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


class ChangePasswordForm(FlaskForm):
    """The current password and the new one, twice."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(max=accounts.PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
        render_kw={"autocomplete": "new-password"})


@blueprint.route("/account/password", methods=["GET", "POST"])
@staff_required
def change_password():
    """Let a signed-in staff member change their own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        db = get_session()
        user = db.get(User, current_user.id)
        if not check_password_hash(user.password_hash, form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        elif problem := accounts.password_problem(form.new_password.data):
            form.new_password.errors.append(problem)
        else:
            accounts.set_password(db, user, form.new_password.data, chosen_by_owner=True)
            staff = StaffUser.from_account(user)
            db.commit()
            # The session id carries the password fingerprint: renew it, or this
            # session would end along with the others.
            login_user(staff)
            flash("Your password is changed. Other sessions are signed out.", "success")
            return redirect(home_for(staff))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form,
                           first_time=current_user.must_change_password), status


class TwoFactorForm(FlaskForm):
    """A code from the authenticator app: to turn two-factor sign-in on, or off."""

    code = StringField("Code from your authenticator app",
                       validators=[DataRequired(), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


_SETUP_KEY = "two_factor_setup_secret"


@blueprint.route("/account/two-factor", methods=["GET", "POST"])
@staff_required
def two_factor():
    """Turn two-factor sign-in on (scan the key, type a code) or off (type a code)."""
    db = get_session()
    user = db.get(User, current_user.id)
    form = TwoFactorForm()
    required = (user.role == "admin" and current_app.config.get("ADMIN_TWO_FACTOR_REQUIRED"))
    if user.totp_secret:
        if form.validate_on_submit():
            if required:
                abort(403)
            if accounts.check_totp(db, user, form.code.data):
                accounts.set_totp_secret(db, user, None)
                db.commit()
                login_user(StaffUser.from_account(user))
                flash("Two-factor sign-in is off.", "info")
                return redirect(url_for("auth.two_factor"))
            form.code.errors = ["That code is not right. Codes change every 30 seconds."]
        return render_template("auth/two_factor.html", form=form, enabled=True,
                               required=required), 400 if form.errors else 200
    secret = session.get(_SETUP_KEY) or accounts.new_totp_secret()
    session[_SETUP_KEY] = secret
    if form.validate_on_submit():
        if accounts.totp_matches(secret, form.code.data):
            accounts.set_totp_secret(db, user, secret)
            db.commit()
            session.pop(_SETUP_KEY, None)
            login_user(StaffUser.from_account(user))
            flash("Two-factor sign-in is on. Keep your authenticator app.", "success")
            return redirect(home_for(StaffUser.from_account(user)))
        form.code.errors = ["That code is not right. Codes change every 30 seconds."]
    uri = accounts.totp_uri(secret, user.email)
    return render_template(
        "auth/two_factor.html", form=form, enabled=False, required=required, secret=secret,
        qr_svg=Markup(accounts.qr_svg(uri)),  # noqa: S704 - segno's own SVG, no user text
    ), 400 if form.errors else 200

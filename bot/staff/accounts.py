"""Staff accounts and the network's organizations: creating, authenticating (password,
then a TOTP code when two-factor sign-in is on), disabling and resetting accounts.

Passwords are hashed with scrypt (werkzeug); two-factor codes are RFC 6238 TOTP (pyotp),
each code accepted once. Every function takes the caller's session and flushes; the
caller (a view or a CLI command) commits.
"""

from __future__ import annotations

import functools
import hmac
import io
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
import segno
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from resources_db.listings_store import organization_id
from resources_db.models import ROLES, Organization, User, utcnow

TOTP_ISSUER = "Harbor staff"

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256
HASH_METHOD = "scrypt"
# Deliberately loose: one @, no spaces, a dot in the domain. Mail delivery is not our check.
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
# Made on first use, not at import: scrypt costs a quarter second every `harbor` command paid.
@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16), method=HASH_METHOD)


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is for the user."""


@dataclass(frozen=True)
class CreatedAccount:
    """The result of ensuring an account exists."""

    user_id: int
    email: str
    role: str
    created: bool


def normalize_email(email: str) -> str:
    """Return the email as stored: trimmed and lower-cased."""
    return (email or "").strip().lower()


def email_problem(email: str) -> str | None:
    """Return why `email` cannot be an account's email, or None when it can."""
    email = normalize_email(email)
    if not email:
        return "Enter an email address."
    if len(email) > 254 or not _EMAIL_PATTERN.match(email):
        return "Enter a valid email address, like name@example.org."
    return None


def password_problem(password: str) -> str | None:
    """Return why `password` is not acceptable, or None when it is."""
    if len(password or "") < PASSWORD_MIN_LENGTH:
        return f"Use at least {PASSWORD_MIN_LENGTH} characters."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Use at most {PASSWORD_MAX_LENGTH} characters."
    if not password.strip():
        return "The password cannot be only spaces."
    return None


def hash_password(password: str) -> str:
    """Return the scrypt hash of `password`."""
    return generate_password_hash(password, method=HASH_METHOD)


def find_user(session: Session, email: str) -> User | None:
    """Return the account with this email (any case), or None."""
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def find_organization(session: Session, name: str) -> Organization | None:
    """Return the organization with this name (case and spacing ignored), or None."""
    return session.get(Organization, organization_id(name)) if name.strip() else None


def create_organization(session: Session, name: str) -> tuple[Organization, bool]:
    """Make `name` a member of the network (creating it when needed); return it and
    whether it is new. An organization an import created already owns its listings."""
    name = " ".join((name or "").split())
    if not name:
        raise AccountError("Enter the organization's name.")
    if len(name) > 300:
        raise AccountError("Use at most 300 characters for the name.")
    existing = find_organization(session, name)
    if existing is not None:
        created = not existing.member
        existing.member = True
        session.flush()
        return existing, created
    organization = Organization(id=organization_id(name), name=name, description="",
                                website="", email="", member=True)
    session.add(organization)
    session.flush()
    return organization, True


def member_organizations(session: Session) -> list[Organization]:
    """Return the network's organizations (members and those that own listings), by name."""
    return list(session.scalars(select(Organization).order_by(func.lower(Organization.name))))


def create_user(session: Session, email: str, password: str, role: str, *,
                organization: str | None = None,
                must_change_password: bool = False) -> User:
    """Create an active account; raise AccountError when a rule forbids it.

    A partner needs an organization of the network (by name); others have none.
    """
    email = normalize_email(email)
    problem = email_problem(email) or password_problem(password)
    if problem:
        raise AccountError(problem)
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.")
    org = None
    if role == "partner":
        if not (organization or "").strip():
            raise AccountError("A partner account needs its organization.")
        org = find_organization(session, organization)
        if org is None:
            raise AccountError(f"No organization named {organization!r}: create it first.")
    elif organization:
        raise AccountError("Only partner accounts belong to one organization.")
    if find_user(session, email) is not None:
        raise AccountError(f"An account for {email} already exists.")
    user = User(email=email, password_hash=hash_password(password), role=role, active=True,
                created_at=utcnow(), organization_id=org.id if org else None,
                must_change_password=must_change_password)
    session.add(user)
    session.flush()
    return user


def ensure_user(session: Session, email: str, password: str, role: str) -> CreatedAccount:
    """Create the account unless one with this email exists; never changes an existing one."""
    existing = find_user(session, email)
    if existing is not None:
        return CreatedAccount(existing.id, existing.email, existing.role, created=False)
    user = create_user(session, email, password, role)
    return CreatedAccount(user.id, user.email, user.role, created=True)


def authenticate(session: Session, email: str, password: str, *,
                 record_login: bool = True) -> User | None:
    """Return the active account these credentials open, or None (same cost either way).

    With record_login=False the sign-in is not yet complete (a two-factor code follows).
    """
    user = find_user(session, email)
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    if not user.active:
        return None
    if record_login:
        record_login_of(session, user)
    return user


def record_login_of(session: Session, user: User) -> None:
    """Note that the account just signed in."""
    user.last_login_at = utcnow()
    session.flush()


def set_password(session: Session, user: User, password: str, *,
                 chosen_by_owner: bool = False) -> None:
    """Replace the account's password (this also signs out its open sessions).

    A password someone else chose (an admin's reset) must be changed at the next sign-in.
    """
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    user.must_change_password = not chosen_by_owner
    session.flush()


def new_totp_secret() -> str:
    """Return a new random base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, email: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def qr_svg(uri: str) -> str:
    """Return `uri` as an inline SVG QR code (no script, no outside request)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, xmldecl=False, svgns=True,
                                    title="QR code for your authenticator app")
    return out.getvalue().decode()


def totp_matches(secret: str, code: str) -> bool:
    """Return True when `code` is the current code of `secret` (30 s either side)."""
    code = "".join((code or "").split())
    return code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)


def check_totp(session: Session, user: User, code: str) -> bool:
    """Return True when `code` is right for the account and no later or equal code was
    accepted before (a code seen once, say over a shoulder, opens nothing twice)."""
    code = "".join((code or "").split())
    if not user.totp_secret or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = time.time()
    for offset in (0, -1, 1):  # this step, and one either side for clock drift
        step = int(now // totp.interval) + offset
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            session.flush()
            return True
    return False


def set_totp_secret(session: Session, user: User, secret: str | None) -> None:
    """Turn two-factor sign-in on (with this secret) or off (None)."""
    user.totp_secret = secret
    user.totp_last_step = None
    session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    """Enable or disable an account; a disabled account cannot sign in."""
    user.active = active
    session.flush()


def count_active_admins(session: Session) -> int:
    """Return how many enabled admin accounts exist."""
    return session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
    ) or 0


def generate_password() -> str:
    """Return a new random password that meets the rules (about 120 bits)."""
    return secrets.token_urlsafe(15)


DEMO_ADMIN_EMAIL = "admin@harbor.example"
DEMO_LOGIN_FILE = "demo-admin-login.txt"


@dataclass(frozen=True)
class DemoAdmin:
    """The demo admin's login, as `harbor demo load` prints it."""

    email: str
    password: str | None  # None when the account exists but its password is not ours to show
    created: bool


# A partner of the Cedar Rapids demo organization, so `make run` shows that role too.
DEMO_PARTNER_EMAIL = "partner@harbor.example"
DEMO_PARTNER_ORGANIZATION = "Cedar Community Partners (fictional)"
DEMO_PARTNER_LOGIN_FILE = "demo-partner-login.txt"


def ensure_demo_admin(session: Session, instance_path: str | os.PathLike[str]) -> DemoAdmin:
    """Make sure the demo admin exists; its password is generated once and kept in the
    instance folder (mode 600), so running this again changes nothing and prints the same login.
    """
    return _ensure_demo_account(session, Path(instance_path) / DEMO_LOGIN_FILE,
                                DEMO_ADMIN_EMAIL, "admin")


def ensure_demo_partner(session: Session, instance_path: str | os.PathLike[str]) -> DemoAdmin:
    """Make sure the demo partner (of the Cedar Rapids demo organization) exists, like the
    demo admin; the organization becomes a network member."""
    create_organization(session, DEMO_PARTNER_ORGANIZATION)
    return _ensure_demo_account(session, Path(instance_path) / DEMO_PARTNER_LOGIN_FILE,
                                DEMO_PARTNER_EMAIL, "partner",
                                organization=DEMO_PARTNER_ORGANIZATION)


def _ensure_demo_account(session: Session, password_file: Path, email: str, role: str,
                         organization: str | None = None) -> DemoAdmin:
    stored = _read_secret(password_file)
    existing = find_user(session, email)
    if existing is not None:
        # Show the stored password only while it still opens the account.
        usable = stored if stored and check_password_hash(existing.password_hash, stored) else None
        return DemoAdmin(email, usable, created=False)
    password = stored or generate_password()
    if not stored:
        password_file.parent.mkdir(parents=True, exist_ok=True)
        # Created with mode 600 from the start: the password is never world-readable.
        descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(password + "\n")
    create_user(session, email, password, role, organization=organization)
    return DemoAdmin(email, password, created=True)


def _read_secret(path: Path) -> str | None:
    try:
        value = path.read_text().strip()
    except OSError:
        return None
    return value if password_problem(value) is None else None

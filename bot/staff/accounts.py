"""Staff accounts: creating, authenticating, disabling and resetting admins and advocates.

Passwords are hashed with scrypt (werkzeug). Every function takes the caller's session
and flushes; the caller (a view or a CLI command) commits.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from resources_db.models import ROLES, User, utcnow

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


def create_user(session: Session, email: str, password: str, role: str) -> User:
    """Create an active account; raise AccountError when a rule forbids it."""
    email = normalize_email(email)
    problem = email_problem(email) or password_problem(password)
    if problem:
        raise AccountError(problem)
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.")
    if find_user(session, email) is not None:
        raise AccountError(f"An account for {email} already exists.")
    user = User(email=email, password_hash=hash_password(password), role=role, active=True,
                created_at=utcnow())
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


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active account these credentials open, or None (same cost either way)."""
    user = find_user(session, email)
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    if not user.active:
        return None
    user.last_login_at = utcnow()
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Replace the account's password (this also signs out its open sessions)."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(password)
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


def ensure_demo_admin(session: Session, instance_path: str | os.PathLike[str]) -> DemoAdmin:
    """Make sure the demo admin exists; its password is generated once and kept in the
    instance folder (mode 600), so running this again changes nothing and prints the same login.
    """
    password_file = Path(instance_path) / DEMO_LOGIN_FILE
    stored = _read_secret(password_file)
    existing = find_user(session, DEMO_ADMIN_EMAIL)
    if existing is not None:
        # Show the stored password only while it still opens the account.
        usable = stored if stored and check_password_hash(existing.password_hash, stored) else None
        return DemoAdmin(DEMO_ADMIN_EMAIL, usable, created=False)
    password = stored or generate_password()
    if not stored:
        password_file.parent.mkdir(parents=True, exist_ok=True)
        # Created with mode 600 from the start: the password is never world-readable.
        descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(password + "\n")
    create_user(session, DEMO_ADMIN_EMAIL, password, "admin")
    return DemoAdmin(DEMO_ADMIN_EMAIL, password, created=True)


def _read_secret(path: Path) -> str | None:
    try:
        value = path.read_text().strip()
    except OSError:
        return None
    return value if password_problem(value) is None else None

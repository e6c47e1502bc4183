"""Users in the admin UI: add accounts of every role, disable, enable and reset partners and
advocates; existing admins stay untouchable; a generated password is replaced at first sign-in."""

from __future__ import annotations

import re

import pytest
from werkzeug.security import check_password_hash

from bot.staff import accounts
from resources_db.models import User


def _account(db_session, email: str) -> User:
    db_session.expire_all()
    return db_session.query(User).filter_by(email=email).one()


def _shown_password(body: str) -> str:
    match = re.search(r'<span class="secret">([^<]+)</span>', body)
    assert match, "no password shown"
    return match.group(1)


def test_admin_adds_an_advocate_and_sees_the_password_once(client, sign_in, db_session):
    sign_in("admin")
    response = client.post("/admin/users", data={"email": "New.Advocate@example.org",
                                                 "role": "advocate"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    password = _shown_password(body)
    user = _account(db_session, "new.advocate@example.org")
    assert user.role == "advocate" and user.active
    assert check_password_hash(user.password_hash, password)
    assert accounts.password_problem(password) is None
    assert response.headers["Cache-Control"] == "no-store"
    # Never in the cookie (flash) and never shown again.
    with client.session_transaction() as session:
        assert password not in str(dict(session))
    assert password not in client.get("/admin/users").get_data(as_text=True)
    # The new advocate can sign in with it, and must choose their own password first.
    client.post("/logout")
    signed_in = client.post("/login", data={"email": user.email, "password": password})
    assert signed_in.headers["Location"] == "/account/password"
    assert client.get("/console").headers["Location"] == "/account/password"
    changed = client.post("/account/password", data={
        "current_password": password, "new_password": "my own passphrase 42",
        "confirm_password": "my own passphrase 42"})
    assert changed.headers["Location"] == "/console"
    assert client.get("/console").status_code == 200
    assert _account(db_session, user.email).must_change_password is False


@pytest.mark.parametrize(
    ("email", "message"),
    [("", "This field is required."), ("not an email", "valid email"),
     ("admin@example.org", "already exists")],
)
def test_a_bad_new_account_shows_the_error_next_to_the_field(client, sign_in, db_session,
                                                             email, message):
    sign_in("admin")
    before = db_session.query(User).count()
    response = client.post("/admin/users", data={"email": email, "role": "advocate"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="email-error"' in body
    assert message in body
    assert db_session.query(User).count() == before


def test_disable_and_enable_an_advocate(client, sign_in, db_session):
    sign_in("advocate", "adv@example.org")
    sign_in("admin")
    user_id = _account(db_session, "adv@example.org").id
    response = client.post(f"/admin/users/{user_id}/disable")
    assert response.status_code == 302
    assert _account(db_session, "adv@example.org").active is False
    assert "adv@example.org is disabled." in client.get("/admin/users").get_data(as_text=True)
    client.post(f"/admin/users/{user_id}/enable")
    assert _account(db_session, "adv@example.org").active is True


def test_reset_gives_a_new_password_and_ends_the_advocates_sessions(app, client, sign_in,
                                                                    db_session):
    advocate_client = app.test_client()
    user = accounts.create_user(db_session, "adv@example.org", "initial password 1", "advocate")
    db_session.commit()
    advocate_client.post("/login", data={"email": "adv@example.org",
                                         "password": "initial password 1"})
    assert advocate_client.get("/account/password").status_code == 200
    sign_in("admin")
    body = client.post(f"/admin/users/{user.id}/reset-password").get_data(as_text=True)
    password = _shown_password(body)
    assert check_password_hash(_account(db_session, "adv@example.org").password_hash, password)
    assert advocate_client.get("/account/password").status_code == 302


@pytest.mark.parametrize("action", ["disable", "enable", "reset-password"])
def test_admin_accounts_cannot_be_changed_in_the_ui(client, sign_in, db_session, action):
    sign_in("admin", "other-admin@example.org")
    sign_in("admin")
    other = _account(db_session, "other-admin@example.org")
    hash_before = other.password_hash
    assert client.post(f"/admin/users/{other.id}/{action}").status_code == 403
    other = _account(db_session, "other-admin@example.org")
    assert other.active is True and other.password_hash == hash_before


def test_unknown_account_is_404(client, sign_in):
    sign_in("admin")
    assert client.post("/admin/users/999999/disable").status_code == 404


def test_staff_change_their_own_password(client, sign_in, db_session):
    sign_in("advocate", "adv@example.org")  # password "test password 0123"
    wrong = client.post("/account/password", data={
        "current_password": "not it at all", "new_password": "a new passphrase here",
        "confirm_password": "a new passphrase here"})
    assert wrong.status_code == 400
    assert "not your current password" in wrong.get_data(as_text=True)
    short = client.post("/account/password", data={
        "current_password": "test password 0123", "new_password": "short",
        "confirm_password": "short"})
    assert "at least 12" in short.get_data(as_text=True)
    done = client.post("/account/password", data={
        "current_password": "test password 0123", "new_password": "a new passphrase here",
        "confirm_password": "a new passphrase here"})
    assert done.status_code == 302
    # This session stays signed in; the new password works.
    assert client.get("/account/password").status_code == 200
    user = _account(db_session, "adv@example.org")
    assert check_password_hash(user.password_hash, "a new passphrase here")

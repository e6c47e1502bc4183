"""Staff sign-in: credentials, roles, redirects, session cookies, rate limit, sign-out."""

from __future__ import annotations

import pytest
from flask import Flask

from bot import create_app
from bot.staff import accounts
from bot.staff.auth import admin_required, safe_next_url, staff_required
from resources_db.models import User

PASSWORD = "correct horse battery staple"


def _add_account(db_session, email: str, role: str, active: bool = True) -> User:
    user = accounts.create_user(db_session, email, PASSWORD, role)
    user.active = active
    db_session.commit()
    return user


def _sign_in(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    path = "/login" if next_url is None else f"/login?next={next_url}"
    return client.post(path, data={"email": email, "password": password})


def _add_guarded_views(app: Flask) -> None:
    app.add_url_rule("/probe/staff", "probe_staff", staff_required(lambda: "staff page"))
    app.add_url_rule("/probe/admin", "probe_admin", admin_required(lambda: "admin page"))


@pytest.mark.parametrize(
    ("role", "landing"), [("admin", "/admin"), ("advocate", "/console")]
)
def test_valid_credentials_sign_in_and_land_on_the_role_home(client, db_session, role, landing):
    _add_account(db_session, "Staff@Example.org", role)
    response = _sign_in(client, "  staff@EXAMPLE.org ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == landing
    db_session.expire_all()
    assert db_session.query(User).one().last_login_at is not None


@pytest.mark.parametrize(
    ("email", "password", "active"),
    [
        ("staff@example.org", "wrong password here", True),
        ("nobody@example.org", PASSWORD, True),
        ("staff@example.org", PASSWORD, False),  # disabled account
        ("staff@example.org", "", True),
    ],
)
def test_bad_credentials_are_refused_with_one_generic_message(
    client, db_session, email, password, active
):
    _add_account(db_session, "staff@example.org", "admin", active=active)
    response = _sign_in(client, email, password)
    assert response.status_code in (200, 401)
    assert b"Sign in" in response.data
    if password:
        assert response.status_code == 401
        assert b"do not match an active account" in response.data
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_passwords_are_stored_as_scrypt_hashes(db_session):
    user = _add_account(db_session, "staff@example.org", "advocate")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin?category=shelter", "/admin?category=shelter"),
        ("/console", "/console"),
        ("//evil.example/", None),
        ("https://evil.example/admin", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("", None),
        (None, None),
    ],
)
def test_next_url_must_stay_on_this_site(target, expected):
    assert safe_next_url(target) == expected


def test_sign_in_follows_a_local_next_and_ignores_a_foreign_one(client, db_session):
    _add_account(db_session, "staff@example.org", "admin")
    response = _sign_in(client, "staff@example.org", next_url="/admin/audit")
    assert response.headers["Location"] == "/admin/audit"
    client.post("/logout")
    response = _sign_in(client, "staff@example.org", next_url="https://evil.example/")
    assert response.headers["Location"] == "/admin"


def test_the_session_cookie_is_httponly_lax_and_expiring(client, db_session):
    _add_account(db_session, "staff@example.org", "admin")
    response = _sign_in(client, "staff@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie


def test_production_session_cookie_is_secure(database_url, redis_url):
    app = create_app({
        "HARBOR_ENV": "production", "SECRET_KEY": "s", "HASH_KEY": "h",
        "TWILIO_AUTH_TOKEN": "t", "DATABASE_URL": database_url, "WTF_CSRF_ENABLED": False,
        "PUBLIC_BASE_URL": "https://harbor.example", "RATELIMIT_STORAGE_URI": redis_url,
    })
    try:
        with app.app_context():
            session = app.extensions["harbor_database"].sessions()
            accounts.create_user(session, "secure@example.org", PASSWORD, "admin")
            session.commit()
            session.close()
        response = app.test_client().post(
            "/login", data={"email": "secure@example.org", "password": PASSWORD},
            base_url="https://harbor.example",
        )
        assert response.status_code == 302
        assert "Secure" in response.headers["Set-Cookie"]
    finally:
        with app.app_context():
            session = app.extensions["harbor_database"].sessions()
            session.query(User).delete()
            session.commit()
            session.close()
        app.extensions["harbor_database"].engine.dispose()


@pytest.mark.parametrize(
    ("role", "staff_status", "admin_status"),
    [("admin", 200, 200), ("advocate", 200, 403)],
)
def test_role_decorators_let_the_right_roles_in(
    app, client, db_session, role, staff_status, admin_status
):
    _add_guarded_views(app)
    _add_account(db_session, "staff@example.org", role)
    _sign_in(client, "staff@example.org")
    assert client.get("/probe/staff").status_code == staff_status
    assert client.get("/probe/admin").status_code == admin_status


@pytest.mark.parametrize("path", ["/probe/staff", "/probe/admin"])
def test_role_decorators_send_anonymous_users_to_sign_in(app, client, path):
    _add_guarded_views(app)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "probe" in response.headers["Location"]


def test_sign_out_needs_post_and_ends_the_session(app, client, db_session):
    _add_guarded_views(app)
    _add_account(db_session, "staff@example.org", "advocate")
    _sign_in(client, "staff@example.org")
    assert client.get("/logout").status_code == 405
    assert client.get("/probe/staff").status_code == 200
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"
    assert client.get("/probe/staff").status_code == 302


@pytest.mark.parametrize("change", ["password", "disable"])
def test_a_password_reset_or_disable_ends_open_sessions(app, client, db_session, change):
    _add_guarded_views(app)
    user = _add_account(db_session, "staff@example.org", "advocate")
    _sign_in(client, "staff@example.org")
    assert client.get("/probe/staff").status_code == 200
    if change == "password":
        accounts.set_password(db_session, user, "a brand new passphrase")
    else:
        accounts.set_active(db_session, user, False)
    db_session.commit()
    assert client.get("/probe/staff").status_code == 302


def _copy_of(app, client):
    """Return a second client carrying a copy of `client`'s session cookie."""
    copy = app.test_client()
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    copy.set_cookie(cookie.key, cookie.value)
    return copy


def test_sign_out_ends_every_copy_of_the_session(app, client, db_session):
    _add_guarded_views(app)
    _add_account(db_session, "staff@example.org", "advocate")
    _sign_in(client, "staff@example.org")
    copy = _copy_of(app, client)
    assert copy.get("/probe/staff").status_code == 200
    client.post("/logout")
    assert copy.get("/probe/staff").status_code == 302
    # Signing in again starts a session the old copy does not share.
    _sign_in(client, "staff@example.org")
    assert client.get("/probe/staff").status_code == 200
    assert copy.get("/probe/staff").status_code == 302


def test_changing_ones_password_ends_the_other_copies_but_not_this_session(
        app, client, db_session):
    _add_guarded_views(app)
    _add_account(db_session, "staff@example.org", "advocate")
    _sign_in(client, "staff@example.org")
    copy = _copy_of(app, client)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a brand new passphrase",
        "confirm_password": "a brand new passphrase"})
    assert response.status_code == 302
    assert client.get("/probe/staff").status_code == 200
    assert copy.get("/probe/staff").status_code == 302


def test_signed_in_user_visiting_login_goes_home(client, db_session):
    _add_account(db_session, "staff@example.org", "advocate")
    _sign_in(client, "staff@example.org")
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console"


def test_login_attempts_are_rate_limited_per_address(database_url):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "s", "HASH_KEY": "h", "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False, "LOGIN_RATELIMIT": "3 per minute",
    })
    client = app.test_client()
    statuses = [
        client.post("/login", data={"email": "x@example.org", "password": "nope"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    blocked = client.post("/login", data={"email": "x@example.org", "password": "nope"})
    assert b"Too many sign-in attempts" in blocked.data
    # Looking at the form is not an attempt.
    assert client.get("/login").status_code == 200
    other = app.test_client().post(
        "/login", data={"email": "x@example.org", "password": "nope"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 401
    app.extensions["harbor_database"].engine.dispose()


def test_staff_pages_send_no_inline_script_or_style(client):
    body = client.get("/login").get_data(as_text=True)
    assert "<script>" not in body
    assert "<style" not in body
    assert " style=" not in body
    assert "/static/staff.css" in body
    assert client.get("/static/staff.css").status_code == 200

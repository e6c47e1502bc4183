"""CSRF protection on the staff forms, with Flask-WTF's check switched on."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string

from bot.staff import accounts
from bot.staff.auth import staff_required

PASSWORD = "correct horse battery staple"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _token_from(body: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body) or re.search(
        r'name="csrf_token" value="([^"]+)"', body
    )
    assert match, "the page has no CSRF token"
    return match.group(1)


def test_login_without_a_csrf_token_is_refused(client, db_session):
    accounts.create_user(db_session, "staff@example.org", PASSWORD, "admin")
    db_session.commit()
    response = client.post("/login", data={"email": "staff@example.org", "password": PASSWORD})
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_login_with_the_page_token_works_and_logout_needs_one_too(app, client, db_session):
    # Any staff page: the layout carries the sign-out form.
    app.add_url_rule("/probe/staff", "probe_staff", staff_required(
        lambda: render_template_string('{% extends "staff/base.html" %}')))
    accounts.create_user(db_session, "staff@example.org", PASSWORD, "admin")
    db_session.commit()
    token = _token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": "staff@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert client.post("/logout").status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" in session
    page = client.get("/probe/staff").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": _token_from(page)})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session

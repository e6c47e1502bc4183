"""`harbor users`: accounts from the command line, passwords from stdin or a prompt."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from bot.cli.commands import users as users_commands
from bot.staff import accounts
from resources_db.models import User

PASSWORD = "correct horse battery staple"


def _account(db_session, email: str) -> User:
    db_session.expire_all()
    return db_session.query(User).filter_by(email=email).one()


@pytest.mark.parametrize("role", ["admin", "advocate"])
def test_create_reads_the_password_from_piped_stdin(runner, db_session, role):
    result = runner.invoke(args=["users", "create", "New@Example.org", "--role", role],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert f"created {role} account new@example.org" in result.output
    user = _account(db_session, "new@example.org")
    assert user.role == role and user.active
    assert check_password_hash(user.password_hash, PASSWORD)
    assert PASSWORD not in result.output


def test_create_prompts_twice_on_a_terminal(runner, db_session, monkeypatch):
    monkeypatch.setattr(users_commands, "_stdin_is_terminal", lambda: True)
    result = runner.invoke(args=["users", "create", "a@example.org", "--role", "advocate"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    assert check_password_hash(_account(db_session, "a@example.org").password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "create", "a@example.org", "--role", "admin"], "short\n", "at least 12"),
        (["users", "create", "not-an-email", "--role", "admin"], PASSWORD + "\n", "valid email"),
        (["users", "create", "a@example.org", "--role", "owner"], PASSWORD + "\n", "owner"),
        (["users", "create", "a@example.org"], PASSWORD + "\n", "--role"),
        (["users", "create", "a@example.org", "--role", "admin"], "", "at least 12"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(runner, db_session, args, stdin, message):
    result = runner.invoke(args=args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert db_session.query(User).count() == 0


def test_create_refuses_a_duplicate_email(runner, db_session):
    args = ["users", "create", "a@example.org", "--role", "admin"]
    assert runner.invoke(args=args, input=PASSWORD + "\n").exit_code == 0
    result = runner.invoke(args=["users", "create", "A@example.org", "--role", "advocate"],
                           input=PASSWORD + "\n")
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert db_session.query(User).count() == 1


def test_disable_enable_reset_and_list(runner, db_session):
    runner.invoke(args=["users", "create", "a@example.org", "--role", "advocate"],
                  input=PASSWORD + "\n")
    assert runner.invoke(args=["users", "disable", "a@example.org"]).exit_code == 0
    assert _account(db_session, "a@example.org").active is False
    assert "a@example.org\tadvocate\tdisabled" in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "enable", "a@example.org"]).exit_code == 0
    assert _account(db_session, "a@example.org").active is True
    result = runner.invoke(args=["users", "reset-password", "a@example.org"],
                           input="another long passphrase\n")
    assert result.exit_code == 0, result.output
    user = _account(db_session, "a@example.org")
    assert check_password_hash(user.password_hash, "another long passphrase")
    missing = runner.invoke(args=["users", "disable", "nobody@example.org"])
    assert missing.exit_code != 0
    assert "no account for nobody@example.org" in missing.output


def test_demo_admin_is_created_once_with_a_password_kept_in_the_instance_folder(
    db_session, tmp_path
):
    first = accounts.ensure_demo_admin(db_session, tmp_path)
    db_session.commit()
    second = accounts.ensure_demo_admin(db_session, tmp_path)
    assert first.created and not second.created
    assert first.password == second.password
    assert db_session.query(User).filter_by(email=accounts.DEMO_ADMIN_EMAIL).count() == 1
    login_file = tmp_path / accounts.DEMO_LOGIN_FILE
    assert login_file.stat().st_mode & 0o777 == 0o600
    assert check_password_hash(_account(db_session, accounts.DEMO_ADMIN_EMAIL).password_hash,
                               first.password)


def test_demo_admin_hides_a_stored_password_that_no_longer_works(db_session, tmp_path):
    accounts.ensure_demo_admin(db_session, tmp_path)
    user = _account(db_session, accounts.DEMO_ADMIN_EMAIL)
    accounts.set_password(db_session, user, "changed by its owner")
    db_session.commit()
    again = accounts.ensure_demo_admin(db_session, tmp_path)
    assert again.password is None and not again.created


def test_demo_load_creates_the_demo_admin_once_and_prints_its_login(app, runner, db_session,
                                                                     tmp_path):
    app.instance_path = str(tmp_path)
    first = runner.invoke(args=["demo", "load"])
    second = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    password = (tmp_path / accounts.DEMO_LOGIN_FILE).read_text().strip()
    assert f"demo admin created: sign in at /login as admin@harbor.example with password " \
           f"{password}" in first.output
    assert f"demo admin exists: sign in at /login as admin@harbor.example with password " \
           f"{password}" in second.output
    assert db_session.query(User).count() == 2  # the demo admin and the demo partner
    response = app.test_client().post(
        "/login", data={"email": "admin@harbor.example", "password": password})
    assert response.headers["Location"] == "/admin"


def test_demo_load_makes_a_partner_who_sees_one_demo_organization(app, runner, db_session,
                                                                 tmp_path):
    app.instance_path = str(tmp_path)
    first = runner.invoke(args=["demo", "load"])
    second = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    password = (tmp_path / accounts.DEMO_PARTNER_LOGIN_FILE).read_text().strip()
    assert f"sign in as partner@harbor.example with password {password}" in first.output
    assert "demo partner exists" in second.output
    client = app.test_client()
    client.post("/login", data={"email": "partner@harbor.example", "password": password})
    page = client.get("/admin?status=all").get_data(as_text=True)
    assert "Cedar Lanternhouse Shelter" in page  # Cedar Community Partners (fictional)
    assert "Kestrel Bridge Transitional Housing" not in page  # Cedar Family Alliance

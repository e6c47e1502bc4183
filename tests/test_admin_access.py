"""Every /admin route refuses anonymous users and advocates: a walk over the URL map.

A new route is covered the moment it is registered. Advocates may see only the pages
in ADVOCATE_VISIBLE (insights). Console and account pages are for any signed-in staff:
the walk checks that they refuse anonymous users too.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import FloatConverter, IntegerConverter, Rule, UUIDConverter

from bot import create_app

# Path prefixes advocates may open under /admin. Keep this list short and explicit.
ADVOCATE_VISIBLE = ("/admin/insights",)
# Pages for any signed-in staff member: anonymous users are refused, advocates are not.
STAFF_PREFIXES = ("/console", "/account")
PLACEHOLDER_VALUES = {IntegerConverter: 1, FloatConverter: 1.0,
                      UUIDConverter: "00000000-0000-0000-0000-000000000000"}


def _rules(prefixes: tuple[str, ...]) -> list[Rule]:
    # Collection time: an app of its own, on a database it never opens.
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "HASH_KEY": "k",
                      "DATABASE_URL": "sqlite://", "LOG_LEVEL": "WARNING"})
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.rule.startswith(prefixes)),
        key=lambda rule: rule.rule,
    )


def _url(rule: Rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        values[name] = PLACEHOLDER_VALUES.get(type(converter), "x")
    return rule.build(values, append_unknown=False)[1]


def _cases(prefixes: tuple[str, ...]):
    for rule in _rules(prefixes):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield pytest.param(rule.rule, method, _url(rule), id=f"{method} {rule.rule}")


ADMIN_CASES = list(_cases(("/admin",)))
STAFF_CASES = list(_cases(STAFF_PREFIXES))


def _is_advocate_visible(rule: str) -> bool:
    return any(rule == prefix or rule.startswith(prefix + "/") for prefix in ADVOCATE_VISIBLE)


def test_the_walk_sees_the_admin_routes():
    walked = {rule for rule, _method, _url in (case.values for case in ADMIN_CASES)}
    assert {"/admin/users", "/admin/audit"} <= walked


def _assert_sent_to_login(response) -> None:
    assert response.status_code in (302, 401), response.status_code
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(("rule", "method", "url"), ADMIN_CASES + STAFF_CASES)
def test_anonymous_users_are_sent_to_sign_in(client, rule, method, url):
    _assert_sent_to_login(client.open(url, method=method))


@pytest.mark.parametrize(("rule", "method", "url"), ADMIN_CASES)
def test_advocates_are_refused_outside_the_allow_list(client, sign_in, rule, method, url):
    sign_in("advocate")
    response = client.open(url, method=method)
    if _is_advocate_visible(rule):
        assert response.status_code not in (302, 401, 403), response.status_code
    else:
        assert response.status_code == 403


def test_admins_reach_every_admin_page(client, sign_in):
    sign_in("admin")
    for rule, method, url in (case.values for case in ADMIN_CASES):
        if method == "GET" and "<" not in rule:
            assert client.get(url).status_code == 200, rule

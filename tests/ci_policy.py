"""What CI may not skip: a test that lacks PostgreSQL, Redis or chromium fails there.

Locally such a test skips with the reason; with CI=true (.ci/run) it fails instead, so a
green CI run has really run every test. Test modules and conftest files import `missing`
from here (a module of its own: tests/ and tests/browser/ both have a conftest).
"""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI") == "true"
# The tests' Redis: HARBOR_TEST_REDIS_URL, else a database number of its own.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


def redis_url_for_tests() -> str:
    """Return the Redis URL tests use (HARBOR_TEST_REDIS_URL, else DEFAULT_REDIS_URL)."""
    return os.environ.get("HARBOR_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def missing(reason: str) -> None:
    """Skip the test, or fail it in CI where nothing may be skipped for lack of a tool."""
    if IN_CI:
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)

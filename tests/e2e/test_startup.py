"""A bad setting stops `manage.py` at start with a message naming the variable."""

from __future__ import annotations

import pytest

from tests.e2e.harness import base_env, run_manage

pytestmark = pytest.mark.e2e


def test_clean_environment_passes_the_checks() -> None:
    result = run_manage("check", env=base_env())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("variables", "named", "secret"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL", None),
        ({"DATABASE_URL": "mysql://admin:e2e-db-secret@x/y"}, "DATABASE_URL", "e2e-db-secret"),
        ({"REDIS_URL": "http://nope"}, "REDIS_URL", None),
        ({"DEBUG": "maybe"}, "DEBUG", None),
        ({"DEBUG": "false"}, "SECRET_KEY", None),
        ({"DATABASE_URL": "postgres://u:e2e-pw@h:abc/db"}, "DATABASE_URL", "e2e-pw"),
        ({"THROTTLE_LOGIN_RATE": "abc"}, "THROTTLE_LOGIN_RATE", None),
        ({"LOG_LEVEL": "bogus"}, "LOG_LEVEL", None),
    ],
    ids=[
        "database-scheme",
        "database-secret",
        "redis-scheme",
        "debug",
        "secret-key",
        "database-port",
        "throttle-rate",
        "log-level",
    ],
)
def test_bad_setting_fails_naming_the_variable(
    variables: dict[str, str], named: str, secret: str | None
) -> None:
    result = run_manage("check", env=base_env(**variables))
    assert result.returncode != 0, result.stdout
    assert named in result.stderr
    assert "ImproperlyConfigured" in result.stderr
    if secret:
        assert secret not in result.stderr

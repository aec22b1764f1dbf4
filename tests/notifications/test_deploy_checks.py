"""`check --deploy` refuses mail that would not reach learners: the console (or another
non-delivering) backend, a sender at localhost or a reserved domain, links on a non-public
origin. Only with DEBUG off."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.core.checks import run_checks

from notifications.checks import check_outgoing_mail, unroutable_domain
from tests.e2e.harness import base_env, run_manage

PRODUCTION = {
    "DEBUG": False,
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "DEFAULT_FROM_EMAIL": "StudyMate <no-reply@studymate.app>",
    "PUBLIC_URL": "https://api.studymate.app",
}


def _ids(settings: Any, **overrides: Any) -> list[str | None]:
    for name, value in {**PRODUCTION, **overrides}.items():
        setattr(settings, name, value)
    return [message.id for message in check_outgoing_mail()]


def test_production_mail_settings_pass(settings: Any) -> None:
    assert _ids(settings) == []


def test_the_check_runs_with_deploy_only(settings: Any) -> None:
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    deploy = {m.id for m in run_checks(include_deployment_checks=True)}
    assert "notifications.E001" in deploy
    assert "notifications.E001" not in {m.id for m in run_checks()}


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    ],
)
def test_a_backend_that_delivers_nothing_is_an_error(settings: Any, backend: str) -> None:
    assert _ids(settings, EMAIL_BACKEND=backend) == ["notifications.E001"]
    (message,) = check_outgoing_mail()
    assert "EMAIL_URL" in str(message.hint)


@pytest.mark.parametrize(
    "sender",
    [
        "StudyMate <no-reply@localhost>",
        "no-reply@localhost",
        "no-reply@example.com",
        "StudyMate <no-reply@mail.example.org>",
        "no-reply@studymate.example",
        "no-reply@studymate.test",
        "no-reply@mailhost",
        "no-reply@[127.0.0.1]",
        "no-reply",
        "",
    ],
)
def test_a_sender_without_a_real_domain_is_an_error(settings: Any, sender: str) -> None:
    assert _ids(settings, DEFAULT_FROM_EMAIL=sender) == ["notifications.E002"]
    (message,) = check_outgoing_mail()
    assert "DEFAULT_FROM_EMAIL" in message.msg
    assert "DEFAULT_FROM_EMAIL" in str(message.hint)


@pytest.mark.parametrize(
    "url", ["http://localhost:8000", "http://api.studymate.app", "https://127.0.0.1:8443"]
)
def test_links_need_the_public_https_origin(settings: Any, url: str) -> None:
    assert _ids(settings, PUBLIC_URL=url) == ["notifications.E003"]


def test_nothing_is_checked_with_debug_on(settings: Any) -> None:
    assert (
        _ids(
            settings,
            DEBUG=True,
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            DEFAULT_FROM_EMAIL="no-reply@localhost",
            PUBLIC_URL="http://localhost:8000",
        )
        == []
    )


def test_real_domains_are_routable() -> None:
    for domain in ("studymate.app", "mail.studymate.co.kr", "Example.Studymate.App."):
        assert unroutable_domain(domain) is False, domain


def _production_env(**overrides: str) -> dict[str, str]:
    return base_env(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="api.studymate.example",
        **overrides,
    )


@pytest.mark.e2e
def test_check_deploy_fails_on_the_console_and_a_localhost_sender() -> None:
    result = run_manage("check", "--deploy", env=_production_env())
    assert result.returncode != 0
    for expected in ("notifications.E001", "notifications.E002", "EMAIL_URL", "DEFAULT_FROM_EMAIL"):
        assert expected in result.stderr, result.stderr


@pytest.mark.e2e
def test_check_deploy_passes_with_what_ci_sets() -> None:
    """The environment `.ci/run` gives `check --deploy --fail-level WARNING`."""
    env = _production_env(
        EMAIL_URL="smtp+tls://smtp.studymate.app:587",
        DEFAULT_FROM_EMAIL="StudyMate <no-reply@studymate.app>",
        PUBLIC_URL="https://api.studymate.app",
    )
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr

"""Notification settings read from the environment fail at start, naming the variable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from studymate_api.settings import notifications as notification_settings
from studymate_api.settings.notifications import email_config


def test_email_url_gives_smtp_settings_or_the_console() -> None:
    assert email_config("") == {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    config = email_config("smtp+tls://mailer:s3cret@smtp.example.com:587")
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"], config["EMAIL_USE_TLS"]) == (
        "smtp.example.com",
        587,
        True,
    )
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("mailer", "s3cret")


@pytest.mark.parametrize("url", ["http://smtp.example.com", "smtp://", "smtp://host:port"])
def test_a_bad_email_url_names_the_variable(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^EMAIL_URL: "):
        email_config(url)


def test_the_service_account_comes_from_json_or_a_file(monkeypatch: Any, tmp_path: Any) -> None:
    info = {"client_email": "a@b", "private_key": "k", "project_id": "p", "token_uri": "http://t"}
    monkeypatch.setenv("FCM_SERVICE_ACCOUNT_JSON", json.dumps(info))
    assert notification_settings._service_account() == info
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(info))
    monkeypatch.setenv("FCM_SERVICE_ACCOUNT_JSON", "")
    monkeypatch.setenv("FCM_SERVICE_ACCOUNT_FILE", str(key_file))
    assert notification_settings._service_account() == info
    monkeypatch.setenv("FCM_SERVICE_ACCOUNT_FILE", "")
    assert notification_settings._service_account() is None


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FCM_SERVICE_ACCOUNT_JSON", "{not json", "not valid JSON"),
        ("FCM_SERVICE_ACCOUNT_JSON", '{"project_id": "p"}', "needs client_email"),
        ("FCM_SERVICE_ACCOUNT_FILE", "/nonexistent/key.json", "cannot read"),
    ],
)
def test_a_bad_service_account_names_the_variable(
    monkeypatch: Any, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv("FCM_SERVICE_ACCOUNT_JSON", "")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ImproperlyConfigured, match=f"^{variable}: .*{message}"):
        notification_settings._service_account()

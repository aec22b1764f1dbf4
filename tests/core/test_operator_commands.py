"""What every operator command shares (studymate_api.core.commands): the language it speaks,
`--locale`, and a Korean translation for each message it prints. Each command's own behaviour
(verbosity, progress, its messages) is tested with the command."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class

from studymate_api.core.commands import OperatorCommand, command_locale
from tests.core.test_i18n import _po_messages
from tests.e2e.harness import PROJECT_DIR, base_env, run_manage

OPERATOR_COMMANDS = {
    "seed_demo": "accounts/management/commands/seed_demo.py",
    "notifications_send_batch": "notifications/management/commands/notifications_send_batch.py",
    "realtime_analytics_management": (
        "realtime/management/commands/realtime_analytics_management.py"
    ),
    "billing_sync_plans": "subscription/management/commands/billing_sync_plans.py",
}
# Modules whose messages these commands print besides their own.
PRINTED_FROM = ["subscription/stripe_api.py"]


@pytest.mark.parametrize(
    ("requested", "environment", "expected"),
    [
        (None, {}, "en"),
        (None, {"LANGUAGE": ""}, "en"),
        (None, {"LANGUAGE": "ko"}, "ko"),
        (None, {"LANGUAGE": "ko_KR.UTF-8"}, "ko"),
        (None, {"LANGUAGE": "ko_KR:en_US:en"}, "ko"),
        (None, {"LANGUAGE": "en_GB:ko"}, "en"),
        (None, {"LANGUAGE": "fr:ko"}, "ko"),  # the first supported entry
        (None, {"LANGUAGE": "fr:de"}, "en"),
        ("ko", {}, "ko"),
        ("en", {"LANGUAGE": "ko"}, "en"),  # --locale wins
        ("ko-KR", {"LANGUAGE": "en"}, "ko"),
    ],
)
def test_the_language_a_command_speaks(requested, environment, expected) -> None:
    assert command_locale(requested, environment) == expected


def test_the_api_default_stays_korean() -> None:
    """English is the operator's default, not the learners': the API still answers in Korean."""
    assert settings.LANGUAGE_CODE == "ko"


@pytest.mark.parametrize("name", sorted(OPERATOR_COMMANDS))
def test_each_command_is_an_operator_command(name: str) -> None:
    command = load_command_class(get_commands()[name], name)
    assert isinstance(command, OperatorCommand)
    options = {action.dest for action in command.create_parser("manage.py", name)._actions}
    assert {"locale", "verbosity"} <= options
    assert ("progress" in options) is (name != "realtime_analytics_management")


def _messages(path: Path) -> set[str]:
    """The literal msgids of gettext calls (`_`, `gettext`, `gettext_lazy`) in a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"_", "gettext", "gettext_lazy"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("module", [*OPERATOR_COMMANDS.values(), *PRINTED_FROM])
def test_every_message_they_print_has_a_korean_translation(module: str) -> None:
    messages = _messages(PROJECT_DIR / module)
    assert messages, module
    catalog = _po_messages()
    missing = sorted(message for message in messages if not catalog.get(message))
    assert missing == [], f"add these to locale/ko/LC_MESSAGES/django.po: {missing}"


# --- as an operator's shell runs them ----------------------------------------------------------


@pytest.mark.e2e
def test_an_error_goes_to_stderr_with_exit_status_1_in_the_shells_language() -> None:
    english = run_manage("billing_sync_plans", env=base_env())
    assert english.returncode == 1
    assert english.stdout == ""
    assert english.stderr.strip() == (
        "CommandError: STRIPE_SECRET_KEY is not set: billing is not configured."
    )
    korean = run_manage("billing_sync_plans", "-v", "0", env=base_env(LANGUAGE="ko_KR:en"))
    assert korean.returncode == 1  # errors are printed at verbosity 0 too
    assert korean.stderr.strip() == (
        "CommandError: STRIPE_SECRET_KEY가 설정되지 않아 결제가 구성되지 않았습니다."
    )


@pytest.mark.e2e
def test_an_unsupported_locale_is_a_usage_error() -> None:
    result = run_manage("billing_sync_plans", "--locale", "fr", env=base_env())
    assert result.returncode == 2
    assert "argument --locale: unsupported locale 'fr' (choose from ko, en)" in result.stderr

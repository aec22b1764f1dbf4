"""Fixtures for the AI gateway tests: the shared stand-in fixtures (tests/standins/fixtures.py),
with the gateway isolated from the environment in every test and no credit hook installed."""

from __future__ import annotations

from typing import Any

import pytest

from studymate_api.ai import credits_port
from tests.standins.fixtures import *  # noqa: F403 - the stand-in fixtures


@pytest.fixture(autouse=True)
def ai_settings(ai_isolated: Any) -> Any:
    return ai_isolated


@pytest.fixture(autouse=True)
def _no_credit_hook() -> None:
    """The gateway's own tests run free; the suite's conftest puts billing's hook back."""
    credits_port.provide(None)

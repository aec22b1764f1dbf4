"""CHANNEL_LAYER chooses the Redis channel layer; a bad value stops the start, naming it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.harness import PROJECT_DIR, base_env

pytestmark = pytest.mark.e2e

PRINT_LAYER = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.CHANNEL_LAYERS['default']['BACKEND'])"
)
PRINT_PREFIX = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.CHANNEL_LAYERS['default']['CONFIG']['prefix'])"
)


def _settings_process(code: str = PRINT_LAYER, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("choice", "backend"),
    [
        ("", "channels_redis.pubsub.RedisPubSubChannelLayer"),
        ("pubsub", "channels_redis.pubsub.RedisPubSubChannelLayer"),
        ("list", "channels_redis.core.RedisChannelLayer"),
    ],
)
def test_channel_layer_choice_with_redis(choice, backend):
    result = _settings_process(REDIS_URL="redis://127.0.0.1:6379/15", CHANNEL_LAYER=choice)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == backend


def test_without_redis_the_layer_is_in_memory():
    result = _settings_process(CHANNEL_LAYER="list")
    assert result.stdout.strip() == "channels.layers.InMemoryChannelLayer", result.stderr


def test_a_bad_channel_layer_fails_naming_the_variable():
    result = _settings_process(REDIS_URL="redis://127.0.0.1:6379/15", CHANNEL_LAYER="carrier")
    assert result.returncode != 0
    assert "CHANNEL_LAYER: expected one of pubsub, list, got 'carrier'" in result.stderr


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/14", "redis://127.0.0.1:6379/?db=14"])
def test_the_layer_prefix_names_the_redis_database(url):
    """Pub/sub channels are server-wide: layers on other databases of the same server (another
    deployment, another pytest-xdist worker) must not hear this one's groups."""
    result = _settings_process(PRINT_PREFIX, REDIS_URL=url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "studymate.db14"
    other = _settings_process(PRINT_PREFIX, REDIS_URL="redis://127.0.0.1:6379")
    assert other.stdout.strip() == "studymate.db0", other.stderr

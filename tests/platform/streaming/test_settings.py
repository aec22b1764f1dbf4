"""Streaming settings: defaults, and bad values that fail at start naming the variable."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured

from studymate_api.settings import platform_streaming
from studymate_api.streaming import StreamConfig, StreamProcessor, get_stream_processor


@pytest.fixture
def reload_settings(monkeypatch) -> Iterator[None]:
    yield
    monkeypatch.undo()
    importlib.reload(platform_streaming)


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("STREAM_MAX_LENGTH", "0", "must be at least 1"),
        ("STREAM_BATCH_SIZE", "many", "expected an integer"),
        ("STREAM_BLOCK_MS", "-1", "must be at least 0"),
        ("STREAM_MAX_DELIVERIES", "0", "must be at least 1"),
        ("STREAM_CLAIM_IDLE_MS", "1.5", "expected an integer"),
        ("STREAM_RETRY_DELAY_MS", "soon", "expected an integer"),
        ("STREAM_PARTITIONS", "0", "must be at least 1"),
        ("STREAM_LEASE_MS", "100", "must be at least 300"),
        ("STREAM_KEY_PREFIX", "has space:", "STREAM_KEY_PREFIX"),
    ],
)
def test_bad_values_fail_naming_the_variable(
    monkeypatch, reload_settings, variable: str, value: str, problem: str
):
    monkeypatch.setenv(variable, value)

    with pytest.raises(ImproperlyConfigured, match=problem) as failure:
        importlib.reload(platform_streaming)

    assert str(failure.value).startswith(f"{variable}:")


def test_values_are_read_from_the_environment(monkeypatch, reload_settings):
    monkeypatch.setenv("STREAM_MAX_LENGTH", "500")
    monkeypatch.setenv("STREAM_KEY_PREFIX", "sm:{s}:")
    monkeypatch.setenv("STREAM_PARTITIONS", "32")
    monkeypatch.setenv("STREAM_LEASE_MS", "9000")

    importlib.reload(platform_streaming)

    assert platform_streaming.STREAM_MAX_LENGTH == 500
    assert platform_streaming.STREAM_KEY_PREFIX == "sm:{s}:"
    assert (platform_streaming.STREAM_PARTITIONS, platform_streaming.STREAM_LEASE_MS) == (32, 9000)


def test_processor_takes_its_config_and_backend_from_settings(settings):
    settings.STREAM_BATCH_SIZE = 7
    settings.STREAM_MAX_DELIVERIES = 2
    settings.STREAM_PARTITIONS = 4

    processor = StreamProcessor()

    assert (processor.config.batch_size, processor.config.max_deliveries) == (7, 2)
    assert processor.config.partitions == 4
    assert processor.backend.name == ("redis" if settings.REDIS_URL else "memory")


def test_config_refuses_nonsense():
    with pytest.raises(ValueError, match="batch_size"):
        StreamConfig(batch_size=0)
    with pytest.raises(ValueError, match="partitions"):
        StreamConfig(partitions=0)


def test_the_process_wide_processor_is_built_once():
    assert get_stream_processor() is get_stream_processor()

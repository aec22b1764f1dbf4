"""Fixtures of the study tests: subjects, texts, Celery in process, commit hooks."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from study.models import Subject
from tests.conftest import login_tokens

from .factories import SubjectFactory

# A real paragraph each, long enough for an extractive summary of several sentences.
KOREAN_TEXT = (
    "광합성은 식물이 빛 에너지를 이용해 이산화탄소와 물로부터 포도당을 만드는 과정이다. "
    "이 과정은 주로 잎의 엽록체에서 일어나며, 엽록체 안의 엽록소가 빛을 흡수한다. "
    "광합성은 빛이 필요한 명반응과 빛이 직접 필요하지 않은 캘빈 회로로 나뉜다. "
    "명반응에서는 물이 분해되어 산소가 방출되고, ATP와 NADPH가 만들어진다. "
    "캘빈 회로에서는 명반응에서 만든 ATP와 NADPH를 사용해 이산화탄소를 고정하고 포도당을 합성한다. "
    "광합성으로 만들어진 산소와 포도당은 지구의 거의 모든 생명체가 살아가는 데 꼭 필요하다. "
    "따라서 광합성은 생태계의 에너지 흐름과 대기의 산소 농도를 유지하는 핵심 과정이라고 할 수 있다."
)
ENGLISH_TEXT = (
    "The French Revolution began in 1789 and transformed the political landscape of Europe. "
    "Years of financial crisis, poor harvests and rising bread prices had left the French "
    "monarchy deeply unpopular. When King Louis XVI called the Estates-General to raise taxes, "
    "the representatives of the Third Estate declared themselves a National Assembly. "
    "The storming of the Bastille on 14 July 1789 became the symbol of popular revolt against "
    "royal authority. The Assembly abolished feudal privileges and adopted the Declaration of "
    "the Rights of Man and of the Citizen. In the following years the revolution grew more "
    "radical, the monarchy was abolished and the king was executed in 1793. The revolution "
    "ended with the rise of Napoleon Bonaparte, who seized power in 1799."
)


@pytest.fixture(autouse=True)
def _celery_in_process(celery_in_process: None) -> None:
    """Summary tasks run in the test's process, also when REDIS_URL configures a real broker
    (a separate end-to-end test runs a real worker)."""


@pytest.fixture
def commit_hooks(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> Callable[[], AbstractContextManager[Any]]:
    """`with commit_hooks(): ...` runs the on-commit hooks (cache invalidation, tasks) of what
    happens inside, as a real commit would, in tests that roll back."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def other_client(other_user: User) -> APIClient:
    client = APIClient()
    tokens = login_tokens(client, other_user.email)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


@pytest.fixture
def subject(user: User) -> Subject:
    """The signed-in user's own private subject."""
    return SubjectFactory.create(created_by=user, is_public=False, name="Biology")


@pytest.fixture
def public_subject(other_user: User) -> Subject:
    return SubjectFactory.create(created_by=other_user, is_public=True, name="History")


@pytest.fixture
def hidden_subject(other_user: User) -> Subject:
    """Another user's private subject: invisible to `user`."""
    return SubjectFactory.create(created_by=other_user, is_public=False, name="Secret diary")

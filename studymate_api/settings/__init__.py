"""Settings, split by concern. The environment decides everything; see README for variables."""

import django_stubs_ext

from .accounts import *  # noqa: F403
from .ai import *  # noqa: F403
from .billing import *  # noqa: F403
from .cache import *  # noqa: F403
from .celery import *  # noqa: F403
from .channels import *  # noqa: F403
from .django import *  # noqa: F403
from .drf import *  # noqa: F403
from .logging import *  # noqa: F403
from .notifications import *  # noqa: F403
from .observability import *  # noqa: F403
from .personalization import *  # noqa: F403
from .platform_cache import *  # noqa: F403
from .platform_cqrs import *  # noqa: F403
from .platform_idempotency import *  # noqa: F403
from .platform_metrics import *  # noqa: F403
from .platform_streaming import *  # noqa: F403
from .security import *  # noqa: F403

# Lets runtime code subscript generic Django classes (ModelAdmin[Model]) the way mypy sees them.
django_stubs_ext.monkeypatch()

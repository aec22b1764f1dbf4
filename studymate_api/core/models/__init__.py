"""Models of the shared platform, one module per concern."""

from .ai import *  # noqa: F403
from .analytics import *  # noqa: F403
from .events import *  # noqa: F403
from .idempotency import *  # noqa: F403

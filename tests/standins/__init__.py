"""Local stand-ins for external services, spoken to over real sockets so the real client code
(here: the providers' official SDKs) runs in tests.

- `OpenAIStandin`, `TogetherStandin`, `AnthropicStandin`: the model providers' HTTP APIs, each
  scriptable per test (a queue of replies with status, body, delay, or an SSE stream) and
  recording every request it received. See `server.ScriptedServer` for the common behaviour.

Use them as context managers or through the pytest fixtures in `tests.standins.fixtures`.
"""

from .anthropic_api import AnthropicStandin
from .openai_api import OpenAIStandin
from .server import RecordedRequest, Reply, ScriptedServer, SSEEvent
from .together_api import TogetherStandin

__all__ = [
    "AnthropicStandin",
    "OpenAIStandin",
    "RecordedRequest",
    "Reply",
    "SSEEvent",
    "ScriptedServer",
    "TogetherStandin",
]

"""A hosted AI provider for the benchmarks: OpenAI's chat-completions protocol on loopback,
answering as a hosted model does, in content and in time.

    .venv/bin/python bench/ai_standin.py --port 8765 [--ttft 0.5] [--tokens-per-second 120]

The platform's openai provider (the real SDK, `OPENAI_BASE_URL=http://127.0.0.1:8765/v1`) sends
its usual request: the task's system instructions and the learner's material as fenced sections.
This server recognises the task by its system instructions, rebuilds the material from the
sections, writes the answer with the project's offline provider (so a quiz is a valid quiz and a
summary a summary of that material) and sends it after the time a hosted model takes: a first
token after `--ttft` seconds, then `--tokens-per-second`. The wait is a sleep, not work: the
platform's CPU figures do not change, but its threads and connections wait as they would on a
real provider. Requests for a stream are refused (the mixed workload asks for none).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
_SECTION = re.compile(r"<<<BEGIN (\w+) (\w+)>>>\n(.*?)\n<<<END \1 \2>>>", re.DOTALL)
_PARAMETERS = "Task parameters: "


def _setup_django() -> None:
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")
    import django

    django.setup()


class Answers:
    """The offline provider's answer to a rendered request, and the task it was for."""

    def __init__(self) -> None:
        from studymate_api.ai.catalog import task_spec
        from studymate_api.ai.contracts import AITask
        from studymate_api.ai.providers.local import LocalProvider

        self.provider = LocalProvider()
        self.specs = {task_spec(task).system: task_spec(task) for task in AITask}

    def answer(self, body: dict[str, Any]) -> tuple[str, int, int]:
        """(text, prompt tokens, completion tokens) for the request `body`."""
        from studymate_api.ai.prompts import build_request

        messages = body.get("messages") or []
        system = next((m["content"] for m in messages if m.get("role") == "system"), "")
        user = "\n".join(m["content"] for m in messages if m.get("role") == "user")
        spec = self.specs.get(system)
        if spec is None:
            raise ValueError("unknown task: the system instructions match no task")
        completion = self.provider.complete(build_request(spec, _parts(spec.task, user)))
        return completion.text, completion.prompt_tokens, completion.completion_tokens


def _parts(task: Any, user_message: str) -> Any:
    from studymate_api.ai.contracts import (
        AITask,
        Difficulty,
        QuestionType,
        QuizInput,
        TextInput,
    )

    sections = {name: text for name, _fence, text in _SECTION.findall(user_message)}
    parameters: dict[str, Any] = {}
    for line in user_message.splitlines():
        if line.startswith(_PARAMETERS):
            parameters = json.loads(line[len(_PARAMETERS) :])
            break
    material = sections.get("MATERIAL", "")
    if task == AITask.QUIZ_QUESTIONS:
        return QuizInput(
            text=material,
            count=int(parameters.get("question_count", 5)),
            types=tuple(QuestionType(kind) for kind in parameters.get("question_types", [])),
            difficulty=Difficulty(parameters.get("difficulty", "medium")),
        )
    if task in (
        AITask.SUMMARY_BRIEF,
        AITask.SUMMARY_DETAILED,
        AITask.SUMMARY_BULLETS,
        AITask.KEY_CONCEPTS,
    ):
        return TextInput(text=material)
    raise ValueError(f"the bench stand-in does not answer {task}")


def _handler(answers: Answers, ttft: float, tokens_per_second: float) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a benchmark prints its own figures."""

        def do_POST(self) -> None:
            started = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.endswith("/chat/completions") or body.get("stream"):
                    raise ValueError("only non-streamed chat completions")
                text, prompt_tokens, completion_tokens = answers.answer(body)
            except (ValueError, KeyError, TypeError) as error:
                self._send(400, {"error": {"message": str(error), "type": "invalid_request"}})
                return
            wait = ttft + completion_tokens / tokens_per_second
            time.sleep(max(0.0, wait - (time.monotonic() - started)))
            self._send(200, _completion(body, text, prompt_tokens, completion_tokens))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _completion(
    request: dict[str, Any], text: str, prompt_tokens: int, completion_tokens: int
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "gpt-4o-mini"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ttft", type=float, default=0.5, help="seconds to the first token")
    parser.add_argument("--tokens-per-second", type=float, default=120.0)
    args = parser.parse_args()
    _setup_django()
    server = ThreadingHTTPServer(
        ("127.0.0.1", args.port), _handler(Answers(), args.ttft, args.tokens_per_second)
    )
    server.daemon_threads = True
    print(f"ai stand-in listening on {args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

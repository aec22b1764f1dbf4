"""Building what a provider is sent: the task's fixed system instructions, and learner data as a
separate user message, each piece fenced by BEGIN/END lines carrying a random id. The id is new
for every request, so text inside a piece cannot forge its END line and continue as if it were
outside the data."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace

from .catalog import TaskSpec
from .contracts import ChatMessage, PromptParts, ProviderRequest


def render_user_message(parts: PromptParts, *, fence_id: str | None = None) -> str:
    fence = fence_id or secrets.token_hex(6)
    lines = []
    parameters = parts.parameters()
    if parameters:
        lines.append(f"Task parameters: {json.dumps(parameters, ensure_ascii=False)}")
    for name, value in parts.sections():
        lines += [f"<<<BEGIN {name} {fence}>>>", value, f"<<<END {name} {fence}>>>"]
    return "\n".join(lines)


def build_request(spec: TaskSpec, parts: PromptParts) -> ProviderRequest:
    return ProviderRequest(
        task=spec.task,
        system=spec.system,
        messages=(ChatMessage("user", render_user_message(parts)),),
        parts=parts,
        max_tokens=spec.max_tokens,
        json_output=spec.structured,
    )


def repair_request(request: ProviderRequest, bad_reply: str, problem: str) -> ProviderRequest:
    """The same conversation plus the unusable reply and what was wrong with it (our words,
    from the validator, never the learner's), asking for the answer again."""
    wanted = "only the JSON object" if request.json_output else "the answer"
    correction = (
        f"Your reply could not be used: {problem}. Reply again with {wanted} the instructions "
        "describe, fixing these problems."
    )
    messages = (
        *request.messages,
        ChatMessage("assistant", bad_reply or "(empty)"),
        ChatMessage("user", correction),
    )
    return replace(request, messages=messages)

"""Stripe's request encoding: form fields with bracketed paths, as the SDK sends them."""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import parse_qsl


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding to nested dicts and lists: `a[b][0][c]=v`."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for part, following in itertools.pairwise(parts):
            default: Any = [] if following.isdigit() else {}
            node = _child(node, part, default)
        _assign(node, parts[-1], value)
    return root


def _child(node: Any, part: str, default: Any) -> Any:
    if isinstance(node, list):
        index = int(part)
        while len(node) <= index:
            node.append(None)
        if node[index] is None:
            node[index] = default
        return node[index]
    return node.setdefault(part, default)


def _assign(node: Any, part: str, value: str) -> None:
    if isinstance(node, list):
        index = int(part)
        while len(node) <= index:
            node.append(None)
        node[index] = value
    else:
        node[part] = value


def to_bool(value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    return value is True or value == "true"


def to_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)

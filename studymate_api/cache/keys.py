"""Cache keys: built from a namespace and every value the cached value depends on.

A key that forgets a dependency serves one user's answer to another, so keys are never written by
hand: `cache_key("progress", user=request.user, subject_id=subject.pk)`. User-scoped values MUST
pass the user (or its id); anything a view reads from the request (page, filters, language) is a
dependency too.

Keys are stable across processes and deploys (sorted keyword parts, no reprs of objects), safe
for every backend (no spaces or control characters, bounded length), and unambiguous: a part
that is long or holds any character outside a small alphabet is replaced by a hash, and the hash
marker `#` cannot appear in a raw part.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid

from django.db.models import Model

KeyPart = str | int | bool | None | uuid.UUID | datetime.date | Model

_NAMESPACE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_RAW_PART = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_RAW_TAG = re.compile(r"[A-Za-z0-9_.:@-]{1,100}")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Memcached's limit is 250 with Django's prefix and version; leave room for both and a suffix.
_MAX_KEY = 200

# Internal keys start with "~", which neither a namespace nor a raw part can hold, so they can
# never collide with a value's key.
TAG_PREFIX = "~tag:"
GENERATION_ALL = "~gen:all"


def cache_key(namespace: str, *parts: KeyPart, **dependencies: KeyPart) -> str:
    """`namespace[:part...][:name=value...]`, keyword parts sorted by name."""
    check_namespace(namespace)
    pieces = [namespace, *(_encode(part) for part in parts)]
    for name in sorted(dependencies):
        if not _NAME.fullmatch(name):
            raise ValueError(f"cache key dependency name {name!r} must be lower_snake_case")
        pieces.append(f"{name}={_encode(dependencies[name])}")
    key = ":".join(pieces)
    if len(key) > _MAX_KEY:
        return f"{namespace}:#{_digest(key)}"
    return key


def check_namespace(namespace: str) -> None:
    if not _NAMESPACE.fullmatch(namespace):
        raise ValueError(f"cache namespace {namespace!r} must be lower_snake_case, 1-40 chars")


def key_in_namespace(key: str, namespace: str) -> bool:
    return key == namespace or key.startswith(f"{namespace}:")


def tag_version_key(tag: str) -> str:
    """The key holding a tag's current version token."""
    if not tag:
        raise ValueError("a cache tag must not be empty")
    if _RAW_TAG.fullmatch(tag):
        return f"{TAG_PREFIX}{tag}"
    return f"{TAG_PREFIX}#{_digest(tag)}"


def namespace_generation_key(namespace: str) -> str:
    """Every entry of a namespace depends on this version, so bumping it clears the namespace."""
    return f"~gen:ns:{namespace}"


def lock_key(key: str) -> str:
    return f"~lock:{key}"


def _encode(part: KeyPart) -> str:
    if isinstance(part, Model):
        if part.pk is None:
            raise ValueError(f"an unsaved {type(part).__name__} cannot be part of a cache key")
        return _encode(part.pk)
    if part is None:
        return "~"
    if isinstance(part, bool):
        return "true" if part else "false"
    if isinstance(part, int | uuid.UUID):
        return str(part)
    if isinstance(part, datetime.date):
        return _hash_unless_raw(part.isoformat())
    if isinstance(part, str):
        return _hash_unless_raw(part)
    raise TypeError(
        "cache key parts must be str, int, bool, None, UUID, date or a saved model, "
        f"got {type(part).__name__}"
    )


def _hash_unless_raw(text: str) -> str:
    return text if _RAW_PART.fullmatch(text) else f"#{_digest(text)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]

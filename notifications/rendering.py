"""Turning a kind's stored templates into the words of one notification."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.template import Context, Template

from .models import NotificationTemplate

FALLBACK_LANGUAGE = "en"
# Bounds how long a template edited outside Django (raw SQL, another database) stays unseen.
TEMPLATES_TTL = 60 * 60
# Part of the cache key: bump it when NotificationTemplate's fields change.
TEMPLATES_LAYOUT = 1


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    text: str
    html: str
    push: str
    sms: str


class TemplateMissing(LookupError):
    """Neither the learner's language nor the fallback has a template for the kind."""


def template_for(kind: str, language: str) -> NotificationTemplate:
    """The learner's language, else English."""
    return pick_template(kind, language, templates_of(kind))


def templates_of(kind: str) -> dict[str, NotificationTemplate]:
    """Every language's template of a kind, from the cache: staff edit templates rarely, and
    every save or delete empties the cache (`_forget_templates`), so a notification reads
    none of them from the database but the first of each kind per TEMPLATES_TTL."""
    key = _templates_key(kind)
    found: dict[str, NotificationTemplate] | None = cache.get(key)
    if found is None:
        found = {t.language: t for t in NotificationTemplate.objects.filter(kind=kind)}
        cache.set(key, found, TEMPLATES_TTL)
    return found


def _templates_key(kind: str) -> str:
    return f"notifications:templates:{TEMPLATES_LAYOUT}:{kind}"


def _forget_templates(
    sender: type[NotificationTemplate], instance: NotificationTemplate, **kwargs: Any
) -> None:
    # After commit: a reader in between would cache the old rows again.
    kind = instance.kind
    transaction.on_commit(lambda: cache.delete(_templates_key(kind)))


post_save.connect(_forget_templates, sender=NotificationTemplate, dispatch_uid="templates_cache")
post_delete.connect(_forget_templates, sender=NotificationTemplate, dispatch_uid="templates_cache")


def pick_template(
    kind: str, language: str, templates: Mapping[str, NotificationTemplate]
) -> NotificationTemplate:
    template = templates.get(language) or templates.get(FALLBACK_LANGUAGE)
    if template is None:
        raise TemplateMissing(f"no template for {kind!r}")
    return template


def render(template: NotificationTemplate, context: Mapping[str, Any]) -> Rendered:
    """Plain-text parts render without HTML escaping (an apostrophe stays one); the HTML body
    escapes what the context inserts."""
    text = _render(template.text_body, context, html=False)
    return Rendered(
        language=template.language,
        subject=_render(template.subject, context, html=False).strip(),
        text=text,
        html=_render(template.html_body, context, html=True) if template.html_body else "",
        push=_render(template.push_body, context, html=False).strip() or text.strip(),
        sms=_render(template.sms_body, context, html=False).strip() or text.strip(),
    )


def _render(source: str, context: Mapping[str, Any], *, html: bool) -> str:
    rendered = _compiled(source).render(Context(dict(context), autoescape=html))
    # Plain str, not SafeString: text parts were not escaped, so they must not pass as safe.
    return "".join((rendered,))


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """Compiling costs more than rendering; a batch renders the same source thousands of times.
    Keyed by the source itself, so an edit in the admin is a new entry."""
    return Template(source)

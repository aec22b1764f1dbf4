"""Turning a kind's stored templates into the words of one notification."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.template import Context, Template

from .models import NotificationTemplate

FALLBACK_LANGUAGE = "en"


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
    found = {
        t.language: t
        for t in NotificationTemplate.objects.filter(
            kind=kind, language__in={language, FALLBACK_LANGUAGE}
        )
    }
    return pick_template(kind, language, found)


def templates_of(kind: str) -> dict[str, NotificationTemplate]:
    """Every language's template of a kind, for rendering many learners with one query."""
    return {t.language: t for t in NotificationTemplate.objects.filter(kind=kind)}


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

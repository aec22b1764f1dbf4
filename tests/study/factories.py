"""Factories of the study domain."""

from __future__ import annotations

import factory

from study.models import Subject
from tests.factories import UserFactory


class SubjectFactory(factory.django.DjangoModelFactory[Subject]):
    class Meta:
        model = Subject

    name = factory.Sequence(lambda n: f"Subject {n:03d}")
    description = "Study material"
    category = "math"
    difficulty_level = "beginner"
    is_public = True
    created_by = factory.SubFactory(UserFactory)

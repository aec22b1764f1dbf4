"""Demo data for the embedded default: a learner, a staff user and a few public subjects.

Safe to run on every start: users are created once and get a fresh random password each run
(printed), subjects are created once by name.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from study.selectors import subject_public_list
from study.services import subject_create

DEMO_LEARNER = "learner@studymate.local"
DEMO_STAFF = "staff@studymate.local"

DEMO_SUBJECTS: list[dict[str, Any]] = [
    {
        "name": "Python Programming",
        "description": "Variables, control flow, functions and data structures in Python.",
        "category": "computer_science",
        "difficulty_level": "beginner",
        "tags": ["python", "programming"],
    },
    {
        "name": "Linear Algebra",
        "description": "Vectors, matrices, linear maps, eigenvalues and their applications.",
        "category": "mathematics",
        "difficulty_level": "intermediate",
        "tags": ["math", "matrices"],
    },
    {
        "name": "한국사",
        "description": "고조선부터 현대까지 한국 역사의 흐름과 주요 사건.",
        "category": "history",
        "difficulty_level": "beginner",
        "tags": ["history", "korea"],
    },
    {
        "name": "English Reading",
        "description": "Reading comprehension strategies with graded academic texts.",
        "category": "language",
        "difficulty_level": "intermediate",
        "tags": ["english", "reading"],
    },
]


class Command(BaseCommand):
    help = "Create demo users (printing their credentials) and a few public subjects."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production", action="store_true", help="Run even when DEBUG is off."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("seed_demo creates known accounts; refusing while DEBUG is off.")
        with transaction.atomic():
            learner_password = self._demo_user(DEMO_LEARNER, "demo_learner", staff=False)
            staff_password = self._demo_user(DEMO_STAFF, "demo_staff", staff=True)
            created = self._demo_subjects(owner=User.objects.get(email=DEMO_STAFF))
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new subjects)."))
        self.stdout.write(f"  learner: {DEMO_LEARNER} / {learner_password}")
        self.stdout.write(f"  staff:   {DEMO_STAFF} / {staff_password}  (admin at /admin/)")

    @staticmethod
    def _demo_user(email: str, username: str, *, staff: bool) -> str:
        password = secrets.token_urlsafe(12)
        user = User.objects.filter(email=email).first()
        if user is None:
            create = User.objects.create_superuser if staff else User.objects.create_user
            create(email, password, username=username)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        return password

    @staticmethod
    def _demo_subjects(*, owner: User) -> int:
        created = 0
        for spec in DEMO_SUBJECTS:
            if not subject_public_list().filter(name=spec["name"]).exists():
                subject_create(created_by=owner, is_public=True, **spec)
                created += 1
        return created

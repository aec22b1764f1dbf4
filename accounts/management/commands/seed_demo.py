"""Demo data for the embedded default: a learner, a staff user and a few public subjects.

Safe to run on every start: users are created once and get a fresh random password each run
(printed), subjects are created once by name. `-v 0` prints nothing and so keeps the passwords
of users that exist (a new one is printed by the next run at `-v 1`); `-v 2` says what was
created and what existed.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from study.selectors import subject_public_list
from study.services import subject_create
from studymate_api.core.commands import OperatorCommand, Progress

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


class Command(OperatorCommand):
    help = "Create demo users (printing their credentials) and a few public subjects."
    progress_option = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production", action="store_true", help="Run even when DEBUG is off."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                _(
                    "seed_demo creates known accounts; refusing while DEBUG is off "
                    "(--allow-production to run anyway)."
                )
            )
        steps = 2 + len(DEMO_SUBJECTS)
        with (
            self.progress(total=steps, description=_("Demo data"), unit=_("item")) as bar,
            transaction.atomic(),
        ):
            learner_password = self._demo_user(DEMO_LEARNER, "demo_learner", staff=False)
            bar.update(1)
            staff_password = self._demo_user(DEMO_STAFF, "demo_staff", staff=True)
            bar.update(1)
            created = self._demo_subjects(owner=User.objects.get(email=DEMO_STAFF), bar=bar)
        self.say(
            _("Demo data ready (%(count)d new subjects).") % {"count": created},
            style=self.style.SUCCESS,
        )
        self.say(
            "  "
            + _("learner: %(email)s / %(password)s")
            % {"email": DEMO_LEARNER, "password": learner_password}
        )
        self.say(
            "  "
            + _("staff:   %(email)s / %(password)s  (admin at /admin/)")
            % {"email": DEMO_STAFF, "password": staff_password}
        )

    def _demo_user(self, email: str, username: str, *, staff: bool) -> str:
        password = secrets.token_urlsafe(12)
        user = User.objects.filter(email=email).first()
        if user is None:
            create = User.objects.create_superuser if staff else User.objects.create_user
            create(email, password, username=username)
            self.detail(_("created %(email)s") % {"email": email})
        elif self.verbosity == 0:
            return ""  # nobody would see a new one
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
            self.detail(_("%(email)s exists: new password set") % {"email": email})
        return password

    def _demo_subjects(self, *, owner: User, bar: Progress) -> int:
        created = 0
        for spec in DEMO_SUBJECTS:
            if not subject_public_list().filter(name=spec["name"]).exists():
                subject_create(created_by=owner, is_public=True, **spec)
                created += 1
                self.detail(_("subject created: %(name)s") % {"name": spec["name"]})
            else:
                self.detail(_("subject exists: %(name)s") % {"name": spec["name"]})
            bar.update(1)
        return created

"""`migrate` under a PostgreSQL advisory lock, so replicas starting together migrate one at a time.

The second process waits on the lock, then finds nothing left to apply. SQLite has a single
writer and no such lock: there it simply migrates.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

# A fixed, project-specific key: every StudyMate process contends for the same lock.
MIGRATION_LOCK_KEY = 0x5354_5544_594D  # "STUDYM"


class Command(BaseCommand):
    help = "Run `migrate --noinput` while holding a PostgreSQL advisory lock (plain on SQLite)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--database", default="default", help="Database alias to migrate (default: default)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        alias: str = options["database"]
        connection = connections[alias]
        verbosity: int = options["verbosity"]
        if connection.vendor != "postgresql":
            call_command("migrate", database=alias, interactive=False, verbosity=verbosity)
            return
        # Session-level lock on the same connection `migrate` then uses; it survives the
        # migrations' own transactions and is released explicitly (or when the process dies).
        with connection.cursor() as cursor:
            self.stdout.write("waiting for the migration lock")
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
        self.stdout.write("migration lock acquired")
        try:
            call_command("migrate", database=alias, interactive=False, verbosity=verbosity)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
            self.stdout.write("migration lock released")

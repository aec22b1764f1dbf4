"""Wait until the default database accepts a query; containers run this before anything else."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections


def database_answers(alias: str = "default", connect_timeout: int = 5) -> bool:
    """One `SELECT 1`.

    PostgreSQL is reached on a fresh connection of its own, with the backend's connection
    parameters but outside its pool: the pool would retry in the background for its whole
    timeout, hiding each attempt.
    """
    connection = connections[alias]
    if connection.vendor == "postgresql":
        params = {"connect_timeout": connect_timeout, **connection.get_connection_params()}
        try:
            with psycopg.connect(**params) as raw:
                return raw.execute("SELECT 1").fetchone() == (1,)
        except psycopg.Error:
            return False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
    except DatabaseError:
        connection.close()
        return False


class Command(BaseCommand):
    help = "Retry a query on the default database until it answers or --timeout seconds pass."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--timeout", type=float, default=60.0, help="Seconds to keep trying.")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between two attempts."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        timeout: float = options["timeout"]
        interval: float = options["interval"]
        if timeout < 0 or interval <= 0:
            raise CommandError("--timeout must be >= 0 and --interval > 0")
        deadline = time.monotonic() + timeout
        attempts = 0
        while True:
            attempts += 1
            if database_answers():
                self.stdout.write(f"database ready after {attempts} attempt(s)")
                return
            if time.monotonic() + interval > deadline:
                # The URL is never printed: it may carry the password.
                raise CommandError(f"database not reachable after {attempts} attempt(s)")
            self.stdout.write(f"database not ready yet (attempt {attempts}), retrying")
            self.stdout.flush()
            time.sleep(interval)

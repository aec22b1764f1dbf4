"""scripts/backup_postgres.sh and restore_postgres.sh against the real PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests.deploy.postgres import empty_database

pytestmark = pytest.mark.e2e

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def run_script(name: str, *args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", os.defpath), "DATABASE_URL": database_url}
    return subprocess.run(
        [str(SCRIPTS / name), *args], env=env, capture_output=True, text=True, check=False
    )


def rows(url: str) -> list[tuple[int, str]]:
    with psycopg.connect(url) as connection:
        found = connection.execute("SELECT id, title FROM notes ORDER BY id").fetchall()
    return [(int(row[0]), str(row[1])) for row in found]


def test_a_backup_restores_dropped_and_changed_data(tmp_path: Path) -> None:
    with empty_database("studymate_d1_backup") as url:
        with psycopg.connect(url) as connection:
            connection.execute("CREATE TABLE notes (id integer PRIMARY KEY, title text NOT NULL)")
            connection.execute("INSERT INTO notes VALUES (1, 'photosynthesis'), (2, 'ÿ mitosis')")
        dump = tmp_path / "nested" / "studymate.dump"

        backed_up = run_script("backup_postgres.sh", str(dump), database_url=url)
        assert backed_up.returncode == 0, backed_up.stderr
        assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
        assert not dump.with_name("studymate.dump.partial").exists()
        assert url.split("@")[0] not in backed_up.stdout + backed_up.stderr  # no credentials

        with psycopg.connect(url) as connection:
            connection.execute("DELETE FROM notes WHERE id = 1")
            connection.execute("UPDATE notes SET title = 'changed' WHERE id = 2")
            connection.execute("ALTER TABLE notes ADD COLUMN extra integer")
            connection.execute("CREATE TABLE stray (id integer)")

        restored = run_script("restore_postgres.sh", str(dump), database_url=url)
        assert restored.returncode == 0, restored.stderr
        assert rows(url) == [(1, "photosynthesis"), (2, "ÿ mitosis")]
        with psycopg.connect(url) as connection:
            columns = connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'notes'"
            ).fetchall()
        assert sorted(column[0] for column in columns) == ["id", "title"]


def test_a_failed_backup_leaves_no_file(tmp_path: Path) -> None:
    dump = tmp_path / "broken.dump"
    failed = run_script(
        "backup_postgres.sh", str(dump), database_url="postgres://nobody:pw@127.0.0.1:1/none"
    )
    assert failed.returncode != 0
    assert list(tmp_path.iterdir()) == []


def test_restore_refuses_a_missing_dump(tmp_path: Path) -> None:
    with empty_database("studymate_d1_restore") as url:
        missing = run_script("restore_postgres.sh", str(tmp_path / "nope.dump"), database_url=url)
    assert missing.returncode == 2
    assert "no such dump" in missing.stderr


def test_a_broken_dump_changes_nothing(tmp_path: Path) -> None:
    with empty_database("studymate_d1_restore") as url:
        with psycopg.connect(url) as connection:
            connection.execute("CREATE TABLE notes (id integer PRIMARY KEY, title text NOT NULL)")
            connection.execute("INSERT INTO notes VALUES (7, 'kept')")
        garbage = tmp_path / "garbage.dump"
        garbage.write_bytes(b"PGDMP not really a dump")
        failed = run_script("restore_postgres.sh", str(garbage), database_url=url)
        assert failed.returncode != 0
        assert rows(url) == [(7, "kept")]


def test_both_scripts_need_a_database_url(tmp_path: Path) -> None:
    for name in ("backup_postgres.sh", "restore_postgres.sh"):
        result = subprocess.run(
            [str(SCRIPTS / name), str(tmp_path / "x.dump")],
            env={"PATH": os.environ.get("PATH", os.defpath)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode != 0
        assert "DATABASE_URL" in result.stderr

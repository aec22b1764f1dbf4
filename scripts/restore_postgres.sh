#!/bin/sh
# Restore a dump made by scripts/backup_postgres.sh into the database named by DATABASE_URL.
# Objects in the dump are dropped first (--clean --if-exists) and recreated, in one transaction:
# a failed restore leaves the database as it was.
#
#   DATABASE_URL=postgres://user:pass@host:5432/studymate scripts/restore_postgres.sh FILE
#
# Stop web, worker, beat and stream first: the restore replaces their tables under them.
set -eu

: "${DATABASE_URL:?set DATABASE_URL to the database to restore into}"
dump="${1:?usage: restore_postgres.sh FILE}"
if [ ! -f "$dump" ]; then
    echo "no such dump: $dump" >&2
    exit 2
fi

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
    --exit-on-error --dbname="$DATABASE_URL" "$dump"
echo "restored $dump"

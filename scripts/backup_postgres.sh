#!/bin/sh
# Back up the PostgreSQL database named by DATABASE_URL into a custom-format dump (pg_dump -Fc).
#
#   DATABASE_URL=postgres://user:pass@host:5432/studymate scripts/backup_postgres.sh [FILE]
#
# FILE defaults to backups/studymate-<UTC timestamp>.dump. The dump is written to a temporary
# name and renamed when complete, so a failed run never leaves a truncated file that looks good.
set -eu

: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
timestamp=$(date -u +%Y%m%dT%H%M%SZ)
target="${1:-backups/studymate-${timestamp}.dump}"
mkdir -p "$(dirname "$target")"
partial="${target}.partial"
trap 'rm -f "$partial"' EXIT

# The URL is passed as the connection string (libpq parses postgres:// URLs); it is never echoed.
pg_dump --format=custom --no-owner --no-privileges --file="$partial" --dbname="$DATABASE_URL"
mv "$partial" "$target"
trap - EXIT
echo "backup written to $target"

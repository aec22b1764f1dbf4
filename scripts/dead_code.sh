#!/usr/bin/env bash
# Dead code: vulture over the project, as configured in pyproject.toml ([tool.vulture]).
# Reported: unused functions, methods, classes, properties, imports, arguments and unreachable
# code. Left out: unused variables and attributes at 60% confidence, which here are fields read
# by name (serializer fields, dataclass and TypedDict fields, model fields, settings) that no
# static analysis sees being read; and the tests' unused arguments, which are pytest fixtures
# requested for their effect. Exits non-zero on any finding or when vulture cannot run.
#
#   bash scripts/dead_code.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VULTURE=.venv/bin/vulture
[ -x "$VULTURE" ] || VULTURE=vulture

status=0
report=$("$VULTURE") || status=$?
# 0: nothing found; 3: something found; anything else: vulture itself failed.
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    printf '%s\n' "$report"
    exit "$status"
fi
dead=$(grep -Ev "unused (variable|attribute) '.*' \(60% confidence\)$" <<<"$report" |
    grep -Ev "^tests/.*: unused variable '.*' \(100% confidence\)$" || true)
if [ -n "$dead" ]; then
    printf '%s\n' "$dead"
    exit 1
fi
echo "vulture: no dead code"

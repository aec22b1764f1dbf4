#!/bin/sh
# Container entrypoint: wait for the database, migrate once under a lock when asked, then become
# the requested process (exec, so SIGTERM reaches granian/daphne/celery directly: the servers stop
# accepting and drain, Celery does a warm shutdown).
#
#   web     HTTP through WSGI on granian (measured ~9x daphne's requests/s; see the README)
#   ws      WebSockets through ASGI on daphne (it serves HTTP too: alone, it is the whole web tier)
#   worker | beat | stream | migrate | dev | <any command>
set -eu

cd "$(dirname "$0")/.."

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    # Files left by a previous run of this container would be summed into the new one's metrics.
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
fi

needs_database() {
    case "$1" in
        web | ws | worker | beat | stream | migrate | dev) return 0 ;;
        *) return 1 ;;
    esac
}

process="${1:-web}"
if needs_database "$process"; then
    python manage.py wait_for_database --timeout "${WAIT_FOR_DATABASE_TIMEOUT:-60}"
    if [ "${MIGRATE_ON_START:-0}" = "1" ] || [ "$process" = "migrate" ]; then
        python manage.py migrate_locked
    fi
fi

case "$process" in
    web)
        # Django's code is synchronous: each worker runs it on WEB_THREADS blocking threads, one
        # event-loop thread does the I/O. WebSockets go to `ws`. On SIGTERM granian stops
        # accepting and finishes the requests in flight; workers still busy after
        # WEB_KILL_TIMEOUT seconds are killed. Client IPs: the app reads X-Forwarded-For itself,
        # trusting TRUSTED_PROXY_COUNT hops.
        exec granian --interface wsgi \
            --host 0.0.0.0 --port "${PORT:-8000}" \
            --workers "${WEB_WORKERS:-1}" \
            --blocking-threads "${WEB_THREADS:-8}" \
            --runtime-threads 1 \
            --no-ws \
            --respawn-failed-workers \
            --workers-kill-timeout "${WEB_KILL_TIMEOUT:-25}" \
            studymate_api.wsgi:application
        ;;
    ws)
        # No --proxy-headers: daphne would take the left-most X-Forwarded-For entry, which the
        # client writes. The app reads that header itself, trusting TRUSTED_PROXY_COUNT hops.
        exec daphne \
            --bind 0.0.0.0 --port "${PORT:-8000}" \
            --http-timeout "${WEB_HTTP_TIMEOUT:-60}" \
            --websocket_timeout "${WEB_WEBSOCKET_TIMEOUT:-86400}" \
            --ping-interval 20 --ping-timeout 30 \
            --application-close-timeout "${WEB_APPLICATION_CLOSE_TIMEOUT:-20}" \
            studymate_api.asgi:application
        ;;
    worker)
        exec celery -A studymate_api worker \
            --loglevel "${LOG_LEVEL:-INFO}" \
            --concurrency "${CELERY_WORKER_CONCURRENCY:-2}" \
            --without-gossip --without-mingle
        ;;
    beat)
        # The schedule file lives in /tmp: the root filesystem may be read-only.
        exec celery -A studymate_api beat \
            --loglevel "${LOG_LEVEL:-INFO}" \
            --schedule "${CELERY_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}"
        ;;
    stream)
        exec python manage.py realtime_analytics_management --start-streaming
        ;;
    migrate)
        exit 0
        ;;
    dev)
        # daphne is in INSTALLED_APPS, so runserver is ASGI (WebSockets) and reloads on change.
        exec python manage.py runserver "0.0.0.0:${PORT:-8000}"
        ;;
    *)
        exec "$@"
        ;;
esac

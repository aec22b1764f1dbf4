"""Container health check without curl: GET a health path on this container's web server.

    python docker/healthcheck.py [PATH]      # default /health/alive/

Django answers 400 to a Host header outside ALLOWED_HOSTS, so the request names an allowed host
(the first entry; a leading-dot pattern such as `.example.org` matches its bare domain) rather
than 127.0.0.1. Exits 0 on a 200, 1 otherwise.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def allowed_host() -> str:
    first = os.environ.get("ALLOWED_HOSTS", "").split(",")[0].strip().lstrip(".")
    return first if first and first != "*" else "localhost"


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/health/alive/"
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}{path}"
    request = urllib.request.Request(url, headers={"Host": allowed_host()})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as failure:
        print(f"unhealthy: {failure}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

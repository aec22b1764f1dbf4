"""Django starts without importing the hosted providers' SDKs (seconds of every `manage.py`
command and probe); a provider's SDK comes in when that provider is first asked for (Together's
is the `openai` SDK)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[3]

_PROBE = """
import os, sys
import django
django.setup()
sdks = ("openai", "anthropic", "together")
print(",".join(m for m in sdks if m in sys.modules) or "-")
from studymate_api.ai.providers import get_provider
for name in ("anthropic", "together"):
    try:
        get_provider(name)
    except Exception:
        pass  # not configured here: the import is what this probe looks at
    print(",".join(m for m in sdks if m in sys.modules) or "-")
"""


def test_setup_leaves_the_sdks_out_until_a_provider_is_asked_for() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "studymate_api.settings"}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    at_setup, after_anthropic, after_together = result.stdout.split()
    assert at_setup == "-"
    assert after_anthropic == "anthropic"
    assert after_together == "openai,anthropic"

"""How long the offline provider takes on long material, per task (no database, no gateway).

    .venv/bin/python bench/local_ai_bench.py [--chars 50000] [--rounds 5]

The material is the local provider tests' Korean and English photosynthesis paragraphs
(tests/platform/ai/texts.py), repeated to `--chars` characters: the most a summary request
accepts (`study.services.CONTENT_MAX_CHARS`). Each task runs `--rounds` times through
`LocalProvider.complete`, the call the gateway makes; printed per task: the median and the
slowest wall time and the median CPU time of one call, and the answer's length. The first round
is a warm-up and not counted (it pays imports and the analyzer's caches). Compare sittings side
by side (`--baseline` is not offered: run it in each checkout at once), and on a quiet machine:
another process on the same core inflates wall time, not CPU time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")

import django  # noqa: E402

django.setup()  # the provider reads its model name from the settings; no database is touched

from studymate_api.ai.contracts import AITask, ProviderRequest, TextInput  # noqa: E402
from studymate_api.ai.providers.local import LocalProvider  # noqa: E402
from tests.platform.ai.texts import EN, KO  # noqa: E402

TASKS = (
    AITask.SUMMARY_BRIEF,
    AITask.SUMMARY_DETAILED,
    AITask.SUMMARY_BULLETS,
    AITask.KEY_CONCEPTS,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--chars", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    text = "\n\n".join([EN, KO] * (args.chars // (len(EN) + len(KO)) + 1))[: args.chars]
    provider = LocalProvider()
    print(f"{len(text)} characters, {args.rounds} rounds after a warm-up")
    print(f"  {'task':<20}{'wall p50 s':>12}{'wall max s':>12}{'cpu p50 s':>11}{'answer':>8}")
    for task in TASKS:
        # The local provider reads only the task and the raw inputs.
        request = ProviderRequest(task, system="", messages=(), parts=TextInput(text), max_tokens=0)
        provider.complete(request)
        walls, cpus, answer = [], [], ""
        for _ in range(args.rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            answer = provider.complete(request).text
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        print(
            f"  {task.value:<20}{statistics.median(walls):>12.3f}{max(walls):>12.3f}"
            f"{statistics.median(cpus):>11.3f}{len(answer):>8}"
        )


if __name__ == "__main__":
    main()

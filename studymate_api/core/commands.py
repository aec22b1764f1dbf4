"""The base of the project's operator commands (`manage.py ...`): the language they speak, how
much they say, and progress bars on long work.

- Language: English by default, whatever LANGUAGE_CODE says (that is the API's default for
  learners, not the operator's). `--locale ko` asks for Korean, and so does the GNU `LANGUAGE`
  environment variable (a colon-separated list, e.g. `ko_KR:en`: its first supported entry
  wins). The whole run happens in that language; learners' own messages (notifications, live
  feedback) still follow each learner's language, as their code overrides it.
- Verbosity (`-v`): 0 prints nothing but errors (a `CommandError` goes to stderr and the exit
  status is 1), 1 the normal output, 2 and more details. `say`, `detail` and `warn` honour it.
- Progress (`progress_option = True`): `--progress` forces a bar; without it a bar is shown
  only when stdout is a terminal. Never at verbosity 0. The bar goes to stderr, so stdout stays
  what the command reports; lines written with `say` while a bar runs clear it first.

`--help` stays in English, as argparse's own words are.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

DEFAULT_LOCALE = "en"
LOCALE_VARIABLE = "LANGUAGE"


def supported_locales() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _normalized(entry: str) -> str | None:
    """`ko_KR.UTF-8`, `ko-kr`, `ko` -> `ko` (or the full tag when that is what is supported);
    None when the entry names no supported language."""
    tag = entry.strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    supported = supported_locales()
    if tag in supported:
        return tag
    base = tag.split("-")[0]
    return base if base in supported else None


def command_locale(requested: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The language an operator command speaks: `--locale`, else the first supported entry of
    LANGUAGE, else English."""
    if requested:
        return _normalized(requested) or DEFAULT_LOCALE
    variable = (os.environ if environ is None else environ).get(LOCALE_VARIABLE, "")
    for entry in variable.split(":"):
        locale = _normalized(entry) if entry.strip() else None
        if locale is not None:
            return locale
    return DEFAULT_LOCALE


def _locale_argument(value: str) -> str:
    locale = _normalized(value)
    if locale is None:
        choices = ", ".join(supported_locales())
        raise argparse.ArgumentTypeError(f"unsupported locale {value!r} (choose from {choices})")
    return locale


FALLBACK_COLUMNS, FALLBACK_ROWS = 80, 24


def _columns(stream: Any) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0


class Progress(Protocol):
    def update(self, n: float | None = 1) -> bool | None: ...


class _NoProgress:
    def update(self, n: float | None = 1) -> bool | None:
        return None


class OperatorCommand(BaseCommand):
    """A management command an operator runs: see the module docstring."""

    # Commands with long work (batches, replays) set this: they get `--progress`.
    progress_option: ClassVar[bool] = False

    verbosity: int = 1
    _force_progress: bool = False
    _bar: Any = None

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--locale",
            type=_locale_argument,
            metavar="LANG",
            help=(
                "Language of the output: "
                + ", ".join(supported_locales())
                + f" (default: from the {LOCALE_VARIABLE} environment variable, else English)."
            ),
        )
        if self.progress_option:
            parser.add_argument(
                "--progress",
                action="store_true",
                help="Show a progress bar (on stderr) even when stdout is not a terminal.",
            )
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        self.verbosity = int(options.get("verbosity", 1))
        self._force_progress = bool(options.get("progress"))
        with translation.override(command_locale(options.get("locale"))):
            return super().execute(*args, **options)

    # --- output ---------------------------------------------------------------------------------

    def say(self, message: str, *, level: int = 1, style: Any = None) -> None:
        """A line on stdout when the verbosity is at least `level`."""
        if self.verbosity < level:
            return
        if self._bar is not None:
            self._bar.clear()
        self.stdout.write(message, style_func=style)
        if self._bar is not None:
            self._bar.refresh()

    def detail(self, message: str) -> None:
        """A line shown from `-v 2` on."""
        self.say(message, level=2)

    def warn(self, message: str) -> None:
        """A caveat on stderr (not an error: the exit status stays 0), from `-v 1` on."""
        if self.verbosity < 1:
            return
        if self._bar is not None:
            self._bar.clear()
        self.stderr.write(message, style_func=self.style.WARNING)
        if self._bar is not None:
            self._bar.refresh()

    def progress_shown(self) -> bool:
        if self.verbosity < 1:
            return False
        return self._force_progress or self.stdout.isatty()

    @contextmanager
    def progress(self, *, total: int | None, description: str, unit: str) -> Iterator[Progress]:
        """A bar for `total` units of work (None: a counter); `.update(n)` as work is done."""
        if not self.progress_shown():
            yield _NoProgress()
            return
        from tqdm import tqdm  # only commands that show a bar pay for the import

        # The raw stream: Django's wrapper would end every update with a newline.
        stream = getattr(self.stderr, "_out", self.stderr)
        # Follow the terminal's size; a pseudo-terminal without one (`kubectl exec -t`,
        # `script`: 0x0) or a file gets 80x24 instead of a bar squeezed to nothing.
        sized = _columns(stream) > 0
        bar = tqdm(
            total=total,
            desc=description,
            unit=unit,
            file=stream,
            leave=True,
            dynamic_ncols=sized,
            ncols=None if sized else FALLBACK_COLUMNS,
            nrows=None if sized else FALLBACK_ROWS,
        )
        self._bar = bar
        try:
            yield bar
        finally:
            self._bar = None
            bar.close()

"""The only place that talks to the terminal. rich honours NO_COLOR and plain pipes by itself."""

from __future__ import annotations

import os
import sys
from enum import StrEnum

from rich.console import Console


def _no_color() -> bool:
    return "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """rich exits 1 when the reader goes away; kubefleet's entry point (cli/main.py) exits 0 quietly,
        like other Unix tools under `| head -1`."""
        self.quiet = True
        raise BrokenPipeError


def stdout() -> Console:
    return _Console(no_color=_no_color(), highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def stderr() -> Console:
    return _Console(stderr=True, no_color=_no_color(), highlight=False, width=None if sys.stderr.isatty() else 160)


def write(text: str) -> None:
    """Plain text to stdout, exactly as given (machine formats: json, csv, markdown, html)."""
    sys.stdout.write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()


class TableOrJson(StrEnum):
    table = "table"
    json = "json"


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"

"""The only place that talks to the terminal. rich honours NO_COLOR and plain pipes by itself."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rich.console import Console

from kubefleet.errors import SpecIssue as SpecIssueLike

if TYPE_CHECKING:
    from rich.table import Column, Table


def _no_color() -> bool:
    return "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """rich exits 1 when the reader goes away; kubefleet's entry point (cli/main.py) exits 0 quietly,
        like other Unix tools under `| head -1`."""
        self.quiet = True
        raise BrokenPipeError


def _width(tty: bool) -> int | None:
    """COLUMNS wins (also when piped: `COLUMNS=80 kubefleet compare ... | less`); a terminal is measured
    by rich; a plain pipe gets 160 columns."""
    raw = os.environ.get("COLUMNS", "")
    if raw.isdigit() and 20 <= int(raw) <= 1000:
        return int(raw)
    return None if tty else 160


def stdout() -> Console:
    return _Console(no_color=_no_color(), highlight=False, soft_wrap=False, width=_width(sys.stdout.isatty()))


def stderr() -> Console:
    # errors keep their file:line:col on one line when piped, whatever COLUMNS says (greppable, clickable)
    return _Console(stderr=True, no_color=_no_color(), highlight=False, width=None if sys.stderr.isatty() else 160)


_MONEY = re.compile(r"^[≥~]? ?[-+]?\$[\d,]+(?:\.\d+)?(?: ?[+*])?(?: ?[-–] ?\$[\d,]+(?:\.\d+)?[+*]?)?(?:/\w+)?$")


def _cell_text(cell: object) -> str:
    from rich.text import Text

    if isinstance(cell, Text):
        return cell.plain
    if isinstance(cell, str):
        from rich.markup import render

        return render(cell).plain
    return str(cell) if cell is not None else ""


def _rigid(texts: list[str]) -> bool:
    """Money and identifiers (one token: an instance type, a resource name, a date) must not wrap."""
    cells = [t for t in texts if t.strip()]
    return bool(cells) and all(_MONEY.match(t.strip()) or (" " not in t.strip() and len(t) <= 48) for t in cells)


def _share_width(table: Table, width: int, texts: Callable[[Column], list[str]]) -> None:
    """Fix every column's width when the table is wider than the terminal: each gets its minimum (its
    longest word) and the rest is shared by how much more each wants. rich's own shrinking lets a column
    fall under its minimum and then crops the table's right edge (seen at 100 columns)."""
    from rich.cells import cell_len

    columns = table.columns
    room = width - (3 * len(columns) + 1)
    mins = [c.min_width or 1 for c in columns]
    wants = [max([cell_len(t) for t in [*texts(c), _cell_text(c.header)]] or [1]) for c in columns]
    if sum(max(w, m) for w, m in zip(wants, mins, strict=True)) <= room:
        return  # it fits as it is
    spare = room - sum(mins)
    more = [max(w - m, 0) for w, m in zip(wants, mins, strict=True)]
    total = sum(more) or 1
    for column, least, extra in zip(columns, mins, more, strict=True):
        column.width = least + spare * extra // total


def print_table(out: Console, table: Table, *, drop: Sequence[str] = ()) -> None:
    """Print ``table`` so money and identifiers never wrap across lines, whatever the width.

    Columns whose cells are all money or single tokens get ``no_wrap`` and their full width. If the table
    is still wider than the console, the ``drop`` columns (low-value first, by header) are left out with
    a note; if even that does not fit, every row is stacked as ``header: value`` lines."""
    from rich.text import Text

    def texts(col: Column) -> list[str]:
        return [_cell_text(c) for c in col._cells]

    for col in table.columns:
        cells = texts(col)
        if _rigid(cells):
            col.no_wrap = True  # the header too: a short one ("EKS ✓ cheapest") is kept whole
            header = _cell_text(col.header)
            col.min_width = max([len(t) for t in cells] + [len(header) if len(header) <= 24 else 0])
        else:  # prose wraps between words, never inside one (a region, an instance type, `key=value`)
            words = [w for t in [*cells, _cell_text(col.header)] for w in t.split()]
            col.min_width = max((len(w) for w in words), default=1)
            col.overflow = "fold"  # only a word wider than the whole terminal is ever folded
    width = out.width

    def needed(t: Table) -> int:
        return sum((c.min_width or 1) + 3 for c in t.columns) + 1

    dropped: list[str] = []
    for header in drop:
        if needed(table) <= width:
            break
        index = next((i for i, c in enumerate(table.columns) if _cell_text(c.header) == header), None)
        if index is not None:
            dropped.append(header)
            table.columns.pop(index)
    if needed(table) <= width:
        _share_width(table, width, texts)
        out.print(table)
        if dropped:
            out.print(f"(narrow terminal: left out {', '.join(dropped)}; widen it or use --output json)",
                      highlight=False, markup=False)
        return
    # stacked: one block per row
    if table.title:
        out.print(table.title if isinstance(table.title, Text) else Text(str(table.title)))
    headers = [_cell_text(c.header) for c in table.columns]
    rows = list(zip(*(texts(c) for c in table.columns), strict=False))
    for row in rows:
        first, rest = row[0], row[1:]
        out.print(Text(first or "·", style="bold"))
        for header, value in zip(headers[1:], rest, strict=False):
            if value.strip():
                # a long value (a self-link URL) folds at the width; names and money are short single tokens
                out.print(Text(f"  {header}: {value}", overflow="fold"), soft_wrap=False)
    if dropped:
        out.print(f"(narrow terminal: left out {', '.join(dropped)}; widen it or use --output json)",
                  highlight=False, markup=False)


def write(text: str) -> None:
    """Plain text to stdout, exactly as given (machine formats: json, csv, markdown, html); under
    ``-o yaml`` the command's JSON document, as YAML (see :func:`offer_yaml`)."""
    if _yaml_requested():
        text = json_text_as_yaml(text)
    sys.stdout.write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()


# ------------------------------------------------------------------ -o yaml wherever -o json exists

#: this invocation asked for -o yaml (set while its options are parsed; reset_yaml() at each CLI start)
_YAML: dict[str, bool] = {"on": False}


def reset_yaml() -> None:
    _YAML["on"] = False


def offer_yaml(command: object) -> None:
    """Give ``command``'s ``--output`` choice a ``yaml`` beside its ``json``, as kubectl does: the command runs
    as for json (its code never sees yaml) and :func:`write` turns that JSON document into YAML. Called for
    every command when the CLI starts (cli/main.py ``tidy_help``), after the help placeholders are set."""
    for param in getattr(command, "params", []):
        desc = getattr(param, "type_descriptor", None)
        choices = [str(getattr(c, "value", c)) for c in (getattr(desc, "choices", None) or ())]
        if param.name != "output" or "json" not in choices or "yaml" in choices \
                or getattr(param, "_kubefleet_yaml", False):
            continue
        original = param.process_value

        def process_value(ctx: Any, value: Any, _original: Any = original) -> Any:
            yaml_wanted = isinstance(value, str) and value.strip().lower() == "yaml"
            _YAML["on"] = yaml_wanted
            return _original(ctx, "json" if yaml_wanted else value)

        param.process_value = process_value
        param._kubefleet_yaml = True
        if isinstance(param.metavar, str) and "|json" in param.metavar:  # the help placeholder <table|json|…>
            param.metavar = param.metavar.replace("|json", "|json|yaml", 1)
        if isinstance(param.help, str):
            param.help = param.help.rstrip(".") + "; yaml: the json document as YAML."


def _yaml_requested() -> bool:
    return _YAML["on"]


def json_text_as_yaml(text: str) -> str:
    """The JSON document(s) in ``text`` as YAML: the same object, emitted with the safe dumper, and every
    string that a YAML 1.1 reader (PyYAML, Go's yaml.v2) would take for another type (``no``, ``on``,
    ``1.30``, ``0x1F``, ``2026-12-01``, ``1_000``) quoted, as YAML 1.2 ones already are. JSON lines become
    a YAML stream (one document each)."""
    import json

    try:
        docs = [json.loads(text)]
    except ValueError:
        docs = [json.loads(line) for line in text.splitlines() if line.strip()]
    return "".join(("---\n" if i else "") + _dump_yaml(doc) for i, doc in enumerate(docs))


def _dump_yaml(data: object) -> str:
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.representer import SafeRepresenter
    from ruamel.yaml.resolver import VersionedResolver

    yaml11 = VersionedResolver(version=(1, 1))

    class Representer(SafeRepresenter):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.sort_base_mapping_type_on_output = False  # the JSON document's key order

    def represent_str(rep: SafeRepresenter, value: str) -> ScalarNode:
        plain_is_str = yaml11.resolve(ScalarNode, value, (True, False)) == "tag:yaml.org,2002:str"
        return rep.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain_is_str else "'")

    Representer.add_representer(str, represent_str)
    dumper = YAML(typ="safe", pure=True)
    dumper.Representer = Representer
    dumper.default_flow_style = False
    dumper.allow_unicode = True
    dumper.width = 4096
    buffer = io.StringIO()
    dumper.dump(data, buffer)
    return buffer.getvalue()


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


def _escape_data(text: str) -> str:
    # actions/toolkit@a944251692e50709e44d95e64d43c80236b9f6af:packages/core/src/command.ts:80-85 (escapeData)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    # actions/toolkit@a944251692e50709e44d95e64d43c80236b9f6af:packages/core/src/command.ts:87-94 (escapeProperty)
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(issues: Iterable[SpecIssueLike], title: str) -> str:
    """Positioned problems as GitHub Actions workflow commands (``::error file=…,line=…,col=…::message``,
    https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#setting-an-error-message),
    so a PR shows each one on its line. Printed when ``GITHUB_ACTIONS=true`` (set by every Actions runner)."""
    lines = []
    for issue in issues:
        message = issue.message + (f"\nhint: {issue.hint}" if issue.hint else "")
        props = ",".join(f"{k}={_escape_property(str(v))}" for k, v in
                         (("file", issue.file), ("line", issue.line), ("col", issue.column), ("title", title)))
        lines.append(f"::error {props}::{_escape_data(message)}")
    return "\n".join(lines)


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"

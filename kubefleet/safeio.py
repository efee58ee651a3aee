"""The one guarded reader: every file kubefleet reads that a user (or anyone who can write to
``$KUBEFLEET_HOME``) controls goes through here.

Bytes (:func:`read_regular`): a FIFO would block forever and ``/dev/zero`` never ends, and both report
size 0, so the type is checked with ``os.stat`` before opening, the file is opened non-blocking (a FIFO
swapped in after the check cannot hang us) and checked again with ``fstat``, and at most ``max_bytes``
are read whatever the file claims (issue 14). A path the system cannot even look up (a component over
255 bytes, a loop of symlinks) is a :class:`FileProblem` too, never an internal error (issue 25).

YAML (:func:`parse_documents`, :func:`load_yaml_file`): parsed by libyaml, turned into data by
:class:`_Builder`, which counts every value (alias bombs), bounds nesting (libyaml's recursion would
overflow the C stack), refuses self-referencing aliases and merge keys, duplicate keys and tags that are
not plain data, and resolves scalars by the YAML 1.2 core schema -- every problem with ``file:line:col``.
"""

from __future__ import annotations

import datetime
import errno
import io
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.scalarbool import ScalarBoolean

from kubefleet.errors import SpecError, SpecIssue


class FileProblem(Exception):
    """Why a file was not read: ``message`` (and ``hint``) for people."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something other than a file"


def size_text(n: int) -> str:
    return f"{n // 1024 // 1024} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def _check(info: os.stat_result, max_bytes: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise FileProblem("is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise FileProblem(f"is {_kind_of(info.st_mode)}: not a regular file, so it is not read",
                          "give a file saved on disk")
    if info.st_size > max_bytes:
        raise FileProblem(f"file is larger than {size_text(max_bytes)}")


def read_regular(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``max_bytes``), or :class:`FileProblem`."""
    try:
        _check(os.stat(path), max_bytes)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileProblem("no such file") from None
    except PermissionError:
        raise FileProblem("permission denied") from None
    except OSError as err:
        raise path_problem(err) from None
    try:
        _check(os.fstat(fd), max_bytes)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise FileProblem(f"file is larger than {size_text(max_bytes)}")
        return b"".join(chunks)
    except PermissionError:
        raise FileProblem("permission denied") from None
    except OSError as err:
        raise FileProblem(f"cannot read: {err.strerror or err}") from None
    finally:
        os.close(fd)


MAX_NAME_BYTES = 255  # NAME_MAX of Linux, macOS and Windows file systems


def long_component(path: str | Path) -> str | None:
    """The first component of ``path`` longer than the file system allows (255 bytes), if any."""
    for part in Path(path).parts:
        if len(os.fsencode(part)) > MAX_NAME_BYTES:
            return part
    return None


def path_problem(err: OSError) -> FileProblem:
    """An ``OSError`` from looking a path up, said as what the user can do about it."""
    if err.errno == errno.ENAMETOOLONG:
        part = long_component(err.filename or "") if err.filename else None
        what = f"the name {part[:40]!r}… is {len(os.fsencode(part))} bytes" if part else "the path is too long"
        return FileProblem(f"{what}; file systems allow at most {MAX_NAME_BYTES} bytes per name",
                           "shorten that file or directory name")
    if err.errno == errno.ELOOP:
        return FileProblem("too many levels of symbolic links", "a symlink points (through others) at itself")
    if err.errno == errno.ENOTDIR:
        return FileProblem("a part of the path is a file, not a directory")
    return FileProblem(f"cannot read: {err.strerror or err}")


def read_text(path: str | Path, max_bytes: int) -> str:
    """The UTF-8 text of the regular file ``path`` (at most ``max_bytes``; a BOM is dropped), or
    :class:`FileProblem`."""
    raw = read_regular(path, max_bytes)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise FileProblem(f"not UTF-8 text (byte {err.start})", "is this a binary file?") from None


def load_yaml_file(path: str | Path, max_bytes: int, *, max_values: int | None = None) -> list[Any]:
    """Every YAML document of the file at ``path``, read through :func:`read_text` and parsed through
    :func:`parse_documents`: :class:`~kubefleet.errors.SpecError` with ``file:line:col`` for anything
    that is not a readable, bounded, plain-data YAML file."""
    try:
        text = read_text(path, max_bytes)
    except FileProblem as problem:
        raise SpecError([SpecIssue(str(path), 1, 1, problem.message, problem.hint)]) from None
    return parse_documents(text, str(path), max_values=max_values)


def kubefleet_home(environ: Mapping[str, str] | None = None) -> Path:
    """``$KUBEFLEET_HOME`` or ``~/.kubefleet``."""
    env = os.environ if environ is None else environ
    value = env.get("KUBEFLEET_HOME")
    return Path(value).expanduser() if value else Path.home() / ".kubefleet"


# Budgets for turning a parsed document into data. A real spec has a few hundred values and is at most
# ~8 levels deep; the budget is far above that and far below what an alias bomb expands to (9 aliases
# × 9 levels = 387 million strings from 1 KB of YAML).
MAX_VALUES = 50_000
MAX_DEPTH = 64
MAX_SHOWN = 120

_TAG = "tag:yaml.org,2002:"
_MAP, _SEQ, _MERGE = _TAG + "map", _TAG + "seq", _TAG + "merge"
# Scalar tags a spec may hold (explicitly or as resolved from plain scalars); anything else
# (!!binary, !!python/..., !custom, !!set, !!omap) is refused with its position.
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
# The YAML 1.2 core schema's tag resolution (https://yaml.org/spec/1.2.2/#1032-tag-resolution;
# yaml/yaml-spec@1b1a1be43bd6e0cfec45caf0e40af3b5d2bb7f8a:spec/1.2.2/spec.md:6636-6646). ruamel (and libyaml's
# resolver) read more: `1_000` and `_1` as integers, `1_0.5` as a float -- YAML 1.1 spellings. A plain
# scalar the core schema does not resolve to a number, boolean or null is text, as the spec says ("if none
# of the regular expressions matches, the scalar is resolved to tag:yaml.org,2002:str"); an explicit
# `!!int`/`!!float`/`!!bool`/`!!null` on text none of those expressions matches is refused.
_CORE: dict[str, re.Pattern[str]] = {
    _TAG + "int": re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"),
    _TAG + "float": re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)"
                               r"|\.(nan|NaN|NAN)"),
    _TAG + "bool": re.compile(r"true|True|TRUE|false|False|FALSE"),
    _TAG + "null": re.compile(r"null|Null|NULL|~|"),
}
_EXPLICIT_TAG = re.compile(r"(?:&\S+\s+)?!")


def short(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was (a 4 MB value is never echoed whole)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def shown(value: Any, limit: int = MAX_SHOWN) -> str:
    """``repr(value)`` for messages, cut to ``limit`` characters."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value)} characters)"
    return short(repr(value), limit)


def _yaml() -> YAML:
    """The parser: ruamel's ``safe`` loader, whose scanner, parser and composer are libyaml in C
    (ruamel.yaml.clib; the pure-Python round-trip loader is ~10× slower: 300 clusters in one file took
    minutes). Only the composer is used; :class:`_Builder` makes the data and keeps every position."""
    y = YAML(typ="safe")
    y.allow_duplicate_keys = False
    return y


def _spelling(tag: str) -> str:
    return {"!!int": "digits with an optional sign, 0o octal or 0x hex, no underscores",
            "!!float": "digits with one optional point and exponent, .inf or .nan, no underscores",
            "!!bool": "true or false", "!!null": "null, ~ or nothing"}.get(tag, tag)


class _Builder:
    """Composed YAML nodes -> ``CommentedMap``/``CommentedSeq`` carrying the line/column of every key,
    value and item (what :func:`_locate` reads), with plain scalars inside.

    Aliases are shared nodes; each use is built again and counted, so an alias bomb stops at
    ``max_values`` with the position where it was reached; a node that contains itself (an alias or a
    merge key pointing at its own mapping), nesting beyond ``max_depth``, duplicate keys, non-scalar keys
    and tags that are not plain text/number/boolean/null/timestamp are refused with their position."""

    def __init__(self, file: str, constructor: Any, max_values: int = MAX_VALUES, max_depth: int = MAX_DEPTH,
                 text: str = "") -> None:
        self.file = file
        self.text = text
        self._lines: list[str] | None = None
        self.constructor = constructor
        self.max_values = max_values
        self.max_depth = max_depth
        self.values = 0
        self.expansions = 0
        self.active: set[int] = set()
        self.seen: set[int] = set()

    def fail(self, node: Any, message: str, hint: str | None = None) -> SpecError:
        mark = getattr(node, "start_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return SpecError([SpecIssue(self.file, line, col, message, hint)])

    def build(self, node: Any, depth: int = 0) -> Any:
        self.values += 1
        if self.values > self.max_values:
            if self.expansions:
                raise self.fail(node, f"the document expands to more than {self.max_values:,} values through "
                                f"{self.expansions:,} alias expansions (an alias bomb?)",
                                "use fewer anchors/aliases (&name / *name); a spec has a few hundred values")
            raise self.fail(node, f"the document holds more than {self.max_values:,} values; is it really a spec?")
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        ident = id(node)
        if ident in self.active:
            raise self.fail(node, "this value contains itself (an alias or merge key refers to the node it is in)",
                            "an alias (*name) must refer to an anchor (&name) defined outside of it")
        if depth >= self.max_depth:
            raise self.fail(node, f"values are nested more than {self.max_depth} levels deep; is it really a spec?")
        if ident in self.seen:
            self.expansions += 1
        self.seen.add(ident)
        self.active.add(ident)
        try:
            if isinstance(node, MappingNode) and node.tag == _MAP:
                return self._mapping(node, depth)
            if isinstance(node, SequenceNode) and node.tag == _SEQ:
                return self._sequence(node, depth)
        finally:
            self.active.discard(ident)
        raise self._tag_error(node)

    def _tag_error(self, node: Any) -> SpecError:
        tag = str(node.tag).replace(_TAG, "!!")
        if tag == "!!binary":
            return self.fail(node, "a !!binary value is not text",
                             "write the value as plain text, without the !!binary tag")
        return self.fail(node, f"invalid YAML: the tag {short(tag, 60)} is not supported in a spec",
                         "remove the tag: a spec holds plain mappings, lists, text, numbers and true/false")

    def _explicit(self, node: ScalarNode) -> bool:
        """Was the node's tag written in the text (`!!int 3`), rather than resolved from a plain scalar?"""
        if self._lines is None:
            self._lines = self.text.splitlines()
        mark = node.start_mark
        line = self._lines[mark.line] if 0 <= mark.line < len(self._lines) else ""
        return bool(_EXPLICIT_TAG.match(line, mark.column))

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self._tag_error(node)
        core = _CORE.get(node.tag)
        if core is not None and not core.fullmatch(node.value):
            if node.style or not self._explicit(node):
                return str(node.value)  # the core schema reads this plain scalar as text
            tag = str(node.tag).replace(_TAG, "!!")
            raise self.fail(node, f"invalid YAML: {shown(node.value, 60)} is not a YAML 1.2 {tag} "
                            f"(the core schema's {tag} is {_spelling(tag)})",
                            "drop the tag, or write a value of that type")
        try:
            value = self.constructor.construct_object(node)
        except (RecursionError, SpecError):
            raise
        except Exception as err:  # ruamel: KeyError for `!!bool maybe`, ValueError for `!!int three`, ...
            tag = str(node.tag).replace(_TAG, "!!")
            what = str(err.problem) if isinstance(err, MarkedYAMLError) and err.problem else f"{type(err).__name__}: {err}"
            raise self.fail(node, f"invalid YAML: {shown(node.value, 60)} cannot be read as {tag} ({short(what, 80)})",
                            "drop the tag, or write a value of that type") from None
        if isinstance(value, str):
            return str(value)
        if isinstance(value, (bool, ScalarBoolean)):  # ruamel's round-trip bool is an int subclass
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if value is None or isinstance(value, datetime.date):
            return value
        raise self._tag_error(node)

    def _key(self, node: Any) -> Any:
        if not isinstance(node, ScalarNode):
            raise self.fail(node, "invalid YAML: a key must be plain text, not a list or mapping", "write the key as text")
        self.values += 1
        return self._scalar(node)

    def _pairs(self, node: MappingNode, depth: int) -> list[tuple[Any, Any]]:
        """(key node, value node) pairs with merge keys (<<) resolved: explicit keys win, then the merged
        mappings in order (https://yaml.org/type/merge.html)."""
        own: list[tuple[Any, Any]] = []
        merged: list[tuple[Any, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode) or source.tag != _MAP:
                    raise self.fail(source, "invalid YAML: a merge key (<<) needs a mapping or a list of mappings")
                if id(source) in self.active or source is node:
                    raise self.fail(key_node, "invalid YAML: a merge key (<<) refers to the mapping it is in")
                if depth + 1 >= self.max_depth:
                    raise self.fail(source, f"values are nested more than {self.max_depth} levels deep")
                self.active.add(id(source))
                try:
                    merged.extend(self._pairs(source, depth + 1))
                finally:
                    self.active.discard(id(source))
        return own + merged

    def _mapping(self, node: MappingNode, depth: int) -> CommentedMap:
        out = CommentedMap()
        out._yaml_set_line_col(node.start_mark.line, node.start_mark.column)
        own = {id(k) for k, _v in node.value}
        for key_node, value_node in self._pairs(node, depth):
            key = self._key(key_node)
            try:
                present = key in out
            except TypeError:
                raise self.fail(key_node, "invalid YAML: this key cannot be used as a key") from None
            if present:
                if id(key_node) not in own:
                    continue  # a merged key the mapping (or an earlier merge) already has
                first = out.lc.key(key)[0] + 1
                raise self.fail(key_node, f"invalid YAML: duplicate key {shown(key, 60)} (first at line {first})",
                                "each key may appear once per mapping")
            out[key] = self.build(value_node, depth + 1)
            out.lc.add_kv_line_col(key, [key_node.start_mark.line, key_node.start_mark.column,
                                         value_node.start_mark.line, value_node.start_mark.column])
        return out

    def _sequence(self, node: SequenceNode, depth: int) -> CommentedSeq:
        out = CommentedSeq()
        out._yaml_set_line_col(node.start_mark.line, node.start_mark.column)
        for index, item in enumerate(node.value):
            out.append(self.build(item, depth + 1))
            out.lc.add_kv_line_col(index, [item.start_mark.line, item.start_mark.column])
        return out


# libyaml's composer (C) recurses once per nesting level and overflows the C stack (a segfault, not an
# exception) somewhere past ~10,000 levels: 50,000 '[' are 100 KB. Nesting is therefore bounded first.
_SAFE_DEPTH = 1_000
_PURE_PARSER_BYTES = 512 * 1024


def _depth_bound(text: str) -> int:
    """A cheap upper bound of the nesting depth: flow brackets plus, per line, its indentation and its
    compact `- `/`? `/`: ` indicators (every block level adds one of those)."""
    flow = text.count("[") + text.count("{")
    if flow > _SAFE_DEPTH:
        depth = top = 0
        for match in re.finditer(r"[\[\]{}]", text):
            depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
            top = max(top, depth)
        flow = top
    block = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#"):
            block = max(block, len(line) - len(stripped) + line.count("- ") + line.count("? ") + line.count(": "))
    return flow + block


def _check_depth(text: str, file: str) -> None:
    """When the bound is high, walk the parser's events (libyaml's parser is not recursive) and stop at
    ``MAX_DEPTH`` with the position of the collection that goes too deep."""
    if _depth_bound(text) <= _SAFE_DEPTH:
        return
    depth = 0
    for event in _yaml().parse(io.StringIO(text)):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise SpecError([SpecIssue(file, mark.line + 1, mark.column + 1,
                                           f"values are nested more than {MAX_DEPTH} levels deep; is it really a spec?")])
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def parse_documents(text: str, file: str, *, max_values: int | None = None) -> list[Any]:
    """Every YAML document in ``text`` as position-carrying data (``None`` for an empty document).
    Raises :class:`SpecError` with a position for anything that is not plain, bounded YAML."""
    try:
        _check_depth(text, file)
        try:
            return _build_all(_yaml(), text, file, max_values)
        except MarkedYAMLError:
            # libyaml implements YAML 1.1 syntax: a few YAML 1.2 spellings it rejects (`{start: 03:00}`, a
            # ':' inside a plain scalar in flow context) parse with ruamel's own (pure-Python) parser, the
            # one kubefleet used before; its errors are the messages shown. Not for text nested deep enough
            # to need the depth check, nor past 512 KB (the pure parser reads ~1 MB/s): those keep the C
            # path's error, so a hostile file is still answered in bounded time.
            if len(text) > _PURE_PARSER_BYTES or _depth_bound(text) > _SAFE_DEPTH:
                raise
            return _build_all(YAML(typ="rt"), text, file, max_values)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = short((err.problem or "invalid YAML").strip())
        context = f" ({short(err.context.strip())})" if err.context else ""
        hint = None
        if "\t" in what or "tab" in what.lower() or "\t" in text:
            hint = "YAML indents with spaces, never tabs"
        elif "duplicate" in what.lower() or "duplicate" in str(err.context or "").lower():
            hint = "each key may appear once per mapping"
        raise SpecError([SpecIssue(file, line, col, f"invalid YAML: {what}{context}", hint)]) from None
    except YAMLError as err:
        raise SpecError([SpecIssue(file, 1, 1, f"invalid YAML: {short(str(err))}", None)]) from None
    except RecursionError:
        raise SpecError([SpecIssue(file, 1, 1, "invalid YAML: values are nested too deeply to read; "
                                   "is it really a spec?", None)]) from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:  # odd inputs inside ruamel
        raise SpecError([SpecIssue(file, 1, 1, f"invalid YAML: {type(err).__name__}: {short(str(err))}",
                                   None)]) from None


def _build_all(y: YAML, text: str, file: str, max_values: int | None = None) -> list[Any]:
    y.allow_duplicate_keys = False
    cap = MAX_VALUES if max_values is None else max_values
    return [None if node is None else _Builder(file, y.constructor, cap, text=text).build(node)
            for node in y.compose_all(io.StringIO(text))]



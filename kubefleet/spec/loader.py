"""Load cluster specs from YAML, keeping line/column positions for every error.

Single- and multi-document files; every problem becomes a :class:`SpecIssue` with ``file:line:col``,
what is wrong and a hint. Nothing here ever lets a Python traceback reach a user for a user mistake.
"""

from __future__ import annotations

import datetime
import difflib
import io
import itertools
import re
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.scalarbool import ScalarBoolean

from kubefleet.errors import SpecError, SpecIssue, UsageError
from kubefleet.safeio import FileProblem, read_regular
from kubefleet.spec.model import API_VERSION, KIND, ClusterSpec, FieldRuleError

SPEC_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec and where it came from."""

    spec: ClusterSpec
    file: str
    document: int  # 0-based index within a multi-document file
    line: int  # 1-based line where the document starts
    node: Any = field(default=None, repr=False, compare=False)  # the parsed YAML document, for positions

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def issue(self, loc: tuple[str | int, ...], message: str, hint: str | None = None) -> SpecIssue:
        """A positioned problem found after validation (e.g. compatibility data): file:line:col of ``loc``."""
        line, col = _locate(self.node, loc) if self.node is not None else (self.line, 1)
        return SpecIssue(self.file, line, col, message, hint)


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


def _short(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was (a 4 MB value is never echoed whole)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def _shown(value: Any, limit: int = MAX_SHOWN) -> str:
    """``repr(value)`` for messages, cut to ``limit`` characters."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value)} characters)"
    return _short(repr(value), limit)


def _yaml() -> YAML:
    """The parser: ruamel's ``safe`` loader, whose scanner, parser and composer are libyaml in C
    (ruamel.yaml.clib; the pure-Python round-trip loader is ~10× slower: 300 clusters in one file took
    minutes). Only the composer is used; :class:`_Builder` makes the data and keeps every position."""
    y = YAML(typ="safe")
    y.allow_duplicate_keys = False
    return y


class _Builder:
    """Composed YAML nodes -> ``CommentedMap``/``CommentedSeq`` carrying the line/column of every key,
    value and item (what :func:`_locate` reads), with plain scalars inside.

    Aliases are shared nodes; each use is built again and counted, so an alias bomb stops at
    ``max_values`` with the position where it was reached; a node that contains itself (an alias or a
    merge key pointing at its own mapping), nesting beyond ``max_depth``, duplicate keys, non-scalar keys
    and tags that are not plain text/number/boolean/null/timestamp are refused with their position."""

    def __init__(self, file: str, constructor: Any, max_values: int = MAX_VALUES, max_depth: int = MAX_DEPTH
                 ) -> None:
        self.file = file
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
        return self.fail(node, f"invalid YAML: the tag {_short(tag, 60)} is not supported in a spec",
                         "remove the tag: a spec holds plain mappings, lists, text, numbers and true/false")

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self._tag_error(node)
        try:
            value = self.constructor.construct_object(node)
        except (RecursionError, SpecError):
            raise
        except Exception as err:  # ruamel: KeyError for `!!bool maybe`, ValueError for `!!int three`, ...
            tag = str(node.tag).replace(_TAG, "!!")
            what = str(err.problem) if isinstance(err, MarkedYAMLError) and err.problem else f"{type(err).__name__}: {err}"
            raise self.fail(node, f"invalid YAML: {_shown(node.value, 60)} cannot be read as {tag} ({_short(what, 80)})",
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
                raise self.fail(key_node, f"invalid YAML: duplicate key {_shown(key, 60)} (first at line {first})",
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


def _plain(node: Any) -> Any:
    """Built data -> plain Python (dict, list, str, int, float, bool, None, dates) for validation."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


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


def parse_documents(text: str, file: str) -> list[Any]:
    """Every YAML document in ``text`` as position-carrying data (``None`` for an empty document).
    Raises :class:`SpecError` with a position for anything that is not plain, bounded YAML."""
    try:
        _check_depth(text, file)
        try:
            return _build_all(_yaml(), text, file)
        except MarkedYAMLError:
            # libyaml implements YAML 1.1 syntax: a few YAML 1.2 spellings it rejects (`{start: 03:00}`, a
            # ':' inside a plain scalar in flow context) parse with ruamel's own (pure-Python) parser, the
            # one kubefleet used before; its errors are the messages shown. Not for text nested deep enough
            # to need the depth check, nor past 512 KB (the pure parser reads ~1 MB/s): those keep the C
            # path's error, so a hostile file is still answered in bounded time.
            if len(text) > _PURE_PARSER_BYTES or _depth_bound(text) > _SAFE_DEPTH:
                raise
            return _build_all(YAML(typ="rt"), text, file)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = _short((err.problem or "invalid YAML").strip())
        context = f" ({_short(err.context.strip())})" if err.context else ""
        hint = None
        if "\t" in what or "tab" in what.lower() or "\t" in text:
            hint = "YAML indents with spaces, never tabs"
        elif "duplicate" in what.lower() or "duplicate" in str(err.context or "").lower():
            hint = "each key may appear once per mapping"
        raise SpecError([SpecIssue(file, line, col, f"invalid YAML: {what}{context}", hint)]) from None
    except YAMLError as err:
        raise SpecError([SpecIssue(file, 1, 1, f"invalid YAML: {_short(str(err))}", None)]) from None
    except RecursionError:
        raise SpecError([SpecIssue(file, 1, 1, "invalid YAML: values are nested too deeply to read; "
                                   "is it really a spec?", None)]) from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:  # odd inputs inside ruamel
        raise SpecError([SpecIssue(file, 1, 1, f"invalid YAML: {type(err).__name__}: {_short(str(err))}",
                                   None)]) from None


def _build_all(y: YAML, text: str, file: str) -> list[Any]:
    y.allow_duplicate_keys = False
    return [None if node is None else _Builder(file, y.constructor).build(node)
            for node in y.compose_all(io.StringIO(text))]


# ---------------------------------------------------------------- positions


def _pos_of(node: Any, key: str | int | None, *, want_key: bool) -> tuple[int, int] | None:
    """0-based (line, col) of ``key`` inside mapping/sequence ``node`` (or of node itself)."""
    try:
        if key is None:
            return (node.lc.line, node.lc.col)
        if isinstance(node, CommentedMap):
            if key not in node:
                return None
            pos = node.lc.key(key) if want_key else node.lc.value(key)
            return (pos[0], pos[1])
        if isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            pos = node.lc.item(key)
            return (pos[0], pos[1])
    except (AttributeError, KeyError, TypeError, IndexError):
        return None
    return None


def _locate(root: Any, loc: tuple[str | int, ...], *, want_key: bool = False) -> tuple[int, int]:
    """1-based (line, col) for a path inside a document; the deepest known position on a miss."""
    node = root
    best = _pos_of(root, None, want_key=False) or (0, 0)
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        pos = _pos_of(node, part, want_key=want_key and last)
        if pos is None:
            break
        best = pos
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if not isinstance(node, (CommentedMap, CommentedSeq)) and not last:
            break
    line, col = best
    return (line if isinstance(line, int) else 0) + 1, (col if isinstance(col, int) else 0) + 1


# ---------------------------------------------------------------- schema walking for hints


def _unwrap(annotation: Any) -> list[Any]:
    """Model classes reachable from an annotation (through Optional, list, dict, Annotated)."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType, list, dict, tuple):
        out: list[Any] = []
        for arg in get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = ClusterSpec
    for part in loc:
        if isinstance(part, int):
            continue
        field = None
        for name, info in model.model_fields.items():
            if part in (info.alias, name):
                field = info
                break
        if field is None:
            return None
        models = _unwrap(field.annotation)
        if not models:
            return None
        model = models[0]
    return model


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _field_description(loc: tuple[str | int, ...]) -> str | None:
    names = [p for p in loc if isinstance(p, str)]
    if not names:
        return None
    parent = _model_at(tuple(loc[:-1]) if isinstance(loc[-1], str) else tuple(loc[:-2]))
    if parent is None:
        return None
    for name, info in parent.model_fields.items():
        if names[-1] in (info.alias, name):
            return info.description
    return None


def dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(document)"


# ---------------------------------------------------------------- error translation

_PATTERN_MESSAGES = {
    "name": (
        "is not a valid name",
        "use a DNS-1123 label: lowercase letters, digits and '-', starting with a letter",
    ),
    "version": (
        "is not a Kubernetes version",
        'write a minor like "1.33" or a patch like "1.33.4", in quotes',
    ),
    "start": ("is not a time of day", 'write "HH:MM" in 24-hour UTC, in quotes, e.g. "03:00"'),
}


def _source_token(text: str, line: int, col: int) -> str:
    lines = text.splitlines()
    if 1 <= line <= len(lines):
        match = re.match(r"[^\s,}\]#]+", lines[line - 1][col - 1 :])
        return match.group(0) if match else ""
    return ""


def _translate(
    err: dict[str, Any], root: Any, file: str, text: str, extras_by_parent: dict[tuple[Any, ...], list[str]]
) -> SpecIssue | None:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    kind = err["type"]
    msg = err["msg"]
    hint: str | None = None
    ctx = err.get("ctx") or {}
    cause = ctx.get("error")

    if isinstance(cause, FieldRuleError):
        loc = loc + tuple(cause.path)
        line, col = _locate(root, loc, want_key=bool(cause.path) and isinstance(cause.path[-1], str))
        return SpecIssue(file, line, col, f"{dotted(loc)}: {_short(cause.message, 2 * MAX_SHOWN)}", cause.hint)

    if kind == "extra_forbidden":
        parent = loc[:-1]
        line, col = _locate(root, loc, want_key=True)
        model = _model_at(parent)
        allowed = _field_names(model) if model else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean `{close[0]}`?"
        elif allowed:
            hint = "allowed here: " + ", ".join(f"`{a}`" for a in allowed)
        return SpecIssue(file, line, col, f"{dotted(loc)}: unknown field `{loc[-1]}`", hint)

    if kind == "missing":
        parent = loc[:-1]
        # `nodepools:` given instead of `nodePools:` -> the unknown-field error already says it
        for extra in extras_by_parent.get(parent, []):
            if difflib.get_close_matches(extra, [str(loc[-1])], n=1, cutoff=0.6):
                return None
        line, col = _locate(root, parent)
        description = _field_description(loc)
        return SpecIssue(
            file, line, col, f"{dotted(parent)}: missing required field `{loc[-1]}`", description
        )

    line, col = _locate(root, loc)
    value = err.get("input")
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        choices = [c.strip().strip("'") for c in str(expected).replace(" or ", ", ").split(",")]
        from kubefleet.spec.regions import provider_alias

        alias = provider_alias(str(value))  # gcp -> gke, aws -> eks, azure -> aks
        close = [alias] if alias in choices else difflib.get_close_matches(str(value)[:MAX_SHOWN], choices, n=1, cutoff=0.5)
        if loc and loc[-1] == "apiVersion":
            hint = f"kubefleet reads `apiVersion: {API_VERSION}`"
        elif loc and loc[-1] == "kind":
            hint = f"kubefleet reads `kind: {KIND}`"
        elif close:
            hint = f"did you mean {close[0]!r}?"
        return SpecIssue(file, line, col, f"{dotted(loc)}: {_shown(value)} is not allowed; expected {expected}", hint)

    if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
        token = _short(_source_token(text, line, col) or str(value))
        return SpecIssue(
            file,
            line,
            col,
            f"{dotted(loc)}: expected a string, but YAML read the number {token}",
            f'quote it: "{token}"' + (" (unquoted, 1.30 would become 1.3)" if loc[-1] == "version" else ""),
        )

    if kind == "string_pattern_mismatch":
        field = str(loc[-1]) if loc else ""
        what, how = _PATTERN_MESSAGES.get(field, ("does not have the expected format", None))
        return SpecIssue(file, line, col, f"{dotted(loc)}: {_shown(value)} {what}", how or _field_description(loc))

    if kind in ("model_type", "dict_type", "model_attributes_type"):
        shown = "nothing" if value is None else type(value).__name__
        return SpecIssue(file, line, col, f"{dotted(loc)}: expected a mapping of fields, got {shown}",
                         _field_description(loc))

    if kind == "list_type":
        return SpecIssue(file, line, col, f"{dotted(loc)}: expected a list", _field_description(loc))

    if kind in ("int_parsing", "int_type", "int_from_float"):
        return SpecIssue(file, line, col, f"{dotted(loc)}: expected a whole number, got {_shown(value)}", None)

    if kind in ("bool_parsing", "bool_type"):
        return SpecIssue(file, line, col, f"{dotted(loc)}: expected true or false, got {_shown(value)}", None)

    return SpecIssue(file, line, col, f"{dotted(loc)}: {msg}", _field_description(loc) if kind != "value_error" else None)


def _extras(errors: list[dict[str, Any]]) -> dict[tuple[Any, ...], list[str]]:
    out: dict[tuple[Any, ...], list[str]] = {}
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = tuple(err["loc"])
            out.setdefault(loc[:-1], []).append(str(loc[-1]))
    return out


# ---------------------------------------------------------------- documents


def _doc_start(doc: Any) -> int:
    try:
        return int(doc.lc.line) + 1
    except (AttributeError, TypeError):
        return 1


def validate_document(doc: Any, file: str, text: str) -> tuple[ClusterSpec | None, list[SpecIssue]]:
    """Validate one parsed YAML document."""
    if not isinstance(doc, dict):
        line, col = _locate(doc, ()) if hasattr(doc, "lc") else (1, 1)
        shown = "a list" if isinstance(doc, list) else f"the scalar {doc!r}"
        return None, [
            SpecIssue(
                file, line, col, f"a spec must be a mapping with apiVersion, kind, metadata and spec; got {shown}",
                "run `kubefleet init NAME` for a starter spec",
            )
        ]
    try:
        return ClusterSpec.model_validate(_plain(doc)), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        extras = _extras(errors)  # type: ignore[arg-type]
        issues = [_translate(e, doc, file, text, extras) for e in errors]  # type: ignore[arg-type]
        unique: dict[tuple[int, int, str], SpecIssue] = {}
        for issue in issues:
            if issue is not None:
                unique.setdefault((issue.line, issue.column, issue.message), issue)
        return None, sorted(unique.values(), key=lambda i: (i.line, i.column))


def load_text(text: str, file: str = "<string>") -> list[LoadedSpec]:
    """Parse and validate every document in ``text``. Raises :class:`SpecError` with all issues."""
    if not text.strip():
        raise SpecError([SpecIssue(file, 1, 1, "the file is empty: no Cluster spec found",
                                   "run `kubefleet init NAME` for a starter spec")])
    docs = parse_documents(text, file)

    loaded: list[LoadedSpec] = []
    issues: list[SpecIssue] = []
    real_docs = [(i, d) for i, d in enumerate(docs) if d is not None]
    if not real_docs:
        raise SpecError([SpecIssue(file, 1, 1, "the file holds no YAML documents: no Cluster spec found",
                                   "run `kubefleet init NAME` for a starter spec")])
    for index, doc in real_docs:
        spec, problems = validate_document(doc, file, text)
        issues.extend(problems)
        if spec is not None:
            loaded.append(LoadedSpec(spec=spec, file=file, document=index, line=_doc_start(doc), node=doc))
    names: dict[str, LoadedSpec] = {}
    for item in loaded:
        if item.spec.name in names:
            first = names[item.spec.name]
            issues.append(SpecIssue(file, item.line, 1, f"cluster name {item.spec.name!r} is used twice in this file",
                                    f"first at line {first.line}"))
        names[item.spec.name] = item
    if issues:
        raise SpecError(issues)
    return loaded


def read_spec_file(path: Path, max_bytes: int | None = None) -> str:
    """Read a spec file with clear errors for every way that can go wrong: only regular files, at most
    ``max_bytes`` (:func:`kubefleet.safeio.read_regular`), UTF-8."""
    shown_path = str(path)
    cap = MAX_FILE_BYTES if max_bytes is None else max_bytes
    try:
        raw = read_regular(path, cap)
    except FileProblem as problem:
        hint = problem.hint
        message = problem.message
        if message == "no such file":
            hint = _nearby(path)
        elif message.startswith("is a directory"):
            message = "is a directory, not a spec file"
            hint = f"name a file inside it, e.g. {next(iter_spec_files([path]), path / 'cluster.yaml')}"
        elif message.startswith("file is larger"):
            message += "; is it really a spec?"
        elif hint == "give a file saved on disk":
            hint = "give a spec file saved on disk"
        raise SpecError([SpecIssue(shown_path, 1, 1, message, hint)]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SpecError([SpecIssue(shown_path, 1, 1, f"not UTF-8 text (byte {err.start})",
                                   "is this a binary file?")]) from None


def _nearby(path: Path) -> str | None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return None
    names = [p.name for p in itertools.islice(parent.iterdir(), 10_000)]
    close = difflib.get_close_matches(path.name, names, n=1)
    return f"did you mean {parent / close[0]}?" if close else None


def load_file(path: str | Path) -> list[LoadedSpec]:
    p = Path(path)
    return load_text(read_spec_file(p), str(path))


def iter_spec_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Spec files under the given files and directories (directories recursively, sorted)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*")
                if p.suffix in SPEC_SUFFIXES and p.is_file() and not any(part.startswith(".") for part in p.parts[len(path.parts):])
            )
        else:
            yield path


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files and directories -> spec files; a directory without specs is a usage error."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = list(iter_spec_files([p]))
            if not found:
                raise UsageError(f"{p}: no *.yaml or *.yml files in this directory")
            out.extend(found)
        else:
            out.append(p)
    return out


def dump_yaml(specs: Iterable[ClusterSpec]) -> str:
    """Specs -> YAML text in the spec's own spelling (multi-document when more than one)."""
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    buf = io.StringIO()
    y.dump_all([s.to_data() for s in specs], buf)
    return buf.getvalue()

"""Load cluster specs from YAML, keeping line/column positions for every error.

Single- and multi-document files; every problem becomes a :class:`SpecIssue` with ``file:line:col``,
what is wrong and a hint. Nothing here ever lets a Python traceback reach a user for a user mistake.
"""

from __future__ import annotations

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

from kubefleet.errors import SpecError, SpecIssue, UsageError
from kubefleet.safeio import MAX_SHOWN, FileProblem, parse_documents, read_regular
from kubefleet.safeio import short as _short
from kubefleet.safeio import shown as _shown
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


def _plain(node: Any) -> Any:
    """Built data -> plain Python (dict, list, str, int, float, bool, None, dates) for validation."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


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
        hint = None
        if isinstance(value, str) and re.fullmatch(r"[-+]?[0-9]+", value):
            hint = f"write {value} without quotes or a !!str tag"
        elif isinstance(value, str) and re.fullmatch(r"[-+]?[0-9][0-9_]*", value):
            hint = f"write {value.replace('_', '')}: YAML 1.2 numbers have no underscores"
        return SpecIssue(file, line, col, f"{dotted(loc)}: expected a whole number, got {_shown(value)}", hint)

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

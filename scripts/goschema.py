"""Read Terraform provider schemas (``ForceNew``) out of Go source, without Go.

The Terraform providers behind pulumi-gcp and pulumi-aws declare, field by field, which attribute
changes force a new resource: ``ForceNew: true`` in a terraform-plugin-sdk/v2 ``schema.Schema``
literal, or ``RequiresReplace()`` plan modifiers in a terraform-plugin-framework schema. The current
provider versions are not on the Go module proxy, so this module parses the pinned source text: a small
tokenizer and an expression parser for Go composite literals, enough for schema declarations
(``map[string]*schema.Schema{...}``, ``&schema.Resource{Schema: ...}``, helper functions returning a
``*schema.Schema``, package-level ``var``s and ``MergeSchemas`` calls).

Terraform's rules, as the SDK applies them (hashicorp/terraform-plugin-sdk helper/schema/schema.go,
``diffList``/``diffSet``/``diffMap``/``diffString``), are kept in the :class:`Field` tree:

* a primitive, a map, or a list/set of primitives with ``ForceNew``: any change of the value replaces
  (the elements inherit the flag: ``t2.ForceNew = schema.ForceNew``);
* a list/set of blocks with ``ForceNew``: adding or removing a block (the ``.#`` count) replaces; a change
  inside a block replaces only through the block's own ``ForceNew`` fields.

Used by ``scripts/gen_replace_tables.py`` (generation) and by the test that regenerates the committed
table from the committed source excerpts. No I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<char>'(?:[^'\\\n]|\\.)*')
  | (?P<num>\d[\w.]*)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>:=|\.\.\.|&&|\|\||==|!=|<=|>=|<-|[-+*/%&|^<>=!.,;:(){}\[\]~])
    """,
    re.S | re.X,
)


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    line: int


def tokenize(src: str) -> list[Tok]:
    out: list[Tok] = []
    pos, line = 0, 1
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None:
            raise ValueError(f"line {line}: cannot tokenize {src[pos:pos + 20]!r}")
        kind = m.lastgroup or ""
        text = m.group()
        if kind not in ("ws", "lcomment", "bcomment"):
            out.append(Tok(kind, text, line))
        line += text.count("\n")
        pos = m.end()
    return out


# ------------------------------------------------------------------ expressions


@dataclass
class Composite:
    type: str
    elems: list[tuple[Any, Any]]  # (key or None, value)
    line: int
    spans: list[tuple[int, int]] = field(default_factory=list)  # first/last line of each element


@dataclass
class Call:
    name: str
    args: list[Any]
    line: int


@dataclass
class Ident:
    name: str
    line: int


@dataclass
class Other:
    text: str
    line: int


_CLOSE = {"(": ")", "[": "]", "{": "}"}


class _Parser:
    def __init__(self, toks: list[Tok]) -> None:
        self.t = toks
        self.i = 0

    def peek(self, k: int = 0) -> Tok | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def _is(self, k: int, text: str) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.text == text

    def next(self) -> Tok:
        tok = self.t[self.i]
        self.i += 1
        return tok

    def skip_balanced(self) -> None:
        """Skip from an opening bracket to its match."""
        depth = 0
        while self.i < len(self.t):
            tok = self.next()
            if tok.text in _CLOSE:
                depth += 1
            elif tok.text in (")", "]", "}"):
                depth -= 1
                if depth == 0:
                    return

    def type_text(self) -> str:
        """A type in front of a composite literal: ``map[string]*schema.Schema``, ``[]string``, ``x.Y``."""
        parts: list[str] = []
        while (tok := self.peek()) is not None:
            if tok.text == "[":
                self.next()
                inner = []
                while (t2 := self.next()).text != "]":
                    inner.append(t2.text)
                parts.append("[" + "".join(inner) + "]")
            elif tok.text in ("*", "."):
                parts.append(self.next().text)
            elif tok.kind == "ident":
                parts.append(self.next().text)
                nxt = self.peek()
                if nxt is None or nxt.text not in (".", "[", "*"):
                    break
                if nxt.text == "[" and parts[-1] != "map":
                    break
            else:
                break
        return "".join(parts)

    def composite(self, type_: str) -> Composite:
        open_ = self.next()
        assert open_.text == "{", open_
        elems: list[tuple[Any, Any]] = []
        spans: list[tuple[int, int]] = []
        while (tok := self.peek()) is not None and tok.text != "}":
            first_line = tok.line
            first = self.expr()
            key: Any = None
            value = first
            if self.peek() is not None and self.peek().text == ":":  # type: ignore[union-attr]
                self.next()
                key, value = first, self.expr()
            elems.append((key, value))
            spans.append((first_line, self.t[self.i - 1].line))
            if self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.next()
        self.next()  # }
        return Composite(type_, elems, open_.line, spans)

    def func_literal(self) -> Other:
        start = self.next()  # func
        # signature up to the body's brace (parameter lists and result types contain no braces
        # except interface{}/struct{}, which are followed by more signature tokens)
        while (tok := self.peek()) is not None:
            if tok.text in ("(", "["):
                self.skip_balanced()
                continue
            if tok.text == "{":
                prev = self.t[self.i - 1].text
                if prev in ("interface", "struct"):
                    self.skip_balanced()
                    continue
                break
            self.next()
        body_start = self.i
        self.skip_balanced()
        ret = _last_return(self.t[body_start + 1:self.i - 1])
        return ret if ret is not None else Other("func", start.line)

    def primary(self) -> Any:
        tok = self.peek()
        if tok is None:
            return Other("", 0)
        if tok.text in ("&", "*", "-", "!", "<-", "^"):
            self.next()
            return self.primary()
        if tok.text == "{":
            return self.composite("")
        if tok.text == "(":
            self.next()
            inner = self.expr()
            while self.peek() is not None and self.next().text != ")":
                pass
            return inner
        if tok.text == "[" or tok.text == "map":
            type_ = self.type_text()
            if self.peek() is not None and self.peek().text == "{":  # type: ignore[union-attr]
                return self.composite(type_)
            return Other(type_, tok.line)
        if tok.text == "func":
            return self.func_literal()
        if tok.kind == "ident":
            name = self.next().text
            while self._is(0, ".") and (after := self.peek(1)) is not None and after.kind == "ident":
                self.next()
                name += "." + self.next().text
            nxt = self.peek()
            if nxt is not None and nxt.text == "(":
                self.next()
                args: list[Any] = []
                while (t2 := self.peek()) is not None and t2.text != ")":
                    args.append(self.expr())
                    if (self.peek() is not None and self.peek().text == ",") or (self.peek() is not None and self.peek().text == "..."):  # type: ignore[union-attr]
                        self.next()
                self.next()
                return Call(name, args, tok.line)
            if nxt is not None and nxt.text == "{" and (name.split(".")[-1][:1].isupper()):
                return self.composite(name)
            return Ident(name, tok.line)
        self.next()
        return Other(tok.text, tok.line)

    def expr(self) -> Any:
        value = self.primary()
        while (tok := self.peek()) is not None:
            if tok.text in (".",):
                self.next()
                if self.peek() is not None and self.peek().text == "(":  # type: ignore[union-attr]
                    self.skip_balanced()  # type assertion
                else:
                    self.next()
                value = Other("selector", tok.line)
                continue
            if tok.text == "(":
                self.skip_balanced()
                value = Other("call", tok.line)
                continue
            if tok.text == "[":
                self.skip_balanced()
                value = Other("index", tok.line)
                continue
            if tok.text in ("+", "-", "*", "/", "%", "|", "&", "^", "&&", "||", "==", "!=", "<", ">", "<=", ">="):
                self.next()
                self.primary()
                value = Other("binary", tok.line)
                continue
            break
        return value


# ------------------------------------------------------------------ package declarations


@dataclass
class Decl:
    name: str
    kind: str  # "func" | "var"
    value: Any  # the returned / assigned expression
    line: int
    end: int = 0


def declarations(src: str) -> dict[str, Decl]:
    """Top-level ``func NAME(...) T { ... return EXPR }`` and ``var NAME = EXPR`` of one Go file.

    For a function, the expression of its last top-level ``return``."""
    toks = tokenize(src)
    p = _Parser(toks)
    out: dict[str, Decl] = {}
    depth = 0
    while p.i < len(toks):
        tok = p.next()
        if tok.text in ("{", "(", "["):
            depth += 1
            continue
        if tok.text in ("}", ")", "]"):
            depth -= 1
            continue
        if depth != 0:
            continue
        if tok.text == "func":
            nxt = p.peek()
            if nxt is None:
                break
            if nxt.text == "(":  # method: skip receiver
                p.skip_balanced()
                nxt = p.peek()
            if nxt is None or nxt.kind != "ident":
                continue
            name = p.next().text
            while (t2 := p.peek()) is not None and t2.text != "{":
                if t2.text in ("(", "["):
                    p.skip_balanced()
                else:
                    p.next()
            body_start = p.i
            p.skip_balanced()
            body = toks[body_start + 1:p.i - 1]
            ret = _last_return(body)
            if ret is not None:
                out[name] = Decl(name, "func", ret, tok.line, toks[p.i - 1].line)
        elif tok.text == "var":
            nxt = p.peek()
            if nxt is None:
                break
            if nxt.text == "(":
                p.next()
                while (t2 := p.peek()) is not None and t2.text != ")":
                    if t2.kind == "ident" and p.peek(1) is not None and p.peek(1).text == "=":  # type: ignore[union-attr]
                        name = p.next().text
                        p.next()
                        value = p.expr()
                        out[name] = Decl(name, "var", value, t2.line, toks[p.i - 1].line)
                    elif t2.text in ("{", "(", "["):
                        p.skip_balanced()
                    else:
                        p.next()
                p.next()
                continue
            if nxt.kind != "ident":
                continue
            name = p.next().text
            while (t2 := p.peek()) is not None and t2.text != "=" and t2.line == nxt.line:
                p.next()
            if p.peek() is not None and p.peek().text == "=":  # type: ignore[union-attr]
                p.next()
                value = p.expr()
                out[name] = Decl(name, "var", value, tok.line, toks[p.i - 1].line)
    return out


def _last_return(body: list[Tok]) -> Any:
    depth, last = 0, None
    for j, tok in enumerate(body):
        if tok.text in ("{", "(", "["):
            depth += 1
        elif tok.text in ("}", ")", "]"):
            depth -= 1
        elif tok.text == "return" and depth == 0:
            last = j
    if last is None:
        return None
    return _Parser(body[last + 1:]).expr()


# ------------------------------------------------------------------ schema trees


@dataclass
class Field:
    """One attribute of a Terraform schema: its ForceNew flag, kind and nested fields."""

    force_new: bool = False
    kind: str = "value"  # "value" (primitive/map/list of primitives) | "block" (list/set of blocks)
    max_one: bool = False  # MaxItems: 1 (Pulumi flattens the block into an object)
    line: int = 0
    children: dict[str, Field] = field(default_factory=dict)


class Resolver:
    """Resolves schema expressions against the declarations of one Go package (several files)."""

    def __init__(self, decls: Mapping[str, Decl]) -> None:
        self.decls = decls

    def _deref(self, expr: Any, seen: frozenset[str] = frozenset()) -> Any:
        while True:
            if isinstance(expr, Call) and expr.name.split(".")[-1] in self.decls and expr.name not in seen:
                decl = self.decls[expr.name.split(".")[-1]]
                seen = seen | {expr.name}
                expr = decl.value
                continue
            if isinstance(expr, Ident) and expr.name.split(".")[-1] in self.decls and expr.name not in seen:
                decl = self.decls[expr.name.split(".")[-1]]
                seen = seen | {expr.name}
                expr = decl.value
                continue
            return expr

    def schema_map(self, expr: Any) -> dict[str, Field]:
        """A ``map[string]*schema.Schema`` expression (literal, variable, helper or MergeSchemas)."""
        expr = self._deref(expr)
        if isinstance(expr, Call) and expr.name.endswith("MergeSchemas"):
            merged: dict[str, Field] = {}
            for arg in expr.args:
                merged.update(self.schema_map(arg))
            return merged
        if isinstance(expr, Composite) and expr.type.startswith("map[string]"):
            out: dict[str, Field] = {}
            for key, value in expr.elems:
                name = _entry_key(key)
                if name is not None:
                    parsed = self.schema(value)
                    if parsed is not None:
                        out[name] = parsed
            return out
        if isinstance(expr, Composite) and expr.type.endswith("Resource"):
            return self.resource(expr)
        return {}

    def resource(self, expr: Any) -> dict[str, Field]:
        """The attribute map of a ``&schema.Resource{Schema: ...}`` expression."""
        expr = self._deref(expr)
        if isinstance(expr, Composite):
            for key, value in expr.elems:
                if isinstance(key, Ident) and key.name in ("Schema", "SchemaFunc"):
                    return self.schema_map(value)
        return {}

    def schema(self, expr: Any) -> Field | None:
        expr = self._deref(expr)
        if not isinstance(expr, Composite):
            return None
        f = Field(line=expr.line)
        type_ = ""
        elem: Any = None
        for key, value in expr.elems:
            if not isinstance(key, Ident):
                continue
            if key.name == "ForceNew":
                f.force_new = isinstance(value, Ident) and value.name == "true"
            elif key.name == "Type" and isinstance(value, Ident):
                type_ = value.name.split(".")[-1]
            elif key.name == "MaxItems":
                f.max_one = isinstance(value, Other) and value.text == "1"
            elif key.name == "Elem":
                elem = value
        if elem is not None and type_ in ("TypeList", "TypeSet"):
            inner = self._deref(elem)
            if isinstance(inner, Composite) and inner.type.endswith("Resource"):
                f.kind = "block"
                f.children = self.resource(inner)
        return f


def parse_package(sources: Mapping[str, str]) -> Resolver:
    """A resolver over every top-level declaration of the given files (path -> text)."""
    decls: dict[str, Decl] = {}
    for src in sources.values():
        decls.update(declarations(src))
    return Resolver(decls)


# ------------------------------------------------------------------ terraform-plugin-framework


_FW_ATTR = re.compile(r'^\s*(?:names\.Attr\w+|"(?P<key>[a-z0-9_]+)")\s*:\s*(?:schema|fwschema)\.\w+Attribute\{', re.M)


def framework_fields(src: str) -> dict[str, Field]:
    """Top-level attributes of a terraform-plugin-framework resource schema and whether each carries a
    ``RequiresReplace`` plan modifier (``stringplanmodifier.RequiresReplace()`` and friends).

    """
    out: dict[str, Field] = {}
    toks = tokenize(src)
    p = _Parser(toks)
    while p.i < len(toks):
        tok = p.next()
        key: str | None = None
        if tok.kind == "str" and p.peek() is not None and p.peek().text == ":":  # type: ignore[union-attr]
            key = tok.text.strip('"')
        elif tok.kind == "ident" and tok.text == "names" and p.peek() is not None and p.peek().text == ".":  # type: ignore[union-attr]
            p.next()
            const = p.next().text
            if p.peek() is not None and p.peek().text == ":":  # type: ignore[union-attr]
                key = snake(const.removeprefix("Attr"))
        if key is None:
            continue
        p.next()  # :
        start = p.i
        value = p.expr()
        if not (isinstance(value, Composite) and value.type.endswith("Attribute")):
            continue
        body = toks[start:p.i]
        requires = any(t.text.startswith("RequiresReplace") for t in body)
        out[key] = Field(force_new=requires, line=value.line)
    return out


def _names(expr: Any) -> Iterator[str]:
    """Every identifier / called function an expression mentions."""
    if isinstance(expr, Ident):
        yield expr.name.split(".")[-1]
    elif isinstance(expr, Call):
        yield expr.name.split(".")[-1]
        for arg in expr.args:
            yield from _names(arg)
    elif isinstance(expr, Composite):
        for _key, value in expr.elems:
            yield from _names(value)


def _top_maps(resolver: Resolver, expr: Any) -> Iterator[Composite]:
    """The map literals that make up a resource's top-level schema, within one declaration."""
    if isinstance(expr, Call) and expr.name.endswith("MergeSchemas"):
        for arg in expr.args:
            yield from _top_maps(resolver, arg)
    elif isinstance(expr, Composite) and expr.type.startswith("map[string]"):
        yield expr
    elif isinstance(expr, Composite) and expr.type.endswith("Resource"):
        for key, value in expr.elems:
            if isinstance(key, Ident) and key.name == "Schema":
                yield from _top_maps(resolver, value)


_ACRONYMS = ("CIDR", "ARN", "VPC", "KMS", "DNS", "AMI", "URL", "IP", "ID")


def snake(camel: str) -> str:
    """``SubnetIDs`` -> ``subnet_ids``, ``VPCID`` -> ``vpc_id``, ``CIDRBlock`` -> ``cidr_block``: the
    terraform-provider-aws ``names.AttrXxx`` constants are the snake_case of their names
    (internal/names/attr_consts_gen.go), acronyms kept whole."""
    words: list[str] = []
    for token in re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]+|[a-z]+|\d+", camel.replace("IDs", "Ids")):
        if token.isupper() and len(token) > 1:
            while token:
                head = next((a for a in _ACRONYMS if token.startswith(a)), token)
                words.append(head)
                token = token[len(head):]
        else:
            words.append(token)
    return "_".join(w.lower() for w in words)


def _entry_key(key: Any) -> str | None:
    if isinstance(key, Other) and key.text.startswith('"'):
        return key.text.strip('"')
    if isinstance(key, Ident) and key.name.startswith("names.Attr"):
        return snake(key.name.removeprefix("names.Attr"))
    return None


def kept_spans(decl: Decl, resolver: Resolver, wanted: set[str]) -> list[tuple[int, int]]:
    """Line spans of ``decl`` without the top-level schema entries outside ``wanted``."""
    dropped: list[tuple[int, int]] = []
    for m in _top_maps(resolver, decl.value):
        for (key, _), span in zip(m.elems, m.spans, strict=True):
            name = _entry_key(key)
            if name is not None and name not in wanted:
                dropped.append(span)
    spans: list[tuple[int, int]] = []
    start = decl.line
    for d_start, d_end in sorted(dropped):
        if d_start > start:
            spans.append((start, d_start - 1))
        start = max(start, d_end + 1)
    if start <= decl.end:
        spans.append((start, decl.end))
    return spans


def referenced(resolver: Resolver, roots: list[Decl], wanted: set[str]) -> set[str]:
    """Declarations reachable from the wanted top-level entries of ``roots`` (and MergeSchemas operands)."""
    todo: list[str] = []
    for decl in roots:
        expr = decl.value
        if isinstance(expr, Composite) and expr.type.endswith("Resource"):
            for key, value in expr.elems:
                if isinstance(key, Ident) and key.name == "Schema":
                    expr = value
        if isinstance(expr, Call) and expr.name.endswith("MergeSchemas"):
            todo.extend(a.name.split(".")[-1] for a in expr.args if isinstance(a, Ident))
        for m in _top_maps(resolver, decl.value):
            for key, value in m.elems:
                if _entry_key(key) in wanted:
                    todo.extend(_names(value))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in resolver.decls or name in {d.name for d in roots}:
            continue
        seen.add(name)
        todo.extend(_names(resolver.decls[name].value))
    return seen


def walk(fields: Mapping[str, Field], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Field]]:
    for name, f in sorted(fields.items()):
        yield (*prefix, name), f
        yield from walk(f.children, (*prefix, name))

"""The spec reference (docs/spec-reference.md), generated from the same models as the JSON Schema."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from kubefleet.spec.model import ClusterSpec


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(get_args(annotation)[0])
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in get_args(annotation))
    if origin in (Union, types.UnionType):
        parts = [a for a in get_args(annotation) if a is not type(None)]
        return " \\| ".join(_type_name(a) for a in parts)
    if origin is list:
        return f"list of {_type_name(get_args(annotation)[0])}"
    if origin is dict:
        return "map of string to string"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    return getattr(annotation, "__name__", str(annotation)).replace("Decimal", "decimal").replace("str", "string")


def _default(info: Any) -> str:
    if info.default is not PydanticUndefined:
        value = info.default
        if value is None:
            return "—"
        return f"`{value}`"
    if info.default_factory is not None:
        return "(defaults below)" if info.default_factory not in (list, dict) else "empty"
    return "**required**"


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str, str]]:
    from kubefleet.spec.loader import _unwrap

    out = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        path = f"{prefix}.{key}" if prefix else key
        is_list = "list[" in str(info.annotation)
        out.append((path + ("[]" if is_list else ""), _type_name(info.annotation), _default(info), info.description or ""))
        models = _unwrap(info.annotation)
        if models and not str(info.annotation).startswith("dict"):
            out.extend(_rows(models[0], path + ("[]" if is_list else "")))
    return out


def reference_markdown() -> str:
    lines = [
        "# Spec reference: `kubefleet.dev/v1alpha1` `Cluster`",
        "",
        "Generated from the spec models (`kubefleet/spec/model.py`), like `schemas/cluster.schema.json`;",
        "a test keeps this file in sync. Provider-only knobs live under `spec.providers.<name>`.",
        "",
        "| field | type | default | meaning |",
        "|---|---|---|---|",
    ]
    for path, typ, default, desc in _rows(ClusterSpec, ""):
        lines.append(f"| `{path}` | {typ} | {default} | {desc.replace('|', '/')} |")
    return "\n".join(lines) + "\n"

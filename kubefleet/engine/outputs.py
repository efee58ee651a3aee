"""Stack outputs for people: secrets masked unless asked for, the kubeconfig never shown by default."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, Protocol

from kubefleet.redact import SECRET, is_secret_name, mask, secret_strings

#: outputs that are secret whatever the engine says
SECRET_OUTPUTS: Final = frozenset({"kubeconfig"})


class OutputLike(Protocol):
    """``pulumi.automation.OutputValue``: a value and whether it is secret."""

    value: Any
    secret: bool


def is_secret_output(name: str, output: OutputLike) -> bool:
    return bool(output.secret) or name in SECRET_OUTPUTS or is_secret_name(name)


def display_outputs(outputs: Mapping[str, OutputLike], *, show_secrets: bool = False) -> dict[str, Any]:
    """Outputs as plain data, sorted; secret ones are ``[secret]`` unless ``show_secrets``."""
    out: dict[str, Any] = {}
    for name in sorted(outputs):
        output = outputs[name]
        if show_secrets:
            out[name] = output.value
        elif is_secret_output(name, output):
            out[name] = SECRET
        else:
            out[name] = mask(output.value, name)
    return out


def secret_output_values(outputs: Mapping[str, OutputLike]) -> list[str]:
    """Every string inside a secret output (so engine messages can be scrubbed of them)."""
    values: list[str] = []
    for name, output in outputs.items():
        if is_secret_output(name, output):
            values.extend(secret_strings(output.value))
    return values


def kubeconfig_text(outputs: Mapping[str, OutputLike]) -> str | None:
    """The kubeconfig output as text (YAML, or JSON which is YAML too), or None if the stack has none."""
    output = outputs.get("kubeconfig")
    if output is None or output.value in (None, ""):
        return None
    value = output.value
    return value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True)

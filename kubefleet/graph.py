"""The resource graph: what one cluster declares on one provider, as the offline render records it.

Everything after the render reads this shape and nothing else: the pricer, the policies, ``plan``, the
offline diff, drift and the API-model oracle in each adapter. It lives below the adapters and the render
so that all of them can name it without importing the Pulumi SDK; it may import only the spec and the
resolved cluster's value types.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from kubefleet.resolve.model import InstanceChoice
    from kubefleet.spec.model import ClusterSpec

#: What a secret input or output shows instead of its value.
SECRET: Final = "[secret]"
STACK_TYPE: Final = "pulumi:pulumi:Stack"

Status = Literal["native", "emulated", "unsupported"]


@dataclass(frozen=True)
class ParityNote:
    """One row of the parity report: a spec field, its status on a provider, and why."""

    field: str
    status: Status
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "status": self.status, "detail": self.detail}


def at_path(data: Any, path: str) -> tuple[bool, Any]:
    """(found, value) at a dotted path in nested inputs (list items by index: ``a.0.b``)."""
    node = data
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


@dataclass(frozen=True)
class RenderedResource:
    """One resource the program declares."""

    urn: str
    type: str
    name: str
    parent: str | None  # parent URN (None for children of the stack)
    inputs: Mapping[str, Any]  # secrets replaced by SECRET
    custom: bool
    protect: bool
    secret_paths: tuple[str, ...] = ()
    #: the program's ``ignore_changes`` (Pulumi property paths): the engine never updates these
    ignore_changes: tuple[str, ...] = ()
    #: the program's ``replace_on_changes``: a change at or under one of these replaces the resource
    replace_on_changes: tuple[str, ...] = ()
    #: ``delete_before_replace``: a replacement deletes the old resource first (its cloud name must stay)
    delete_before_replace: bool = False

    @property
    def parent_name(self) -> str | None:
        return self.parent.rsplit("::", 1)[-1] if self.parent else None

    def get(self, path: str, default: Any = None) -> Any:
        """Input at a dotted path (``nodeConfig.machineType``; list items by index: ``a.0.b``)."""
        found, value = at_path(self.inputs, path)
        return value if found else default


@dataclass
class ResourceGraph:
    """Everything one cluster would create on one provider."""

    cluster: str
    provider: str
    region: str
    resources: list[RenderedResource]
    outputs: dict[str, Any]
    parity: list[ParityNote]
    instances: dict[str, InstanceChoice]  # node pool name -> chosen instance
    spec: ClusterSpec = field(repr=False, compare=False)

    def __iter__(self) -> Iterator[RenderedResource]:
        return iter(self.resources)

    def of_type(self, *types: str) -> list[RenderedResource]:
        return [r for r in self.resources if r.type in types]

    def one(self, type_: str) -> RenderedResource:
        found = self.of_type(type_)
        if len(found) != 1:
            raise KeyError(f"expected one {type_}, found {len(found)}")
        return found[0]

    def custom(self) -> list[RenderedResource]:
        return [r for r in self.resources if r.custom]

    def as_json(self) -> dict[str, Any]:
        """The stable ``plan --output json`` contract."""
        return {
            "cluster": self.cluster,
            "provider": self.provider,
            "region": self.region,
            "resources": [
                {"type": r.type, "name": r.name, "parent": r.parent_name, "inputs": r.inputs}
                for r in self.resources
            ],
            "instances": {
                pool: {"type": c.name, "reason": c.reason, **({"note": c.note} if c.note else {})}
                for pool, c in self.instances.items()
            },
            "parity": [n.as_dict() for n in self.parity],
        }

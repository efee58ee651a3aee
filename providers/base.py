"""The adapter contract. providers/README.md says the same in prose (MUST / SHOULD).

An adapter turns a validated :class:`ClusterSpec` into Pulumi resources for one target. It never talks to
a cloud itself: it only declares resources, so the same code runs under ``pulumi up``, the Automation
API and the offline mock monitor.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel

from kubefleet.spec import ClusterSpec, NodePool

if TYPE_CHECKING:
    import pulumi

    from kubefleet.render import ResourceGraph
    from kubefleet.verify import VerifyReport

Status = Literal["native", "emulated", "unsupported"]


@dataclass(frozen=True)
class Support:
    """How one spec field is realised on a provider."""

    status: Status
    detail: str


def native(detail: str) -> Support:
    return Support("native", detail)


def emulated(detail: str) -> Support:
    return Support("emulated", detail)


def unsupported(detail: str) -> Support:
    return Support("unsupported", detail)


@dataclass(frozen=True)
class ParityNote:
    """One row of the parity report: a spec field, its status on a provider, and why."""

    field: str
    status: Status
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class InstanceChoice:
    """What a node pool runs on, and why (from shape matching, or pinned)."""

    name: str
    reason: str
    vcpus: int
    memory_gib: int
    gpu_kind: str | None = None
    gpu_count: int = 0
    accelerator: str | None = None  # GKE: accelerator type attached to the VM (e.g. nvidia-tesla-t4)
    note: str | None = None  # e.g. "L4 not offered here; nearest is A10"


InstanceResolver = Callable[[NodePool], InstanceChoice]


@dataclass
class BuildContext:
    """What an adapter gets besides the spec: region, instance choices, labels, protection."""

    spec: ClusterSpec
    provider: str
    region: str
    resolve_instance: InstanceResolver
    labels: dict[str, str]
    protect: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def instance(self, pool: NodePool) -> InstanceChoice:
        return self.resolve_instance(pool)


@dataclass(frozen=True)
class ClusterOutputs:
    """What every adapter returns; the program exports these (kubeconfig as a secret)."""

    name: pulumi.Input[str]
    endpoint: pulumi.Input[str]
    kubeconfig: pulumi.Input[str]
    version: pulumi.Input[str]


class ClusterAdapter(abc.ABC):
    """The contract every provider adapter fulfils. See providers/README.md."""

    #: registry key, e.g. "gke"
    name: ClassVar[str]
    #: human name, e.g. "Google Kubernetes Engine"
    display_name: ClassVar[str]
    #: the Pulumi component type, e.g. "kubefleet:gke:Cluster"
    component_type: ClassVar[str]

    @abc.abstractmethod
    def build(self, spec: ClusterSpec, ctx: BuildContext) -> ClusterOutputs:
        """Declare every resource for ``spec`` through Pulumi, under one ComponentResource.

        MUST NOT have side effects beyond resource declarations; MUST keep secrets as Pulumi secrets.
        """

    @abc.abstractmethod
    def field_support(self, spec: ClusterSpec) -> Mapping[str, Support]:
        """For every spec field path (see :func:`spec_field_paths`), how this provider realises it.

        Keys are dotted paths with ``[]`` for list items, e.g. ``spec.nodePools[].spot``. Paths under
        another provider's ``spec.providers.<name>`` block are not asked for.
        """

    # ---- offline render hooks (used only under the SDK's mock monitor) ----

    def mock_outputs(self, type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Outputs a real provider would compute (endpoint, CA data, ids) for the offline render."""
        return {}

    def mock_call(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        """Results of data-source invokes (``get_*`` functions) for the offline render; None = unknown."""
        return None

    # ---- the API-model oracle (kubefleet/verify.py) ----

    def verify(self, graph: ResourceGraph) -> VerifyReport:
        """Check the rendered graph against the cloud's own API model.

        Managed providers override this in ``providers/<name>/verify.py`` (the API-model packages are
        cloud SDKs, so they are imported only there). The default says no API model exists.
        """
        from kubefleet.verify import VerifyReport

        return VerifyReport(cluster=graph.cluster, provider=graph.provider, oracle=None,
                            notes=[f"{self.display_name}: no cloud API model to check against"])

    # ---- derived ----

    def parity(self, spec: ClusterSpec) -> list[ParityNote]:
        """The parity report: every applicable field, native / emulated / unsupported, with a reason."""
        table = self.field_support(spec)
        notes: list[ParityNote] = []
        for path in spec_field_paths(self.name):
            support = table.get(path)
            if support is None:
                raise ContractError(f"{type(self).__name__} does not say how it realises `{path}`")
            notes.append(ParityNote(path, support.status, support.detail))
        return notes


#: The as-of date of the offline render in progress, when its caller asked for one (``plan --as-of``);
#: kubefleet.render sets it under its render lock. Dated choices (mesh revisions, Istio releases) use it,
#: else the date their data vouches for; the program never reads the clock.
_RENDER_AS_OF: list[date] = []


def render_as_of() -> date | None:
    return _RENDER_AS_OF[-1] if _RENDER_AS_OF else None


@contextmanager
def rendering_as_of(on: date | None) -> Iterator[None]:
    if on is None:
        yield
        return
    _RENDER_AS_OF.append(on)
    try:
        yield
    finally:
        _RENDER_AS_OF.pop()


class InvokeFailure(Exception):
    """An adapter's offline answer that a data source fails the way the cloud's would (e.g. "not found"):
    the render returns it as the invoke's failure, which the program sees as the error a real provider
    gives, and can handle."""


class ContractError(Exception):
    """An adapter broke the contract (a programming error, caught by tests, never a user error)."""


GENERIC_PATHS = ("apiVersion", "kind", "metadata.name", "metadata.labels", "metadata.protected", "spec.provider",
                 "spec.region")


def _walk(model: type[BaseModel], prefix: str) -> Iterator[str]:
    from kubefleet.loader import _unwrap

    for name, info in model.model_fields.items():
        key = info.alias or name
        path = f"{prefix}.{key}" if prefix else key
        models = _unwrap(info.annotation)
        is_list = "list[" in str(info.annotation)
        if models and not str(info.annotation).startswith("dict"):
            yield from _walk(models[0], path + ("[]" if is_list else ""))
        else:
            yield path


def spec_field_paths(provider: str | None = None) -> list[str]:
    """Every leaf field path of the spec schema; with ``provider``, only that provider's own block.

    Generic identity fields (apiVersion, kind, metadata.*, spec.provider, spec.region) are left out:
    they are the same on every provider.
    """
    paths = []
    for path in _walk(ClusterSpec, ""):
        if path in GENERIC_PATHS:
            continue
        if path.startswith("spec.providers."):
            owner = path.split(".")[2]
            if provider is None or owner != provider:
                continue
        paths.append(path)
    return paths

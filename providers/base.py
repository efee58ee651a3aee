"""The adapter contract. providers/README.md says the same in prose (MUST / SHOULD).

An adapter translates a :class:`~kubefleet.resolve.model.ResolvedCluster` (the spec with every catalog,
dated and clock-dependent choice already made by :mod:`kubefleet.resolve`) into Pulumi resources for one
target. It never talks to a cloud and never looks anything up: it only declares resources, so the same
code runs under ``pulumi up``, the Automation API and the offline mock monitor, and the same resolved
value always gives the same graph (which is what the render cache relies on). Adapters may import the
spec, the resolved value types, the resource graph and the verify contract; import-linter forbids them the
catalog, the lifecycle data and the pricer (``.importlinter``).
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from kubefleet.graph import ParityNote, Status
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    import pulumi

    from kubefleet.graph import ResourceGraph
    from kubefleet.providers.scope import Scope
    from kubefleet.verify import VerifyReport

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
    def build(self, ctx: ResolvedCluster) -> ClusterOutputs:
        """Declare every resource for ``ctx.spec`` through Pulumi, under one ComponentResource.

        MUST NOT have side effects beyond resource declarations; MUST keep secrets as Pulumi secrets.
        """

    @abc.abstractmethod
    def field_support(self, ctx: ResolvedCluster) -> Mapping[str, Support]:
        """For every spec field path (see :func:`spec_field_paths`), how this provider realises it.

        Keys are dotted paths with ``[]`` for list items, e.g. ``spec.nodePools[].spot``. Paths under
        another provider's ``spec.providers.<name>`` block are not asked for.
        """

    # ---- once-per-scope resources (providers/scope.py) ----

    def scope(self, spec: ClusterSpec, project: str | None = None) -> Scope | None:
        """The shared per-project/account/subscription scope this cluster uses (None: the provider has no
        once-per-scope resources). ``project``: the scope key the engine knows from elsewhere (the
        provider's project environment variables) when the spec names none."""
        return None

    def scope_cloud(self) -> tuple[str, str] | None:
        """(cloud, the provider config key naming the scope), e.g. ("gcp", "project"); None: no scope."""
        return None

    def build_scope(self, scope: Scope) -> None:
        """Declare the scope stack's resources (only called when :meth:`scope` returned a scope)."""
        raise ContractError(f"{type(self).__name__} has no scope stack")

    # ---- offline render hooks (used only under the SDK's mock monitor) ----

    def mock_outputs(self, type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Outputs a real provider would compute (endpoint, CA data, ids) for the offline render."""
        return {}

    def mock_call(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        """Results of data-source invokes (``get_*`` functions) for the offline render; None = unknown."""
        return None

    # ---- the API-model oracle (kubefleet/verify.py, dispatched by kubefleet.providers.verify_graph) ----

    def verify(self, graph: ResourceGraph) -> VerifyReport:
        """Check the rendered graph against the cloud's own API model.

        Managed providers override this in ``providers/<name>/verify.py`` (the API-model packages are
        cloud SDKs, so they are imported only there). The default says no API model exists.
        """
        from kubefleet.verify import VerifyReport

        return VerifyReport(cluster=graph.cluster, provider=graph.provider, oracle=None,
                            notes=[f"{self.display_name}: no cloud API model to check against"])

    # ---- derived ----

    def parity(self, ctx: ResolvedCluster) -> list[ParityNote]:
        """The parity report: every applicable field, native / emulated / unsupported, with a reason."""
        table = self.field_support(ctx)
        notes: list[ParityNote] = []
        for path in spec_field_paths(self.name):
            support = table.get(path)
            if support is None:
                raise ContractError(f"{type(self).__name__} does not say how it realises `{path}`")
            notes.append(ParityNote(path, support.status, support.detail))
        return notes


class InvokeFailure(Exception):
    """An adapter's offline answer that a data source fails the way the cloud's would (e.g. "not found"):
    the render returns it as the invoke's failure, which the program sees as the error a real provider
    gives, and can handle."""


class ContractError(Exception):
    """An adapter broke the contract (a programming error, caught by tests, never a user error)."""


GENERIC_PATHS = ("apiVersion", "kind", "metadata.name", "metadata.labels", "metadata.protected", "spec.provider",
                 "spec.region",
                 # a pricing input for `cost`/`compare` only (the purchase option a pool is priced at): no cloud
                 # resource realises it, on any provider
                 "spec.nodePools[].pricing")


def _walk(model: type[BaseModel], prefix: str) -> Iterator[str]:
    from kubefleet.spec.loader import _unwrap

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

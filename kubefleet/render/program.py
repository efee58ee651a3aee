"""The one Pulumi program. ``stacks/__main__.py`` (plain ``pulumi up``), the Automation API inline
program (the CLI's engine path) and the offline renderer (the SDK's mock monitor) all run this.

It takes a resolved cluster (:mod:`kubefleet.resolve`) and hands it to the provider's adapter; when the
engine runs it, the cluster is resolved here first, against the wall clock, because that is the moment
the kubeadm PKI is issued. Nothing in the program looks up the catalog or the dated data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kubefleet.errors import KubefleetError, program_error
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog
    from kubefleet.providers.scope import Scope
    from kubefleet.resolve.cluster import ProtectionRule


def cluster_program(spec: ClusterSpec, provider: str, ctx: ResolvedCluster | None = None, *,
                    catalog: Catalog | None = None, protection: ProtectionRule | None = None) -> None:
    """Declare the cluster for ``provider`` and export its outputs (kubeconfig as a secret). Without
    ``ctx`` (the engine's runs) the spec is resolved now, against the wall clock and ``catalog`` — the
    one the CLI priced and previewed with (with the user's refreshed prices), so the instance types
    deployed are the ones shown; None = the shipped catalog."""
    import pulumi

    from kubefleet.providers import get_adapter
    from kubefleet.resolve.cluster import resolve, wall_clock

    adapter = get_adapter(provider)
    context = ctx or resolve(spec, provider, catalog=catalog, now=wall_clock(), protection=protection)
    out = adapter.build(context)
    pulumi.export("clusterName", out.name)
    pulumi.export("provider", provider)
    pulumi.export("region", context.region)
    pulumi.export("kubernetesVersion", out.version)
    pulumi.export("endpoint", out.endpoint)
    pulumi.export("kubeconfig", pulumi.Output.secret(out.kubeconfig))


def scope_program(scope: Scope) -> None:
    """Declare a scope stack's resources (providers/scope.py): what exists once per project/account."""
    import pulumi

    from kubefleet.providers import get_adapter
    from kubefleet.providers.scope import NEEDS_CONFIG, parse_needs

    # what the scope stack already holds stays (another cluster of the scope may use it): the recorded needs
    recorded = parse_needs(pulumi.Config(NEEDS_CONFIG.split(":")[0]).get(NEEDS_CONFIG.split(":")[1]))
    get_adapter(scope.provider).build_scope(scope.with_needs(recorded))
    pulumi.export("provider", scope.provider)


def inline_scope_program(scope: Scope) -> Callable[[], None]:
    """The Automation API inline program of a scope stack."""

    def run() -> None:
        try:
            scope_program(scope)
        except KubefleetError as err:
            raise program_error(err) from None

    return run


def inline_program(spec: ClusterSpec, provider: str, catalog: Catalog | None = None, *,
                   protection: ProtectionRule | None = None) -> Callable[[], None]:
    """The Automation API inline program for one cluster on one provider, resolved with ``catalog``;
    ``protection`` (the policy config's production rule) decides Pulumi's ``protect``."""

    def run() -> None:
        try:
            cluster_program(spec, provider, catalog=catalog, protection=protection)
        except KubefleetError as err:
            raise program_error(err) from None

    return run

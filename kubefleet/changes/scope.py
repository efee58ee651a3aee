"""The offline diff of the shared per-project stacks (providers/scope.py): what a spec change does to the
resources that exist once per project, shown once per project, not once per cluster.

As in the engine, what a scope holds only grows: the new side's scope holds what the old side's held plus what
the new clusters need (``up`` never removes what another cluster of the project may use), and a scope no
cluster of the new side uses is not shown as deleted (``destroy --scope`` removes it, explicitly). A cluster
naming no project has its scope decided at ``up`` (the environment's project), so it is not shown here. Scope
resources cost nothing by themselves (kubefleet.cost.pricer: enabled APIs and the fleet Feature are free), so
both sides are $0."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from kubefleet.changes.diff import ClusterDiff, cluster_status, default_providers, diff_graphs
from kubefleet.changes.model import ClusterChanges
from kubefleet.graph import ResourceGraph
from kubefleet.providers.scope import Scope, group
from kubefleet.spec.model import ClusterSpec

ZERO = Decimal(0)


def _scopes(specs: Iterable[ClusterSpec], providers: Sequence[str] | None) -> dict[str, tuple[Scope, list[str],
                                                                                              ClusterSpec]]:
    from kubefleet.providers import get_adapter

    pairs: list[tuple[str, Scope]] = []
    first: dict[str, ClusterSpec] = {}
    for spec in specs:
        for provider in (list(providers) if providers else default_providers(spec)):
            scope = get_adapter(provider).scope(spec)
            # a spec naming no project: the scope is the environment's project at `up`, unknown offline
            if scope is not None and scope.known:
                pairs.append((spec.name, scope))
                first.setdefault(scope.stack_name, spec)
    return {name: (scope, names, first[name]) for name, (scope, names) in group(pairs).items()}


def _graph(scope: Scope, clusters: list[str], spec: ClusterSpec) -> ResourceGraph:
    from kubefleet.render.offline import render_scope

    rendered = render_scope(scope, tuple(clusters))
    return ResourceGraph(cluster=scope.stack_name, provider=scope.provider, region="", resources=rendered.resources,
                         outputs=rendered.outputs, parity=[], instances={}, spec=spec)


def scope_diffs(old_specs: Iterable[ClusterSpec], new_specs: Iterable[ClusterSpec],
                providers: Sequence[str] | None = None) -> list[ClusterDiff]:
    """One entry per scope stack the change touches (created, or gaining resources); untouched scopes are left
    out, as is a scope only the old side used."""
    before = _scopes(old_specs, providers)
    after = _scopes(new_specs, providers)
    out: list[ClusterDiff] = []
    for name in sorted(after):
        scope, clusters, spec = after[name]
        old = before.get(name)
        old_graph = _graph(*old) if old is not None else None
        new_graph = _graph(scope.with_needs(old[0].needs) if old is not None else scope, clusters, spec)
        diffs = diff_graphs(old_graph, new_graph)
        if old_graph is not None and all(d.change.op == "same" for d in diffs):
            continue
        changes = ClusterChanges(name, scope.provider, tuple(d.change for d in diffs), ZERO, ZERO)
        forced = {f"{d.change.type}::{d.change.name}": d.forced_by for d in diffs if d.forced_by}
        out.append(ClusterDiff(changes, cluster_status(old_graph, new_graph, diffs), forced))
    return out

"""Drift explained in the spec's terms, with what it costs while it lasts.

The engine reports drift as provider properties (``gcp:container/nodePool:NodePool e2e-default:
nodeCount 5 → 2``). A reviewer thinks in the spec: *nodePools[default].count* — someone resized the
``default`` pool in the console — and in money: the cloud as it runs now costs this much more (or less)
per month than the spec says, until ``up`` puts it back.

* :func:`spec_terms` maps each drifted property that a spec field decides to that field, by resource
  type and property (:data:`FIELDS`) and by the resource names the adapters give pools and masters
  (``<cluster>-<pool>``; kubeadm's pools live inside its Cluster API Cluster, whose drift is priced but not mapped). A property no
  spec field decides is still listed, in the provider's terms.
* :func:`explain` prices the graph the program declares and the same graph with the cloud's values put
  in the drifted resources, with the ONE pricing model (kubefleet.cost.pricer): the drift's monthly cost is the
  difference. Nothing reads the clock; ``as_of`` is explicit.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from kubefleet.catalog import Catalog
from kubefleet.changes.model import ClusterChanges, InputChange, ResourceChange, parse_path, value_at
from kubefleet.graph import RenderedResource, ResourceGraph

#: (resource type, property path) -> (spec field under the pool / control plane, how the value reads)
FIELDS: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "gcp:container/nodePool:NodePool": {
        "nodeCount": ("count", "nodes per zone"),
        "autoscaling.minNodeCount": ("autoscaling.min", "nodes per zone"),
        "autoscaling.maxNodeCount": ("autoscaling.max", "nodes per zone"),
        "autoscaling.totalMinNodeCount": ("autoscaling.min", "nodes"),
        "autoscaling.totalMaxNodeCount": ("autoscaling.max", "nodes"),
        "nodeConfig.machineType": ("machine", "machine type"),
        "nodeConfig.diskSizeGb": ("disk.sizeGiB", "GiB"),
        "nodeConfig.spot": ("spot", ""),
    },
    "aws:eks/nodeGroup:NodeGroup": {
        "scalingConfig.desiredSize": ("count", "nodes"),
        "scalingConfig.minSize": ("autoscaling.min", "nodes"),
        "scalingConfig.maxSize": ("autoscaling.max", "nodes"),
        "instanceTypes": ("machine", "instance types"),
        "capacityType": ("spot", ""),
    },
    "azure-native:containerservice:AgentPool": {
        "count": ("count", "nodes"),
        "minCount": ("autoscaling.min", "nodes"),
        "maxCount": ("autoscaling.max", "nodes"),
        "vmSize": ("machine", "VM size"),
        "osDiskSizeGB": ("disk.sizeGiB", "GiB"),
        "scaleSetPriority": ("spot", ""),
    },
}


@dataclass(frozen=True)
class SpecTerm:
    """One drifted property: the spec field that decides it (None when no field does), the provider
    property, and its value in the cloud and in the program."""

    resource: str  # type::name
    field: str | None  # e.g. nodePools[default].count, controlPlane.machine.vcpus
    property: str  # the provider's property path
    unit: str
    cloud: Any
    spec: Any

    def line(self) -> str:
        what = f"{self.field} ({self.property})" if self.field else f"{self.resource.rsplit('::', 1)[-1]} {self.property}"
        unit = f" {self.unit}" if self.unit else ""
        return f"{what}: {_show(self.cloud)}{unit} in the cloud, {_show(self.spec)}{unit} in the spec"

    def as_json(self) -> dict[str, Any]:
        return {"resource": self.resource, "field": self.field, "property": self.property, "unit": self.unit,
                "cloud": self.cloud, "spec": self.spec}


@dataclass(frozen=True)
class DriftReport:
    terms: tuple[SpecTerm, ...]
    monthly_cloud: Decimal | None  # the declared graph with the cloud's values (None: not priced)
    monthly_spec: Decimal | None

    @property
    def monthly_delta(self) -> Decimal | None:
        if self.monthly_cloud is None or self.monthly_spec is None:
            return None
        return self.monthly_cloud - self.monthly_spec

    def as_json(self) -> dict[str, Any]:
        delta = self.monthly_delta
        return {
            "terms": [t.as_json() for t in self.terms],
            "monthlyCloud": None if self.monthly_cloud is None else str(self.monthly_cloud),
            "monthlySpec": None if self.monthly_spec is None else str(self.monthly_spec),
            "monthlyDelta": None if delta is None else str(delta),
        }


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "[]"
    return "absent" if value is None else str(value)


def owner(cluster: str, pools: list[str], name: str) -> str | None:
    """The spec element a resource named ``name`` belongs to: ``nodePools[<pool>]``, ``controlPlane``, or None."""
    if re.fullmatch(re.escape(cluster) + r"-cp-\d+", name):
        return "controlPlane"
    for pool in sorted(pools, key=len, reverse=True):  # the longest pool name first: "gpu" vs "gpu-a"
        if re.fullmatch(re.escape(f"{cluster}-{pool}") + r"(-\d+)?", name):
            return f"nodePools[{pool}]"
    return None


def _cloud_changes(change: ResourceChange) -> tuple[InputChange, ...]:
    """The refresh's findings (new = the cloud); a change built without them (offline, older JSON) has only
    ``inputs``, where an update reads old = the cloud."""
    if change.drift_inputs:
        return change.drift_inputs
    return tuple(InputChange(i.path, i.new, i.old, i.uncertain) for i in change.inputs)


def spec_terms(changes: ClusterChanges, graph: ResourceGraph | None, pools: list[str]) -> tuple[SpecTerm, ...]:
    """Each drifted property in the spec's terms; the spec's value is what the program declares (``graph``),
    else the recorded state."""
    declared = {(r.type, r.name): r for r in graph.resources} if graph is not None else {}
    out: list[SpecTerm] = []
    for change in changes.drifted:
        table = FIELDS.get(change.type, {})
        element = owner(changes.cluster, pools, change.name)
        resource = f"{change.type}::{change.name}"
        program = declared.get((change.type, change.name))
        for item in _cloud_changes(change):
            mapped = False
            for prop, (sub, unit) in table.items():
                if prop != item.path and not prop.startswith(item.path + "."):
                    continue
                rest = prop[len(item.path) + 1:]
                cloud = value_at(item.new, rest) if rest else item.new
                spec = program.get(prop) if program is not None else (value_at(item.old, rest) if rest else item.old)
                if cloud == spec:
                    continue
                field: str | None
                if element == "controlPlane":  # no spec field: kubeadm sizes masters from the worker count
                    field = f"{element} ({change.name}, sized by kubefleet from the node count)"
                else:
                    field = f"{element}.{sub}" if element else None
                out.append(SpecTerm(resource, field, prop, unit, cloud, spec))
                mapped = True
            if not mapped:
                spec = program.get(item.path) if program is not None else item.old
                out.append(SpecTerm(resource, None, item.path, "", item.new, spec))
    return tuple(out)


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    node: Any = data
    segments = parse_path(path)
    for segment in segments[:-1]:
        if isinstance(segment, int):
            node = node[segment]
        else:
            node = node.setdefault(str(segment), {})
    last = segments[-1]
    if value is None and isinstance(node, dict):
        node.pop(str(last), None)
    else:
        node[last if isinstance(last, int) else str(last)] = value


def cloud_graph(graph: ResourceGraph, drifted: tuple[ResourceChange, ...]) -> ResourceGraph | None:
    """``graph`` with the cloud's values in the drifted resources; None when a value is secret (unknown)."""
    by_key = {(c.type, c.name): c for c in drifted}
    resources: list[RenderedResource] = []
    for resource in graph.resources:
        change = by_key.get((resource.type, resource.name))
        if change is None:
            resources.append(resource)
            continue
        inputs = copy.deepcopy(dict(resource.inputs))
        for item in _cloud_changes(change):
            if item.secret or item.uncertain:
                return None
            try:
                _set(inputs, item.path, copy.deepcopy(item.new))
            except (KeyError, IndexError, TypeError):
                return None
        resources.append(dataclasses.replace(resource, inputs=inputs))
    return dataclasses.replace(graph, resources=resources)


def explain(graph: ResourceGraph, changes: ClusterChanges, catalog: Catalog, as_of: date,
            spec_total: Decimal | None = None) -> DriftReport:
    """The drift of ``changes`` in spec terms, and the graph priced as declared (``spec_total`` when the
    caller has priced it already) and as the cloud runs it."""
    from kubefleet.cost.pricer import price_graph

    pools = [p.name for p in graph.spec.spec.node_pools]
    terms = spec_terms(changes, graph, pools)
    if spec_total is None:
        spec_total = price_graph(graph, catalog, as_of=as_of).monthly_total
    drifted = cloud_graph(graph, changes.drifted)
    cloud_total = None if drifted is None else price_graph(drifted, catalog, as_of=as_of).monthly_total
    return DriftReport(terms=terms, monthly_cloud=cloud_total, monthly_spec=spec_total)

"""The reference Cluster API management cluster (catalog/data/capi-management.yaml): what a kubeadm cluster's
share of its management cluster is priced from when the spec does not say (kubefleet/cost/management.py)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

from kubefleet.catalog.loader import _Ctx, _int, _mapping, _source, _sources, read_yaml
from kubefleet.catalog.models import Source

FILE = "capi-management.yaml"


@dataclass(frozen=True)
class ManagementReference:
    control_plane_vms: int
    worker_vms: int
    vcpus: int
    memory_gib: int
    disk_gib: int
    managed_clusters: int
    counts_source: Source
    vm_source: Source

    @property
    def vms(self) -> int:
        return self.control_plane_vms + self.worker_vms


def parse_management(data: Any, file: str = FILE) -> ManagementReference:
    ctx = _Ctx(file)
    data = _mapping(data, ctx)
    sources = _sources(data, ctx)
    ref = _mapping(data.get("reference"), ctx.at("reference"))
    c = ctx.at("reference")
    cp = _mapping(ref.get("control_plane_vms"), c.at("control_plane_vms"))
    workers = _mapping(ref.get("worker_vms"), c.at("worker_vms"))
    vm = _mapping(ref.get("vm"), c.at("vm"))
    values = {
        "control_plane_vms": _int(cp.get("count"), c.at("control_plane_vms", "count")),
        "worker_vms": _int(workers.get("count"), c.at("worker_vms", "count")),
        "vcpus": _int(vm.get("vcpus"), c.at("vm", "vcpus")),
        "memory_gib": _int(vm.get("memory_gib"), c.at("vm", "memory_gib")),
        "disk_gib": _int(vm.get("disk_gib"), c.at("vm", "disk_gib")),
        "managed_clusters": _int(ref.get("managed_clusters"), c.at("managed_clusters")),
    }
    for key, value in values.items():
        if value < (0 if key == "worker_vms" else 1):
            raise c.at(key).error(f"{value} is not a usable {key.replace('_', ' ')}")
    counts = _source(cp, sources, c.at("control_plane_vms"))
    if _source(workers, sources, c.at("worker_vms")) != counts:
        raise c.at("worker_vms", "source").error("control-plane and worker counts must come from one source")
    return ManagementReference(**values, counts_source=counts, vm_source=_source(vm, sources, c.at("vm")))


@functools.lru_cache(maxsize=1)
def reference() -> ManagementReference:
    text = (resources.files("kubefleet.catalog") / "data" / FILE).read_text(encoding="utf-8")
    return parse_management(read_yaml(text, FILE))

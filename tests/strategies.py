"""Hypothesis strategies for valid cluster specs (as YAML-shaped data and as ClusterSpec)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from kubefleet.spec.model import ClusterSpec
from kubefleet.spec.regions import REGIONS

dns = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,5})?", fullmatch=True)
label_value = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@st.composite
def machines(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.integers(0, 9)) == 0:
        count = draw(st.sampled_from([1, 2, 4]))
        kind = draw(st.sampled_from(["nvidia-t4", "nvidia-l4", "nvidia-a100", "nvidia-h100"]))
        vcpus = draw(st.sampled_from([8, 16, 32])) * count if count > 1 else draw(st.sampled_from([4, 8, 16]))
        return {"vcpus": vcpus, "memoryGiB": vcpus * 4, "gpu": {"kind": kind, "count": count}}
    vcpus = draw(st.sampled_from([2, 4, 8, 16, 32]))
    ratio = draw(st.sampled_from([2, 4, 8]))
    return {"vcpus": vcpus, "memoryGiB": vcpus * ratio}


@st.composite
def pools(draw: st.DrawFn, name: str) -> dict[str, Any]:
    pool: dict[str, Any] = {"name": name, "machine": draw(machines())}
    if draw(st.booleans()):
        pool["count"] = draw(st.integers(1, 12))
    else:
        lo = draw(st.integers(0, 6))
        pool["autoscaling"] = {"min": lo, "max": draw(st.integers(max(lo, 1), 20))}
    if draw(st.booleans()):
        pool["spot"] = True
    if draw(st.booleans()):
        pool["disk"] = {"sizeGiB": draw(st.integers(20, 500)), "type": draw(st.sampled_from(["standard", "balanced", "ssd"]))}
    if draw(st.booleans()):
        pool["os"] = "ubuntu"
    if draw(st.booleans()):
        pool["labels"] = {"role": draw(label_value)}
    if draw(st.booleans()):
        pool["taints"] = [{"key": "dedicated", "value": draw(label_value),
                           "effect": draw(st.sampled_from(["NoSchedule", "PreferNoSchedule", "NoExecute"]))}]
    return pool


@st.composite
def spec_data(draw: st.DrawFn) -> dict[str, Any]:
    n_pools = draw(st.integers(1, 3))
    pool_names = draw(st.lists(dns, min_size=n_pools, max_size=n_pools, unique=True))
    availability = draw(st.sampled_from(["zonal", "regional"]))
    replicas = draw(st.sampled_from([3, 5])) if availability == "regional" else draw(st.sampled_from([1, 3, 5]))
    body: dict[str, Any] = {
        "kubernetes": {
            "version": draw(st.sampled_from(["1.31", "1.32", "1.33", "1.34", "1.33.4"])),
            "channel": draw(st.sampled_from(["rapid", "regular", "stable", "extended", "none"])),
        },
        "region": draw(st.sampled_from(sorted(REGIONS))),
        "controlPlane": {
            "availability": availability,
            "tier": draw(st.sampled_from(["free", "standard", "premium"])),
            "endpoint": draw(st.sampled_from(["public", "private"])),
            "replicas": replicas,
        },
        "nodePools": [draw(pools(n)) for n in pool_names],
    }
    if draw(st.booleans()):
        body["provider"] = draw(st.sampled_from(["gke", "eks", "aks", "kubeadm"]))
    if draw(st.booleans()):
        body["controlPlane"]["authorizedNetworks"] = ["192.168.0.0/16"]
    if draw(st.booleans()):
        body["network"] = {"privateNodes": draw(st.booleans())}
    mode = draw(st.sampled_from(["none", "managed", "self-managed"]))
    if mode != "none":
        body["addons"] = {"istio": {"mode": mode, "dataPlane": draw(st.sampled_from(["sidecar", "ambient"])),
                                    "expectedPods": draw(st.integers(0, 2000))}}
    if draw(st.booleans()):
        body["tenancy"] = {"isolation": "sandboxed"}
    if draw(st.booleans()):
        body["upgrades"] = {
            "strategy": draw(st.sampled_from(["surge", "blue-green"])),
            "maxSurge": draw(st.integers(1, 3)),
            "maxUnavailable": draw(st.integers(0, 2)),
            "maintenanceWindow": {"day": draw(st.sampled_from(["mon", "sat", "sun"])),
                                  "start": draw(st.sampled_from(["00:00", "03:30", "22:00"])),
                                  "hours": draw(st.integers(4, 8))},
        }
    if draw(st.booleans()):
        body["providers"] = {"gke": {"project": "acme-test"}, "kubeadm": {"controlPlaneVip": "10.0.0.10"}}
    labels = {"team": draw(label_value), "env": draw(st.sampled_from(["dev", "staging", "prod"]))}
    if draw(st.booleans()):
        labels.update({"owner": draw(label_value), "cost-center": "cc-1234"})
    return {
        "apiVersion": "kubefleet.dev/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": draw(dns), "labels": labels},
        "spec": body,
    }


def specs() -> st.SearchStrategy[ClusterSpec]:
    return spec_data().map(ClusterSpec.model_validate)

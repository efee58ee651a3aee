"""NVIDIA GPUs on EKS: without a device plugin no node advertises ``nvidia.com/gpu``, so no pod can ask for one.

Node groups with NVIDIA instance types run the EKS-optimized AL2023 NVIDIA AMI (``ami_type`` *_NVIDIA,
nodepool.py), which carries the driver and container toolkit but not the Kubernetes device plugin: "When
using the EKS-optimized AL2023 AMIs with NVIDIA GPUs, you must install the NVIDIA Kubernetes device plugin"
(awsdocs/amazon-eks-user-guide@4cd40a7530c003d18599e4ab19ecdf1078841793:latest/ug/ml/ml-eks-k8s-device-plugin.adoc,
"Considerations"; only the Bottlerocket NVIDIA AMIs bundle it). kubefleet keeps AL2023 and installs NVIDIA's
chart ``nvidia-device-plugin`` 0.20.0 from https://nvidia.github.io/k8s-device-plugin
(NVIDIA/k8s-device-plugin@1b826acc6af3079d8923bac395c3124b8861a9a6 = tag v0.20.0:
deployments/helm/nvidia-device-plugin/Chart.yaml). The chart's default affinity schedules the DaemonSet only on
nodes labelled by Node Feature Discovery or carrying ``nvidia.com/gpu.present=true`` ("We allow a GPU deployment
to be forced by setting the following label", values.yaml:81-85); kubefleet does not run NFD, so GPU node
groups get that label (nodepool.py). The chart tolerates ``nvidia.com/gpu:NoSchedule``; the pools' own taints
are added to its tolerations so the plugin reaches tainted GPU pools too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from kubefleet.providers.mesh import helm_release
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.spec.model import ClusterSpec, NodePool

CHART: Final = "nvidia-device-plugin"
CHART_VERSION: Final = "0.20.0"
CHART_REPO: Final = "https://nvidia.github.io/k8s-device-plugin"
NAMESPACE: Final = "kube-system"
#: The label the chart's default affinity accepts in place of NFD's PCI-vendor label (values.yaml:81-85).
GPU_PRESENT_LABEL: Final = {"nvidia.com/gpu.present": "true"}
#: The chart's default tolerations (values.yaml:86-93), kept when pool taints are added.
DEFAULT_TOLERATIONS: Final = (
    {"key": "CriticalAddonsOnly", "operator": "Exists"},
    {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
)


def is_nvidia(ami_type: str) -> bool:
    return ami_type.endswith("_NVIDIA")


def gpu_pools(spec: ClusterSpec, ctx: ResolvedCluster, ami_type_of: Any) -> list[NodePool]:
    """Pools whose node groups run an NVIDIA AMI (``ami_type_of(choice)`` decides, as for the node group)."""
    return [p for p in spec.spec.node_pools if is_nvidia(ami_type_of(ctx.instance(p)))]


def values(pools: Sequence[NodePool]) -> dict[str, Any]:
    tolerations: list[dict[str, str]] = [dict(t) for t in DEFAULT_TOLERATIONS]
    for pool in pools:
        for taint in pool.taints:
            tol = {"key": taint.key, "operator": "Equal" if taint.value else "Exists", "effect": taint.effect}
            if taint.value:
                tol["value"] = taint.value
            covered = any(t.get("key") == taint.key and t.get("operator") == "Exists"
                          and t.get("effect") in (None, taint.effect) for t in tolerations)
            if not covered and tol not in tolerations:
                tolerations.append(tol)
    return {"tolerations": tolerations}


def install_device_plugin(
    spec: ClusterSpec, pools: Sequence[NodePool], provider: k8s.Provider, parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
) -> k8s.helm.v3.Release:
    return helm_release(
        f"{spec.name}-nvidia-device-plugin", CHART, CHART, CHART_VERSION, CHART_REPO, NAMESPACE, values(pools),
        provider=provider, parent=parent, depends_on=list(depends_on),
    )
